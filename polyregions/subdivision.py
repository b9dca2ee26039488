"""Exact enumeration by subdividing the domain's skeleton, neuron by neuron.

A second engine next to the LP search of :mod:`polyregions.lp_search`. It
keeps the polyhedral complex cut out of the domain by the neurons processed so
far as a *skeleton*: its vertices (position, the ``d`` hyperplanes through
each, the sign bits of every processed neuron) and its edges (two vertices,
the ``d - 1`` hyperplanes containing the edge, a hash of the edge's sign
vector), all in flat numpy arrays. Neurons are added in layer order. A neuron
of layer ``l`` is affine on every cell of the complex of layers ``< l``, so

1. its value at every vertex is one matrix product per layer (values at
   vertices created inside the layer are interpolated along their edge,
   which is exact: the function is affine there);
2. an edge whose end values differ in sign is crossed: a new vertex at the
   interpolated zero, the edge split in two;
3. every 2-face crossed by the hyperplane is crossed along a segment joining
   two new vertices; a 2-face is named by its sign vector, which each crossed
   edge on it knows up to one relaxed hyperplane, so the new edges come from
   one sort of 128-bit sign-vector hashes (every group must have exactly two
   members -- a structural check that fails on any inconsistency).

At the end each vertex of this simple complex sees ``2^k`` cells around it
(``k`` = neurons through it): their patterns are the vertex's bits with the
``k`` open bits set both ways; pairs of patterns differing in one open bit
share a facet, which gives the adjacency graph with neuron labels. Interior
points are the vertex centroids of the cells; every radius is recomputed in
float64 from the region's H-representation (the rows of
:func:`polyregions.results.pattern_rows`, vectorised over regions) and every
pattern re-derived by a forward pass at its point. Cells whose centroid gives
a radius at or below ``tolerances.radius`` get the Chebyshev LP of the LP
engine, so the counting rule is the LP engine's: a pattern counts iff its
certified radius exceeds the radius tolerance; thinner ones are ``n_thin``.

Degenerate input is never guessed. A vertex within ``tolerances.coincide``
(relative to the neuron's largest value on the vertices) of a new hyperplane
-- concurrent or coincident hyperplanes, a duplicated neuron, a dead path
whose constant is zero, a zero row, a vertex exactly on a later hyperplane --
a failed structural check, or a certificate that does not re-derive, hands the
whole run to the LP engine (``stats["fallback"]`` says why).

Example
-------
>>> from polyregions import Box, random_network
>>> net = random_network(2, [8, 8], random_state=0)
>>> rs = enumerate_subdivision(net, Box([-1, -1], [1, 1]))
>>> rs.n_regions, rs.status, rs.stats["engine"]
(107, 'exact', 'subdivision')
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace

import numpy as np

from .domain import Box, Slice, Polytope, as_domain
from ._threads import single_blas_thread
from .network import as_network
from .scaling import balanced_network
from .lp import chebyshev_ball
from .results import RegionSet
from .tolerances import Tolerances
from .skeleton import Skeleton, SubdivisionFallback, box_skeleton, polygon_skeleton
from .complex_cells import VERTEX_CENTROID_MAX_DIM, complex_cells
from .inscribed_radii import certify_cells
from .cones import cone_reduction_applies, enumerate_cones

__all__ = ["enumerate_subdivision", "supports", "choose_method", "dispatch", "SubdivisionFallback"]

METHODS = ("auto", "lp", "subdivision")
#: ``method="auto"`` uses the subdivision up to this dimension (see the README's table).
AUTO_MAX_DIM = 8

#: In 2-D, a layer of this many neurons (inclusive range) is cut at once
#: (:meth:`Skeleton.cut_layer`) instead of by one cut per neuron, on a complex of at most
#: ``AT_ONCE_MAX_EDGES`` edges. Measured (second layers of 8-48 neurons): 0.6-0.9 of the
#: cuts' time on up to about 1,000 edges, where numpy's per-call cost dominates; from
#: 1,000 to 4,000 edges 0.8-1.3, as its (edges x neurons) arrays cost what the calls save.
LAYER_AT_ONCE = (4, 64)
AT_ONCE_MAX_EDGES = 1024

#: Default memory budget (bytes) for the complex; see :func:`_memory_budget`.
_DEFAULT_MAX_MEMORY = 8 * 2**30
#: Without ``max_memory`` the available memory is read only once the complex (with its
#: read-out) passes this many bytes: reading /proc/meminfo cost a small net's run 40-70 us.
_MEMORY_FLOOR = 2**26


def supports(domain):
    """Whether the subdivision engine handles ``domain`` (boxes, box slices, 2-D polygons)."""
    if getattr(domain, "ball", None) is not None:
        return False
    if isinstance(domain, (Box, Slice)):
        return True
    return isinstance(domain, Polytope) and domain.dim == 2


def choose_method(net, domain):
    """The engine ``method="auto"`` runs: ``"subdivision"`` or ``"lp"``.

    The subdivision for the domains it supports (:func:`supports`) up to
    :data:`AUTO_MAX_DIM` input dimensions; the LP search for general networks
    (:class:`~polyregions.PLNetwork`), balls, the whole
    space and higher dimensions, where the vertices of the complex outgrow
    the regions.

    >>> from polyregions import Ball, Box, random_network
    >>> net = random_network(2, [4], random_state=0)
    >>> choose_method(net, Box([-1, -1], [1, 1])), choose_method(net, Ball([0, 0], 1))
    ('subdivision', 'lp')
    """
    if not hasattr(net, "weights"):
        # A general PLNetwork: a chain small enough to be dense runs as its dense equivalent
        # (same bits, same regions); anything else only the LP search lowers.
        dense = net.dense_equivalent()
        return "lp" if dense is None else choose_method(dense, domain)
    if supports(domain) and domain.dim <= AUTO_MAX_DIM:
        return "subdivision"
    return "lp"


@dataclass(frozen=True)
class Handover:
    """The subdivision could not decide a run: the LP search must run it instead.

    Returned by :func:`dispatch` (the caller runs the LP search, so this
    engine never calls back up into :mod:`polyregions.enumeration`).

    Attributes
    ----------
    reason : str
        Why (recorded as ``stats["fallback"]``).
    seconds : float
        Time already spent here (taken off a ``time_limit``).
    network : network
        What the LP search runs on: a general network's dense equivalent when
        that is what the subdivision tried (same patterns, bit for bit).
    """

    reason: str
    seconds: float
    network: object


def dispatch(net, domain, method, tol, *, max_regions=None, time_limit=None, progress=False,
             max_memory=None):
    """Run the subdivision for ``method`` if it applies.

    Returns a :class:`RegionSet`, ``None`` ("run the LP search": the method
    or the domain calls for it) or a :class:`Handover`: a run the
    subdivision cannot decide (:class:`SubdivisionFallback`), or under
    ``"auto"`` one that would outgrow the memory budget.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    if method == "lp" or (method == "auto" and choose_method(net, domain) == "lp"):
        return None
    if not hasattr(net, "weights") and net.dense_equivalent() is not None:
        rs = dispatch(net.dense_equivalent(), domain, method, tol, max_regions=max_regions,
                      time_limit=time_limit, progress=progress, max_memory=max_memory)
        if isinstance(rs, RegionSet):
            rs.network = net  # the same patterns, bit for bit; results refer to the source net
            rs.stats["dense_equivalent"] = True
        return rs
    t0 = time.perf_counter()
    try:
        # The balanced copy has the same patterns bit for bit and unit rows, so
        # weights at any scale (even x1e300) neither overflow nor underflow here.
        # A bias-free net in a box around the origin (every hyperplane through it) runs on
        # the box's far facets, where the apex is gone (polyregions.cones).
        run = (partial(enumerate_cones, run=enumerate_subdivision)
               if cone_reduction_applies(net, domain) else enumerate_subdivision)
        with single_blas_thread():
            rs = run(balanced_network(net), domain, max_regions=max_regions,
                     time_limit=time_limit, progress=progress, tolerances=tol,
                     max_memory=max_memory)
        rs.network = net
        return rs
    except SubdivisionFallback as exc:
        why = str(exc)
    except MemoryError as exc:
        if method == "subdivision":
            raise
        why = f"memory: {exc}"
    return Handover(why, time.perf_counter() - t0, net)


def _memory_budget(max_memory):
    if max_memory is not None:
        return float(max_memory)
    try:
        # one raw read (MemAvailable is the third line): parsing the whole file as text
        # cost a small net's run 40 us
        fd = os.open("/proc/meminfo", os.O_RDONLY)
        try:
            info = os.read(fd, 4096)
        finally:
            os.close(fd)
        at = info.index(b"MemAvailable:") + len(b"MemAvailable:")
        avail = float(info[at: info.index(b"kB", at)]) * 1024
        return min(_DEFAULT_MAX_MEMORY, 0.6 * avail)
    except (OSError, ValueError):
        return _DEFAULT_MAX_MEMORY


def _effective_layers(net, domain):
    """Hidden layers as functions of the domain coordinates (a slice's map folded into layer 1)."""
    Ws = [np.asarray(W) for W in net.weights[:-1]]
    bs = [np.asarray(b) for b in net.biases[:-1]]
    if domain.input_map is not None:
        M, m = domain.input_map
        bs[0] = Ws[0] @ m + bs[0]
        Ws[0] = Ws[0] @ M
    return Ws, bs, list(net.negative_slopes)


def _sorted_unique(P):
    """``(first, inverse)`` of the distinct rows of a packed-bit array, sorted as bytes."""
    n, nb = P.shape
    words = -(-nb // 8)
    # big-endian words compare like the packed bytes, so the order is np.packbits order;
    # one contiguous row per word, so each pass gathers from one word's column only (and
    # no padded copy of P: one (words, n) array beside it)
    K = np.empty((words, n), dtype=np.uint64)
    P = np.ascontiguousarray(P)
    for j in range(words):
        if 8 * j + 8 <= nb:
            K[j] = P[:, 8 * j: 8 * j + 8].view(">u8")[:, 0]
        else:
            Q = np.zeros((n, 8), dtype=np.uint8)
            Q[:, : nb - 8 * j] = P[:, 8 * j:]
            K[j] = Q.view(">u8")[:, 0]
    order = np.argsort(K[-1], kind="stable")
    for j in range(words - 2, -1, -1):
        order = order.take(np.argsort(K[j].take(order), kind="stable"))
    new = np.zeros(n, dtype=bool)
    for j in range(words):
        Kj = K[j].take(order)
        new[1:] |= Kj[1:] != Kj[:-1]
    new[:1] = True
    inv = np.empty(n, dtype=np.intp)
    inv[order] = np.cumsum(new) - 1
    return order[new], inv


def _run_starts(s):
    """Where each run of equal values of the sorted ``s`` starts."""
    new = np.empty(len(s), dtype=bool)
    new[:1] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    return new


def _sort_with_rows(k, n_bits):
    """``(rows, sorted keys)`` of exact keys whose pattern is their top ``n_bits`` bits, by one
    plain sort with each key's row below it (a third of an argsort's cost), or None when key
    and row do not fit in 64 bits together."""
    M = len(k)
    nb = max(M.bit_length(), 1)
    if n_bits + nb > 64:
        return None
    s = k >> np.uint64(64 - n_bits - nb)
    s |= np.arange(M, dtype=np.uint64)
    s.sort()
    rows = (s & np.uint64((1 << nb) - 1)).astype(np.intp)
    s >>= np.uint64(nb)
    return rows, s


#: Odd multiplier of :func:`_slot_cells`' key scramble (a bijection of the 64-bit words).
_SCRAMBLE = np.uint64(0x9E3779B97F4A7C15)


def _packed_keys(keys):
    """Exact 64-bit keys as packed pattern bytes, ``(n, 8)``."""
    return keys.astype(">u8").view(np.uint8).reshape(len(keys), 8)


def _slot_cells(keys, exact, cslots, P, slots, n_neurons):
    """``(cell, P)``: the cell (row of ``P``) of every slot in ``slots``, and the cells' packed
    patterns, sorted and distinct.

    Hash keys: the slots' keys are looked up among the cells emitted at their lowest
    vertices (:func:`_lookup`). Exact keys: the cells are the distinct keys of the slots,
    found by one sort, and each must be one emitted at some slot, as with hashes.
    """
    if not exact:
        first, _ = _sorted_unique(P)
        (inc,) = _lookup(keys.take(cslots.take(first), axis=0), keys.take(slots, axis=0))
        return inc, P[first]
    k = keys[:, 0].take(slots)
    M = len(k)
    fit = _sort_with_rows(k, n_neurons)
    scrambled = False
    if fit is not None:
        idx, s = fit
    else:
        nb = max(M.bit_length(), 1)
        low = np.uint64((1 << nb) - 1)
        # no room for the row: group by a bijective scramble of the key, truncated, with the
        # row in its low bits (a plain sort costs a third of an argsort), then order the groups
        s = k * _SCRAMBLE
        s &= ~low
        s |= np.arange(M, dtype=np.uint64)
        s.sort()
        idx = (s & low).astype(np.intp)
        t = s >> np.uint64(nb)
        s = k.take(idx)
        scrambled = not ((t[1:] == t[:-1]) & (s[1:] != s[:-1])).any()
        if not scrambled:  # two keys share the truncated scramble (rare): sort the keys
            idx = np.argsort(k)
            s = k.take(idx)
    new = _run_starts(s)
    grp = new.astype(np.intp).cumsum()
    grp -= 1
    uk = k.take(idx[new])
    if scrambled:
        order = np.argsort(uk)
        uk = uk.take(order)
        rank = np.empty(len(order), dtype=np.intp)
        rank[order] = np.arange(len(order))
        grp = rank.take(grp)
    inc = np.empty(M, dtype=np.intp)
    inc[idx] = grp
    # every cell is emitted at one of its slots (its lowest vertex): a structural check
    where = np.full(len(keys), -1, dtype=np.intp)
    where[slots] = inc
    hit = where.take(cslots)
    emitted = np.zeros(len(uk), dtype=bool)
    emitted[hit] = True
    if (hit < 0).any() or not emitted.all():
        raise SubdivisionFallback("a facet's side is not among the cells")
    return inc, _packed_keys(uk)


def _unique_keys(keys):
    """``(first, distinct)``: the sorted distinct values of exact 64-bit cell keys and the
    earliest row holding each (a stable sort, as :func:`_sorted_unique`)."""
    order = np.argsort(keys, kind="stable")
    ks = keys.take(order)
    new = _run_starts(ks)
    return order[new], ks[new]


def _lookup_exact(keys, n_neurons, *queries):
    """Row of every exact key of ``queries`` among the sorted distinct ``keys``.

    One sort of all keys, a key's row below it when both fit in 64 bits (a plain sort
    costs a third of an argsort; a binary search per query was slower still): equal keys
    are adjacent with the cell's row first, and every group must start with a cell.
    """
    allk = np.concatenate((keys,) + queries)
    M, R = len(allk), len(keys)
    fit = _sort_with_rows(allk, n_neurons)
    if fit is not None:
        idx, s = fit
    else:
        idx = np.argsort(allk, kind="stable")
        s = allk.take(idx)
    head = np.empty(M, dtype=np.intp)  # position of each one's group start
    new = _run_starts(s)
    np.maximum.accumulate(np.where(new, np.arange(M), 0), out=head)
    ans = np.empty(M, dtype=np.intp)
    ans[idx] = idx.take(head)
    if (ans[R:] >= R).any():
        raise SubdivisionFallback("a facet's side is not among the cells")
    return np.split(ans[R:], np.cumsum([len(x) for x in queries[:-1]]))


def _lookup(hc, *queries):
    """Row of every 128-bit hash of ``queries`` among the distinct cells' hashes ``hc``.

    One sort of all hashes (a row's position in the low bits of the first
    word); each group of equal hashes must hold exactly one cell.
    """
    allh = np.concatenate((hc,) + queries)
    M, R = len(allh), len(hc)
    nb = max(M.bit_length(), 1)
    low = np.uint64((1 << nb) - 1)
    key = allh[:, 0] & ~low
    key |= np.arange(M, dtype=np.uint64)
    key.sort()
    idx = (key & low).astype(np.intp)
    key >>= np.uint64(nb)
    w1 = allh[:, 1].take(idx)
    new = np.ones(M, dtype=bool)
    new[1:] = key[1:] != key[:-1]
    if (~new[1:] & (w1[1:] != w1[:-1])).any():
        # the truncated first words collide (about M^2 / 2^(65 - log2 M)): sort on all 128 bits
        idx = np.lexsort((allh[:, 1], allh[:, 0]))
        hs = allh.take(idx, axis=0)
        new[1:] = (hs[1:] != hs[:-1]).any(axis=1)
    grp = np.cumsum(new) - 1
    cell = idx < R
    owner = np.full(grp[-1] + 1 if M else 0, -1, dtype=np.intp)
    owner[grp[cell]] = idx[cell]
    ans = np.empty(M, dtype=np.intp)
    ans[idx] = owner.take(grp)
    if (ans[R:] < 0).any() or \
            np.bincount(grp[cell], minlength=len(owner)).max(initial=0) > 1:
        # a facet's side that is not a cell, or a hash collision: undecided here
        raise SubdivisionFallback("a facet's side is not among the cells (or a hash collision)")
    out, at = [], R
    for q in queries:
        out.append(ans[at: at + len(q)])
        at += len(q)
    return out


def enumerate_subdivision(net, domain, *, max_regions=None, time_limit=None, progress=False,
                          tolerances=None, max_memory=None):
    """Every full-dimensional activation region of ``net`` in ``domain``, by subdivision.

    The same result as :func:`polyregions.enumerate_regions` with
    ``method="lp"`` (patterns, certified interior points and radii, the
    facet-adjacency graph with neuron labels, the status), computed for all
    cells at once; regions are returned sorted by pattern. Raises
    :class:`SubdivisionFallback` when the arrangement is degenerate at the
    coincidence tolerance or a check fails; :func:`enumerate_regions` then runs
    the LP engine. Use that function (``method="subdivision"``) rather than
    this one.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Box, Slice or 2-D Polytope
    max_regions, time_limit, progress, tolerances
        As in :func:`polyregions.enumerate_regions`. A stopped run returns no
        regions (cells of an unfinished complex are not regions yet) with
        status ``"lower_bound"``; ``stats["cells_lower_bound"]`` is then a
        lower bound on the count when it could be computed (2-D).
    max_memory : int, optional
        Bytes the complex may use (default: 8 GiB or 60% of the available
        memory, whichever is smaller). Raises ``MemoryError`` with a message
        before the complex would outgrow it.

    Returns
    -------
    RegionSet

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [[0.1, 0.2], [0.0]])
    >>> enumerate_subdivision(net, Box([-1, -1], [1, 1])).n_regions
    4
    """
    t0 = time.perf_counter()
    net = as_network(net)
    domain = as_domain(domain, net)
    tol = Tolerances() if tolerances is None else tolerances
    if not supports(domain):
        raise ValueError(
            f"the subdivision engine handles boxes, slices and 2-D polygons, not {domain!r}; "
            "use method='lp' (or 'auto', which picks the LP engine for this domain).")
    budget = None if max_memory is None else float(max_memory)

    def over_budget(nbytes):
        nonlocal budget
        if budget is None:
            if nbytes < _MEMORY_FLOOR:
                return False
            budget = _memory_budget(None)
        return nbytes > budget

    A_dom, b_dom = (np.asarray(x, dtype=np.float64) for x in domain.halfspaces)
    if isinstance(domain, Polytope):
        x0 = chebyshev_ball(A_dom, b_dom, radius_cap=np.inf)[0]
        skel = polygon_skeleton(A_dom, b_dom, x0)
    else:
        box = domain.box if isinstance(domain, Slice) else domain
        skel = box_skeleton(box.lo, box.hi)
    Ws, bs, slopes = _effective_layers(net, domain)
    N = net.n_neurons
    d = domain.dim
    sk = Skeleton(*skel, len(b_dom), N, tol.coincide)
    stats = {"engine": "subdivision", "fallback": None}

    def stopped(reason, cells=None):
        stats.update(seconds=time.perf_counter() - t0, vertices=sk.n_vertices, edges=sk.n_edges,
                     cells_lower_bound=cells, frontier=0, lp_calls=0)
        return RegionSet(net, domain, np.zeros((0, N), bool), np.zeros((0, d)), np.zeros(0), [], [],
                         False, reason, 0, tol, stats)

    def cells_now():
        # each cell of the unfinished complex holds at least one region (Euler in 1-D and 2-D)
        return {1: sk.n_edges, 2: sk.n_edges - sk.n_vertices + 1}.get(d)

    bar = None
    k_global = 0
    peak = sk.nbytes()
    try:
        for l, (W, b) in enumerate(zip(Ws, bs)):
            n_l = W.shape[0]
            sk.start_layer(W, b, slopes[l - 1] if l else None)
            # a small 2-D layer all at once (the same complex, far fewer numpy calls), else
            # one cut per neuron
            at_once = (d == 2 and not sk.lazy and sk.n_edges <= AT_ONCE_MAX_EDGES
                       and LAYER_AT_ONCE[0] <= n_l <= LAYER_AT_ONCE[1])
            grown = -1  # a new layer's values: measure again at its first cut
            peak = max(peak, sk.nbytes())
            if progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=n_l, desc=f"enumerating (layer {l + 1}/{len(Ws)})",
                           unit=" neurons", dynamic_ncols=True, leave=False)
            for k in [None] if at_once else range(n_l):
                if time_limit is not None and time.perf_counter() - t0 > time_limit:
                    return stopped("time_limit", cells_now())
                if k is None:
                    sk.cut_layer()
                    done = n_l
                else:
                    try:
                        sk.cut(k, k_global)
                    except SubdivisionFallback:
                        sk.end_layer(upto=k + 1)  # a degenerate vertex explains it better
                        raise
                    done = 1
                k_global += done
                if sk.n_grown != grown:  # the arrays only grow in Skeleton._reserve
                    grown = sk.n_grown
                    if over_budget(sk.nbytes()):
                        raise MemoryError(
                            f"the subdivision complex needs more than {budget / 2**30:.1f} GiB "
                            f"({sk.n_vertices:,} vertices after {k_global} of {N} neurons); "
                            "use method='lp' (with time_limit/max_regions) or raise max_memory.")
                if bar is not None:
                    bar.update(done)
                    if k is None or k % 8 == 0:
                        bar.set_postfix(vertices=sk.n_vertices, refresh=False)
            peak = max(peak, sk.nbytes())
            if bar is not None:
                bar.close()
                bar = None
            sk.end_layer()
        t_build = time.perf_counter()
        # -------------------------------------------------------- regions
        # The read-out's arrays beyond the complex: its (2^d, vertices) tables, about 30 bytes
        # an entry, and the unpacked patterns, a byte per neuron and cell (about one cell per
        # vertex in 2-D). Measured: 305, 100, 33, 30, 29, 30 bytes per entry in all at 2-[256]^4,
        # 3-[64,64], 5-[16,16], 7-, 8-, 9-[8,8]; the model gives 36 + (2 N + 256) / 2^d.
        need = sk.n_vertices * (2**d * 36 + 2 * N + 256)
        if over_budget(sk.nbytes() + need):
            raise MemoryError(
                f"reading {sk.n_vertices:,} vertices' cells needs about {need / 2**30:.1f} GiB "
                f"beyond the complex (budget {budget / 2**30:.1f} GiB); use method='lp' or raise "
                "max_memory.")
        keys, exact, cslots, P, (sa, sb, lab), points = complex_cells(*sk.arrays())
        n_vertices, n_edges = sk.n_vertices, sk.n_edges
        Xv = sk.X.copy() if d <= VERTEX_CENTROID_MAX_DIM else None
        peak = max(peak, sk.nbytes() + need)
        # free the complex before the certificates (a stop from here on still reports its size)
        sk = SimpleNamespace(n_vertices=n_vertices, n_edges=n_edges)
        # adjacency: the two sides of every facet, each emitted at the facet's lowest vertex
        if Xv is not None:
            # every slot holding a cell gets its cell; interior points: the vertex centroids
            inc, P = _slot_cells(keys, exact, cslots, P, points, N)
            R = len(P)
            cell = np.empty(len(keys), dtype=np.intp)
            cell[points] = inc
            pa, pb = cell.take(sa), cell.take(sb)
            iv = points % n_vertices
            cnt = np.bincount(inc, minlength=R).astype(np.float64)
            pts = np.stack([np.bincount(inc, weights=Xv[iv, j], minlength=R) for j in range(d)],
                           axis=1) / cnt[:, None]
            del inc, iv, Xv, cell
        elif exact:
            first, hc = _unique_keys(keys[:, 0].take(cslots))
            P = _packed_keys(hc)
            pa, pb = _lookup_exact(hc, N, keys[:, 0].take(sa), keys[:, 0].take(sb))
            pts = points[first]
        else:
            first, _ = _sorted_unique(P)
            P = P[first]
            pa, pb = _lookup(keys.take(cslots.take(first), axis=0), keys.take(sa, axis=0),
                             keys.take(sb, axis=0))
            pts = points[first]
        R = len(P)
        del keys, sa, sb
        patterns = np.unpackbits(P, axis=1, count=N).view(bool)  # 0/1 bytes: no copy
        # one sort of (pair, label) keys: duplicates adjacent, a second label right after
        key = (np.minimum(pa, pb) * R + np.maximum(pa, pb)) * max(N, 1) + lab
        key.sort()
        ekey, lab = np.divmod(key, max(N, 1))
        keep = np.ones(len(ekey), dtype=bool)
        keep[1:] = ekey[1:] != ekey[:-1]
        if np.any(~keep[1:] & (lab[1:] != lab[:-1])):
            raise SubdivisionFallback("two neurons carry the same facet (coincident hyperplanes)")
        ekey, lab = ekey[keep], lab[keep]
        eu, ev = np.divmod(ekey, R)
        # structural check: Euler's relation of the subdivided polygon
        if d == 2 and n_vertices - n_edges + R != 1:
            raise SubdivisionFallback(f"Euler check failed: V - E + F = {n_vertices - n_edges + R}")
        t_read = time.perf_counter()
        # ------------------------------------------------ certificates
        pts, r, counted, n_thin, lp_calls = certify_cells(net, domain, Ws, bs, slopes, patterns,
                                                          pts, A_dom, b_dom, tol)
        if counted.all():  # the usual case: the graph's nodes are the cells as they are
            idx = np.arange(R)
            e_list = np.stack([eu, ev], axis=1)
            e_lab = lab[:, None]
        else:
            idx = np.flatnonzero(counted)
            new = np.full(R, -1)
            new[idx] = np.arange(len(idx))
            ke = counted[eu] & counted[ev]
            e_list = np.stack([new[eu[ke]], new[ev[ke]]], axis=1)
            e_lab = lab[ke][:, None]
        complete, reason = True, None
        if max_regions is not None and len(idx) > max_regions:
            complete, reason = False, "max_regions"
            idx = idx[:max_regions]
            ke2 = (e_list < max_regions).all(axis=1)
            e_list = e_list[ke2]
            e_lab = e_lab[ke2]
        t_end = time.perf_counter()
        stats.update(seconds=t_end - t0, seconds_build=t_build - t0, seconds_read=t_read - t_build,
                     seconds_certify=t_end - t_read, vertices=n_vertices, edges=n_edges,
                     cells=R, lp_calls=lp_calls, peak_bytes=int(peak), frontier=0)
        if len(idx) < R:  # (an (R, N) copy of the patterns is a GB at 10^6 regions: only if needed)
            patterns, pts, r = patterns[idx], pts[idx], r[idx]
        return RegionSet(net, domain, patterns, pts, r, e_list, e_lab, complete,
                         reason, n_thin, tol, stats)
    except KeyboardInterrupt:
        return stopped("interrupted", cells_now())
    finally:
        if bar is not None:
            bar.close()
