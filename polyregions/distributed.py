"""Scale-out: one enumeration split into coarse parts and run on a dask cluster.

The domain is cut into convex *parts*, each enumerated by the ordinary engine
through :func:`~polyregions.serial.enumerate_serial` on a dask worker,
and the parts are merged. Two ways to cut (:func:`plan_parts`):

* ``"first_layer"``: the cells of a few first-layer hyperplanes (those
  passing nearest the domain's centre). Every region lies in exactly one
  cell -- its pattern fixes those neurons' signs -- so no region is
  enumerated twice and each keeps its serial radius. The engine treats a
  cell wall as the domain's boundary, so the edges across it are decided
  after the parts: for each found region whose pattern with one cut
  neuron's bit flipped was found too, one Chebyshev LP inside that neuron's
  hyperplane says whether the shared facet is ``(d-1)``-dimensional inside
  the domain (these checks also run on the workers).
* ``"boxes"``: a grid of axis-parallel cuts at generic, slightly randomised
  positions. A region met by a cut is enumerated in every part it meets
  (*duplicated pieces*, reported in ``stats["distributed"]``); a facet inside
  the domain meets the interior of some part, whose search crosses it, so
  the parts' edges are all the edges. The cells of a :class:`Box` are boxes,
  which the subdivision engine takes, so a box it would take is cut this way.

The merge keys regions by pattern: a region met by several parts appears
once, with the largest of its certified radii (a ball inside ``region ∩
part`` lies inside ``region ∩ domain``, so any part's certificate is valid);
edges are the union, mapped to the merged indices; regions are sorted by
packed pattern, so the result does not depend on which worker finished first
and equals the serial one. Every part keeps the parent domain's
:attr:`~polyregions.domain.Domain.scale`, so all tolerances mean the same
lengths as in the serial run.

Faults: a part is a pure function of its inputs, so when a worker dies dask
reruns the part elsewhere (up to ``distributed.scheduler.allowed-failures``
times) and the merged result is unchanged. With ``resume=path`` the partial
result (an ordinary :func:`~polyregions.export.to_json` file whose stats
record the plan and the finished parts) is written as parts finish and at
the end, and a rerun with the same ``resume=path`` enumerates only the parts
not yet finished.

Example
-------
>>> import numpy as np
>>> from polyregions import Box, random_network
>>> net = random_network(2, [6], random_state=0)
>>> parts = plan_parts(net, Box([-1, -1], [1, 1]), 4)
>>> len(parts), parts[0].dim
(4, 2)
"""

from __future__ import annotations

import itertools
import math
import os
import time
import uuid
from pathlib import Path

import numpy as np

from .domain import Domain, Ball, Box, Polytope, Slice, WholeSpace, as_domain
from .export import from_json, to_json
from .network import as_network
from .results import RegionSet
from .serial import enumerate_serial
from ._validation import check_run_options
from .tolerances import Tolerances

__all__ = ["plan_parts", "enumerate_distributed", "map_batch"]

#: Seconds between two progress files written during a run with ``resume=``.
CHECKPOINT_EVERY = 30.0


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
            cap = np.inf if self.bounded else Tolerances().radius_cap * self.scale
            res = chebyshev_in_ball(A, b, ball=self.ball, radius_cap=cap)
            self._inner = (None, 0.0) if res is None or res[0] is None else res
        return self._inner

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
        Draws the grid's cut positions: each cut is moved by up to 10 % of a
        cell from the regular grid, so that it coincides with no hyperplane.
    tolerances : Tolerances, optional
        A cell whose intersection with the domain is no thicker than
        ``tolerances.radius * scale`` holds no region and is dropped.
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
    if int(n_parts) != n_parts or n_parts < 1:
        raise ValueError(f"n_parts must be a positive integer; got {n_parts!r}.")
    tol = Tolerances() if tolerances is None else tolerances
    return _plan(net, domain, int(n_parts), split, random_state, tol)[0]


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


def _plan(net, domain, n_parts, split, random_state, tol, method="auto"):
    """``(parts, plan)``: the parts and a JSON-ready description that rebuilds them."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}.")
    if split == "auto":
        split = _auto_split(net, domain, method)
    if split == "first_layer":
        parts, neurons, thin = _plan_first_layer(net, domain, n_parts, tol)
        plan = {"split": "first_layer", "neurons": neurons,
                "cells": [np.packbits(p.cell).tobytes().hex() for p in parts],
                "thin_cells": int(thin)}
        return parts, plan
    parts = _plan_boxes(net, domain, n_parts, random_state, tol)
    return parts, {"split": "boxes", "cuts": [c.tolist() for c in parts[0].cuts]}


def _parts_from_plan(net, domain, plan, tol):
    if plan.get("split") == "first_layer":
        cells = [np.unpackbits(np.frombuffer(bytes.fromhex(h), dtype=np.uint8),
                               count=len(plan["neurons"])).astype(bool) for h in plan["cells"]]
        if not plan["neurons"]:
            return _plan_first_layer(net, domain, 1, tol)[0]
        return _cell_parts(net, domain, plan["neurons"], cells)
    cuts = [np.asarray(c, dtype=np.float64).reshape(-1) for c in plan["cuts"]]
    return _parts_from_cuts(domain, net, cuts, tol)


def _plan_boxes(net, domain, n_parts, random_state, tol):
    lo, hi, open_ends = _extent(domain, net)
    rng = np.random.default_rng(random_state)
    shape = _grid_shape(int(n_parts), hi - lo)
    # First-layer hyperplanes parallel to a cut (one non-zero weight) in domain coordinates.
    G, g = net.affine_preactivations(np.ones(net.n_neurons, bool), domain.input_map)
    n1 = net.widths[0] if net.n_neurons else 0
    axis_planes = {}
    for i in range(n1):
        nz = np.flatnonzero(np.abs(G[i]) > 1e-12 * np.abs(G[i]).max(initial=0.0))
        if len(nz) == 1:
            axis_planes.setdefault(int(nz[0]), []).append(-g[i] / G[i, nz[0]])
    cuts = []
    for a, k in enumerate(shape):
        w = (hi[a] - lo[a]) / k
        for _ in range(100):
            c = lo[a] + w * (np.arange(1, k) + rng.uniform(-0.1, 0.1, k - 1))
            near = [abs(x - y) for x in c for y in axis_planes.get(a, [])]
            if not near or min(near) > 1e-6 * w:
                break
        cuts.append(np.sort(c))
    return _parts_from_cuts(domain, net, cuts, tol)


def _parts_from_cuts(domain, net, cuts, tol):
    """The grid cells cut at ``cuts`` (one array per axis), intersected with the domain."""
    lo, hi, open_ends = _extent(domain, net)
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
            # Corners of a ball's box, or cells outside a polytope, hold no region.
            if part.inscribed_ball()[1] <= tol.radius * domain.scale:
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


def _facet_between(net, domain, tol, p, k):
    """Whether region ``p`` has a facet on neuron ``k``'s hyperplane inside the domain.

    Across such a facet lies the pattern ``p`` with bit ``k`` flipped (no other
    neuron changes sign there in a generic net), so this decides the edges
    between two cells. One Chebyshev LP inside the hyperplane: the facet is
    ``(d-1)``-dimensional iff a ``(d-1)``-ball fits in it.
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
    x0 = beta * a
    eps = tol.empty * domain.scale
    ball = domain.ball
    if ball is not None:
        c, R = ball
        off = float(a @ c - beta)
        if off * off >= R * R:
            return False
    if domain.dim == 1:
        r = _radius_at(A, b, x0)
        if ball is not None:
            r = min(r, R - abs(off))
        return r > eps
    N = np.linalg.svd(a[None, :])[2][1:].T  # orthonormal basis of the hyperplane's directions
    An, bn = A @ N, b - A @ x0
    row = np.linalg.norm(A, axis=1)
    par = np.linalg.norm(An, axis=1) <= 1e-12 * np.maximum(row, 1e-300)
    if np.any(bn[par] <= eps * row[par]):
        return False  # a row parallel to the hyperplane excludes it (or coincides: non-generic)
    An, bn = An[~par], bn[~par]
    if ball is not None:
        ball = (N.T @ c, float(np.sqrt(R * R - off * off)))
    if len(bn) == 0 and ball is None:
        return True
    cap = np.inf if domain.bounded else tol.radius_cap * domain.scale
    res = chebyshev_in_ball(An, bn, ball=ball, radius_cap=cap)
    return res is not None and res[0] is not None and res[1] > eps


def _radius_at(A, b, x):
    """Distance from ``x`` to the nearest row of ``{A u <= b}`` (negative outside)."""
    if len(b) == 0:
        return np.inf
    return float(np.min((b - A @ x) / np.linalg.norm(A, axis=1)))


def _check_cross_edges(net, domain, tol, pairs):
    """For each ``(packed pattern, k)``: does the region share a facet on neuron ``k``'s hyperplane."""
    n = net.n_neurons
    out = []
    for key, k in pairs:
        p = np.unpackbits(np.frombuffer(key, dtype=np.uint8), count=n).astype(bool)
        out.append(bool(_facet_between(net, domain, tol, p, k)))
    return out


def _cross_candidates(keys, n, neurons):
    """``(key, k)`` for each found region active at cut neuron ``k`` whose flip at ``k`` was found too."""
    if not keys:
        return []
    P = np.array([np.unpackbits(np.frombuffer(x, dtype=np.uint8), count=n) for x in keys],
                 dtype=bool)
    found = set(keys)
    out = []
    for k in neurons:
        rows = np.flatnonzero(P[:, k])
        Q = P[rows].copy()
        Q[:, k] = False
        for i, q in zip(rows, np.packbits(Q, axis=1)):
            if q.tobytes() in found:
                out.append((keys[i], int(k)))
    return out


# ------------------------------------------------------------- on a worker
def _run_part(net, part, kwargs):
    """Enumerate one part (this runs on a worker); return plain arrays."""
    t_cpu = time.thread_time()
    rs = enumerate_serial(net, part, **kwargs)
    return {
        "index": part.index,
        "keys": [np.packbits(p).tobytes() for p in rs.patterns],
        "points": rs.interior_points,
        "radii": rs.radii,
        "edges": rs.edges,
        "edge_neurons": rs.edge_neurons,
        "finished": rs.stop_reason is None or rs.stop_reason == "undecided",
        "stop_reason": rs.stop_reason,
        "n_thin": rs.n_thin,
        "n_merged": getattr(rs, "n_merged", 0),
        "n_undecided": getattr(rs, "n_undecided", 0),
        "lp_calls": rs.stats.get("lp_calls", 0),
        "cpu_seconds": time.thread_time() - t_cpu,
        "seconds": rs.stats.get("seconds", 0.0),
        "worker": os.getpid(),
    }


# ----------------------------------------------------------------- merging
class _Merge:
    """Running union of part results, keyed by packed pattern."""

    def __init__(self):
        self.index = {}  # key -> position in the lists below
        self.keys, self.points, self.radii = [], [], []
        self.edges = {}  # frozenset of two keys -> neurons
        self.pieces = 0
        self.seconds = 0.0
        self.n_thin = self.n_merged = self.n_undecided = self.lp_calls = 0

    def add(self, keys, points, radii, edges, edge_neurons):
        t = time.perf_counter()
        self.pieces += len(keys)
        for key, x, r in zip(keys, points, radii):
            i = self.index.get(key)
            if i is None:
                self.index[key] = len(self.keys)
                self.keys.append(key)
                self.points.append(np.asarray(x, dtype=np.float64))
                self.radii.append(float(r))
            elif r > self.radii[i]:
                # Keep the largest certified ball: deterministic whatever the finishing order.
                self.points[i], self.radii[i] = np.asarray(x, dtype=np.float64), float(r)
        for (a, c), neurons in zip(np.asarray(edges).reshape(-1, 2).tolist(), edge_neurons):
            # Where several neurons vanish on one facet, the two sides may each see a
            # different subset of them: keep the union, whichever part reported first.
            pair = frozenset((keys[a], keys[c]))
            old = self.edges.get(pair, ())
            self.edges[pair] = tuple(sorted(set(old) | {int(k) for k in neurons}))
        self.seconds += time.perf_counter() - t

    def result(self, net, domain, tol, complete, stop_reason, stats):
        t = time.perf_counter()
        n, dim = net.n_neurons, domain.dim
        order = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        rank = {self.keys[old]: new for new, old in enumerate(order)}
        patterns = np.array(
            [np.unpackbits(np.frombuffer(self.keys[i], dtype=np.uint8), count=n) for i in order],
            dtype=bool).reshape(-1, n)
        points = np.array([self.points[i] for i in order]).reshape(-1, dim)
        radii = np.array([self.radii[i] for i in order])
        e_list, e_neurons = [], []
        for pair, neurons in self.edges.items():
            a, c = tuple(pair)
            i, j = rank[a], rank[c]
            e_list.append((min(i, j), max(i, j)))
            e_neurons.append(neurons)
        order = np.lexsort(np.array(e_list).T[::-1]) if e_list else []
        self.seconds += time.perf_counter() - t
        stats = dict(stats)
        stats["distributed"] = dict(stats.get("distributed", {}), merge_seconds=self.seconds,
                                    pieces=self.pieces,
                                    duplicated_pieces=self.pieces - len(self.keys))
        return RegionSet(net, domain, patterns, points, radii, [e_list[i] for i in order],
                         [e_neurons[i] for i in order], complete, stop_reason, self.n_thin,
                         tol, stats, n_merged=self.n_merged, n_undecided=self.n_undecided)


# ----------------------------------------------------------------- the run
def _connect(client, n_jobs):
    """``(client, owned_objects)``: a Client for ``client``, starting a LocalCluster for ``None``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            "client= needs dask.distributed: pip install 'polyregions[distributed]'."
        ) from None
    if isinstance(client, Client):
        return client, []
    if isinstance(client, str):
        c = Client(client)
        return c, [c]
    if client is None:
        cluster = LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        c = Client(cluster)
        return c, [c, cluster]
    raise TypeError(
        f"client must be None, a dask.distributed.Client or a scheduler address like "
        f"'tcp://host:8786'; got {type(client).__name__}."
    )


def _n_workers(client):
    info = client.scheduler_info()
    return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))


def _load_checkpoint(path, net, domain, tol):
    """The saved partial result and its plan, or ``None`` if ``path`` does not exist yet."""
    if not Path(path).exists():
        return None
    saved = from_json(path, network=net)
    plan = saved.stats.get("distributed")
    if not isinstance(plan, dict) or plan.get("split") not in ("boxes", "first_layer"):
        raise ValueError(
            f"{path} is not a progress file of a distributed run (no plan in its stats); "
            "resume needs the file a run with resume= wrote."
        )
    if saved.domain.to_dict() != domain.to_dict():
        raise ValueError(f"{path} was written for the domain {saved.domain!r}, not {domain!r}.")
    if saved.tolerances.to_dict() != tol.to_dict():
        raise ValueError(f"{path} was written with other tolerances ({saved.tolerances}).")
    return saved, plan


def _save_checkpoint(path, rs):
    tmp = Path(str(path) + ".tmp")
    to_json(rs, tmp)
    os.replace(tmp, path)


def enumerate_distributed(net, domain=None, *, client=None, n_jobs=1, n_parts=None,
                          max_regions=None, time_limit=None, progress=False, random_state=0,
                          tolerances=None, resume=None, split="auto", **engine_kwargs):
    """Enumerate the regions of ``net`` in ``domain`` on a dask cluster, part by part.

    This is what ``enumerate_regions(..., client=...)`` (or ``resume=...``) runs.

    Parameters
    ----------
    net, domain, max_regions, time_limit, progress, random_state, tolerances
        As in :func:`~polyregions.enumeration.enumerate_regions`. Budgets hold
        across the cluster: parts are handed out while the budget lasts, each
        with what is left of it, and the run stops when the merged count or
        the time is spent (the result is then a lower bound).
    client : None, dask.distributed.Client or str
        A client, or a scheduler address (``"tcp://host:8786"``). ``None``
        starts a ``LocalCluster`` of ``n_jobs`` single-threaded worker
        processes for this call.
    n_jobs : int, default 1
        Workers of the ``LocalCluster`` when ``client`` is ``None``.
    n_parts : int, optional
        Parts to split the domain into; default four per worker thread, so
        that dask can balance parts of unequal size.
    split : {"auto", "first_layer", "boxes"}, default "auto"
        How to cut the domain (:func:`plan_parts`). ``"auto"`` takes the
        cells of first-layer hyperplanes (no duplicated pieces; the edges
        between cells cost one LP per candidate pair, run on the workers
        after the parts) unless a hidden bias after the first layer is
        exactly zero, where a neuron can vanish on a whole region and the
        pattern across a cell wall is not a single flip; then axis cuts.
    resume : str or Path, optional
        Progress file. If it exists, the parts it records as finished are
        not run again; the merged partial result is written to it as parts
        finish (every :data:`CHECKPOINT_EVERY` seconds) and at the end, so an
        interrupted run can be resumed with the same call.
    **engine_kwargs
        Passed to ``enumerate_regions`` for each part (e.g. ``method=``).

    Returns
    -------
    RegionSet
        Regions sorted by packed pattern; ``stats["distributed"]`` holds the
        plan, ``n_parts``, ``pieces``, ``duplicated_pieces``, the merge time and
        the CPU seconds spent in each worker.
    """
    net = as_network(net)
    domain = as_domain(domain, net)
    tol, n_jobs = check_run_options(tolerances, max_regions, time_limit, n_jobs)
    if n_parts is not None and (int(n_parts) != n_parts or n_parts < 1):
        raise ValueError(f"n_parts must be a positive integer; got {n_parts!r}.")
    if engine_kwargs.pop("seed_point", None) is not None:
        raise ValueError("seed_point does not apply to a distributed run (each part draws its "
                         "own seed); drop it or run without client=/resume=.")
    t_start = time.perf_counter()
    base_seed = int(np.random.default_rng(random_state).integers(2**31))

    client, owned = _connect(client, int(n_jobs))
    try:
        n_workers = _n_workers(client)
        saved = _load_checkpoint(resume, net, domain, tol) if resume is not None else None
        merge = _Merge()
        if saved is not None:
            rs_saved, info = saved
            parts = _parts_from_plan(net, domain, info, tol)
            if len(parts) != info.get("n_parts"):
                raise ValueError(f"{resume} records {info.get('n_parts')} parts but its plan "
                                 f"gives {len(parts)}: the file was edited.")
            plan = {k: info[k] for k in ("split", "cuts", "neurons", "cells", "thin_cells")
                    if k in info}
            done = set(info["done"])
            keys = [np.packbits(p).tobytes() for p in rs_saved.patterns]
            merge.add(keys, rs_saved.interior_points, rs_saved.radii, rs_saved.edges,
                      rs_saved.edge_neurons)
            merge.pieces = int(info.get("pieces", merge.pieces))
            merge.n_thin = rs_saved.n_thin
            merge.n_merged = int(info.get("n_merged", 0))
            merge.n_undecided = int(info.get("n_undecided", 0))
            merge.lp_calls = int(rs_saved.stats.get("lp_calls") or 0)
            cpu = {int(k): v for k, v in info.get("cpu_seconds", {}).items()}
        else:
            if n_parts is None:
                n_parts = 4 * n_workers if n_workers > 1 else 1
            parts, plan = _plan(net, domain, int(n_parts), split, base_seed, tol,
                                engine_kwargs.get("method", "auto"))
            merge.n_thin += plan.get("thin_cells", 0)
            done = set()
            cpu = {}
        todo = [p for p in parts if p.index not in done]

        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(parts), initial=len(done), unit=" parts", desc="enumerating",
                       dynamic_ncols=True)

        def stats_now():
            return {
                "seconds": time.perf_counter() - t_start,
                "frontier": len(parts) - len(done),
                "lp_calls": merge.lp_calls,
                "distributed": {
                    **plan, "n_parts": len(parts), "done": sorted(done), "parts_run": parts_run, "n_workers": n_workers,
                    "pieces": merge.pieces,
                    "n_merged": merge.n_merged, "n_undecided": merge.n_undecided,
                    "cpu_seconds": {str(k): v for k, v in sorted(cpu.items())},
                    "part_cpu_seconds": {str(k): v for k, v in sorted(part_cpu.items())},
                    **cross,
                },
            }

        def partial():
            return merge.result(net, domain, tol, False, stop_reason or "interrupted", stats_now())

        def absorb(fut):
            """Merge a finished part; return its stop reason if a budget stopped it."""
            part = pending.pop(fut)
            out = fut.result()  # re-raises a part's exception here
            merge.add(out["keys"], out["points"], out["radii"], out["edges"], out["edge_neurons"])
            merge.n_thin += out["n_thin"]
            merge.n_merged += out["n_merged"]
            merge.n_undecided += out["n_undecided"]
            merge.lp_calls += out["lp_calls"]
            cpu[out["worker"]] = cpu.get(out["worker"], 0.0) + out["cpu_seconds"]
            part_cpu[part.index] = out["cpu_seconds"]
            if bar is not None:
                bar.update(1)
                bar.set_postfix(regions=len(merge.keys), refresh=False)
            if out["finished"]:
                done.add(part.index)
                return None
            return out["stop_reason"]

        parts_run = 0
        part_cpu = {}
        cross = {}
        run_id = uuid.uuid4().hex[:8]
        pending = {}
        stop_reason = None
        last_save = time.perf_counter()
        error = None
        try:
            queue = list(todo)
            # Without a budget every part can be queued at once; with one, parts are handed
            # out two per worker so that each starts with what is left of the budget.
            in_flight = len(queue) if max_regions is None and time_limit is None else 2 * n_workers
            while queue or pending:
                stop_reason = _budget_spent(max_regions, len(merge.keys), time_limit, t_start)
                if stop_reason:
                    break
                while queue and len(pending) < in_flight:
                    part = queue.pop(0)
                    kw = dict(engine_kwargs, tolerances=tol,
                              random_state=base_seed + part.index)
                    if max_regions is not None:
                        kw["max_regions"] = max(1, max_regions - len(merge.keys))
                    if time_limit is not None:
                        kw["time_limit"] = max(1e-3, time_limit - (time.perf_counter() - t_start))
                    fut = client.submit(_run_part, net, part, kw, pure=False,
                                        key=f"polyregions-part-{run_id}-{part.index}")
                    pending[fut] = part
                    parts_run += 1
                _wait(pending, 0.25)
                for fut in [f for f in pending if f.done()]:
                    reason = absorb(fut)
                    stop_reason = stop_reason or reason
                if resume is not None and time.perf_counter() - last_save > CHECKPOINT_EVERY:
                    _save_checkpoint(resume, partial())
                    last_save = time.perf_counter()
                if stop_reason:
                    break
            if stop_reason == "time_limit" and pending:
                # Parts started with what was left of the time stop about now: keep their regions.
                _wait(pending, min(5.0, 0.1 * time_limit), all_=True)
                for fut in [f for f in pending if f.done()]:
                    absorb(fut)
            if len(done) == len(parts) and plan.get("neurons"):
                cross = _cross_edges(client, net, domain, tol, merge, plan["neurons"],
                                     n_workers, run_id, cpu)
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        except BaseException as exc:  # a part failed: keep what finished, then re-raise
            error = exc
            stop_reason = "solver_error"
        finally:
            for fut in pending:
                fut.cancel()
            if bar is not None:
                bar.close()
        complete = len(done) == len(parts)
        if complete:
            stop_reason = None
        elif stop_reason is None:
            stop_reason = "interrupted"
        stats = stats_now()
        rs = merge.result(net, domain, tol, complete, stop_reason, stats)
        if resume is not None:
            _save_checkpoint(resume, rs)
        if error is not None:
            raise error
        return rs
    finally:
        for obj in owned:
            obj.close()


def _cross_edges(client, net, domain, tol, merge, neurons, n_workers, run_id, cpu):
    """Add the edges between cells (across the cut neurons' hyperplanes); return their stats."""
    t = time.perf_counter()
    cand = [c for c in _cross_candidates(merge.keys, net.n_neurons, neurons)
            if not _known_edge(merge, c)]
    chunks = max(1, min(4 * n_workers, len(cand) // 64))
    batches = [cand[i::chunks] for i in range(chunks)]
    futures = [client.submit(_check_cross_edges_timed, net, domain, tol, b, pure=False,
                             key=f"polyregions-edges-{run_id}-{i}")
               for i, b in enumerate(batches) if b]
    n_edges = 0
    for fut, batch in zip(futures, [b for b in batches if b]):
        ok, seconds, worker = fut.result()
        cpu[worker] = cpu.get(worker, 0.0) + seconds
        for (key, k), yes in zip(batch, ok):
            if yes:
                n = net.n_neurons
                p = np.unpackbits(np.frombuffer(key, dtype=np.uint8), count=n)
                p[k] = 0 if p[k] else 1
                merge.edges.setdefault(frozenset((key, np.packbits(p).tobytes())), (int(k),))
                n_edges += 1
    return {"cross_candidates": len(cand), "cross_edges": n_edges,
            "cross_seconds": time.perf_counter() - t}


def _known_edge(merge, cand):
    key, k = cand
    p = np.unpackbits(np.frombuffer(key, dtype=np.uint8))
    p[k] ^= 1
    return frozenset((key, np.packbits(p).tobytes())) in merge.edges


def _check_cross_edges_timed(net, domain, tol, pairs):
    t = time.thread_time()
    ok = _check_cross_edges(net, domain, tol, pairs)
    return ok, time.thread_time() - t, os.getpid()


def map_batch(fn, tasks, client, progress=False):
    """``[fn(*t) for t in tasks]`` as dask tasks, in order; a task that raises gives a failed row.

    The backend of ``count_regions_batch(..., client=...)``: ``fn`` is
    :func:`~polyregions.batch.count_one_domain`, which never raises itself,
    so an exception here means the task was lost (dask gives up on a task
    after ``distributed.scheduler.allowed-failures`` worker deaths).

    >>> map_batch(max, [(1, 2)], client=3)
    Traceback (most recent call last):
    ...
    TypeError: client must be None, a dask.distributed.Client or a scheduler address like 'tcp://host:8786'; got int.
    """
    client, owned = _connect(client, 1)
    bar = None
    try:
        from distributed import as_completed

        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(tasks), desc="domains", unit="domain")
        run_id = uuid.uuid4().hex[:8]
        futures = [client.submit(fn, *t, pure=False, key=f"polyregions-batch-{run_id}-{i}")
                   for i, t in enumerate(tasks)]
        where = {f.key: i for i, f in enumerate(futures)}
        results = [None] * len(tasks)
        for fut in as_completed(futures):
            try:
                results[where[fut.key]] = fut.result()
            except Exception as exc:  # the task was lost (workers kept dying) or raised
                results[where[fut.key]] = (0, "failed", f"{type(exc).__name__}: {exc}", None,
                                           math.nan)
            if bar is not None:
                bar.update()
        return results
    finally:
        if bar is not None:
            bar.close()
        for obj in owned:
            obj.close()


def _budget_spent(max_regions, n_found, time_limit, t_start):
    if max_regions is not None and n_found >= max_regions:
        return "max_regions"
    if time_limit is not None and time.perf_counter() - t_start > time_limit:
        return "time_limit"
    return None


def _wait(pending, timeout, all_=False):
    from distributed import wait

    if pending:
        try:
            wait(list(pending), timeout=timeout,
                 return_when="ALL_COMPLETED" if all_ else "FIRST_COMPLETED")
        except Exception:  # dask raises its own TimeoutError class
            pass
