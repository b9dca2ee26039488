"""Exact enumeration by subdividing the domain's skeleton, neuron by neuron.

A second engine next to the LP search of :mod:`polyregions.enumeration`. It
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

import time
from dataclasses import dataclass

import numpy as np

from .domain import Box, Slice, Polytope, as_domain
from .network import as_network
from .scaling import balanced_network, first_layer_offset_scale
from .lp import chebyshev_ball, inscribed_radius
from .results import RegionSet
from .tolerances import Tolerances

__all__ = ["enumerate_subdivision", "supports", "choose_method", "dispatch", "SubdivisionFallback"]

METHODS = ("auto", "lp", "subdivision")
#: ``method="auto"`` uses the subdivision up to this dimension (see the README's table).
AUTO_MAX_DIM = 8

#: Fixed seed of the random 64-bit weights of the sign-vector hashes.
_HASH_SEED = 0x5EED5
#: Default memory budget (bytes) for the complex; see :func:`_memory_budget`.
_DEFAULT_MAX_MEMORY = 8 * 2**30


class SubdivisionFallback(Exception):
    """The subdivision cannot decide this run exactly; the LP engine must (reason in ``args[0]``)."""


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
        rs = enumerate_subdivision(balanced_network(net), domain, max_regions=max_regions,
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
        with open("/proc/meminfo") as fh:
            info = dict(line.split(":", 1) for line in fh)
        avail = float(info["MemAvailable"].split()[0]) * 1024
        return min(_DEFAULT_MAX_MEMORY, 0.6 * avail)
    except (OSError, KeyError, ValueError):
        return _DEFAULT_MAX_MEMORY


# ------------------------------------------------------------------ buffers
class _Rows:
    """A growable array of rows (amortised doubling; ``view`` is the live part)."""

    def __init__(self, init):
        init = np.asarray(init)
        cap = max(16, 2 * len(init))
        self.buf = np.empty((cap,) + init.shape[1:], dtype=init.dtype)
        self.n = len(init)
        self.buf[: self.n] = init

    @property
    def view(self):
        return self.buf[: self.n]

    def extend(self, rows):
        k = len(rows)
        if self.n + k > len(self.buf):
            cap = max(2 * len(self.buf), self.n + k)
            new = np.empty((cap,) + self.buf.shape[1:], dtype=self.buf.dtype)
            new[: self.n] = self.buf[: self.n]
            self.buf = new
        self.buf[self.n: self.n + k] = rows
        self.n += k

    @property
    def nbytes(self):
        return self.buf.nbytes


# ------------------------------------------------------------ initial complex
def _box_skeleton(lo, hi):
    """Vertices ``(X, Zv)`` and edges ``(E, Ze)`` of a box; rows ``j``: ``x_j <= hi_j``, ``d+j``: ``-x_j <= -lo_j``."""
    d = len(lo)
    corner = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(bool)
    X = np.where(corner, hi, lo).astype(np.float64)
    Zv = np.where(corner, np.arange(d), d + np.arange(d)).astype(np.int32)
    E, Ze = [], []
    for j in range(d):
        a = np.flatnonzero(~corner[:, j])
        E.append(np.stack([a, a | (1 << j)], axis=1))
        Ze.append(np.delete(Zv[a], j, axis=1))
    return X, Zv, np.vstack(E).astype(np.int64), np.vstack(Ze).astype(np.int32)


def _polygon_skeleton(A, b):
    """Vertices and edges of a 2-D polygon ``{A x <= b}`` (every polygon is simple)."""
    from scipy.spatial import HalfspaceIntersection

    x0 = chebyshev_ball(A, b, radius_cap=np.inf)[0]
    hs = HalfspaceIntersection(np.hstack([A, -b[:, None]]), x0)
    V = hs.intersections
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
    return V, Zv, np.array(E, dtype=np.int64), np.array(Ze, dtype=np.int32)


def _effective_layers(net, domain):
    """Hidden layers as functions of the domain coordinates (a slice's map folded into layer 1)."""
    Ws = [np.asarray(W) for W in net.weights[:-1]]
    bs = [np.asarray(b) for b in net.biases[:-1]]
    if domain.input_map is not None:
        M, m = domain.input_map
        bs[0] = Ws[0] @ m + bs[0]
        Ws[0] = Ws[0] @ M
    return Ws, bs, list(net.negative_slopes)


# ------------------------------------------------------------ the subdivision
class _Complex:
    """The skeleton and the per-neuron step (see the module docstring)."""

    def __init__(self, X, Zv, E, Ze, m_dom, n_ids, rel_tol):
        d = X.shape[1]
        self.d = d
        self.m_dom = m_dom
        self.rel_tol = rel_tol
        rng = np.random.default_rng(_HASH_SEED)
        self.r1 = rng.integers(0, 2**63, size=n_ids, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.r2 = rng.integers(0, 2**63, size=n_ids, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.X = _Rows(X)
        self.Zv = _Rows(Zv)
        self.E = _Rows(E)
        self.Ze = _Rows(Ze)
        # Hash of an edge's sign vector: sum of r_i * s_i (mod 2^64) over the
        # hyperplanes it is not on; every domain row not through it is +1.
        dom1 = self.r1[:m_dom].sum(dtype=np.uint64)
        dom2 = self.r2[:m_dom].sum(dtype=np.uint64)
        with np.errstate(over="ignore"):
            h1 = dom1 - self.r1[Ze].sum(axis=1, dtype=np.uint64) if Ze.shape[1] else np.full(len(E), dom1)
            h2 = dom2 - self.r2[Ze].sum(axis=1, dtype=np.uint64) if Ze.shape[1] else np.full(len(E), dom2)
        self.h1 = _Rows(np.asarray(h1, dtype=np.uint64))
        self.h2 = _Rows(np.asarray(h2, dtype=np.uint64))
        self.bits = None  # packed pattern bits, set up by start()
        self.ZT = None  # current layer's pre-activations, (n_l, vertices)
        self.near = 0

    @property
    def n_vertices(self):
        return self.X.n

    @property
    def n_edges(self):
        return self.E.n

    def nbytes(self):
        parts = [self.X, self.Zv, self.E, self.Ze, self.h1, self.h2, self.bits]
        return sum(p.nbytes for p in parts if p is not None) + (0 if self.ZT is None else self.ZT.nbytes)

    def start(self, n_neurons):
        self.n_bytes = max(1, (n_neurons + 7) // 8)
        self.bits = _Rows(np.zeros((self.X.n, self.n_bytes), dtype=np.uint8))

    def start_layer(self, Zl):
        """Pre-activations of the new layer at the current vertices, ``(vertices, n_l)``."""
        n_l = Zl.shape[1]
        self.ZT = np.empty((n_l, max(16, 2 * len(Zl))))
        self.ZT[:, : len(Zl)] = Zl.T

    def end_layer(self, slope):
        Z = self.ZT[:, : self.X.n].T
        self.ZT = None
        return np.where(Z > 0, Z, slope * Z)

    def _grow_ZT(self, k):
        n = self.X.n
        if n + k > self.ZT.shape[1]:
            new = np.empty((self.ZT.shape[0], max(2 * self.ZT.shape[1], n + k)))
            new[:, :n] = self.ZT[:, :n]
            self.ZT = new

    def add_neuron(self, k_local, k_global):
        """Cut the complex with neuron ``k_global`` (column ``k_local`` of the layer)."""
        nV = self.X.n
        z = self.ZT[k_local, :nV]
        S = float(np.max(np.abs(z))) if nV else 0.0
        small = np.abs(z) <= self.rel_tol * S
        if S == 0.0 or small.any():
            raise SubdivisionFallback(
                f"neuron {k_global}: {int(small.sum())} vertices within the coincidence tolerance of "
                "its hyperplane (concurrent, coincident or zero hyperplanes)")
        pos = z > 0
        byte, bit = k_global >> 3, np.uint8(1 << (7 - (k_global & 7)))
        col = self.bits.buf[:nV, byte]
        col[pos] |= bit
        hid = self.m_dom + k_global
        E = self.E.view
        a, b = E[:, 0], E[:, 1]
        sa = pos[a]
        crossed = sa != pos[b]
        r1p, r2p = self.r1[hid], self.r2[hid]
        with np.errstate(over="ignore"):
            r1m, r2m = np.uint64(0) - r1p, np.uint64(0) - r2p
            ci = np.flatnonzero(crossed)
            nc = len(ci)
            h1_old = self.h1.view[ci].copy()
            h2_old = self.h2.view[ci].copy()
            # every edge gets its sign at the new neuron; a crossed edge keeps its a-end half
            self.h1.view[:] += np.where(sa, r1p, r1m)
            self.h2.view[:] += np.where(sa, r2p, r2m)
            if nc == 0:
                return 0
            ea, eb = a[ci], b[ci]
            za, zb = z[ea], z[eb]
            t = za / (za - zb)
            w = nV + np.arange(nc)
            self._grow_ZT(nc)
            Xa = self.X.view[ea]
            self.X.extend(Xa + t[:, None] * (self.X.view[eb] - Xa))
            Za = self.ZT[:, ea]
            self.ZT[:, nV: nV + nc] = Za + t * (self.ZT[:, eb] - Za)
            self.ZT[k_local, nV: nV + nc] = 0.0
            nb = self.bits.view[ea] | self.bits.view[eb]
            nb[:, byte] &= np.uint8(~bit & 0xFF)
            self.bits.extend(nb)
            Ze_c = self.Ze.view[ci]
            self.Zv.extend(np.hstack([Ze_c, np.full((nc, 1), hid, dtype=np.int32)]))
            # split: edge ci becomes (a, w), the new half (w, b) has b's sign
            E[ci, 1] = w
            self.E.extend(np.stack([w, eb], axis=1))
            self.Ze.extend(Ze_c)
            sb = ~sa[ci]
            self.h1.extend(h1_old + np.where(sb, r1p, r1m))
            self.h2.extend(h2_old + np.where(sb, r2p, r2m))
            # new edges: H meets each crossed 2-face in a segment between two new vertices
            dm1 = self.d - 1
            if dm1 == 0:
                return nc
            own, pj, K1, K2 = [], [], [], []
            for j in range(dm1):
                hj = Ze_c[:, j]
                q1, q2 = self.r1[hj], self.r2[hj]
                own.append(np.arange(nc))
                pj.append(np.full(nc, j))
                K1.append(h1_old + q1)
                K2.append(h2_old + q2)
                neu = np.flatnonzero(hj >= self.m_dom)  # a domain row is relaxed only inwards
                own.append(neu)
                pj.append(np.full(len(neu), j))
                K1.append(h1_old[neu] - q1[neu])
                K2.append(h2_old[neu] - q2[neu])
        own = np.concatenate(own)
        pj = np.concatenate(pj)
        K1 = np.concatenate(K1)
        K2 = np.concatenate(K2)
        order = np.argsort(K1)
        Ks = K1[order]
        if len(Ks) % 2 or not (np.all(Ks[0::2] == Ks[1::2]) and np.all(Ks[1:-1:2] != Ks[2::2])):
            raise SubdivisionFallback(
                f"neuron {k_global}: a 2-face is not crossed exactly twice (degenerate arrangement)")
        p, q = order[0::2], order[1::2]
        if not np.array_equal(K2[p], K2[q]):
            raise SubdivisionFallback(f"neuron {k_global}: sign-vector hash mismatch")
        ZF = Ze_c[own[p]].copy()
        ZF[np.arange(len(p)), pj[p]] = hid
        ZG = Ze_c[own[q]].copy()
        ZG[np.arange(len(q)), pj[q]] = hid
        if not np.array_equal(np.sort(ZF, axis=1), np.sort(ZG, axis=1)):
            raise SubdivisionFallback(f"neuron {k_global}: a crossed 2-face has inconsistent hyperplanes")
        self.E.extend(np.stack([w[own[p]], w[own[q]]], axis=1))
        self.Ze.extend(ZF)
        self.h1.extend(K1[p])
        self.h2.extend(K2[p])
        return nc

    # ----------------------------------------------------------- read-out
    def cells(self, n_neurons):
        """Patterns around every vertex: ``(inc_vertex, inc_code, patterns_packed)`` per incidence."""
        d = self.d
        Zv = self.Zv.view
        is_neu = Zv >= self.m_dom
        codes = np.arange(2**d)
        sel = ((codes[:, None] >> np.arange(d)) & 1).astype(bool)  # (2^d, d)
        # a code may set only neuron positions
        valid = ~np.any(sel[None, :, :] & ~is_neu[:, None, :], axis=2)  # (nV, 2^d)
        vi, ci = np.nonzero(valid)
        P = self.bits.view[vi].copy()
        for j in range(d):
            on = sel[ci, j]
            rows = np.flatnonzero(on)
            k = Zv[vi[rows], j] - self.m_dom
            P[rows, k >> 3] |= (1 << (7 - (k & 7))).astype(np.uint8)
        return vi, ci, valid, P


def _unique_rows(P):
    """``(first, inverse)`` of the distinct rows of a packed-bit array, rows sorted as bytes."""
    n, nb = P.shape
    words = -(-nb // 8)
    Q = np.zeros((n, 8 * words), dtype=np.uint8)
    Q[:, :nb] = P
    # big-endian words compare like the packed bytes, so the order is np.packbits order
    K = Q.view(">u8").astype(np.uint64)
    order = np.lexsort(K.T[::-1]) if words > 1 else np.argsort(K[:, 0], kind="stable")
    Ks = K[order]
    new = np.ones(n, dtype=bool)
    new[1:] = np.any(Ks[1:] != Ks[:-1], axis=1)
    group = np.cumsum(new) - 1
    inv = np.empty(n, dtype=np.intp)
    inv[order] = group
    return order[new], inv


def _batched_rows(Ws, bs, slopes, patterns, X, A_dom, b_dom, zero_row):
    """Certified radius at ``X[r]`` of every region ``patterns[r]`` and its forward-pass check.

    The rows are those of :func:`polyregions.results.pattern_rows` (a neuron
    whose gradient norm on the region is at most ``zero_row`` times the
    largest gives no row, and must then be constant with the pattern's sign),
    plus the domain's rows; vectorised over regions.

    Returns ``(radius, consistent)``.
    """
    R, d = X.shape
    # (neurons, groups, d) layout, one group per distinct pattern prefix: the
    # gradients of layer l depend only on the bits of the layers before it, so
    # each layer is one GEMM over the distinct prefixes, then gathered per region
    grp = np.zeros(R, dtype=np.intp)
    M = np.eye(d)[:, None, :]
    m = np.zeros((d, 1))
    vals, norms = [], []
    start = 0
    for W, b, a in zip(Ws, bs, slopes):
        n, n_in = W.shape
        Gg = (W @ M.reshape(n_in, -1)).reshape(n, -1, d)
        gg = W @ m + b[:, None]
        vals.append(np.einsum("krd,rd->kr", Gg[:, grp, :], X) + gg[:, grp])
        norms.append(np.sqrt(np.einsum("kgd,kgd->kg", Gg, Gg))[:, grp])
        p = patterns[:, start: start + n]
        start += n
        if start == patterns.shape[1]:
            break
        key = np.hstack([grp.astype(">u8")[:, None].view(np.uint8), np.packbits(p, axis=1)])
        prev = grp
        first, grp = _unique_rows(key)
        D = np.where(p[first].T, 1.0, a)
        M = D[:, :, None] * Gg[:, prev[first], :]
        m = D * gg[:, prev[first]]
    vals = np.concatenate(vals, axis=0).T if vals else np.zeros((R, 0))
    norms = np.concatenate(norms, axis=0).T if norms else np.zeros((R, 0))
    nz = norms > zero_row * np.maximum(norms.max(axis=1, keepdims=True, initial=0.0), 1e-300)
    sign = np.where(patterns, 1.0, -1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(nz, sign * vals / np.where(nz, norms, 1.0), np.inf)
    r = dist.min(axis=1) if dist.shape[1] else np.full(R, np.inf)
    if len(b_dom):
        dn = np.linalg.norm(A_dom, axis=1)
        r = np.minimum(r, ((b_dom - X @ A_dom.T) / dn).min(axis=1))
    # a constant neuron must carry the pattern's bit (as in the LP engine)
    const_ok = np.all(nz | ((vals > 0) == patterns), axis=1)
    return r, const_ok


def _certify(Ws, bs, slopes, patterns, X, A_dom, b_dom, zero_row, chunk_bytes=2**27):
    R, d = X.shape
    per = sum(W.shape[0] * d for W in Ws) * 8 * 3 + 1
    step = max(1, int(chunk_bytes // per))
    r = np.empty(R)
    ok = np.empty(R, dtype=bool)
    for s in range(0, R, step):
        r[s: s + step], ok[s: s + step] = _batched_rows(
            Ws, bs, slopes, patterns[s: s + step], X[s: s + step], A_dom, b_dom, zero_row)
    return r, ok


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
    budget = _memory_budget(max_memory)
    A_dom, b_dom = (np.asarray(x, dtype=np.float64) for x in domain.halfspaces)
    if isinstance(domain, Polytope):
        X, Zv, E, Ze = _polygon_skeleton(A_dom, b_dom)
    else:
        box = domain.box if isinstance(domain, Slice) else domain
        X, Zv, E, Ze = _box_skeleton(box.lo, box.hi)
    Ws, bs, slopes = _effective_layers(net, domain)
    N = net.n_neurons
    d = domain.dim
    cx = _Complex(X, Zv, E, Ze, len(b_dom), len(b_dom) + N, tol.coincide)
    cx.start(N)
    stats = {"engine": "subdivision", "fallback": None}

    def stopped(reason, cells=None):
        stats.update(seconds=time.perf_counter() - t0, vertices=cx.n_vertices, edges=cx.n_edges,
                     cells_lower_bound=cells, frontier=0, lp_calls=0)
        return RegionSet(net, domain, np.zeros((0, N), bool), np.zeros((0, d)), np.zeros(0), [], [],
                         False, reason, 0, tol, stats)

    def cells_now():
        # each cell of the unfinished complex holds at least one region (Euler in 1-D and 2-D)
        return {1: cx.n_edges, 2: cx.n_edges - cx.n_vertices + 1}.get(d)

    bar = None
    H = cx.X.view
    k_global = 0
    peak = cx.nbytes()
    try:
        for l, (W, b) in enumerate(zip(Ws, bs)):
            cx.start_layer(H @ W.T + b)
            del H
            if progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=W.shape[0], desc=f"enumerating (layer {l + 1}/{len(Ws)})",
                           unit=" neurons", dynamic_ncols=True, leave=False)
            for k in range(W.shape[0]):
                if time_limit is not None and time.perf_counter() - t0 > time_limit:
                    return stopped("time_limit", cells_now())
                cx.add_neuron(k, k_global)
                k_global += 1
                used = cx.nbytes()
                peak = max(peak, used)
                if used > budget:
                    raise MemoryError(
                        f"the subdivision complex needs more than {budget / 2**30:.1f} GiB "
                        f"({cx.n_vertices:,} vertices after {k_global} of {N} neurons); "
                        "use method='lp' (with time_limit/max_regions) or raise max_memory.")
                if bar is not None:
                    bar.update(1)
                    if k % 8 == 0:
                        bar.set_postfix(vertices=cx.n_vertices, refresh=False)
            if bar is not None:
                bar.close()
                bar = None
            H = cx.end_layer(slopes[l])
        del H
        t_build = time.perf_counter()
        # -------------------------------------------------------- regions
        inc_bytes = cx.n_vertices * 2**d * (cx.n_bytes + 24)
        if cx.nbytes() + inc_bytes > budget:
            raise MemoryError(
                f"reading {cx.n_vertices:,} vertices' cells needs about {inc_bytes / 2**30:.1f} GiB "
                f"beyond the complex (budget {budget / 2**30:.1f} GiB); use method='lp' or raise "
                "max_memory.")
        vi, ci, valid, P = cx.cells(N)
        first, inv = _unique_rows(P)
        R = len(first)
        patterns = np.unpackbits(P[first], axis=1, count=N).astype(bool)
        cnt = np.bincount(inv, minlength=R).astype(np.float64)
        Xv = cx.X.view
        pts = np.stack([np.bincount(inv, weights=Xv[vi, j], minlength=R) for j in range(d)], axis=1)
        pts /= cnt[:, None]
        # adjacency: around each vertex, codes differing in one neuron position
        table = np.full(valid.shape, -1, dtype=np.int64)
        table[vi, ci] = inv
        Zv = cx.Zv.view
        pa, pb, lab = [], [], []
        for j in range(d):
            codes = np.flatnonzero(((np.arange(2**d) >> j) & 1) == 0)
            lo_ = table[:, codes]
            hi_ = table[:, codes | (1 << j)]
            ok = (lo_ >= 0) & (hi_ >= 0)
            rows = np.nonzero(ok)[0]
            pa.append(lo_[ok])
            pb.append(hi_[ok])
            lab.append(Zv[rows, j] - cx.m_dom)
        pa, pb, lab = (np.concatenate(x) for x in (pa, pb, lab))
        peak = max(peak, cx.nbytes() + P.nbytes + table.nbytes + 3 * pa.nbytes)
        del P, table
        ekey = np.minimum(pa, pb) * R + np.maximum(pa, pb)
        order = np.argsort(ekey)
        ekey, lab = ekey[order], lab[order]
        keep = np.ones(len(ekey), dtype=bool)
        keep[1:] = ekey[1:] != ekey[:-1]
        if np.any(~keep[1:] & (lab[1:] != lab[:-1])):
            raise SubdivisionFallback("two neurons carry the same facet (coincident hyperplanes)")
        ekey, lab = ekey[keep], lab[keep]
        eu, ev = ekey // R, ekey % R
        # structural check: Euler's relation of the subdivided polygon
        if d == 2 and cx.n_vertices - cx.n_edges + R != 1:
            raise SubdivisionFallback(
                f"Euler check failed: V - E + F = {cx.n_vertices - cx.n_edges + R}")
        t_read = time.perf_counter()
        # ------------------------------------------------ certificates
        # The LP engine's counting rule: thresholds relative to each region's
        # local scale max(|x|_inf, r, lam), never to the domain's width.
        lam = first_layer_offset_scale(net, domain.input_map)

        def local(x, rad):
            return np.maximum(np.maximum(np.abs(x).max(axis=-1, initial=0.0), rad), lam)

        r, ok = _certify(Ws, bs, slopes, patterns, pts, A_dom, b_dom, tol.zero_row)
        radius_min = tol.radius * local(pts, np.maximum(r, 0.0))
        fwd = net.activation_patterns(domain.to_input(pts)) if R else np.zeros((0, N), bool)
        good = (r > radius_min) & ok & np.all(fwd == patterns, axis=1)
        bad = np.flatnonzero((r > radius_min) & ~good)
        if len(bad):
            raise SubdivisionFallback(f"{len(bad)} cells whose centroid does not re-derive their pattern")
        lp_calls = 0
        n_thin = 0
        counted = good.copy()
        for i in np.flatnonzero(~good):
            # thin-looking cell: the LP engine's Chebyshev LP decides
            from .results import region_halfspaces

            A, bb, _ = region_halfspaces(net, domain, patterns[i], tol.zero_row)
            lp_calls += 1
            # Solved in coordinates centred at the cell's vertex centroid, so HiGHS'
            # absolute tolerances are relative to the cell, not to its distance
            # from the origin (the LP engine does the same).
            xc = pts[i]
            res = chebyshev_ball(A, bb - A @ xc, radius_cap=np.inf)
            if res is None:
                continue  # HiGHS proved the pattern empty
            res = (xc + res[0], inscribed_radius(A, bb, xc + res[0]))
            ell = float(local(res[0], max(res[1], 0.0)))
            if res[1] <= tol.radius * ell:
                # Feasible but below the radius tolerance (or with no certifiable
                # interior at all): thin, as in the LP engine, never dropped.
                n_thin += 1
                continue
            x = res[0]
            if not np.array_equal(net.activation_patterns(domain.to_input(x[None]))[0], patterns[i]):
                raise SubdivisionFallback("an LP centre does not re-derive its pattern")
            pts[i], r[i] = x, res[1]
            counted[i] = True
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
                     seconds_certify=t_end - t_read, vertices=cx.n_vertices, edges=cx.n_edges,
                     cells=R, lp_calls=lp_calls, peak_bytes=int(peak), frontier=0)
        return RegionSet(net, domain, patterns[idx], pts[idx], r[idx], e_list, e_lab, complete,
                         reason, n_thin, tol, stats)
    except KeyboardInterrupt:
        return stopped("interrupted", cells_now())
    finally:
        if bar is not None:
            bar.close()
