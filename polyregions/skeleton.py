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

:meth:`Skeleton.cells` reads the cells off the finished complex. Vertices are
ordered by a generic linear function (ties by index), which orients every
edge. A cell (or a facet) is emitted at each of its vertices whose edges in
the cell all point up; every cell has at least one such vertex (its lowest),
whatever the rounding of the coordinates, so nothing is missed, and the rare
duplicates are removed when the patterns are sorted. This visits each cell
about once instead of once per vertex.

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

import numpy as np

__all__ = ["SubdivisionFallback", "Skeleton", "box_skeleton", "polygon_skeleton"]

#: Fixed seed of the random 64-bit weights of the sign-vector hashes.
_HASH_SEED = 0x5EED5
#: Up to this dimension a cell's interior point is its vertex centroid (every vertex-cell
#: incidence is looked up: ``2^d`` per vertex); above, the centroid of its lowest vertex and
#: that vertex's ``d`` neighbours along the cell's edges (a simplex inside the cell).
VERTEX_CENTROID_MAX_DIM = 3


class SubdivisionFallback(Exception):
    """The subdivision cannot decide this run exactly; the LP engine must (reason in ``args[0]``)."""


def box_skeleton(lo, hi):
    """Vertices ``(X, Zv)`` and edges ``(E, Ze, J)`` of a box; rows ``j``: ``x_j <= hi_j``, ``d+j``: ``-x_j <= -lo_j``.

    ``J[e]`` holds, for each end of edge ``e``, the position in that
    vertex's ``Zv`` of the hyperplane the edge leaves.

    >>> X, Zv, E, Ze, J = box_skeleton(np.zeros(2), np.ones(2))
    >>> len(X), len(E)
    (4, 4)
    """
    d = len(lo)
    corner = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(bool)
    X = np.where(corner, hi, lo).astype(np.float64)
    Zv = np.where(corner, np.arange(d), d + np.arange(d)).astype(np.int32)
    E, Ze, J = [], [], []
    for j in range(d):
        a = np.flatnonzero(~corner[:, j])
        E.append(np.stack([a, a | (1 << j)], axis=1))
        Ze.append(np.delete(Zv[a], j, axis=1))
        J.append(np.full((len(a), 2), j))
    return X, Zv, np.vstack(E).astype(np.intp), np.vstack(Ze).astype(np.int32), np.vstack(J)


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
        rng = np.random.default_rng(_HASH_SEED)
        r = rng.integers(0, 2**63, size=(n_ids, 2), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.r = r
        # rsel[i] = [-r_i, +r_i]: the hash term of hyperplane i for sign index 0/1
        self.rsel = np.stack([np.uint64(0) - r, r], axis=1)
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
            self.Ea.nbytes * 2 + self.Ze.nbytes + self.H.nbytes + self.J.nbytes

    def _reserve(self, nv, ne):
        v, e = self.nV, self.nE
        if nv > len(self.XZ):
            self.XZ, self.Zv, self.bits = (_grown(a, nv, v) for a in (self.XZ, self.Zv, self.bits))
        if ne > len(self.Ea):
            self.Ea, self.Eb, self.Ze, self.H, self.J = (
                _grown(a, ne, e) for a in (self.Ea, self.Eb, self.Ze, self.H, self.J))

    # ---------------------------------------------------------------- layers
    def start_layer(self, W, b, slope=None):
        """Pre-activations ``W h + b`` of a new layer at every vertex.

        ``h`` is the previous layer's activation (``slope`` its negative
        slope) or, for the first layer, the coordinates.
        """
        d, nV = self.d, self.nV
        if self.layer is None:
            Hin = self.XZ[:nV, :d]
            k0 = 0
        else:
            Z = self.XZ[:nV, d:]
            Hin = np.where(Z > 0, Z, slope * Z)
            k0 = self.layer[0] + self.layer[1]
        n_l = W.shape[0]
        XZ = np.empty((len(self.XZ), d + n_l))
        XZ[:nV, :d] = self.XZ[:nV, :d]
        XZ[:nV, d:] = Hin @ W.T + b
        self.XZ = XZ
        self.layer = (k0, n_l, np.zeros(n_l, dtype=np.intp))

    def cut(self, kl, k):
        """Cut the complex with neuron ``k`` (column ``kl`` of the current layer); returns the new vertices."""
        d, nV, nE = self.d, self.nV, self.nE
        self.layer[2][kl] = nV
        col = d + kl
        pos = self.XZ[:nV, col] > 0
        sa = pos[self.Ea[:nE]]
        ci = (sa != pos[self.Eb[:nE]]).nonzero()[0]
        nc = ci.size
        rs = self.rsel[self.m_dom + k]
        if nc == 0:
            self.H[:nE] += rs.take(sa.view(np.int8), axis=0)
            return 0
        Hc = self.H.take(ci, axis=0)
        self.H[:nE] += rs.take(sa.view(np.int8), axis=0)
        if nV + nc > len(self.XZ) or nE + d * nc > len(self.Ea):
            self._reserve(nV + nc, nE + d * nc)
        H, XZ, Ea, Eb, Ze, bits = self.H, self.XZ, self.Ea, self.Eb, self.Ze, self.bits
        ea, eb = Ea[ci], Eb[ci]
        w0, w1 = nV, nV + nc
        # new vertices: coordinates and pre-activations interpolated in one go
        A = XZ.take(ea, axis=0)
        B = XZ.take(eb, axis=0)
        za = A[:, col]
        t = za / (za - B[:, col])
        B -= A
        B *= t[:, None]
        np.add(B, A, out=XZ[w0:w1])
        XZ[w0:w1, col] = 0.0
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
        # at w the edge leaves the new hyperplane (position d - 1); the new half keeps b's end
        J = self.J
        J[nE:e1, 0] = d - 1
        J[nE:e1, 1] = J[:, 1].take(ci)
        J[ci, 1] = d - 1
        np.add(Hc, rs.take(pos[eb].view(np.int8), axis=0), out=H[nE:e1])
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
        # sort the first hash with the key's position in its low bits (cheaper than argsort);
        # a domain row has no outer 2-face: its key sorts last and is cut off
        nb = (2 * m).bit_length()
        low = np.uint64((1 << nb) - 1)
        key = K[:, 0] & ~low
        key |= np.arange(2 * m, dtype=np.uint64)
        dom = Zf < self.m_dom
        np.putmask(key[m:], dom, ~np.uint64(0))
        key.sort()
        n2 = 2 * m - int(np.count_nonzero(dom))
        key = key[:n2]
        idx = (key & low).astype(np.intp)
        key >>= np.uint64(nb)
        gap = key[1:] - key[:-1]
        K1 = K[:, 1].take(idx)
        if n2 % 2 or gap[0::2].any() or not gap[1::2].all() or \
                not np.array_equal(K1[0::2], K1[1::2]):
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
            Ea[e1:e2] = w0 + fp
            Eb[e1:e2] = w0 + fq
            Ze[e1:e2, 0] = hid
            J[e1:e2] = 0
        else:
            cp, jp = np.divmod(fp, d - 1)
            cq, jq = np.divmod(fq, d - 1)
            # the new edge lies on the crossed edge's hyperplanes with the relaxed one replaced
            # by the new neuron (the 128-bit match says both edges name the same 2-face, so
            # the same hyperplanes: the hash covers every hyperplane not containing it)
            ZF = Ze[e1:e2]
            Zc.take(cp, axis=0, out=ZF)
            ZF.reshape(-1)[np.arange(nf) * (d - 1) + jp] = hid
            Ea[e1:e2] = w0 + cp
            Eb[e1:e2] = w0 + cq
            J[e1:e2, 0] = jp
            J[e1:e2, 1] = jq
        K.take(idx[0::2], axis=0, out=H[e1:e2])
        self.nE = e2
        return nc

    def end_layer(self, upto=None):
        """Check the layer's (first ``upto``) neurons for degenerate vertices, then store their bits.

        Raises :class:`SubdivisionFallback` if a vertex that existed when a
        neuron was cut lies within the coincidence tolerance of its
        hyperplane (concurrent, coincident or zero hyperplanes).
        """
        k0, n_l, before = self.layer
        n = n_l if upto is None else upto
        d, nV = self.d, self.nV
        Z = self.XZ[:nV, d: d + n]
        # A neuron's largest value on the vertices it cut: values at vertices made later
        # in the layer are interpolated between those, so the maximum over all is the same
        # (up to rounding, which only makes the test stricter). Chunks keep it in cache.
        S = np.zeros(n)
        step = max(1, 2**21 // max(n, 1))
        for s in range(0, nV, step):
            np.maximum(S, np.abs(Z[s: s + step]).max(axis=0), out=S)
        thr = self.rel_tol * S
        off = k0 & 7
        b0 = k0 >> 3
        for s in range(0, nV, step):
            Zs = Z[s: s + step]
            old = np.arange(s, s + len(Zs))[:, None] < before[None, :n]
            bad = (np.abs(Zs) <= thr) & old
            if bad.any():
                k = int(np.flatnonzero(bad.any(axis=0))[0])
                raise SubdivisionFallback(
                    f"neuron {k0 + k}: vertices within the coincidence tolerance of its "
                    "hyperplane (concurrent, coincident or zero hyperplanes)")
            if upto is None:
                # the layer's sign bits, packed at their global position (first neuron = high bit)
                pad = np.zeros((len(Zs), off + n_l), dtype=bool)
                pad[:, off:] = Zs > 0
                packed = np.packbits(pad, axis=1)
                self.bits[s: s + len(Zs), b0: b0 + packed.shape[1]] |= packed

    # -------------------------------------------------------------- read-out
    def cells(self):
        """Cells and facets of the finished complex.

        Returns ``(P, hc, (hfa, hfb, flab), points)``: packed patterns of
        the cells (with rare duplicates) and their 128-bit pattern hashes;
        per facet the hashes of its two sides' patterns and the neuron it
        lies on; and either ``(iv, hi)``, every (vertex, incident cell) pair
        as the vertex and the cell's hash (for vertex centroids, up to
        :data:`VERTEX_CENTROID_MAX_DIM`), or an interior point per cell. The
        hash is linear in the bits (random weights per neuron), so a
        neighbour's hash needs no pattern.
        """
        d, nV, nE, m_dom = self.d, self.nV, self.nE, self.m_dom
        X = self.XZ[:nV, :d]
        Zv, bits = self.Zv[:nV], self.bits[:nV]
        Ea, Eb = self.Ea[:nE], self.Eb[:nE]
        # a generic direction orients every edge (ties by vertex index)
        f = X @ (np.sqrt(np.arange(2, d + 2)) % 1.0 + 0.5)
        fa, fb = f[Ea], f[Eb]
        up = (fb > fa) | ((fb == fa) & (Eb > Ea))
        # slot (position j in Zv of the hyperplane the edge leaves, side) at both ends
        nbr = np.full(nV * d * 2, -1, dtype=np.intp)
        upt = np.zeros(nV * d * 2, dtype=bool)
        flat_bits = bits.reshape(-1)
        flat_Zv = Zv.reshape(-1)
        for v, o, u, j in ((Ea, Eb, up, self.J[:nE, 0]), (Eb, Ea, ~up, self.J[:nE, 1])):
            at = v * d + j
            h = flat_Zv.take(at) - m_dom
            hn = np.maximum(h, 0)
            byte = flat_bits.take(o * self.n_bytes + (hn >> 3))
            at = at * 2 + ((byte >> (7 - (hn & 7)).astype(np.uint8)) & (h >= 0))
            nbr[at] = o
            upt[at] = u
        nb3, upt = nbr.reshape(nV, d, 2), upt.reshape(nV, d, 2)
        neu = Zv >= m_dom
        if (nbr >= 0).sum() != 2 * nE or (nb3[:, :, 0] < 0).any() or (nb3[:, :, 1][neu] < 0).any():
            raise SubdivisionFallback("a vertex is not simple (slots of its edges)")
        codes = np.arange(2**d)
        sel = ((codes[:, None] >> np.arange(d)) & 1).astype(np.intp)  # (2^d, d)
        # ok[j][code, v]: the edge at v along position j on the code's side points up;
        # a cell is emitted where all d point up, a facet on j where the other d - 1 do
        ok = [upt[:, j, :].T.take(sel[:, j], axis=0) for j in range(d)]
        pre = [np.ones((2**d, nV), dtype=bool)]
        for j in range(d):
            pre.append(pre[-1] & ok[j])
        suf = np.ones((2**d, nV), dtype=bool)
        # linear 128-bit hash of a pattern: sum of its set bits' weights (mod 2^64)
        wgt = np.zeros((m_dom + self.n_neurons, 2), dtype=np.uint64)
        wgt[m_dom:] = np.random.default_rng(_HASH_SEED + 1).integers(
            0, 2**63, size=(self.n_neurons, 2), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        wT = np.ascontiguousarray(wgt.T)
        wz = np.empty((2, d, nV), dtype=np.uint64)  # weight of each vertex's hyperplanes
        for w in range(2):
            for j in range(d):
                wT[w].take(Zv[:, j], out=wz[w, j])
        # T[:, code, v]: hash of the cell in orthant ``code`` at v (subset sums of the open bits)
        T = np.empty((2, 2**d, nV), dtype=np.uint64)
        T[:, 0] = self._bit_hashes(bits, wgt[m_dom:]).T
        for j in range(d):
            np.add(T[:, : 2**j], wz[:, j, None, :], out=T[:, 2**j: 2 ** (j + 1)])
        T0, T1 = T[0].reshape(-1), T[1].reshape(-1)

        def pair(at):
            return np.stack([T0.take(at), T1.take(at)], axis=1)

        hfa, hfb, lab = [], [], []
        for j in range(d - 1, -1, -1):
            codes0 = np.flatnonzero(sel[:, j] == 0)
            fc, fv = np.nonzero(pre[j].take(codes0, axis=0) & suf.take(codes0, axis=0) & neu[:, j])
            at = codes0.take(fc) * nV + fv
            hfa.append(pair(at))
            hfb.append(pair(at + 2**j * nV))
            lab.append(Zv[fv, j] - m_dom)
            suf &= ok[j]
        ci, vi = np.nonzero(pre[d])
        hc = pair(ci * nV + vi)
        P = bits.take(vi, axis=0)
        for j in range(d):
            rows = np.flatnonzero(((ci >> j) & 1).astype(bool) & neu[vi, j])
            k = Zv[vi[rows], j] - m_dom
            P[rows, k >> 3] |= (1 << (7 - (k & 7))).astype(np.uint8)
        facets = (np.concatenate(hfa), np.concatenate(hfb), np.concatenate(lab))
        if d <= VERTEX_CENTROID_MAX_DIM:
            # every (vertex, cell) incidence: a domain row's side is fixed, a neuron's free
            valid = np.ones((2**d, nV), dtype=bool)
            for j in range(d):
                valid &= neu[:, j] | (sel[:, j, None] == 0)
            flat = np.flatnonzero(valid)
            return P, hc, facets, (flat % nV, pair(flat))
        # the centroid of the lowest vertex and its d neighbours along the cell's edges
        pts = X.take(vi, axis=0)
        for j in range(d):
            pts += X.take(nbr.take((vi * d + j) * 2 + ((ci >> j) & 1)), axis=0)
        return P, hc, facets, pts / (d + 1)

    def _bit_hashes(self, bits, w):
        """``sum_i w_i bit_i`` (mod 2^64, per column of ``w``) of packed rows, by byte tables."""
        out = np.zeros((len(bits), 2), dtype=np.uint64)
        vals = ((np.arange(256)[:, None] >> np.arange(7, -1, -1)) & 1).astype(np.uint64)  # (256, 8)
        for p in range(bits.shape[1]):
            wp = np.zeros((8, 2), dtype=np.uint64)
            wp[: len(w[8 * p: 8 * p + 8])] = w[8 * p: 8 * p + 8]
            table = (vals[:, :, None] * wp[None, :, :]).sum(axis=1, dtype=np.uint64)  # (256, 2)
            out += table.take(bits[:, p], axis=0)
        return out
