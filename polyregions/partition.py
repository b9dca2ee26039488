"""The parts of a distributed run: convex pieces of the domain, and the edges across their walls.

Two ways to cut (:func:`plan_parts`):

* ``"boxes"``: a grid of axis-parallel cuts at generic, slightly randomised
  positions. A region met by a cut is enumerated in every part it meets
  (*duplicated pieces*); a facet between two regions is ``(d-1)``-dimensional
  and lies in no cut plane (cuts are generic), so it meets the interior of
  some part, whose search finds that edge: the parts' edges are all the
  edges, and the merge needs no LP. The cells of a :class:`Box` are boxes,
  which the subdivision engine takes.
* ``"first_layer"``: the cells of a few first-layer hyperplanes (those
  passing nearest the domain's centre). Every region lies in exactly one
  cell -- its pattern fixes those neurons' signs -- so no region is
  enumerated twice. A cell wall is the part's boundary, so the edges across
  it are decided after the parts (:func:`cross_candidates`,
  :func:`check_cross_edges`): a pair of found regions whose patterns differ
  only at a cut neuron ``k`` shares a facet iff their common trace on
  ``k``'s hyperplane is ``(d-1)``-dimensional. A point of that trace with
  a margin is a certificate found without LP (on the segment between the two
  interior points); only the pairs it does not settle get one Chebyshev LP
  inside the hyperplane.

Every part keeps the parent domain's :attr:`~polyregions.domain.Domain.scale`,
so all tolerances mean the same lengths as in the serial run.

It runs a little over 600 lines because the two cuts share the part
geometry (inscribed balls, scaled LPs, the first layer in domain
coordinates) that their planning and the cross-wall edge checks both use.

Example
-------
>>> from polyregions import Box, random_network
>>> net = random_network(2, [6], random_state=0)
>>> parts = plan_parts(net, Box([-1, -1], [1, 1]), 4)
>>> len(parts), parts[0].dim
(4, 2)
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ._validation import check_choice, check_int, check_tolerances
from .domain import Domain, Ball, Box, Polytope, Slice, WholeSpace, as_domain
from .network import as_network
from .serial import enumerate_serial
from .tolerances import Tolerances

__all__ = ["plan_parts", "make_plan", "parts_from_plan", "resolve_split", "cross_candidates",
           "check_cross_edges", "SPLITS"]


# ----------------------------------------------------------------- the parts
class _Part(Domain):
    """The parent domain intersected with the polyhedron ``{A u <= b}`` (the cut rows).

    It has the parent's ball, input map and scale; its rows are the parent's
    rows (with the ball's circumscribed box for a ball), then the cut rows.
    """

    def __init__(self, parent, A, b, index):
        self.parent = parent
        self.A_cut = np.asarray(A, dtype=np.float64).reshape(-1, parent.dim)
        self.b_cut = np.asarray(b, dtype=np.float64).reshape(-1)
        self.index = int(index)
        self.dim = parent.dim
        self.ball = parent.ball
        self.input_map = parent.input_map
        self.bounded = parent.bounded
        self._inner = None

    @classmethod
    def box(cls, parent, lo, hi, index):
        """The parent intersected with the box ``[lo, hi]`` (infinite sides give no row)."""
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        I = np.eye(parent.dim)
        up, down = np.isfinite(hi), np.isfinite(lo)
        part = cls(parent, np.vstack([I[up], -I[down]]), np.concatenate([hi[up], -lo[down]]),
                   index)
        part.lo, part.hi = lo, hi
        return part

    @property
    def halfspaces(self):
        Ap, bp = self.parent.halfspaces
        if self.ball is not None and len(bp) == 0:
            # As the engine does for a ball: its circumscribed box keeps LPs and qhull bounded.
            c, R = self.ball
            Ap = np.vstack([np.eye(self.dim), -np.eye(self.dim)])
            bp = np.concatenate([c + R, -(c - R)])
        return np.vstack([Ap, self.A_cut]), np.concatenate([bp, self.b_cut])

    @property
    def scale(self):
        return self.parent.scale

    def inscribed_ball(self):
        """Chebyshev centre and radius of the part (``None`` if it has no interior)."""
        if self._inner is None:
            from .ball import chebyshev_in_ball

            A, b = self.halfspaces
            # Solved in the parent's frame (centred, its width as unit): HiGHS's absolute
            # tolerances then mean the same at any scale (a 1e8-wide box gave it garbage).
            c, L = self._frame()
            norms = np.linalg.norm(A, axis=1)
            An, bn = A / norms[:, None], (b / norms - (A / norms[:, None]) @ c) / L
            ball = None if self.ball is None else ((self.ball[0] - c) / L, self.ball[1] / L)
            cap = np.inf if self.bounded else Tolerances().radius_cap
            res = chebyshev_in_ball(An, bn, ball=ball, radius_cap=cap)
            self._inner = (None, 0.0) if res is None or res[0] is None else (c + L * res[0], L * res[1])
        return self._inner

    def _frame(self):
        """Centre and unit of the parent domain (the frame the part's LP is solved in)."""
        L = float(self.scale) if self.scale > 0 else 1.0
        if self.ball is not None:
            return np.asarray(self.ball[0], dtype=np.float64), L
        lo, hi = getattr(self.parent, "lo", None), getattr(self.parent, "hi", None)
        if lo is not None and np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
            return 0.5 * (np.asarray(lo, dtype=np.float64) + np.asarray(hi, dtype=np.float64)), L
        return np.zeros(self.dim), L

    def sample(self, n, random_state=None):
        """Uniform points in the part's inscribed ball: strictly inside and generic."""
        rng = np.random.default_rng(random_state)
        if len(self.halfspaces[1]) == 0 and self.ball is None:
            return self.parent.sample(n, rng)  # a single part of the whole space
        c, r = self.inscribed_ball()
        if c is None:
            raise ValueError(f"part {self.index} has no interior.")
        d = rng.normal(size=(n, self.dim))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        return c + d * (0.99 * r * rng.random(n) ** (1.0 / self.dim))[:, None]

    def to_dict(self):
        return {"type": "Part", "index": self.index, "parent": self.parent.to_dict(),
                "A": self.A_cut.tolist(), "b": self.b_cut.tolist()}

    def __repr__(self):
        return f"Part({self.index}, {len(self.b_cut)} cut rows, parent={self.parent!r})"


class _BoxPart(Box):
    """A grid cell of a Box domain: itself a Box, so the subdivision engine takes it.

    It keeps the parent's scale, so tolerances mean the same lengths as in the
    serial run.
    """

    def __init__(self, parent, lo, hi, index):
        super().__init__(lo, hi)
        self.parent = parent
        self.index = int(index)

    @property
    def scale(self):
        return self.parent.scale


def _extent(domain, net):
    """A finite box ``(lo, hi)`` to cut, and whether the outer cells extend to infinity."""
    if isinstance(domain, Box):
        return domain.lo, domain.hi, False
    if isinstance(domain, Ball):
        return domain.center - domain.radius, domain.center + domain.radius, False
    if isinstance(domain, Slice):
        return domain.box.lo, domain.box.hi, False
    if isinstance(domain, Polytope):
        box = domain.bounding_box()
        return box.lo, box.hi, False
    if isinstance(domain, WholeSpace):
        # The first layer's hyperplanes cross the axes near the origin; cut
        # around them and let the outer cells run to infinity.
        W, b = net.weights[0], net.biases[0]
        dist = np.abs(b) / np.maximum(np.linalg.norm(W, axis=1), 1e-300)
        rho = 2.0 * float(np.max(dist, initial=0.0)) or 1.0
        return np.full(domain.dim, -rho), np.full(domain.dim, rho), True
    raise TypeError(f"cannot split a {type(domain).__name__} domain into parts.")


def _grid_shape(n_parts, widths):
    """Cells per axis: the most balanced grid with at least ``n_parts`` cells.

    A balanced grid has the least total cut area (a cut crosses the regions
    it meets, each of which is then enumerated twice).
    """
    k = np.ones(len(widths), dtype=int)
    while k.prod() < n_parts:
        a = int(np.argmax(widths / k))  # the axis whose cells are longest
        k[a] += 1
    return k


SPLITS = ("auto", "boxes", "first_layer")


def plan_parts(net, domain, n_parts, random_state=0, tolerances=None, split="boxes"):
    """Split ``domain`` into about ``n_parts`` convex parts.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Box, Ball, Polytope, Slice or WholeSpace
    n_parts : int
        Wanted number of parts. ``"boxes"``: the most balanced grid with at
        least this many cells; cells without interior inside the domain
        (corners of a ball's box) are dropped. ``"first_layer"``: the cells
        of the fewest first-layer hyperplanes (those nearest the domain's
        centre) that give at least this many cells, or all of them.
    random_state : int, default 0
        Draws the grid's cut positions. ``"boxes"`` cuts each axis at
        quantiles of a sample of the first layer's vertices (so each cell holds
        about as many regions: where they crowd, the cost crowds), at a random
        point between two neighbouring sampled vertices, so that a cut meets
        no vertex and no hyperplane; with too few vertices in the domain, a
        regular grid with each cut moved by up to 10 % of a cell.
    tolerances : Tolerances, optional
        A cell whose intersection with the domain is no thicker than
        ``tolerances.radius`` times the smallest local scale ``max(|x|_inf,
        lam)`` over the cell (the engine's rule) holds no region and is dropped.
    split : {"boxes", "first_layer", "auto"}, default "boxes"
        ``"boxes"`` cuts along axes: a region met by a cut is enumerated in
        every part it meets (duplicated pieces). ``"first_layer"`` cuts along
        neuron hyperplanes: every region lies in exactly one cell (no
        duplicates), and the edges between cells are decided by one LP per
        candidate pair after the parts. ``"auto"`` is ``"first_layer"``
        unless the net is degenerate (see :func:`enumerate_distributed`).

    Returns
    -------
    list of parts (convex domains), in a fixed order

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import Ball, random_network
    >>> net = random_network(2, [4], random_state=0)
    >>> len(plan_parts(net, Ball([0, 0], 1.0), 9))   # 3 x 3 grid over the ball
    9
    >>> len(plan_parts(net, Ball([0, 0], 1.0), 4, split="first_layer"))  # two lines: 4 cells
    4
    """
    net = as_network(net)
    domain = as_domain(domain, net)
    n_parts = check_int(n_parts, "n_parts", integral_float=True)
    tol = check_tolerances(tolerances)
    return make_plan(net, domain, int(n_parts), split, random_state, tol)[0]


def resolve_split(net, domain, split="auto", method="auto"):
    """The cut ``split`` means: ``"auto"`` resolved (see :func:`plan_parts`)."""
    check_choice(split, "split", SPLITS)
    return _auto_split(net, domain, method) if split == "auto" else split


def _auto_split(net, domain, method="auto"):
    """``"first_layer"`` unless the parts should be boxes.

    Boxes when the domain is a box the subdivision engine would take (its
    grid cells are boxes it takes too, and it is far faster there than the
    LP search the cells of the first layer need), and when a deeper bias is
    exactly zero: a neuron can then be identically zero on a region, and
    across a cell boundary its sign follows the facet's normal, not a single
    bit flip, which the edge check between cells does not model.
    """
    if net.n_neurons == 0:
        return "boxes"
    if method in ("auto", "subdivision") and type(domain) is Box:
        from .subdivision import choose_method

        if method == "subdivision" or choose_method(net, domain) == "subdivision":
            return "boxes"
    if any(np.any(b == 0) for b in net.biases[1:-1]):
        return "boxes"
    return "first_layer"


def make_plan(net, domain, n_parts, split, random_state, tol, method="auto"):
    """``(parts, plan)``: the parts and a JSON-ready description that rebuilds them."""
    split = resolve_split(net, domain, split, method)
    if split == "first_layer":
        parts, neurons, thin = _plan_first_layer(net, domain, n_parts, tol)
        plan = {"split": "first_layer", "neurons": neurons,
                "cells": [np.packbits(p.cell).tobytes().hex() for p in parts],
                "thin_cells": int(thin)}
        return parts, plan
    parts = _plan_boxes(net, domain, n_parts, random_state, tol)
    return parts, {"split": "boxes", "cuts": [c.tolist() for c in parts[0].cuts]}


def parts_from_plan(net, domain, plan, tol):
    if plan.get("split") == "first_layer":
        cells = [np.unpackbits(np.frombuffer(bytes.fromhex(h), dtype=np.uint8),
                               count=len(plan["neurons"])).astype(bool) for h in plan["cells"]]
        if not plan["neurons"]:
            return _plan_first_layer(net, domain, 1, tol)[0]
        return _cell_parts(net, domain, plan["neurons"], cells)
    cuts = [np.asarray(c, dtype=np.float64).reshape(-1) for c in plan["cuts"]]
    return _parts_from_cuts(domain, net, cuts, tol)


def _plan_boxes(net, domain, n_parts, random_state, tol):
    """Grid cuts at quantiles of a sample of the first layer's vertices (see :func:`plan_parts`)."""
    lo, hi, open_ends = _extent(domain, net)
    rng = np.random.default_rng(random_state)
    shape = _grid_shape(int(n_parts), hi - lo)
    # First-layer hyperplanes parallel to a cut (one non-zero weight) in domain coordinates.
    G, g = _first_layer(net, domain) if net.n_neurons else (np.zeros((0, domain.dim)), [])
    axis_planes = {}
    for i in range(len(g)):
        nz = np.flatnonzero(np.abs(G[i]) > 1e-12 * np.abs(G[i]).max(initial=0.0))
        if len(nz) == 1:
            axis_planes.setdefault(int(nz[0]), []).append(-g[i] / G[i, nz[0]])
    V = _vertex_sample(G, g, domain, lo, hi, rng)
    cuts = []
    for a, k in enumerate(shape):
        w = (hi[a] - lo[a]) / k
        v = np.unique(V[:, a])
        v = v if len(v) >= 8 * k else None
        for _ in range(100):
            if v is not None:
                c = np.array([_cut_near(v, q * len(v) // k, rng) for q in range(1, k)])
            else:
                c = lo[a] + w * (np.arange(1, k) + rng.uniform(-0.1, 0.1, k - 1))
            near = [abs(x - y) for x in c for y in axis_planes.get(a, [])]
            if len(np.unique(c)) == k - 1 and np.all((c > lo[a]) & (c < hi[a])) and (
                    not near or min(near) > 1e-6 * w):
                break
        cuts.append(np.sort(c))
    return _parts_from_cuts(domain, net, cuts, tol)


def _cut_near(v, i, rng):
    """A cut near ``v[i]`` (sorted distinct sampled coordinates): in the middle of the widest gap
    among the neighbours, so that it passes far (for the sample's density) from every vertex."""
    w = max(2, len(v) // 100)
    lo, hi = max(1, i - w), min(len(v) - 1, i + w)
    j = lo + int(np.argmax(v[lo:hi + 1] - v[lo - 1:hi]))
    return v[j - 1] + rng.uniform(0.4, 0.6) * (v[j] - v[j - 1])


def _vertex_sample(G, g, domain, lo, hi, rng, m=4000):
    """Up to ``m`` vertices of the first layer's arrangement inside the domain (random ``d``-subsets).

    Where the first layer's vertices crowd, so do the regions of the whole net
    (the deeper neurons bend on the first layer's hyperplanes): quantiles of
    this sample put about as many regions on each side of a cut.
    """
    n1, d = G.shape
    if n1 < d or d == 0:
        return np.zeros((0, d))
    if math.comb(n1, d) <= m:
        S = np.array(list(itertools.combinations(range(n1), d)), dtype=np.intp)
    else:
        S = np.argsort(rng.random((m, n1)), axis=1)[:, :d]
    M = G[S]
    scale = np.prod(np.linalg.norm(M, axis=2), axis=1)
    ok = np.abs(np.linalg.det(M)) > 1e-9 * np.maximum(scale, 1e-300)
    if not np.any(ok):
        return np.zeros((0, d))
    V = np.linalg.solve(M[ok], -np.asarray(g)[S[ok]][..., None])[..., 0]
    V = V[np.all((V > lo) & (V < hi), axis=1)]
    return V[domain.contains(V)] if len(V) else V


def _parts_from_cuts(domain, net, cuts, tol):
    """The grid cells cut at ``cuts`` (one array per axis), intersected with the domain."""
    lo, hi, open_ends = _extent(domain, net)
    lam = _offset_scale(net, domain)
    edges = []
    for a, c in enumerate(cuts):
        first, last = (-np.inf, np.inf) if open_ends else (lo[a], hi[a])
        edges.append(np.concatenate([[first], np.asarray(c, float), [last]]))
    parts = []
    for idx in itertools.product(*[range(len(e) - 1) for e in edges]):
        plo = np.array([edges[a][i] for a, i in enumerate(idx)])
        phi = np.array([edges[a][i + 1] for a, i in enumerate(idx)])
        if type(domain) is Box:
            part = _BoxPart(domain, plo, phi, len(parts))
        else:
            part = _Part.box(domain, plo, phi, len(parts))
        if domain.ball is not None or isinstance(domain, Polytope):
            # Corners of a ball's box, or cells outside a polytope, hold no region: dropped
            # only below the engine's radius threshold for every point of the cell (the
            # local scale max(|x|_inf, r, lam) is at least ``floor`` there), never by width.
            floor = max(float(np.max(np.maximum(np.maximum(plo, -phi), 0.0))), lam)
            if part.inscribed_ball()[1] <= tol.radius * floor:
                continue
            part.index = len(parts)
        part.cuts = cuts
        parts.append(part)
    return parts


# ------------------------------------------------- cells of the first layer
def _first_layer(net, domain):
    """First-layer pre-activations ``z = G u + g`` in domain coordinates."""
    n1 = net.widths[0]
    G, g = net.affine_preactivations(np.ones(net.n_neurons, dtype=bool), domain.input_map)
    return G[:n1], g[:n1]


def _offset_scale(net, domain):
    """The engine's ``lam`` (first-layer offset scale; 0 for general networks)."""
    from .network import ReLUNetwork
    from .scaling import first_layer_offset_scale

    return first_layer_offset_scale(net, domain.input_map) if isinstance(net, ReLUNetwork) else 0.0


def _domain_rows(domain):
    """The rows the engine uses for the domain (a ball gets its circumscribed box)."""
    A, b = domain.halfspaces
    if domain.ball is not None and len(b) == 0:
        c, R = domain.ball
        A = np.vstack([np.eye(domain.dim), -np.eye(domain.dim)])
        b = np.concatenate([c + R, -(c - R)])
    return A, b


def _cut_neurons(net, domain, tol):
    """First-layer neurons usable as cuts, those whose hyperplane passes nearest the centre first.

    A neuron is left out if its hyperplane is (within ``10 * coincide``) that
    of another first-layer neuron or a face of the domain: the engine would
    cross those together, which a cut cannot reproduce.
    """
    G, g = _first_layer(net, domain)
    norms = np.linalg.norm(G, axis=1)
    ok = norms > 0
    H = np.zeros((len(g), domain.dim + 1))
    H[ok] = np.hstack([G[ok], (g[ok] / domain.scale)[:, None]]) / norms[ok, None]
    Ad, bd = _domain_rows(domain)
    nd = np.linalg.norm(Ad, axis=1)
    Hd = np.hstack([Ad, -(bd / domain.scale)[:, None]]) / nd[:, None] if len(bd) else H[:0]
    lo, hi, _ = _extent(domain, net)
    centre = domain.ball[0] if domain.ball is not None else 0.5 * (lo + hi)
    dist = np.where(ok, np.abs(G @ centre + g) / np.maximum(norms, 1e-300), np.inf)
    out = []
    for k in np.argsort(dist, kind="stable"):
        if not ok[k]:
            continue
        others = np.vstack([np.delete(H, k, axis=0), Hd])
        close = np.minimum(np.max(np.abs(others - H[k]), axis=1),
                           np.max(np.abs(others + H[k]), axis=1))
        if close.size and close.min() <= 10 * tol.coincide:
            continue
        out.append(int(k))
    return out


def _cells(net, domain, neurons, tol):
    """Sign vectors of the cells of the chosen neurons' arrangement, and their thin count."""
    from .network import ReLUNetwork

    W, b = net.weights[0][neurons], net.biases[0][neurons]
    sub = ReLUNetwork.from_weights([W, np.zeros((1, len(neurons)))], [b, np.zeros(1)])
    rs = enumerate_serial(sub, domain, tolerances=tol)
    if not rs.complete:
        raise RuntimeError(f"the arrangement of {len(neurons)} cut hyperplanes was not "
                           f"enumerated ({rs.status_detail}).")
    return rs.patterns, rs.n_thin


def _cell_parts(net, domain, neurons, cells):
    """One part per cell: the domain and the chosen neurons' sign rows (as the engine writes them)."""
    from .results import pattern_rows

    G, g = _first_layer(net, domain)
    parts = []
    for s in cells:
        A, b, _ = pattern_rows(G[neurons], g[neurons], np.asarray(s, dtype=bool))
        part = _Part(domain, A, b, len(parts))
        part.neurons = list(neurons)
        part.cell = np.asarray(s, dtype=bool)
        parts.append(part)
    return parts


def _plan_first_layer(net, domain, n_parts, tol):
    """Parts = cells of the fewest first-layer hyperplanes giving at least ``n_parts`` cells."""
    neurons = _cut_neurons(net, domain, tol)
    if not neurons or n_parts <= 1:
        whole = _Part(domain, np.zeros((0, domain.dim)), np.zeros(0), 0)
        whole.neurons, whole.cell = [], np.zeros(0, dtype=bool)
        return [whole], [], 0
    for m in range(1, len(neurons) + 1):
        cells, thin = _cells(net, domain, neurons[:m], tol)
        if len(cells) >= n_parts:
            break
    return _cell_parts(net, domain, neurons[:m], cells), neurons[:m], thin


def _facet_between(net, domain, tol, p, k, x=None, y=None):
    """``(shares, by_lp)``: whether region ``p`` has a facet on neuron ``k``'s hyperplane in the domain.

    Across such a facet lies the pattern ``p`` with bit ``k`` flipped (no other
    neuron changes sign there in a generic net: the deeper neurons see
    neuron ``k`` at zero from both sides), so this decides the edges between
    two cells. The facet is ``(d-1)``-dimensional iff a ``(d-1)``-ball
    thicker than ``tolerances.empty`` times the local scale ``max(|u|_inf,
    r, lam)`` at its centre ``u`` fits in it (the engine's rule, not the
    domain's width). Without LP: where the
    segment from ``x`` (inside ``p``) to ``y`` (inside its neighbour) crosses
    the hyperplane, every row's slack over its norm bounds from below the
    radius of such a ball (a certificate, never a refusal). Otherwise one
    Chebyshev LP inside the hyperplane decides.
    """
    from .ball import chebyshev_in_ball
    from .results import pattern_rows

    G, g = net.affine_preactivations(p, domain.input_map)
    A, b, nz = pattern_rows(G, g, p, tol.zero_row)
    keep = np.flatnonzero(nz) != k
    Ad, bd = _domain_rows(domain)
    A, b = np.vstack([A[keep], Ad]), np.concatenate([b[keep], bd])
    na = float(np.linalg.norm(G[k]))
    a, beta = G[k] / na, -g[k] / na  # the hyperplane a.u = beta
    lam = _offset_scale(net, domain)

    def thick(u, r):
        return r > tol.empty * max(float(np.max(np.abs(u), initial=0.0)), r, lam)

    ball = domain.ball
    if x is not None and y is not None:
        fx, fy = float(a @ x - beta), float(a @ y - beta)
        if fx * fy < 0:
            u = x + fx / (fx - fy) * (y - x)
            r = _radius_at(A, b, u)
            if ball is not None:
                r = min(r, ball[1] - float(np.linalg.norm(u - ball[0])))
            if thick(u, r):
                return True, False
    x0 = beta * a
    # |u|_inf >= |beta| / sqrt(d) on the whole hyperplane: a floor of the local scale there.
    eps = tol.empty * max(abs(float(beta)) / math.sqrt(domain.dim), lam)
    if ball is not None:
        c, R = ball
        off = float(a @ c - beta)
        if off * off >= R * R:
            return False, False
    if domain.dim == 1:
        r = _radius_at(A, b, x0)
        if ball is not None:
            r = min(r, R - abs(off))
        return thick(x0, r), False
    N = np.linalg.svd(a[None, :])[2][1:].T  # orthonormal basis of the hyperplane's directions
    An, bn = A @ N, b - A @ x0
    row = np.linalg.norm(A, axis=1)
    par = np.linalg.norm(An, axis=1) <= 1e-12 * np.maximum(row, 1e-300)
    if np.any(bn[par] <= eps * row[par]):
        return False, False  # a row parallel to the hyperplane excludes it (or coincides)
    An, bn = An[~par], bn[~par]
    if ball is not None:
        ball = (N.T @ c, float(np.sqrt(R * R - off * off)))
    if len(bn) == 0 and ball is None:
        return True, False
    # The LP in units of the domain's width on unit rows (HiGHS's tolerances are absolute).
    L = float(domain.scale) if domain.scale > 0 else 1.0
    rn = np.linalg.norm(An, axis=1)
    An, bn = An / rn[:, None], bn / rn / L
    if ball is not None:
        ball = (ball[0] / L, ball[1] / L)
    cap = np.inf if domain.bounded else tol.radius_cap
    res = chebyshev_in_ball(An, bn, ball=ball, radius_cap=cap)
    if res is None or res[0] is None:
        return False, True
    return thick(x0 + L * (N @ res[0]), L * res[1]), True


def _radius_at(A, b, x):
    """Distance from ``x`` to the nearest row of ``{A u <= b}`` (negative outside)."""
    if len(b) == 0:
        return np.inf
    return float(np.min((b - A @ x) / np.linalg.norm(A, axis=1)))


def check_cross_edges(net, domain, tol, pairs):
    """Decide candidate edges between cells.

    ``pairs`` holds ``(packed pattern p, k, x, y)``: ``x`` and ``y`` are
    interior points of ``p`` and of ``p`` with bit ``k`` flipped. Returns
    ``(shares, n_lp)``: for each pair whether the two regions share a facet
    on neuron ``k``'s hyperplane, and how many needed an LP.
    """
    n = net.n_neurons
    out, n_lp = [], 0
    for key, k, x, y in pairs:
        p = np.unpackbits(np.asarray(key, dtype=np.uint8), count=n).astype(bool)
        yes, lp = _facet_between(net, domain, tol, p, int(k), np.asarray(x), np.asarray(y))
        out.append(bool(yes))
        n_lp += lp
    return out, n_lp


def cross_candidates(packed, n_neurons, neurons):
    """``(i, j, k)`` arrays: region ``i`` is active at cut neuron ``k`` and ``j`` is ``i`` with bit ``k`` off.

    ``packed`` are the merged regions' packed patterns in bytes order.

    >>> P = np.packbits(np.array([[0, 1], [1, 0], [1, 1]], dtype=bool), axis=1)
    >>> [a.tolist() for a in cross_candidates(P, 2, [0, 1])]
    [[2, 2], [0, 1], [0, 1]]
    """
    from .merge import find_rows

    P = np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1, count=n_neurons).astype(bool)
    I, J, K = [], [], []
    for k in neurons:
        rows = np.flatnonzero(P[:, k])
        Q = P[rows].copy()
        Q[:, k] = False
        j = find_rows(packed, np.packbits(Q, axis=1))
        I.append(rows[j >= 0])
        J.append(j[j >= 0])
        K.append(np.full(int(np.sum(j >= 0)), int(k), dtype=np.intp))
    cat = lambda a: np.concatenate(a) if a else np.zeros(0, np.intp)  # noqa: E731
    return cat(I), cat(J), cat(K)
