"""The cells and facets of a finished subdivision complex: the subdivision's read-out.

:func:`complex_cells` reads the regions off the skeleton that
:class:`polyregions.skeleton.Skeleton` cut (its arrays after the last layer:
:meth:`~polyregions.skeleton.Skeleton.arrays`). Vertices are ordered by a
generic linear function (ties by index), which orients every edge. A cell (or
a facet) is emitted at each of its vertices whose edges in the cell all point
up; every cell has at least one such vertex (its lowest), whatever the
rounding of the coordinates, so nothing is missed, and the rare duplicates are
removed when the patterns are sorted. This visits each cell about once instead
of once per vertex.

A cell is named by a key linear in its sign bits, so the key of the cell on
the other side of a vertex's hyperplane is one addition away: up to
:data:`EXACT_KEY_MAX_NEURONS` neurons the packed pattern itself, above a
128-bit hash (sums of random odd per-neuron weights, mod 2^64).

Example
-------
>>> import numpy as np
>>> from polyregions.skeleton import Skeleton, box_skeleton
>>> sk = Skeleton(*box_skeleton(-np.ones(2), np.ones(2)), m_dom=4, n_neurons=2, rel_tol=1e-12)
>>> sk.start_layer(np.eye(2), np.array([0.1, -0.2]))
>>> sk.cut(0, 0), sk.cut(1, 1)
(2, 3)
>>> sk.end_layer()
>>> keys, exact, cells, P, facets, points = complex_cells(*sk.arrays())
>>> len(cells), len(facets[0])   # four quadrants, four half-lines between them
(4, 4)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .skeleton import SubdivisionFallback, odd_weights, read_only

__all__ = ["complex_cells", "VERTEX_CENTROID_MAX_DIM", "EXACT_KEY_MAX_NEURONS"]

#: Up to this dimension a cell's interior point is its vertex centroid (every vertex-cell
#: incidence is looked up: ``2^d`` per vertex); above, the centroid of its lowest vertex and
#: that vertex's ``d`` neighbours along the cell's edges (a simplex inside the cell).
VERTEX_CENTROID_MAX_DIM = 3
#: Up to this many neurons a cell's packed pattern fits in one 64-bit word, which is then its
#: key (exact: no hash, no collision); above, the key is a 128-bit linear hash of the pattern.
EXACT_KEY_MAX_NEURONS = 64

#: Seed of the cells' 128-bit key weights above EXACT_KEY_MAX_NEURONS (the cut's edge hashes
#: draw theirs from another seed).
PATTERN_HASH_SEED = 0x5EED6


@lru_cache(maxsize=16)
def _pattern_weights(m_dom, n_neurons, exact):
    """The cells' key weights per hyperplane (0 for the domain rows), ``(m_dom + n, w)`` words,
    and the byte tables of :func:`_bit_hashes` (``None`` for exact keys).

    Exact keys (``w = 1``): neuron ``k`` weighs its bit in the big-endian packed word, so
    the key is the pattern. Otherwise ``w = 2`` random odd words: a 128-bit linear hash.
    """
    if exact:
        w = np.zeros((m_dom + n_neurons, 1), dtype=np.uint64)
        w[m_dom:, 0] = np.uint64(1) << (np.uint64(63) - np.arange(n_neurons, dtype=np.uint64))
        return read_only(w), None
    w = np.zeros((m_dom + n_neurons, 2), dtype=np.uint64)
    w[m_dom:] = odd_weights(PATTERN_HASH_SEED, n_neurons)
    # tables[k, 256 p + c]: word k of the hash of byte value c at byte p of the packed bits
    n_bytes = max(1, (n_neurons + 7) // 8)
    wp = np.zeros((2, n_bytes * 8), dtype=np.uint64)
    wp[:, :n_neurons] = w[m_dom:].T
    vals = ((np.arange(256)[:, None] >> np.arange(7, -1, -1)) & 1).astype(np.uint64)  # (256, 8)
    tables = (vals[None, None] * wp.reshape(2, n_bytes, 1, 8)).sum(axis=3, dtype=np.uint64)
    return read_only(w, tables.reshape(2, n_bytes * 256))


@lru_cache(maxsize=8)
def _orthants(d):
    """``sel[code, j]`` (bit ``j`` of each of the ``2^d`` orthant codes), ``clear[j]``
    (``(2^d, 1)``: is bit ``j`` clear) and the generic direction that orients the edges."""
    codes = np.arange(2**d)
    sel = ((codes[:, None] >> np.arange(d)) & 1).astype(np.intp)
    clear = tuple(read_only((sel[:, j] == 0)[:, None].copy()) for j in range(d))
    return read_only(sel), clear, read_only(np.sqrt(np.arange(2, d + 2)) % 1.0 + 0.5)


#: ``_BIT[i]``: bit ``i`` of a packed byte (the first neuron is the high bit).
_BIT = read_only(np.array([128, 64, 32, 16, 8, 4, 2, 1], dtype=np.uint8))


def complex_cells(X, Zv, bits, Ea, Eb, J, m_dom, n_neurons):
    """Cells and facets of a finished complex (:meth:`Skeleton.arrays`), as *slots*.

    Slot ``code * n_vertices + v`` is the cell in orthant ``code`` at
    vertex ``v`` (bit ``j`` of ``code``: the side of the vertex's
    hyperplane ``j``). Returns ``(keys, exact, cells, P, facets, points)``:

    * ``keys``: ``(2^d n_vertices, w)`` 64-bit words, the key of every
      slot's cell (garbage where a domain row's outer side has no cell);
      linear in the bits (a weight per neuron), so a neighbour's key
      needs no pattern. ``exact``: the key is the packed pattern itself
      (``w = 1``, see :data:`EXACT_KEY_MAX_NEURONS`), else a 128-bit hash.
    * ``cells``: one slot per cell (with rare duplicates), at its lowest
      vertex; ``P`` their packed patterns (``None`` for exact keys).
    * ``facets``: ``(sa, sb, lab)``, the slots of both sides of each facet
      (at its lowest vertex) and the neuron it lies on.
    * ``points``: every slot holding a cell (the vertex-cell incidences, for
      vertex centroids, up to :data:`VERTEX_CENTROID_MAX_DIM`), or an
      interior point per cell of ``cells``.
    """
    (nV, d), nE, N = X.shape, len(Ea), n_neurons
    sel, clear, direction = _orthants(d)
    # a generic direction orients every edge (ties by vertex index)
    f = X @ direction
    fa, fb = f.take(Ea), f.take(Eb)
    up = (fb > fa) | ((fb == fa) & (Eb > Ea))
    # slot (position j in Zv of the hyperplane the edge leaves, side) at both ends, at once
    v = np.concatenate((Ea, Eb))
    o = np.concatenate((Eb, Ea))
    at = v * d
    at += J.T.reshape(-1)
    h = Zv.reshape(-1).take(at) - m_dom
    hn = np.maximum(h, 0)
    byte = bits.reshape(-1).take(o * bits.shape[1] + (hn >> 3))
    side = (byte & _BIT.take(hn & 7)) != 0
    side &= h >= 0
    at *= 2
    at += side
    nbr = np.full(nV * d * 2, -1, dtype=np.intp)
    upt = np.zeros(nV * d * 2, dtype=bool)
    nbr[at] = o
    upt[at[:nE]] = up
    upt[at[nE:]] = ~up
    filled = (nbr >= 0).reshape(nV, d, 2)
    upt = upt.reshape(nV, d, 2)
    neu = Zv >= m_dom
    if np.count_nonzero(filled) != 2 * nE or not filled[:, :, 0].all() or \
            not (filled[:, :, 1] | ~neu).all():
        raise SubdivisionFallback("a vertex is not simple (slots of its edges)")
    # ok[j][code, v]: the edge at v along position j on the code's side points up;
    # a cell is emitted where all d point up, a facet on j where the other d - 1 do
    ok = [upt[:, j, :].T.take(sel[:, j], axis=0) for j in range(d)]
    pre = [None, ok[0]]  # pre[j]: the first j point up (None: no condition)
    for j in range(1, d):
        pre.append(pre[-1] & ok[j])
    # T[code, v]: key of the cell in orthant ``code`` at v (subset sums of the open bits)
    exact = N <= EXACT_KEY_MAX_NEURONS
    wgt, tables = _pattern_weights(m_dom, N, exact)
    T = np.empty((2**d, nV, wgt.shape[1]), dtype=np.uint64)
    if exact:
        Q = np.zeros((nV, 8), dtype=np.uint8)
        Q[:, : bits.shape[1]] = bits
        T[0, :, 0] = Q.view(">u8")[:, 0]
    else:
        _bit_hashes(bits, tables, out=T[0])
    wz = wgt.take(Zv, axis=0)  # (nV, d, w): the weights of each vertex's hyperplanes
    for j in range(d):
        np.add(T[: 2**j], wz[:, j], out=T[2**j: 2 ** (j + 1)])
    sa, lab = [], []
    suf = None  # the last d - 1 - j point up
    for j in range(d - 1, -1, -1):
        m = clear[j] & neu[:, j]  # (2^d, nV): the slots on the facet's side 0
        if pre[j] is not None:
            m &= pre[j]
        if suf is not None:
            m &= suf
        at = np.flatnonzero(m)
        sa.append(at)
        lab.append(Zv[:, j].take(at % nV) - m_dom)
        suf = ok[j] if suf is None else suf & ok[j]
    cslots = np.flatnonzero(pre[d])
    P = None
    if not exact or d > VERTEX_CENTROID_MAX_DIM:
        ci, vi = np.divmod(cslots, nV)
    if not exact:
        P = bits.take(vi, axis=0)
        for j in range(d):
            rows = np.flatnonzero(((ci >> j) & 1).astype(bool) & neu[vi, j])
            k = Zv[vi[rows], j] - m_dom
            P[rows, k >> 3] |= (1 << (7 - (k & 7))).astype(np.uint8)
    keys = T.reshape(-1, T.shape[2])
    facets = (np.concatenate(sa), np.concatenate([a + 2**j * nV for j, a in zip(
        range(d - 1, -1, -1), sa)]), np.concatenate(lab))
    if d <= VERTEX_CENTROID_MAX_DIM:
        # every (vertex, cell) incidence: a domain row's side is fixed, a neuron's free
        valid = np.empty((2**d, nV), dtype=bool)
        valid[0] = True
        for j in range(d):
            np.logical_and(valid[: 2**j], neu[:, j], out=valid[2**j: 2 ** (j + 1)])
        return keys, exact, cslots, P, facets, np.flatnonzero(valid)
    # the centroid of the lowest vertex and its d neighbours along the cell's edges
    pts = X.take(vi, axis=0)
    for j in range(d):
        pts += X.take(nbr.take((vi * d + j) * 2 + ((ci >> j) & 1)), axis=0)
    return keys, exact, cslots, P, facets, pts / (d + 1)


def _bit_hashes(bits, tables, out):
    """``out[:, k] = sum_i w_ki bit_i`` (mod 2^64) of packed rows, by the byte tables of
    :func:`_pattern_weights`: per word, one gather and one sum per block of rows (blocks
    of 2^18 bytes, so the gathered words stay in cache)."""
    n, nb = bits.shape
    off = np.arange(0, 256 * nb, 256, dtype=np.intp)
    step = max(1, 2**18 // nb)
    for s in range(0, n, step):
        idx = bits[s: s + step] + off
        for k in range(2):
            out[s: s + step, k] = tables[k].take(idx).sum(axis=1, dtype=np.uint64)
    return out
