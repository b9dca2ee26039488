"""Geometry of the activation regions of a :class:`~polyregions.RegionSet`.

Every region is available as an H-representation ``{u : A u <= b}`` inside
the domain's polyhedral part (:meth:`RegionSet.halfspaces`) together with a
certified interior point and radius. From those this module computes, per
region, the volume, inradius, diameter, facet and vertex counts and
boundedness (:func:`region_geometry`, :func:`geometry_table`), and the
outline of a region of a 2-D run (:func:`region_polygon`,
:func:`region_outline`, which plots use).

The computations over plain ``(A, b)`` arrays -- vertices, volumes, clipping
by a ball -- are the kernel :mod:`polyregions.polytope`; the self-checks
(volume sum, Euler characteristic, :func:`verify`) are
:mod:`polyregions.verification`. Both are re-exported here, where they used
to live.

Ball domains
------------
Inside a ball a region is ``P ∩ B`` with ``P`` a polyhedron; its vertices do
not describe it. In 1-D the ball is an interval and everything is exact. In
2-D the area of ``P ∩ B`` is exact (closed form, see
:mod:`polyregions.polytope`). Diameters in 2-D are taken over the region
with its arcs sampled every :data:`ARC_STEP` radians, which underestimates
them by less than ``R * ARC_STEP**2 / 4`` (about ``6e-7 R``). In three or
more dimensions the volume is a Monte Carlo estimate and the diameter and
vertex count are not defined (``nan`` and ``-1``).

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box, enumerate_regions
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
>>> geometry_table(rs)["volume"].tolist()
[1.0, 1.0, 1.0, 1.0]
>>> euler_characteristic_2d(rs).chi
1
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_int, check_random_state
from .ball import facet_meets_ball
from .lp import chebyshev_ball, facet_rows, is_bounded
from .polytope import (
    ARC_STEP,
    MAX_EXACT_DIM,
    UnboundedRegionError,
    VolumeEstimate,
    clip_polygon_to_disc,
    clip_rows_to_ball,
    distinct_rows,
    finite_vertices,
    monte_carlo_volume,
    polytope_vertices,
    region_vertices,
    region_volume,
)
from .results import region_halfspaces
from .verification import (
    EulerCheck,
    VerificationReport,
    VolumeCheck,
    check_volumes,
    euler_characteristic_2d,
    check_certificate,
    verify,
)

__all__ = [
    "MAX_EXACT_DIM",
    "ARC_STEP",
    "UnboundedRegionError",
    "VolumeEstimate",
    "RegionGeometry",
    "RegionOutline",
    "VolumeCheck",
    "EulerCheck",
    "VerificationReport",
    "region_vertices",
    "region_volume",
    "region_polygon",
    "region_outline",
    "region_geometry",
    "geometry_table",
    "require_2d",
    "arrangement_window",
    "check_volumes",
    "euler_characteristic_2d",
    "verify",
]


@dataclass(frozen=True, eq=False)
class RegionGeometry:
    """Geometry of one region (see :func:`region_geometry`).

    Attributes
    ----------
    index : int
    dim : int
    volume : float
        ``inf`` for an unbounded region.
    volume_stderr : float
        ``0.0`` unless ``volume_method == "monte_carlo"``.
    volume_method : str
        ``"exact"``, ``"disc_exact"``, ``"monte_carlo"`` or ``"unbounded"``.
    inradius : float
        The certified radius of the enumeration: a ball of this radius around
        the interior point lies in the region (a lower bound on the true
        inradius, equal to it up to the LP's tolerance). In a whole-space run
        the engine caps radii (at ``stats["radius_cap"]``); a region
        that reaches the cap is re-solved without it here, so this is ``inf``
        for a region holding arbitrarily large balls (a half-plane, a wedge)
        and the true finite value otherwise (a wide strip).
    diameter : float
        Largest distance between two vertices (``inf`` if unbounded; ``nan``
        for a ball domain in three or more dimensions and above
        ``max_exact_dim`` dimensions, where vertices are not enumerated).
    n_facets : int
        Flat facets inside the domain, the domain's own sides included; the
        curved part of a ball's boundary is not counted.
    n_vertices : int
        Finite vertices (for a 2-D ball: corners, i.e. polygon vertices inside
        the disc and points where an edge meets the circle); ``-1`` when not
        computed (ball domains in three or more dimensions, and above
        ``max_exact_dim`` dimensions).
    bounded : bool
    vertices : ndarray or None
        The vertices counted by ``n_vertices`` (read-only), ``None`` if not
        defined.
    """

    index: int
    dim: int
    volume: float
    volume_stderr: float
    volume_method: str
    inradius: float
    diameter: float
    n_facets: int
    n_vertices: int
    bounded: bool
    vertices: np.ndarray | None


@dataclass(frozen=True, eq=False)
class RegionOutline:
    """A region of a 2-D run as drawn (see :func:`region_outline`).

    Attributes
    ----------
    polygon : ndarray, shape (k, 2)
        Counter-clockwise boundary, arcs of a ball sampled (empty if the
        region misses the clip box).
    corners : ndarray, shape (c, 2)
        Polygon vertices, and for a ball the points where an edge meets the
        circle.
    n_edges : int
        Flat edges.
    A, b : ndarray
        The rows the polygon was cut from (region, domain, helper boxes).
    owner : ndarray of int
        Per row: the neuron, ``-1`` for the domain's rows, ``-2`` for rows
        added here (the ball's helper box, the clip box).
    """

    polygon: np.ndarray
    corners: np.ndarray
    n_edges: int
    A: np.ndarray
    b: np.ndarray
    owner: np.ndarray


# --------------------------------------------------------------- helpers
def _region_rows(rs, i):
    """``(A, b, owner, x0)`` of region ``i``, after checking that its certificate is inside."""
    A, b, owner = region_halfspaces(rs.network, rs.domain, rs.patterns[i],
                                    rs.tolerances.zero_row)
    x0 = rs.interior_points[i]
    check_certificate(A, b, x0, i)
    return A, b, owner, x0


def require_2d(rs, what):
    """Raise a ``ValueError`` saying how to get a 2-D run unless ``rs`` is on a 2-D domain."""
    if rs.domain.dim != 2:
        raise ValueError(
            f"{what} needs a 2-D domain; this run is {rs.domain.dim}-D. Enumerate a 2-D slice "
            "instead, e.g. Slice.plane(origin, d1, d2) or Slice.through_points(p0, p1, p2)."
        )


def _clip_rows(clip, n):
    from .domain import Box

    if isinstance(clip, Box):
        return clip.halfspaces
    lo, hi = clip
    return Box(lo, hi).halfspaces


def arrangement_window(rs, pad=0.25):
    """``(lo, hi)`` of a box around the finite vertices of a whole-space arrangement.

    Padded by ``pad`` times its size; without vertices (parallel lines), a
    box around the interior points.
    """
    pts = []
    for i in range(rs.n_regions):
        A, b, _ = region_halfspaces(rs.network, rs.domain, rs.patterns[i],
                                    rs.tolerances.zero_row)
        if len(b):
            pts.append(finite_vertices(A, b, rs.interior_points[i], 1e-9))
    pts = np.vstack(pts + [np.zeros((0, rs.domain.dim))])
    if len(pts) < 2:
        pts = np.vstack([pts, rs.interior_points])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = float(np.max(hi - lo))
    margin = pad * span if span > 0 else 1.0
    return lo - margin, hi + margin


def region_outline(rs, i, *, clip=None, arc_step=ARC_STEP):
    """Region ``i`` of a 2-D run as drawn: polygon, corners and the rows it came from.

    See :func:`region_polygon` for the parameters; this also returns what a
    plot needs to attribute each edge to a neuron (:class:`RegionOutline`).

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> o = region_outline(enumerate_regions(net, Box([-1, -1], [1, 1])), 0)
    >>> o.polygon.shape, o.n_edges, o.owner.tolist()
    ((4, 2), 4, [0, -1, -1, -1, -1])
    """
    require_2d(rs, "region_outline")
    dom = rs.domain
    A, b, owner, x0 = _region_rows(rs, i)
    empty = np.zeros((0, 2))
    n_own = len(b)
    if dom.ball is not None:
        A, b, _, _ = clip_rows_to_ball(A, b, dom.ball)
    if clip is not None:
        Ac, bc = _clip_rows(clip, 2)
        A, b = np.vstack([A, Ac]), np.concatenate([b, bc])
    owner = np.concatenate([owner, np.full(len(b) - n_own, -2)])
    if clip is not None and np.min(b - A @ x0) <= 0:
        # The interior point is outside the clip box: find one inside, if any.
        res = chebyshev_ball(A, b, radius_cap=np.inf)
        if res is None or res[0] is None or res[1] <= 0:
            return RegionOutline(empty, empty, 0, A, b, owner)
        x0 = res[0]
    try:
        if dom.bounded or dom.ball is not None or clip is not None:
            V = polytope_vertices(A, b, x0)
        else:
            V = region_vertices(A, b, x0)
    except UnboundedRegionError:
        raise UnboundedRegionError(
            f"region {i} is unbounded; pass clip=Box(lo, hi) (or (lo, hi)) to draw it."
        ) from None
    if dom.ball is not None:
        cut = clip_polygon_to_disc(V, *dom.ball)
        poly, corners = cut.outline(arc_step)
        return RegionOutline(poly, corners, cut.n_edges, A, b, owner)
    return RegionOutline(V, V, len(V), A, b, owner)


def region_polygon(rs, i, *, clip=None, arc_step=ARC_STEP):
    """Boundary of region ``i`` of a 2-D run as a counter-clockwise polygon.

    Parameters
    ----------
    rs : RegionSet
        A run on a 2-D domain (a 2-D box, ball, polytope, slice or plane).
    i : int
    clip : Box or (lo, hi), optional
        Intersect with this box; needed for unbounded regions of whole-space
        runs. Returns an empty array if the region misses the box.
    arc_step : float, default :data:`ARC_STEP`
        For ball domains: the circular part is sampled every ``arc_step``
        radians (the polygon is inscribed in the true region).

    Returns
    -------
    ndarray, shape (k, 2)
        Domain coordinates (``u`` for slices).

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    >>> region_polygon(rs, 0).shape
    (4, 2)
    """
    require_2d(rs, "region_polygon")
    return region_outline(rs, i, clip=clip, arc_step=arc_step).polygon


# --------------------------------------------------------------- geometry
def region_geometry(rs, i, *, n_samples=20_000, random_state=0, max_exact_dim=MAX_EXACT_DIM):
    """Volume, inradius, diameter, facet and vertex counts of region ``i``.

    Parameters
    ----------
    rs : RegionSet
    i : int
    n_samples : int, default 20000
        Monte Carlo points (only where the volume is estimated).
    random_state : int or numpy Generator, default 0
        A deterministic report by default, like :func:`geometry_table`,
        whose row ``0`` this is (the table shares one generator across
        regions, so its later rows use later draws).
    max_exact_dim : int

    Returns
    -------
    RegionGeometry

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> g = region_geometry(enumerate_regions(net, Box([-1, -1], [1, 1])), 0)
    >>> g.volume, g.n_vertices, g.n_facets, round(g.diameter, 12)
    (2.0, 4, 4, 2.2360679775)
    """
    from scipy.spatial import ConvexHull
    from scipy.spatial.distance import pdist

    if not 0 <= int(i) < rs.n_regions:
        raise IndexError(f"region index {i} out of range for {rs.n_regions} regions.")
    i = int(i)
    dom = rs.domain
    n = dom.dim
    radius = float(rs.radii[i])
    rng = check_random_state(random_state)
    check_int(n_samples, "n_samples")

    def result(volume, V, diameter, n_facets, bounded=True):
        if V is not None:
            V = np.array(V)
            V.setflags(write=False)
        return RegionGeometry(i, n, volume.value, volume.stderr, volume.method, radius, diameter,
                              int(n_facets), -1 if V is None else len(V), bounded, V)

    A, b, owner, x0 = _region_rows(rs, i)
    cap = rs.stats.get("radius_cap", rs.tolerances.radius_cap * dom.scale)
    if not dom.bounded and radius >= cap * (1 - 1e-12):
        # The engine's radius is min(true radius, cap): solve again without the cap.
        res = chebyshev_ball(A, b, radius_cap=np.inf) if len(b) else (None, math.inf)
        if res is not None:
            radius = math.inf if res[0] is None else max(radius, float(res[1]))
    ball = dom.ball
    if ball is not None:
        A, b, ball, k = clip_rows_to_ball(A, b, ball)
        # In 1-D the added rows are the ball itself (a domain side), else a helper box.
        owner = np.concatenate([owner, np.full(k, -1 if ball is None else -2)])
        if n == 2:
            cut = clip_polygon_to_disc(polytope_vertices(A, b, x0), *ball)
            poly, corners = cut.outline(ARC_STEP)
            volume = VolumeEstimate(cut.area, 0.0, "disc_exact")
            return result(volume, corners, float(pdist(poly).max()), cut.n_edges)

    keep = distinct_rows(A, b)
    rows = keep[facet_rows(A[keep], b[keep], x0)] if len(keep) else keep
    if ball is not None:
        # Only flat facets that reach into the open ball bound the region.
        rows = [j for j in rows if owner[j] >= 0 and facet_meets_ball(A, b, j, *ball)]
    n_facets = len(rows)

    if ball is not None:  # 3-D and up: no vertex description
        volume = monte_carlo_volume(A, b, ball, n_samples, rng)
        return result(volume, None, math.nan, n_facets)
    if not dom.bounded and not (len(b) and is_bounded(A)):
        V = finite_vertices(A, b, x0, 1e-9)
        return result(VolumeEstimate(math.inf, 0.0, "unbounded"), V, math.inf, n_facets, False)
    if n > max_exact_dim:
        # Vertex counts can explode with the dimension: no vertex-based quantities here.
        return result(monte_carlo_volume(A, b, None, n_samples, rng), None, math.nan, n_facets)
    V = polytope_vertices(A, b, x0)
    if n == 1:
        volume = VolumeEstimate(float(V[1, 0] - V[0, 0]), 0.0, "exact")
    else:
        volume = VolumeEstimate(float(ConvexHull(V).volume), 0.0, "exact")
    return result(volume, V, float(pdist(V).max()) if len(V) > 1 else 0.0, n_facets)


def geometry_table(rs, *, n_samples=20_000, random_state=0, max_exact_dim=MAX_EXACT_DIM):
    """:func:`region_geometry` of every region, as a dict of arrays.

    Parameters
    ----------
    rs : RegionSet
    n_samples : int, default 20000
        Monte Carlo points per region (only where volumes are estimated).
    random_state : int or numpy Generator, default 0
        One generator is shared by all regions, so estimates are independent.
    max_exact_dim : int

    Returns
    -------
    dict of ndarray, each of shape (R,)
        ``volume``, ``volume_stderr``, ``inradius``, ``diameter``,
        ``n_facets``, ``n_vertices`` and ``bounded``.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.5], [0.0]])
    >>> t = geometry_table(enumerate_regions(net, Box([-1, -1], [1, 1])))
    >>> sorted(t["volume"].tolist()), t["n_vertices"].tolist()
    ([1.0, 3.0], [4, 4])
    """
    rng = np.random.default_rng(random_state)
    rows = [region_geometry(rs, i, n_samples=n_samples, random_state=rng,
                            max_exact_dim=max_exact_dim) for i in range(rs.n_regions)]
    return {
        "volume": np.array([g.volume for g in rows], dtype=np.float64),
        "volume_stderr": np.array([g.volume_stderr for g in rows], dtype=np.float64),
        "inradius": np.array([g.inradius for g in rows], dtype=np.float64),
        "diameter": np.array([g.diameter for g in rows], dtype=np.float64),
        "n_facets": np.array([g.n_facets for g in rows], dtype=np.intp),
        "n_vertices": np.array([g.n_vertices for g in rows], dtype=np.intp),
        "bounded": np.array([g.bounded for g in rows], dtype=bool),
    }


