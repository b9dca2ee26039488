"""The vertex/edge skeleton of a polyhedral complex, cut neuron by neuron.

The data structure of :mod:`polyregions.subdivision`. The complex cut out of
a domain by the neurons processed so far is kept as its *skeleton*, in flat
float64/integer arrays and without any per-cell Python:

* vertices: coordinates and the current layer's pre-activations as the
  columns of one array ``XZ`` (``d + n_l`` rows), the ``d`` hyperplanes
  through each vertex (``Zv``; domain rows first, neuron ``k`` is
  ``m_dom + k``) and the packed sign bits of the finished layers (``bits``;
  a vertex on a hyperplane has bit 0 there);
* edges: two vertices, the ``d - 1`` hyperplanes containing the edge and a
  128-bit hash of its sign vector (``sum r_i s_i`` mod ``2^64``, twice, over
  the hyperplanes not containing it, with random odd weights ``r_i``).

:meth:`Skeleton.cut` adds one neuron. A neuron of layer ``l`` is affine on
every cell of the complex of layers ``< l``, so its values at vertices made
inside the layer are interpolated along their edge (exactly: the function is
affine there), together with the coordinates, in one gather per neuron. An
edge whose ends differ in sign gets a new vertex at the interpolated zero and
is split; every 2-face the hyperplane crosses is crossed along a segment
joining two new vertices, found by sorting the 2-faces' sign-vector hashes
(each must occur exactly twice, with equal second hashes: a structural check
that fails on any inconsistency). Vertices within the coincidence tolerance
of a hyperplane are found once per layer (:meth:`Skeleton.end_layer`).

A big complex is cut *lazily* (:meth:`Skeleton.start_layer`): the layer's
sign bits are kept packed, a row of bytes per 8 neurons, so a cut visits only
the edges its block of 8 neurons crosses, and the edge hashes are brought up
to date once per block from the ends' bits; a small one eagerly (every vertex
and edge at every cut, fewest numpy calls). Both build the same complex bit
for bit. After the last layer the pre-activations are dropped: the read-out
needs the coordinates, ``Zv``, ``bits``, the edges and ``J`` (for each end of
an edge, the position in ``Zv`` of the hyperplane the edge leaves) only.

:func:`polyregions.complex_cells.complex_cells` reads the cells off the
finished complex (:meth:`Skeleton.arrays`).

The module runs past 800 lines because the eager cut, the layer cut at once
and the lazy cut's packed bits and hash tables all work on the same private
arrays of one :class:`Skeleton` (their layout is the point of the design: row
gathers, packed bytes, capacity growth); splitting the cuts apart would make
that layout a public interface between modules.

Example
-------
>>> import numpy as np
>>> X, Zv, E, Ze, J = box_skeleton(np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
>>> sk = Skeleton(X, Zv, E, Ze, J, m_dom=4, n_neurons=1, rel_tol=1e-12)
>>> sk.start_layer(np.array([[1.0, 0.0]]), np.array([0.1]))
>>> sk.cut(0, 0), sk.n_vertices, sk.n_edges
(2, 6, 7)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["SubdivisionFallback", "Skeleton", "box_skeleton", "polygon_skeleton", "odd_weights",
           "read_only"]

#: Fixed seed of the random 64-bit weights of the sign-vector hashes.
_HASH_SEED = 0x5EED5
#: A layer is cut the lazy way (see ``Skeleton.start_layer``) from this many edges on, in
#: up to 3-D; 64 times as many above, where a block of 8 neurons crosses a larger share of
#: the edges (4-[16,16], 5-[12,12]: the eager cut was 10% faster; 4-[32,32]: even).
LAZY_MIN_EDGES = 4096
#: ``_BYTE_BITS[byte, p]``: bit ``p`` of ``byte`` in np.packbits order (first = high bit);
#: ``_PREFIX_MASKED[byte * 9 + i]``: ``byte`` with only its first ``i`` bits kept.
_BYTE_BITS = ((np.arange(256)[:, None] >> np.arange(7, -1, -1)) & 1).astype(np.uint64)
_PREFIX_MASKED = (np.arange(256)[:, None] & ((0xFF00 >> np.arange(9)) & 0xFF)).reshape(-1)


#: Up to this many 2-face keys a cut sorts them by one argsort, above by a sort of the keys
#: with their positions in the low bits (same order: the check below catches ties).
FEW_KEYS = 512
_ARANGE_U64 = np.arange(1 << 16, dtype=np.uint64)


def _arange_u64(n):
    """``np.arange(n, dtype=np.uint64)`` (a view of a cached one when short)."""
    return _ARANGE_U64[:n] if n <= len(_ARANGE_U64) else np.arange(n, dtype=np.uint64)


class SubdivisionFallback(Exception):
    """The subdivision cannot decide this run exactly; the LP engine must (reason in ``args[0]``)."""


def read_only(*arrays):
    """``arrays`` made read-only in place (one array: it, else the tuple): cached tables and
    views handed out must not be written through."""
    for a in arrays:
        a.setflags(write=False)
    return arrays if len(arrays) > 1 else arrays[0]


@lru_cache(maxsize=16)
def odd_weights(seed, n):
    """``n`` pairs of random odd 64-bit hash weights drawn from ``seed`` (read-only; cached, as
    drawing them costs more than a small net's whole read-out)."""
    rng = np.random.default_rng(seed)
    return read_only(rng.integers(0, 2**63, size=(n, 2), dtype=np.uint64) * np.uint64(2) + np.uint64(1))


@lru_cache(maxsize=16)
def _cut_weights(n_ids):
    """``(r, rsel)`` of :class:`Skeleton`: the hyperplanes' hash weights and ``[-r_i, +r_i]``."""
    r = odd_weights(_HASH_SEED, n_ids)
    return r, read_only(np.stack([np.uint64(0) - r, r], axis=1))


@lru_cache(maxsize=64)
def _side_weights(n_ids, h0, n):
    """``(2 r, sum r)`` over the neurons ``h0 .. h0 + n - 1``: an edge's hash terms of a
    layer are ``sides @ (2 r) - sum r`` (``+r`` on a neuron's positive side, else ``-r``)."""
    r = _cut_weights(n_ids)[0][h0: h0 + n]
    return read_only(r + r, r.sum(axis=0, dtype=np.uint64))


@lru_cache(maxsize=16)
def _box_combinatorics(d):
    """The parts of :func:`box_skeleton` that depend on ``d`` only (read-only, cached)."""
    corner = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(bool)
    Zv = np.where(corner, np.arange(d), d + np.arange(d)).astype(np.int32)
    E, Ze, J = [], [], []
    for j in range(d):
        a = np.flatnonzero(~corner[:, j])
        E.append(np.stack([a, a | (1 << j)], axis=1))
        Ze.append(np.delete(Zv[a], j, axis=1))
        J.append(np.full((len(a), 2), j))
    return read_only(corner, Zv, np.vstack(E).astype(np.intp), np.vstack(Ze).astype(np.int32),
                   np.vstack(J))


def box_skeleton(lo, hi):
    """Vertices ``(X, Zv)`` and edges ``(E, Ze, J)`` of a box; rows ``j``: ``x_j <= hi_j``, ``d+j``: ``-x_j <= -lo_j``.

    ``J[e]`` holds, for each end of edge ``e``, the position in that
    vertex's ``Zv`` of the hyperplane the edge leaves. ``Zv, E, Ze, J``
    depend on ``d`` only and are shared, read-only arrays.

    >>> X, Zv, E, Ze, J = box_skeleton(np.zeros(2), np.ones(2))
    >>> len(X), len(E)
    (4, 4)
    """
    corner, Zv, E, Ze, J = _box_combinatorics(len(lo))
    return np.where(corner, hi, lo).astype(np.float64), Zv, E, Ze, J


def polygon_skeleton(A, b, x0):
    """Vertices and edges of a 2-D polygon ``{A x <= b}`` with interior point ``x0``.

    >>> A = np.array([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    >>> X, Zv, E, Ze, J = polygon_skeleton(A, np.array([0.0, 0.0, 1.0]), np.array([0.2, 0.2]))
    >>> len(X), len(E)
    (3, 3)
    """
    from scipy.spatial import HalfspaceIntersection

    V = HalfspaceIntersection(np.hstack([A, -b[:, None]]), x0).intersections
    norms = np.linalg.norm(A, axis=1)
    scale = max(1.0, float(np.abs(V).max()))
    tight = np.abs(V @ A.T - b) / norms <= 1e-9 * scale
    if not np.all(tight.sum(1) == 2):
        raise SubdivisionFallback("a polygon vertex lies on more than two of the domain's rows")
    _, uniq = np.unique(np.round(V / (1e-9 * scale)), axis=0, return_index=True)
    V, tight = V[np.sort(uniq)], tight[np.sort(uniq)]
    Zv = np.array([np.flatnonzero(t) for t in tight], dtype=np.int32)
    E, Ze = [], []
    for r in range(len(b)):
        on = np.flatnonzero(tight[:, r])
        if len(on) == 2:
            E.append(on)
            Ze.append([r])
        elif len(on):
            raise SubdivisionFallback("a domain row touches the polygon in a single vertex")
    E, Ze = np.array(E, dtype=np.intp), np.array(Ze, dtype=np.int32)
    J = (Zv[E, 0] == Ze).astype(np.intp)  # the end's other row: position 1 if row 0 is the edge's
    return V, Zv, E, Ze, J


def _between(A, B, t, out=None):
    """Rows ``A + t (B - A)`` (coordinates and values at once), computed in ``B``'s storage
    (``B`` is consumed) and written to ``out`` if given."""
    B -= A
    B *= t[:, None]
    return np.add(B, A, out=B if out is None else out)


def _grown(a, n, used):
    """``a`` with room for at least ``n`` rows, its first ``used`` rows kept (growth by 3x)."""
    new = np.empty((max(3 * len(a), n),) + a.shape[1:], dtype=a.dtype)
    new[:used] = a[:used]
    return new


class Skeleton:
    """The skeleton and its per-neuron cut (see the module docstring).

    Parameters
    ----------
    X, Zv, E, Ze, J : arrays
        The domain's vertices, their hyperplanes, its edges, theirs, and
        the position at each end of the hyperplane the edge leaves.
    m_dom : int
        Number of domain rows (hyperplane ids below it are domain rows).
    n_neurons : int
    rel_tol : float
        A vertex within ``rel_tol`` times a neuron's largest value on the
        vertices of its hyperplane is degenerate (:class:`SubdivisionFallback`).
    """

    def __init__(self, X, Zv, E, Ze, J, m_dom, n_neurons, rel_tol):
        self.d = d = X.shape[1]
        self.m_dom = m_dom
        self.n_neurons = n_neurons
        self.rel_tol = rel_tol
        n_ids = m_dom + n_neurons
        # rsel[i] = [-r_i, +r_i]: the hash term of hyperplane i for sign index 0/1
        r, self.rsel = _cut_weights(n_ids)
        self.r = r
        nV, nE = len(X), len(E)
        self.nV, self.nE = nV, nE
        capV, capE = max(1024, 4 * nV), max(2048, 4 * nE)
        # one row per vertex: coordinates, then the current layer's pre-activations
        self.XZ = np.empty((capV, d))
        self.XZ[:nV] = X
        self.Zv = np.empty((capV, d), dtype=np.int32)
        self.Zv[:nV] = Zv
        self.n_bytes = max(1, (n_neurons + 7) // 8)
        self.bits = np.zeros((capV, self.n_bytes), dtype=np.uint8)
        self.Ea = np.empty(capE, dtype=np.intp)
        self.Eb = np.empty(capE, dtype=np.intp)
        self.Ea[:nE], self.Eb[:nE] = E[:, 0], E[:, 1]
        self.Ze = np.empty((capE, max(d - 1, 1)), dtype=np.int32)
        self.Ze[:nE, : d - 1] = Ze
        self.J = np.empty((capE, 2), dtype=np.int8)
        self.J[:nE] = J
        # every domain row not through an edge is on its +1 (inner) side
        self.H = np.empty((capE, 2), dtype=np.uint64)
        self.H[:nE] = r[:m_dom].sum(axis=0, dtype=np.uint64)
        if d > 1:
            self.H[:nE] -= r[Ze].sum(axis=1, dtype=np.uint64)
        self.layer = None  # (first neuron, width, vertices before each neuron)
        self.Lb = self.X8 = self.U = None  # the lazy cut's arrays (start_layer)
        self.n_grown = 0  # times _reserve ran (the memory guard re-measures only then)

    # ----------------------------------------------------------------- sizes
    @property
    def n_vertices(self):
        return self.nV

    @property
    def n_edges(self):
        return self.nE

    @property
    def X(self):
        """Vertex coordinates, ``(n_vertices, d)``."""
        return self.XZ[: self.nV, : self.d]

    def nbytes(self):
        return self.XZ.nbytes + self.Zv.nbytes + self.bits.nbytes + \
            self.Ea.nbytes * 2 + self.Ze.nbytes + self.H.nbytes + self.J.nbytes + \
            sum(a.nbytes for a in (self.Lb, self.X8, self.U) if a is not None)

    def _reserve(self, nv, ne):
        v, e = self.nV, self.nE
        self.n_grown += 1
        if nv > len(self.XZ):
            self.XZ, self.Zv, self.bits = (_grown(a, nv, v) for a in (self.XZ, self.Zv, self.bits))
            if self.Lb is not None:
                Lb = np.empty((len(self.Lb), len(self.XZ)), dtype=np.uint8)
                Lb[:, :v] = self.Lb[:, :v]
                self.Lb = Lb
        if ne > len(self.Ea):
            self.Ea, self.Eb, self.Ze, self.H, self.J = (
                _grown(a, ne, e) for a in (self.Ea, self.Eb, self.Ze, self.H, self.J))
            if self.X8 is not None:
                self.X8, self.U = _grown(self.X8, ne, e), _grown(self.U, ne, e)

    # ---------------------------------------------------------------- layers
    # Two ways to cut a layer, bit for bit the same complex:
    # * eager (small complexes, where numpy's per-call cost dominates): each cut reads its
    #   neuron's column at every vertex and its sign at both ends of every edge, and adds
    #   the neuron's term to every edge's hash;
    # * lazy (from LAZY_MIN_EDGES edges at the layer's start): the layer's sign bits are
    #   kept packed, one contiguous row of bytes per 8 neurons (Lb), and the work of a cut
    #   is restricted to the edges crossed by its block of 8 neurons, found once per block
    #   (X8: XOR of the ends' bytes); the hashes are brought up to date once per block.
    #   The degeneracy test is kept as the values are made (zmax, zmin) instead of by a
    #   pass over every vertex's values at the end of the layer.
    def start_layer(self, W, b, slope=None):
        """Pre-activations ``W h + b`` of a new layer at every vertex.

        ``h`` is the previous layer's activation (``slope`` its negative
        slope) or, for the first layer, the coordinates. Computed in blocks
        of rows, in place when the layer is as wide as the previous one:
        no temporary of the whole ``(vertices, width)`` size.
        """
        d, nV = self.d, self.nV
        first = self.layer is None
        k0 = 0 if first else self.layer[0] + self.layer[1]
        n_l = W.shape[0]
        self.lazy = lazy = self.nE >= LAZY_MIN_EDGES * (64 if d > 3 else 1)
        old = self.XZ
        XZ = old if old.shape[1] == d + n_l else np.empty((len(old), d + n_l))
        if XZ is not old:
            XZ[:nV, :d] = old[:nV, :d]
        if lazy:
            self.Lb = np.empty(((n_l + 7) // 8, len(XZ)), dtype=np.uint8)
            if self.X8 is None:
                self.X8 = np.empty(len(self.Ea), dtype=np.uint8)
                self.U = np.zeros(len(self.Ea), dtype=np.uint8)
            self.zmax, self.zmin = np.zeros(n_l), np.full(n_l, np.inf)
            self.T = self._layer_tables(k0, n_l)
        else:
            self.Lb = None
        # Rows per block: about 1 MB. A BLAS product of a single row takes another code
        # path (other rounding), so no block but a lone whole has one row: the values are
        # bit for bit those of one product over all rows.
        step = max(2, 2**17 // (n_l + old.shape[1]))
        starts = list(range(0, nV, step))
        if len(starts) > 1 and nV - starts[-1] == 1:
            starts.pop()
        WT = W.T
        for s, e in zip(starts, starts[1:] + [nV]):
            if first:
                h = old[s:e, :d]
            else:
                Z = old[s:e, d:]
                h = np.maximum(Z, 0.0) if slope == 0 else np.where(Z > 0, Z, slope * Z)
            z = h @ WT
            z += b
            XZ[s:e, d:] = z
            if lazy:
                self.Lb[:, s:e] = np.packbits(z > 0, axis=1).T
                np.abs(z, out=z)
                np.maximum(self.zmax, z.max(axis=0), out=self.zmax)
                np.minimum(self.zmin, z.min(axis=0), out=self.zmin)
        self.XZ = XZ
        self.layer = (k0, n_l, np.zeros(n_l, dtype=np.intp))
        self.block = None

    # Lazy edge hashes. An edge's hash H sums, over the hyperplanes not containing it,
    # +r or -r by its side. Inside a layer, a neuron k' already cut never crosses an edge
    # of the complex (every crossing was split), and an edge not containing k' has an end
    # strictly on its side (an edge with both ends on k' lies in k': the only such edges
    # are made by k''s cut or split from those). So the edge's side of k' is the OR of its
    # ends' sign bits (a vertex on k' has value exactly 0, bit 0). Within a block of 8
    # neurons, H[e] holds every term but those of the block's neurons from U[e] on; the
    # missing ones come from table lookups on the OR of the ends' bytes. An edge made in
    # the block lies on (or was split from an edge on) a neuron < U[e], so no contained
    # neuron is ever added. Sums are mod 2^64, in any order: the hashes are bit for bit
    # those of adding every neuron's term to every edge at every cut (the eager way).
    def _layer_tables(self, k0, n_l):
        """``T[j, byte * 9 + i]``: the sum of ``+-r`` over the first ``i`` neurons of block ``j``.

        The sign of neuron ``8 j + p`` is bit ``p`` of ``byte`` (packbits order):
        ``sum_{p < i} +-r_p = 2 F[byte & top_i] - R_i`` with ``F`` the subset sums of
        the block's weights and ``R_i`` the plain prefix sums (all mod 2^64).
        """
        nb = (n_l + 7) // 8
        r = np.zeros((nb * 8, 2), dtype=np.uint64)  # missing neurons of a last block add 0
        r[:n_l] = self.r[self.m_dom + k0: self.m_dom + k0 + n_l]
        r = r.reshape(nb, 8, 2)
        R = np.zeros((nb, 1, 9, 2), dtype=np.uint64)
        np.cumsum(r, axis=1, out=R[:, 0, 1:])
        T = np.matmul(_BYTE_BITS, r).take(_PREFIX_MASKED, axis=1)
        T += T
        T.reshape(nb, 256, 9, 2)[...] -= R
        return T

    def _start_block(self, j):
        nE = self.nE
        Lj = self.Lb[j]
        X8 = self.X8[:nE]
        Lj.take(self.Ea[:nE], out=X8)
        X8 ^= Lj.take(self.Eb[:nE])
        # edges crossed by any of the block's neurons, then every edge made in the block
        self.block = (j, np.flatnonzero(X8), nE, self.T[j])

    def _finish_block(self):
        """Add the finished block's missing hash terms to every edge."""
        if self.block is None:
            return
        j, _, _, T = self.block
        self.block = None
        nE = self.nE
        Lj = self.Lb[j]
        o = Lj.take(self.Ea[:nE])
        o |= Lj.take(self.Eb[:nE])
        T = T.reshape(256, 9, 2)
        D = (T[:, -1:] - T).reshape(-1, 2)  # D[byte * 9 + u]: the terms of the byte's bits u..
        o = o.astype(np.intp)
        o *= 9
        U = self.U[:nE]
        o += U
        self.H[:nE] += D.take(o, axis=0)
        U[:] = 0

    def cut_layer(self):
        """Cut a 2-D complex with every neuron of the current layer at once.

        Called after :meth:`start_layer` in place of one :meth:`cut` per
        neuron (:meth:`end_layer` follows as usual); the same complex up to
        the order and the rounding of the vertices. The layer's neurons are
        affine on each cell of the complex so far, so each neuron crossing a
        cell does so along a chord between two crossings of the cell's edges
        (the cut's test: the ends' values differ in sign). A cell is named by
        the sign-vector hash of its side of a boundary edge (the key the cut
        pairs 2-faces by), and must see each neuron cross its boundary twice
        or not at all. Two chords of one cell meet where the other neuron's
        values at a chord's ends differ in sign, and both chords must see it.
        Edges are the pieces between consecutive points along each old edge
        and each chord. The order along an edge or chord comes from sorting
        interpolated positions, so before anything is kept every vertex is
        tested against every neuron it is not on (within ``rel_tol`` of it:
        degenerate, as in :meth:`end_layer`), and every new edge against every
        neuron: ends strictly on opposite sides would be a crossing the sort
        missed. Any failure raises :class:`SubdivisionFallback`, never a guess.
        """
        d, m_dom, nV0, nE0 = self.d, self.m_dom, self.nV, self.nE
        k0, n, _ = self.layer
        if d != 2 or self.lazy:
            raise ValueError("cut_layer cuts an eagerly started layer of a 2-D complex only")
        hid0 = m_dom + k0
        rn = self.r[hid0: hid0 + n]
        XZ0 = self.XZ[:nV0]
        Ea0, Eb0, Ze0, H0 = self.Ea[:nE0], self.Eb[:nE0], self.Ze[:nE0, 0], self.H[:nE0]
        pos0 = XZ0[:, 2:] > 0
        ce, ck = (pos0.take(Ea0, axis=0) != pos0.take(Eb0, axis=0)).nonzero()  # sorted by edge
        nb = len(ce)
        ra, rb = Ea0.take(ce), Eb0.take(ce)
        # the crossings: whole rows (coordinates and values) interpolated along their edge
        A, Pb = XZ0.take(ra, axis=0), XZ0.take(rb, axis=0)
        iz = np.arange(nb)
        za = A[iz, 2 + ck]
        tb = za / (za - Pb[iz, 2 + ck])
        Pb = _between(A, Pb, tb)
        Pb[iz, 2 + ck] = 0.0
        # Each crossing on the cell(s) on its edge's sides (a domain edge: its inner side only),
        # keyed by the cell's 128-bit hash plus its neuron's weight: a (cell, neuron) pair's
        # key. Sorted by the first words, each pair must occur exactly twice (a chord) with
        # equal second words.
        hp = Ze0.take(ce)
        q, Hc = self.r.take(hp, axis=0), H0.take(ce, axis=0)
        two = (hp >= m_dom).nonzero()[0]
        Kf = np.concatenate([Hc + q, (Hc - q).take(two, axis=0)])
        fe = np.concatenate([iz, two])  # the crossing of each (cell, crossing) entry
        G = Kf + rn.take(ck.take(fe), axis=0)
        o = G[:, 0].argsort(kind="stable")
        Gs = G.take(o, axis=0)
        g0, g1 = Gs[0::2], Gs[1::2]
        if len(Gs) % 2 or (g0 != g1).any() or (g1[:-1, 0] == g0[1:, 0]).any():
            raise SubdivisionFallback(
                f"layer from neuron {k0}: a neuron crosses a cell's boundary other than twice "
                "(degenerate arrangement)")
        C = len(g0)
        ckey = Kf.take(o[0::2], axis=0)  # each chord's cell key
        c0, c1 = fe.take(o[0::2]), fe.take(o[1::2])  # each chord's two crossings
        cn = ck.take(c0)
        # meetings: neuron j crosses chord i where its values at the chord's ends differ in sign
        sb = Pb[:, 2:] > 0
        cross = sb.take(c0, axis=0) != sb.take(c1, axis=0)
        cross[np.arange(C), cn] = False
        ci, cj = cross.nonzero()
        # ... and j's chord of the same cell (its pair key) must exist and be crossed by i's neuron
        ki = cn.take(ci)
        Q = ckey.take(ci, axis=0) + rn.take(cj, axis=0)
        at = np.minimum(g0[:, 0].searchsorted(Q[:, 0]), C - 1)
        # the mirror entry (chord at, neuron ki) among the entries, which are sorted by ci * n + cj
        flat = ci * n + cj
        want = at * n + ki
        mirror = np.minimum(flat.searchsorted(want), max(len(flat) - 1, 0))
        if (g0.take(at, axis=0) != Q).any() or (flat.take(mirror) != want).any():
            raise SubdivisionFallback(
                f"layer from neuron {k0}: two neurons disagree on whether they meet in a cell")
        za, zb = Pb[c0.take(ci), 2 + cj], Pb[c1.take(ci), 2 + cj]
        t = za / (za - zb)
        # one vertex per meeting, made on the lower-numbered neuron's chord
        own = ki < cj
        mo = own.nonzero()[0]
        mi, mk, mj, mt = ci.take(mo), ki.take(mo), cj.take(mo), t.take(mo)
        nm = len(mo)
        Pm = _between(Pb.take(c0.take(mi), axis=0), Pb.take(c1.take(mi), axis=0), mt)
        im = np.arange(nm)
        Pm[im, 2 + mk] = 0.0
        Pm[im, 2 + mj] = 0.0
        nV = nV0 + nb + nm
        # new vertices: rows, hyperplanes, the finished layers' bits (OR of the ends': see cut)
        self._reserve(nV, nE0)
        XZ = self.XZ
        XZ[nV0: nV0 + nb] = Pb
        XZ[nV0 + nb: nV] = Pm
        Z = XZ[:nV, 2:]
        Zv, bits = self.Zv, self.bits
        Zv[nV0: nV0 + nb, 0] = hp
        Zv[nV0: nV0 + nb, 1] = hid0 + ck
        Zv[nV0 + nb: nV, 0] = hid0 + mk
        Zv[nV0 + nb: nV, 1] = hid0 + mj
        np.bitwise_or(bits.take(ra, axis=0), bits.take(rb, axis=0), out=bits[nV0: nV0 + nb])
        np.bitwise_or(bits.take(nV0 + c0.take(mi), axis=0), bits.take(nV0 + c1.take(mi), axis=0),
                      out=bits[nV0 + nb: nV])
        # every vertex against every neuron of the layer it is not on
        bad = np.abs(Z)
        bad = bad <= self.rel_tol * bad.max(axis=0)
        bad[nV0 + iz, ck] = False
        bad[nV0 + nb + im, mk] = False
        bad[nV0 + nb + im, mj] = False
        if bad.any():
            self._degenerate(k0 + int(bad.any(axis=0).nonzero()[0][0]))
        # Edges: the pieces between consecutive points along each old edge (segments 0..nE0-1)
        # and each chord (nE0 + i). Only the points inside segments are sorted (by segment,
        # then position); a segment without any stays one edge.
        rank = np.zeros(len(ci), dtype=np.intp)
        rank[mo] = im
        ev = nV0 + nb + np.where(own, rank, rank.take(mirror))
        s = np.concatenate([ce, nE0 + ci])
        tt = np.concatenate([tb, t])
        if nE0 + C < 2**15:
            # a stable radix sort of 16-bit segment numbers after a sort of the positions:
            # lexsort's order, in about half the time
            o = tt.argsort()
            o = o.take(s.take(o).astype(np.int16).argsort(kind="stable"))
        else:
            o = np.lexsort((tt, s))
        s, tt, v = s.take(o), tt.take(o), np.concatenate([nV0 + iz, ev]).take(o)
        start = np.concatenate([Ea0, nV0 + c0])
        end = np.concatenate([Eb0, nV0 + c1])
        first = np.ones(len(s), dtype=bool)
        np.not_equal(s[1:], s[:-1], out=first[1:])
        last = np.ones(len(s), dtype=bool)
        last[:-1] = first[1:]
        fi, la = first.nonzero()[0], last.nonzero()[0]
        tprev = np.empty(len(s))
        tprev[1:] = tt[:-1]
        tprev[fi] = 0.0
        if (tt <= tprev).any() or (tt.take(la) >= 1.0).any():
            raise SubdivisionFallback(
                f"layer from neuron {k0}: two points of an edge at the same place (degenerate)")
        prev = np.empty(len(s), dtype=np.intp)
        prev[1:] = v[:-1]
        sf, sl = s.take(fi), s.take(la)
        prev[fi] = start.take(sf)
        lone = np.ones(nE0 + C, dtype=bool)
        lone[sf] = False
        lone = lone.nonzero()[0]
        Ea = np.concatenate([prev, v.take(la), start.take(lone)])
        Eb = np.concatenate([v, end.take(sl), end.take(lone)])
        es = np.concatenate([s, sl, lone])
        nE = len(Ea)
        self._reserve(nV, nE)
        # no new edge may have its ends strictly on opposite sides of a neuron: a crossing missed
        # (sign bytes: gathering rows of the strided Z itself costs 10x more)
        pos, neg = (Z > 0).view(np.uint8), (Z < 0).view(np.uint8)
        pa, pb = pos.take(Ea, axis=0), pos.take(Eb, axis=0)
        if ((pa & neg.take(Eb, axis=0)) | (neg.take(Ea, axis=0) & pb)).any():
            raise SubdivisionFallback(
                f"layer from neuron {k0}: an edge of the layer's arrangement crosses a neuron")
        chord = es >= nE0
        old, chord = (~chord).nonzero()[0], chord.nonzero()[0]
        eo, cc = es.take(old), es.take(chord) - nE0
        # gathered before anything is written: Ze0 and H0 are views of the arrays written
        Ze_old, H_old = Ze0.take(eo), H0.take(eo, axis=0)
        # hashes: the old edge's or, for a chord, its cell's key; plus +-r for every neuron of
        # the layer by the edge's side (the OR of the ends' signs: an end on it has value 0);
        # a chord's own neuron was counted -r there (both ends 0) and must add nothing
        r2, rsum = _side_weights(len(self.r), hid0, n)
        pa |= pb
        T = pa @ r2
        T -= rsum
        H = self.H[:nE]
        H[old] = H_old
        H[chord] = ckey.take(cc, axis=0) + rn.take(cn.take(cc), axis=0)
        H += T
        Ze = self.Ze[:nE, 0]
        Ze[old] = Ze_old
        Ze[chord] = hid0 + cn.take(cc)
        self.Ea[:nE], self.Eb[:nE] = Ea, Eb
        self.nV, self.nE = nV, nE
        self.layer = (k0, n, None)  # every vertex checked: end_layer only stores the bits

    def cut(self, kl, k):
        """Cut the complex with neuron ``k`` (column ``kl`` of the current layer); returns the new vertices."""
        d, nV, nE = self.d, self.nV, self.nE
        self.layer[2][kl] = nV
        col = d + kl
        rs = self.rsel[self.m_dom + k]
        lazy = self.lazy
        if lazy:
            j, i = kl >> 3, kl & 7
            if i == 0:
                self._finish_block()
                self._start_block(j)
            _, base, E0, T = self.block
            m8 = np.uint8(0x80 >> i)
            X8 = self.X8
            ci = base[(X8.take(base) & m8) != 0]
            if nE > E0:
                ci = np.concatenate([ci, E0 + np.flatnonzero(X8[E0:nE] & m8)])
            nc = ci.size
            if nc == 0:
                return 0
        else:
            pos = self.XZ[:nV, col] > 0
            sa = pos[self.Ea[:nE]]
            ci = (sa != pos[self.Eb[:nE]]).nonzero()[0]
            nc = ci.size
            if nc == 0:
                self.H[:nE] += rs.take(sa.view(np.int8), axis=0)
                return 0
            Hc = self.H.take(ci, axis=0)
            self.H[:nE] += rs.take(sa.view(np.int8), axis=0)
        if nV + nc > len(self.XZ) or nE + d * nc > len(self.Ea):
            self._reserve(nV + nc, nE + d * nc)
        H, XZ, Ea, Eb, Ze, bits = self.H, self.XZ, self.Ea, self.Eb, self.Ze, self.bits
        ea, eb = Ea[ci], Eb[ci]
        if lazy:
            Lb, X8, U = self.Lb, self.X8, self.U
            Lj = Lb[j]
            ba, bb = Lj.take(ea), Lj.take(eb)
            o = (ba | bb).astype(np.intp)
            o *= 9
            # the crossed edges' hashes now: stored terms plus the block's neurons U..i-1
            Hc = H.take(ci, axis=0)
            Hc += T.take(o + i, axis=0)
            o += U.take(ci)
            Hc -= T.take(o, axis=0)
            sh = np.uint8(7 - i)
            sb = (bb >> sh) & 1
            H[ci] = Hc + rs.take((ba >> sh) & 1, axis=0)
        else:
            sb = pos[eb].view(np.int8)
        w0, w1 = nV, nV + nc
        # new vertices: coordinates and pre-activations interpolated in one go
        A = XZ.take(ea, axis=0)
        B = XZ.take(eb, axis=0)
        za = A[:, col]
        t = za / (za - B[:, col])
        new = _between(A, B, t, out=XZ[w0:w1])
        new[:, col] = 0.0
        if lazy:
            Znew = new[:, d:]
            Lb[:, w0:w1] = np.packbits(Znew > 0, axis=1).T
            Zabs = np.abs(Znew, out=B[:, d:])
            np.maximum(self.zmax, Zabs.max(axis=0), out=self.zmax)
            if col + 1 < XZ.shape[1]:
                # the layer's later neurons see the new vertices as existing vertices
                zmin = self.zmin[kl + 1:]
                np.minimum(zmin, Zabs[:, kl + 1:].min(axis=0), out=zmin)
        np.bitwise_or(bits.take(ea, axis=0), bits.take(eb, axis=0), out=bits[w0:w1])
        hid = self.m_dom + k
        Zc = Ze.take(ci, axis=0)
        self.Zv[w0:w1, : d - 1] = Zc[:, : d - 1]
        self.Zv[w0:w1, d - 1] = hid
        # split: edge ci becomes (a, w), the new half (w, b) has b's sign
        w = np.arange(w0, w1)
        Eb[ci] = w
        e1 = nE + nc
        Ea[nE:e1] = w
        Eb[nE:e1] = eb
        Ze[nE:e1] = Zc
        np.add(Hc, rs.take(sb, axis=0), out=H[nE:e1])
        if d > 2:
            # at w the edge leaves the new hyperplane (position d - 1); the new half keeps b's
            # end (in 1-D and 2-D, J is read off Zv and Ze at the end: see _edge_exits)
            J = self.J
            J[nE:e1, 0] = d - 1
            J[nE:e1, 1] = J[ci, 1]
            J[ci, 1] = d - 1
        if lazy:
            Lw = Lj[w0:w1]
            X8[ci] = ba ^ Lw
            X8[nE:e1] = Lw ^ bb
            U[ci] = i + 1
            U[nE:e1] = i + 1
        self.nV, self.nE = w1, e1
        if d == 1:
            return nc
        # new edges: the hyperplane meets each crossed 2-face in a segment between two new
        # vertices; a 2-face is an edge with one of its hyperplanes relaxed (a domain row inwards)
        m = nc * (d - 1)
        Zf = Zc[:, : d - 1].reshape(-1)
        Q = self.r.take(Zf, axis=0)
        Hf = np.repeat(Hc, d - 1, axis=0) if d > 2 else Hc
        K = np.empty((2 * m, 2), dtype=np.uint64)
        np.add(Hf, Q, out=K[:m])
        np.subtract(Hf, Q, out=K[m:])
        # a domain row has no outer 2-face: its key sorts last and is cut off
        dom = Zf < self.m_dom
        n2 = 2 * m - int(np.count_nonzero(dom))
        if 2 * m <= FEW_KEYS:
            # few keys: one stable argsort of the first hash (fewer numpy calls, same order)
            key = K[:, 0]
            np.putmask(key[m:], dom, 0xFFFFFFFFFFFFFFFF)
            idx = key.argsort(kind="stable")[:n2]
            key = key.take(idx)
        else:
            # sort the first hash with the key's position in its low bits (faster than an
            # argsort); equal truncated hashes of different 2-faces fail the check below
            nb = (2 * m).bit_length()
            low = (1 << nb) - 1
            key = K[:, 0] & (~low & 0xFFFFFFFFFFFFFFFF)
            key |= _arange_u64(2 * m)
            np.putmask(key[m:], dom, 0xFFFFFFFFFFFFFFFF)
            key.sort()
            key = key[:n2]
            idx = (key & low).astype(np.intp)
            key >>= nb
        gap = key[1:] - key[:-1]
        K1 = K[:, 1].take(idx)
        if n2 % 2 or np.count_nonzero(gap[0::2]) or np.count_nonzero(gap[1::2]) < n2 // 2 - 1 \
                or np.count_nonzero(K1[0::2] != K1[1::2]):
            # the truncated first words may collide: decide on the full 128-bit keys
            live = np.flatnonzero(np.concatenate([np.ones(m, dtype=bool), ~dom]))
            idx = live[np.lexsort((K[live, 1], K[live, 0]))]
            Ks = K.take(idx, axis=0)
            if n2 % 2 or not ((Ks[0::2] == Ks[1::2]).all() and
                              (Ks[1:-1:2] != Ks[2::2]).any(axis=1).all()):
                raise SubdivisionFallback(
                    f"neuron {k}: a 2-face is not crossed exactly twice (degenerate arrangement)")
        fp, fq = idx[0::2] % m, idx[1::2] % m
        nf = n2 // 2
        e2 = e1 + nf
        if d == 2:
            cp, cq = fp, fq
            Ze[e1:e2, 0] = hid
        else:
            cp, jp = np.divmod(fp, d - 1)
            cq, jq = np.divmod(fq, d - 1)
            # the new edge lies on the crossed edge's hyperplanes with the relaxed one replaced
            # by the new neuron (the 128-bit match says both edges name the same 2-face, so
            # the same hyperplanes: the hash covers every hyperplane not containing it)
            ZF = Ze[e1:e2]
            Zc.take(cp, axis=0, out=ZF)
            ZF.reshape(-1)[np.arange(nf) * (d - 1) + jp] = hid
            J[e1:e2, 0] = jp
            J[e1:e2, 1] = jq
        np.add(cp, w0, out=Ea[e1:e2])
        np.add(cq, w0, out=Eb[e1:e2])
        if lazy:
            X8[e1:e2] = Lw.take(cp) ^ Lw.take(cq)
            U[e1:e2] = i + 1
        K.take(idx[0::2], axis=0, out=H[e1:e2])
        self.nE = e2
        return nc

    def end_layer(self, upto=None):
        """Check the layer's (first ``upto``) neurons for degenerate vertices, then store their bits.

        Raises :class:`SubdivisionFallback` if a vertex that existed when a
        neuron was cut lies within the coincidence tolerance of its
        hyperplane (concurrent, coincident or zero hyperplanes). After the
        last layer only what :meth:`arrays` gives is kept: the coordinates
        without the pre-activations (most of the memory), no edge hashes.
        """
        self._check_and_store(upto)
        k0, n_l, _ = self.layer
        if upto is None and k0 + n_l == self.n_neurons:
            if self.d <= 2:
                self._edge_exits()
            self.XZ = self.XZ[: self.nV, : self.d].copy()
            self.H = np.zeros((0, 2), dtype=np.uint64)
            self.Lb = self.X8 = self.U = None

    def _check_and_store(self, upto):
        k0, n_l, before = self.layer
        n = n_l if upto is None else upto
        d, nV = self.d, self.nV
        off, b0 = k0 & 7, k0 >> 3
        check = before is not None  # (None: cut_layer tested every vertex itself)
        if self.lazy:
            # zmax: a neuron's largest |value| at every vertex; zmin: its smallest at the
            # vertices that existed when it was cut (both kept as the values were made)
            bad = self.zmin[:n] <= self.rel_tol * self.zmax[:n]
            if bad.any():
                self._degenerate(k0 + int(np.flatnonzero(bad)[0]))
            if upto is not None:
                return
            if k0 + n_l < self.n_neurons:
                self._finish_block()  # the next layer's cuts read the full hashes
            self.block = None
            # the layer's sign bits, packed at their global position (first neuron = high bit)
            nbl = len(self.Lb)
            step = max(1, 2**20 // nbl)
            for s in range(0, nV, step):
                L = self.Lb[:, s: s + step].T
                if off == 0:
                    self.bits[s: s + len(L), b0: b0 + nbl] |= L
                else:
                    pad = np.zeros((len(L), off + n_l), dtype=bool)
                    pad[:, off:] = np.unpackbits(L, axis=1, count=n_l)
                    packed = np.packbits(pad, axis=1)
                    self.bits[s: s + len(L), b0: b0 + packed.shape[1]] |= packed
            self.Lb = None
            return
        Z = self.XZ[:nV, d: d + n]
        # A neuron's largest value on the vertices it cut: values at vertices made later
        # in the layer are interpolated between those, so the maximum over all is the same
        # (up to rounding, which only makes the test stricter). Chunks keep it in cache.
        # (|Z| transposed: reductions over the vertices run along contiguous rows)
        step = max(1, 2**21 // max(n, 1))
        parts = [(s, min(s + step, nV)) for s in range(0, nV, step)]
        if check:
            AT = [np.abs(Z[s:e].T, order="C") for s, e in parts[:1]]  # kept when one chunk
            S = np.zeros(n)
            for i, (s, e) in enumerate(parts):
                np.maximum(S, (AT[0] if i == 0 else np.abs(Z[s:e].T, order="C")).max(axis=1),
                           out=S)
            thr = (self.rel_tol * S)[:, None]
        for i, (s, e) in enumerate(parts):
            if check:
                bad = (AT[0] if i == 0 and len(parts) == 1 else np.abs(Z[s:e].T, order="C")) <= thr
                bad &= np.arange(s, e) < before[:n, None]  # the vertices it cut
                if bad.any():
                    self._degenerate(k0 + int(np.flatnonzero(bad.any(axis=1))[0]))
            if upto is None:
                # the layer's sign bits, packed at their global position (first neuron = high bit)
                if off == 0 and n_l % 8 == 0:
                    packed = np.packbits(Z[s:e] > 0).reshape(e - s, -1)  # rows are whole bytes
                else:
                    pad = np.zeros((e - s, off + n_l), dtype=bool)
                    pad[:, off:] = Z[s:e] > 0
                    packed = np.packbits(pad, axis=1)
                self.bits[s:e, b0: b0 + packed.shape[1]] |= packed

    def _edge_exits(self):
        """Make ``J`` in 1-D and 2-D: for each end of each edge, the position in the end's
        ``Zv`` of the hyperplane there that does not contain the edge (the one it leaves).

        Read off ``Zv`` and ``Ze`` once after the last cut (two gathers), instead of kept
        by every cut (four numpy calls a cut); above 2-D the cuts keep it.
        """
        d, nE = self.d, self.nE
        J = np.zeros((nE, 2), dtype=np.int8)
        if d == 2:
            for end, V in enumerate((self.Ea[:nE], self.Eb[:nE])):
                # position 1 if the hyperplane at position 0 is the edge's
                np.equal(self.Zv[V, 0], self.Ze[:nE, 0], out=J[:, end], casting="unsafe")
        self.J = J

    def arrays(self):
        """The finished complex for :func:`polyregions.complex_cells.complex_cells`:
        ``(X, Zv, bits, Ea, Eb, J, m_dom, n_neurons)``, read-only views."""
        nV, nE = self.nV, self.nE
        return (*read_only(self.XZ[:nV, : self.d], self.Zv[:nV], self.bits[:nV], self.Ea[:nE],
                           self.Eb[:nE], self.J[:nE]), self.m_dom, self.n_neurons)

    @staticmethod
    def _degenerate(k):
        raise SubdivisionFallback(
            f"neuron {k}: vertices within the coincidence tolerance of its "
            "hyperplane (concurrent, coincident or zero hyperplanes)")
