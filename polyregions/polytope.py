"""Polytope geometry over plain ``(A, b)`` arrays: vertices, volumes, clipping by a ball.

The kernel below the per-region geometry (:mod:`polyregions.geometry`) and
the self-checks (:mod:`polyregions.verification`). Every function takes the
rows of ``{u : A u <= b}`` (and, where needed, a point strictly inside), so
nothing here knows about networks or region sets:

* vertices (qhull's halfspace intersection about the interior point; the
  polar dual for possibly unbounded polyhedra);
* volumes: exact from the convex hull of the vertices up to
  :data:`MAX_EXACT_DIM` dimensions; exact for the intersection with a disc
  in 2-D and an interval in 1-D; otherwise a Monte Carlo estimate that comes
  with its standard error;
* clipping by a Euclidean ball: :func:`clip_rows_to_ball` (the rows that
  make ``P`` bounded without cutting ``P ∩ B``); in 2-D the polygon ∩ disc
  (exact area and drawn outline from the same cut points) is
  :mod:`polyregions.disc`, whose names are re-exported here.

Example
-------
>>> import numpy as np
>>> A = np.vstack([np.eye(2), -np.eye(2)]); b = np.ones(4)
>>> region_volume(A, b, [0, 0]).value
4.0
>>> round(region_volume(A, b, [0, 0], ball=([0, 0], 1.0)).value, 12)
3.14159265359
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_choice, check_int, check_random_state, check_real
from .disc import ARC_STEP, DiscClip, clip_polygon_to_disc, disc_polygon_area, shoelace_area
from .lp import bounding_box, is_bounded

__all__ = [
    "MAX_EXACT_DIM",
    "ARC_STEP",
    "UnboundedRegionError",
    "VolumeEstimate",
    "DiscClip",
    "checked_rows",
    "merge_points",
    "distinct_rows",
    "interval",
    "clip_rows_to_ball",
    "finite_vertices",
    "polytope_vertices",
    "region_vertices",
    "clip_polygon_to_disc",
    "disc_polygon_area",
    "monte_carlo_volume",
    "region_volume",
    "shoelace_area",
]

#: Highest dimension in which volumes are computed exactly from vertices. The
#: number of vertices of a region can grow like ``m ** (d / 2)`` in the number
#: of facets ``m``, so qhull becomes the bottleneck soon after this.
MAX_EXACT_DIM = 6

# Monte Carlo points are tested against the rows in chunks of about this many
# numbers, to keep memory flat whatever n_samples is.
_MC_CHUNK = 1 << 22


class UnboundedRegionError(ValueError):
    """The region is unbounded (a whole-space run), so it has no finite vertex set or volume."""


@dataclass(frozen=True)
class VolumeEstimate:
    """A volume with its standard error.

    Attributes
    ----------
    value : float
    stderr : float
        ``0.0`` for exact values; for Monte Carlo the binomial standard error
        ``box_volume * sqrt(p (1 - p) / n)`` of the hit-or-miss estimate
        ``box_volume * hits / n``, with ``p = (hits + 1) / (n + 2)`` so that it
        is positive even when no point or every point hit.
    method : str
        ``"exact"``, ``"disc_exact"`` (polygon ∩ disc, closed form) or
        ``"monte_carlo"``.
    """

    value: float
    stderr: float
    method: str


# ------------------------------------------------------------------ rows
def checked_rows(A, b, interior_point):
    """``(A, b, x0)`` as float arrays, zero rows dropped, ``x0`` checked strictly inside.

    Raises
    ------
    ValueError
        On mismatched shapes, a zero row with a negative offset (the set is
        empty) or an interior point that is not strictly inside.

    Examples
    --------
    >>> A, b, x0 = checked_rows([[0.0, 0.0], [1.0, 0.0]], [1.0, 1.0], [0.0, 0.0])
    >>> A.tolist(), b.tolist()
    ([[1.0, 0.0]], [1.0])
    """
    A = np.atleast_2d(np.asarray(A, dtype=np.float64))
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    x0 = np.asarray(interior_point, dtype=np.float64).reshape(-1)
    if A.shape[0] != b.size or (A.shape[0] and A.shape[1] != x0.size):
        raise ValueError(
            f"A has shape {A.shape}, b has {b.size} entries and the interior point "
            f"{x0.size}: expected A of shape (m, {x0.size}) and b of shape (m,)."
        )
    if A.shape[0] == 0:
        A = np.zeros((0, x0.size))
    # Zero rows carry no hyperplane: ``0 <= b_k`` holds everywhere or nowhere.
    keep = np.any(A != 0, axis=1)
    if np.any(b[~keep] < 0):
        k = int(np.flatnonzero(~keep & (b < 0))[0])
        raise ValueError(
            f"row {k} of A is zero and b[{k}] = {b[k]} < 0: the set {{A u <= b}} is empty. "
            "Check the rows passed in (RegionSet.halfspaces(i) never has zero rows)."
        )
    A, b = A[keep], b[keep]
    if len(b) and np.min(b - A @ x0) <= 0:
        raise ValueError(
            "interior_point is not strictly inside {A u <= b}; pass the region's "
            "certified interior point (RegionSet.interior_points[i])."
        )
    return A, b, x0


def merge_points(P, tol):
    """Cluster points closer than ``tol`` (transitively); return representatives and labels.

    ``tol`` is one distance or one per point (two points merge when either's
    reaches the other).

    Examples
    --------
    >>> import numpy as np
    >>> reps, labels = merge_points(np.array([[0.0, 0.0], [1e-12, 0.0], [1.0, 0.0]]), 1e-9)
    >>> reps.tolist(), labels.tolist()
    ([[0.0, 0.0], [1.0, 0.0]], [0, 0, 1])
    >>> merge_points(np.array([[0.0, 0.0], [1e-12, 0.0], [1.0, 0.0]]), [1e-15, 1e-15, 0.5])[1].tolist()
    [0, 1, 2]
    """
    if len(P) <= 1:
        return P, np.zeros(len(P), dtype=np.intp)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    if np.ndim(tol) == 0:
        pairs = cKDTree(P).query_pairs(tol, output_type="ndarray")
    else:
        near = cKDTree(P).query_ball_point(P, np.asarray(tol, dtype=np.float64))
        cnt = np.fromiter(map(len, near), dtype=np.intp, count=len(P))
        pairs = np.stack([np.repeat(np.arange(len(P)), cnt),
                          np.fromiter((j for nb in near for j in nb), dtype=np.intp,
                                      count=int(cnt.sum()))], axis=1)
    n = len(P)
    if len(pairs) == 0:
        return P, np.arange(n, dtype=np.intp)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Number clusters by first appearance so the output order follows the input.
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return P[first[order]], rank[inverse]


def distinct_rows(A, b, rel=1e-12):
    """Indices of the rows left after dropping repeats of a hyperplane (up to ``rel``)."""
    if len(b) <= 1:
        return np.arange(len(b))
    norms = np.linalg.norm(A, axis=1)
    H = np.hstack([A / norms[:, None], (b / norms)[:, None]])
    key = np.round(H / (rel * max(1.0, float(np.abs(H).max())))) + 0.0
    _, first = np.unique(key, axis=0, return_index=True)
    return np.sort(first)


def interval(A, b):
    """``(lo, hi)`` of the 1-D polyhedron ``{x : A x <= b}`` (``A`` has no zero rows).

    Examples
    --------
    >>> interval(np.array([[1.0], [-2.0]]), np.array([3.0, 2.0]))
    (-1.0, 3.0)
    """
    a = A[:, 0]
    pos, neg = a > 0, a < 0
    hi = float(np.min(b[pos] / a[pos])) if pos.any() else math.inf
    lo = float(np.max(b[neg] / a[neg])) if neg.any() else -math.inf
    return lo, hi


def clip_rows_to_ball(A, b, ball):
    """Rows that bound ``P = {A u <= b}`` around a ball without cutting ``P ∩ ball``.

    Parameters
    ----------
    A, b : ndarray
    ball : (center, radius)

    Returns
    -------
    A, b : ndarray
        With ``k`` rows appended.
    ball : (center, radius) or None
        ``None`` in 1-D, where the ball is exactly the interval
        ``[c - R, c + R]`` and the appended rows are that interval: the
        region is then the polytope alone. Otherwise the ball, unchanged;
        the appended rows are a box of half-side ``2 R`` (rather than ``R``,
        so that none of its sides is tangent to the ball, where rounding
        could invent a sliver inside).
    k : int
        Number of rows appended.

    Examples
    --------
    >>> A, b, ball, k = clip_rows_to_ball(np.zeros((0, 1)), np.zeros(0), ([0.5], 1.0))
    >>> b.tolist(), ball, k
    ([1.5, 0.5], None, 2)
    """
    c, R = ball
    c = np.asarray(c, dtype=np.float64).reshape(-1)
    R = float(R)
    n = c.size
    eye = np.eye(n)
    if n == 1:
        Ab, bb, ball = np.array([[1.0], [-1.0]]), np.array([c[0] + R, R - c[0]]), None
    else:
        Ab, bb, ball = np.vstack([eye, -eye]), np.concatenate([c + 2 * R, -(c - 2 * R)]), (c, R)
    return np.vstack([A, Ab]), np.concatenate([b, bb]), ball, len(bb)


# -------------------------------------------------------------- vertices
def finite_vertices(A, b, x0, tol=1e-9):
    """Vertices of a possibly unbounded polyhedron (``x0`` strictly inside).

    The polar of ``P - x0`` is the hull of the origin and the points
    ``p_i = a_i / (b_i - a_i x0)``. Hull facets avoiding the origin are the
    vertices ``v`` of ``P`` (plane ``(v - x0) . p = 1``); facets through it
    are recession directions, which are dropped.

    Examples
    --------
    >>> A = np.array([[-1.0, 0.0], [0.0, -1.0]]); b = np.zeros(2)
    >>> finite_vertices(A, b, np.array([1.0, 1.0])).round(12).tolist()
    [[0.0, 0.0]]
    """
    m, n = A.shape
    if m < n or np.linalg.matrix_rank(A) < n:
        return np.zeros((0, n))  # a line fits inside: no vertices at all
    from scipy.spatial import ConvexHull, QhullError

    P = A / (b - A @ x0)[:, None]
    try:
        hull = ConvexHull(np.vstack([P, np.zeros((1, n))]))
    except QhullError:
        return np.zeros((0, n))
    normal, offset = hull.equations[:, :-1], hull.equations[:, -1]
    # A vertex at distance D from x0 has |offset| ~ 1/D; offsets at qhull's
    # rounding level belong to facets through the origin, i.e. to rays.
    far = offset < -1e-10 * float(np.abs(P).max())
    V = x0 + normal[far] / -offset[far, None]
    return merge_points(V, tol * max(1.0, float(np.ptp(V, axis=0).max(initial=0.0))))[0]


def polytope_vertices(A, b, x0, tol=1e-9):
    """:func:`region_vertices` for rows already checked (bounded, no zero rows, x0 inside)."""
    if x0.size == 1:
        return np.array([interval(A, b)]).T
    from scipy.spatial import ConvexHull, HalfspaceIntersection

    V = HalfspaceIntersection(np.hstack([A, -b[:, None]]), x0).intersections
    V = merge_points(V, tol * max(float(np.ptp(V, axis=0).max(initial=0.0)), 1e-300))[0]
    if x0.size == 2 and len(V) >= 3:
        V = V[ConvexHull(V).vertices]  # counter-clockwise in 2-D
    return V


def region_vertices(A, b, interior_point, *, tol=1e-9):
    """Vertices of the bounded polytope ``{u : A u <= b}``.

    Parameters
    ----------
    A : array_like, shape (m, d)
    b : array_like, shape (m,)
    interior_point : array_like, shape (d,)
        A point strictly inside, e.g. ``RegionSet.interior_points[i]``.
    tol : float, default 1e-9
        Vertices closer than ``tol`` times the polytope's extent are one vertex
        (qhull reports a degenerate vertex once per simplex around it).

    Returns
    -------
    ndarray, shape (V, d)
        In 1-D the two interval ends, in increasing order; in 2-D in
        counter-clockwise order; otherwise in qhull's order.

    Raises
    ------
    UnboundedRegionError
        If the polyhedron is unbounded (a region of a whole-space run);
        clip it with a box first, e.g. by appending ``Box(...).halfspaces``.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]]); b = np.array([0.0, 0.0, 1.0])
    >>> region_vertices(A, b, [0.2, 0.2]).round(12).tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    """
    A, b, x0 = checked_rows(A, b, interior_point)
    n = x0.size
    bounded = np.all(np.isfinite(interval(A, b))) if n == 1 else is_bounded(A)
    if not bounded:
        raise UnboundedRegionError(
            "the region is unbounded, so it has no finite vertex set; clip it first, e.g. "
            "A2 = np.vstack([A, Box(lo, hi).halfspaces[0]]) and likewise for b."
        )
    return polytope_vertices(A, b, x0, tol)


# ---------------------------------------------------------------- volumes
def monte_carlo_volume(A, b, ball, n_samples, random_state=None):
    """Hit-or-miss volume of ``{A u <= b} ∩ ball`` from uniform points in its bounding box.

    Parameters
    ----------
    A, b : ndarray
        A bounded polyhedron.
    ball : (center, radius) or None
    n_samples : int
    random_state : None, int or numpy Generator

    Returns
    -------
    VolumeEstimate

    Examples
    --------
    >>> A = np.vstack([np.eye(2), -np.eye(2)]); b = np.ones(4)
    >>> v = monte_carlo_volume(A, b, None, 1000, random_state=0)
    >>> v.value, v.method
    (4.0, 'monte_carlo')
    """
    n_samples = check_int(n_samples, "n_samples")
    rng = check_random_state(random_state)
    n = A.shape[1]
    box = bounding_box(A, b)
    if box is None:
        raise UnboundedRegionError("the region is unbounded; its volume is infinite.")
    lo, hi = box
    if ball is not None:
        c, R = ball
        lo, hi = np.maximum(lo, c - R), np.minimum(hi, c + R)
    side = np.maximum(hi - lo, 0.0)
    box_volume = float(np.prod(side))
    chunk = max(1, _MC_CHUNK // max(len(b) + n, 1))
    hits, left = 0, int(n_samples)
    while left > 0:
        k = min(chunk, left)
        U = lo + side * rng.random((k, n))
        inside = np.all(U @ A.T <= b, axis=1)
        if ball is not None:
            inside &= np.einsum("ij,ij->i", U - ball[0], U - ball[0]) < ball[1] ** 2
        hits += int(inside.sum())
        left -= k
    # The standard error uses the add-one estimate of the hit rate so that it is
    # never zero: 0 hits out of n does not mean the volume is known exactly.
    p_se = (hits + 1) / (n_samples + 2)
    return VolumeEstimate(box_volume * hits / n_samples,
                          box_volume * math.sqrt(p_se * (1 - p_se) / n_samples), "monte_carlo")


def region_volume(A, b, interior_point, *, ball=None, method="auto", n_samples=100_000,
                  random_state=None, max_exact_dim=MAX_EXACT_DIM):
    """Volume of ``{u : A u <= b}``, optionally intersected with a Euclidean ball.

    Parameters
    ----------
    A, b, interior_point
        As for :func:`region_vertices`.
    ball : (center, radius), optional
        For :class:`~polyregions.Ball` domains (``domain.ball``): the region
        is then ``{A u <= b} ∩ B(center, radius)``.
    method : {"auto", "exact", "monte_carlo"}
        ``"auto"`` is exact (convex hull of the vertices) up to
        ``max_exact_dim`` dimensions and for balls in 1-D and 2-D (closed
        form, see the module notes), Monte Carlo otherwise.
    n_samples : int, default 100000
        Monte Carlo points, drawn uniformly in the region's bounding box (2d
        LPs); the estimate is unbiased and its relative error grows as the
        region fills less of that box.
    random_state : None, int or numpy Generator, default None
    max_exact_dim : int, default :data:`MAX_EXACT_DIM`

    Returns
    -------
    VolumeEstimate

    Raises
    ------
    UnboundedRegionError
        For an unbounded region (without a ball).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.vstack([np.eye(2), -np.eye(2)]); b = np.ones(4)
    >>> region_volume(A, b, [0, 0]).value
    4.0
    >>> v = region_volume(A, b, [0, 0], ball=([0, 0], 1.0)); v.method, round(v.value, 12)
    ('disc_exact', 3.14159265359)
    """
    if method not in ("auto", "exact", "monte_carlo"):
        check_choice(method, "method", ("auto", "exact", "monte_carlo"))
    A, b, x0 = checked_rows(A, b, interior_point)
    n = x0.size
    n_samples = check_int(n_samples, "n_samples")
    rng = check_random_state(random_state)
    if ball is not None:
        ball = (np.asarray(ball[0], dtype=np.float64).reshape(n),
                check_real(ball[1], "the ball's radius", low=0.0, low_open=True))
        A, b, ball, _ = clip_rows_to_ball(A, b, ball)
    if method == "monte_carlo":
        return monte_carlo_volume(A, b, ball, n_samples, rng)
    if ball is not None:
        if n == 2:
            V = region_vertices(A, b, x0)
            return VolumeEstimate(disc_polygon_area(V, ball[0], ball[1]), 0.0, "disc_exact")
        if method == "exact":
            raise ValueError(
                "no exact volume of a polytope ∩ ball in 3 or more dimensions; use "
                "method='monte_carlo' (or 'auto')."
            )
        return monte_carlo_volume(A, b, ball, n_samples, rng)
    if n == 1:
        # From the rows alone: with a ball, x0 need not lie inside its interval.
        lo, hi = interval(A, b)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise UnboundedRegionError("the region is unbounded; its length is infinite.")
        return VolumeEstimate(max(hi - lo, 0.0), 0.0, "exact")
    if n <= max_exact_dim or method == "exact":
        from scipy.spatial import ConvexHull, QhullError

        V = region_vertices(A, b, x0)
        try:
            hull = ConvexHull(V)
        except QhullError:
            # Qhull's "wide merge" on nearly coplanar facets (a cone's region in 5-D whose apex
            # carries many facets): joggled input (QJ) is always simplicial and moves the volume
            # by about 1e-9 of it; allowing wide facets instead (Qt Q12) was 4e-4 off there.
            hull = ConvexHull(V, qhull_options="QJ")
        return VolumeEstimate(float(hull.volume), 0.0, "exact")
    if not is_bounded(A):
        raise UnboundedRegionError("the region is unbounded; its volume is infinite.")
    return monte_carlo_volume(A, b, None, n_samples, rng)
