"""Exact ball decisions over plain ``(A, b)`` arrays (``A x <= b``).

Two questions decide a ball domain ``B(c, r)`` (open) in any dimension:

* :func:`region_in_ball` -- does the polytope ``R = {A x <= b}`` meet the
  ball in a set with interior, and how large a ball fits in ``R ∩ B``?
* :func:`facet_in_ball` -- does the facet ``R ∩ {a_j x = b_j}`` meet the ball?

Both rest on the convex QP ``min ||x - c||^2`` over the polytope (or the
facet), solved by DAQP's dual active-set method, and every answer is checked
in float64 apart from the solver:

* **no** -- multipliers ``lam >= 0`` (free for an equality row) give
  ``v = A^T lam`` and ``R ⊂ {v.x <= lam.b}``, hence
  ``dist(c, R) >= (v.c - lam.b) / ||v||`` (:func:`distance_lower_bound`,
  with a rounding margin). "No" only when that bound is ``>= r``.
* **yes** (region) -- a point whose inscribed radius in ``R ∩ B``, recomputed
  from the rows (:func:`polyregions.lp.inscribed_radius`), is positive: the
  best point on the segment from the QP's nearest point to ``R``'s Chebyshev
  centre, refined by a few tangent-cut LPs only when that is not decisive.
* **yes** (facet) -- a point whose exact projection onto the facet's
  hyperplane is strictly inside the other rows and the ball, all with
  margins above the rounding (:func:`facet_point_certified`); candidates are
  the QP's nearest point and points towards the facet's own Chebyshev
  centre within its hyperplane (:func:`facet_centre`).

Anything else is *undecided*, and the caller must say so (the engine
counts it in ``RegionSet.n_undecided``); nothing is dropped because an
iteration budget ran out.

The module runs a little over 600 lines because the two questions share
their certificates (the distance bound, the rounding margins, the tangent
cuts): split apart, each half would need the other's private steps.

Example
-------
>>> import numpy as np
>>> A = np.vstack([np.eye(2), -np.eye(2)]); b = np.array([1.0, 1.0, -0.5, 1.0])  # x >= 0.5
>>> region_in_ball(A, b, [0.0, 0.0], 1.0).meets, region_in_ball(A, b, [0.0, 0.0], 0.5).meets
(True, False)
>>> facet_in_ball(A, b, 2, [0.0, 0.0], 0.6).meets      # the facet x = 0.5
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lp import (INF, LP_FEASIBILITY_TOL, LPError, OPTIMAL, INFEASIBLE, pass_dense, highs_solver,
                 chebyshev_ball, chebyshev_lp, inscribed_radius)

__all__ = ["BallRegion", "BallFacet", "nearest_point", "distance_lower_bound", "region_in_ball",
           "facet_in_ball", "facet_point_certified", "facet_centre", "chebyshev_in_ball", "facet_meets_ball", "independent_rows"]

_U = np.finfo(np.float64).eps
#: DAQP's value for an absent bound.
_DAQP_INF = 1e30
#: Smallest singular value of the unit rows for :func:`independent_rows`.
INDEPENDENCE_TOL = 1e-6
#: Margin (relative to the ball's radius) by which a facet's other rows are
#: tightened in its second distance QP, so that its point is strictly inside them.
_SHRINK = 1e-7
#: Tangent-cut LPs tried when the segment point leaves a decision open.
MAX_CUTS = 16


def _gamma(k):
    """A generous bound on the relative rounding error of a k-term float64 sum (8 k u)."""
    return 8.0 * (k + 2) * _U


@dataclass(frozen=True)
class BallRegion:
    """What :func:`region_in_ball` proved about ``R ∩ B``.

    Attributes
    ----------
    meets : bool or None
        ``True``: ``point`` has a positive certified radius; ``False``: ``R``
        is empty or its distance to the centre is certified ``>= r``;
        ``None``: undecided.
    point : ndarray or None
        The best point found, and ``radius`` its inscribed radius in
        ``R ∩ B`` computed in float64 from the rows (a lower bound on the
        largest one).
    radius : float
    radius_bound : float
        An upper bound on the largest inscribed radius of ``R ∩ B`` (the
        certified radius of ``R`` alone, ``r`` minus the certified distance,
        tangent-cut LP values).
    distance : float
        Certified lower bound on ``dist(c, R)`` (``-inf`` if none).
    polytope_point, polytope_radius : ndarray, float
        ``R``'s own Chebyshev centre and certified radius (``None``/``0`` if
        not computed): a strictly interior point of ``R`` for facet finding.
    n_lp, n_qp : int
        Solver calls spent.
    """

    meets: bool | None
    point: np.ndarray | None
    radius: float
    radius_bound: float
    distance: float
    polytope_point: np.ndarray | None
    polytope_radius: float
    n_lp: int
    n_qp: int


@dataclass(frozen=True)
class BallFacet:
    """What :func:`facet_in_ball` proved about ``F ∩ B``.

    ``meets`` is ``True`` (``point`` projects onto the facet's relative
    interior inside the ball, :func:`facet_point_certified`), ``False``
    (``distance``, a certified lower bound on ``dist(c, F)``, is ``>= r``)
    or ``None`` (undecided). ``n_qp``/``n_lp``: solver calls spent.
    """

    meets: bool | None
    point: np.ndarray | None
    distance: float
    n_qp: int
    n_lp: int = 0


def _rows(A, b):
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if A.ndim != 2 or A.shape[0] != b.size:
        raise ValueError(f"A must have shape (m, n) with m = len(b) = {b.size}; got {A.shape}.")
    return A, b


def nearest_point(A, b, center, equality=None):
    """Nearest point to ``center`` of ``{A x <= b}`` (row ``equality`` held with equality).

    One DAQP solve of ``min 1/2 ||y||^2`` over the rows normalised and
    shifted to the centre. Returns ``(x, lam)`` with ``lam`` the multipliers
    of the *original* rows (``x - center + A^T lam = 0`` at the optimum), or
    ``None`` when DAQP reports no optimum (an empty polytope, cycling or its
    iteration limit). The answer is not trusted: :func:`distance_lower_bound`
    and the callers' checks certify what is used.

    >>> nearest_point([[-1.0, 0.0]], [-2.0], [0.0, 0.0])[0].tolist()
    [2.0, 0.0]
    """
    import daqp

    A, b = _rows(A, b)
    c = np.asarray(center, dtype=np.float64)
    m, n = A.shape
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    An = A / norms[:, None]
    bn = (b - A @ c) / norms
    lower = np.full(m, -_DAQP_INF)
    sense = np.zeros(m, dtype=np.int32)
    if equality is not None:
        lower[equality] = bn[equality]
        sense[equality] = 5
    y, _, flag, info = daqp.solve(np.eye(n), np.zeros(n), np.ascontiguousarray(An), bn, lower, sense)
    if flag != 1:
        return None
    return c + np.asarray(y), np.asarray(info["lam"]) / norms


def distance_lower_bound(A, b, center, lam, free=None):
    """Certified lower bound on ``dist(center, {A x <= b})`` from multipliers ``lam``.

    Any ``lam >= 0`` (row ``free`` may have either sign: it is an equality
    row) gives ``v = A^T lam`` with ``v.x <= lam.b`` on the polytope, so
    every point ``x`` of it has ``||x - c|| >= (v.c - lam.b) / ||v||``. The
    bound is evaluated in float64 and then lowered by a bound on its own
    rounding error, so it holds for the exact ``A``, ``b`` and ``center``.
    Returns ``-inf`` when ``lam`` proves nothing.

    >>> A = np.array([[-1.0, 0.0]]); b = np.array([-2.0])     # x >= 2
    >>> bool(2.0 - 1e-12 < distance_lower_bound(A, b, [0.0, 0.0], [1.0]) <= 2.0)
    True
    """
    A, b = _rows(A, b)
    c = np.asarray(center, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64).copy()
    keep = np.ones(lam.size, dtype=bool)
    if free is not None:
        keep[free] = False
    lam[keep] = np.maximum(lam[keep], 0.0)
    m, n = A.shape
    g = _gamma(m + n)
    absA = np.abs(A)
    bs = b - A @ c  # the rows shifted to the centre
    err_bs = g * (np.abs(b) + absA @ np.abs(c))
    v = A.T @ lam
    err_v = g * (absA.T @ np.abs(lam))
    val = -float(lam @ bs)
    err_val = float(np.abs(lam) @ (err_bs + g * np.abs(bs)))
    nv = float(np.linalg.norm(v)) * (1 + g) + float(np.linalg.norm(err_v))
    num = val - err_val
    if not (nv > 0 and np.isfinite(num)) or num <= 0:
        return -np.inf
    return num / nv * (1 - g)


def _single_row_bound(A, b, c):
    """``max_i dist(c, {a_i x <= b_i})`` with a rounding margin (a one-row certificate)."""
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    g = _gamma(A.shape[1])
    excess = A @ c - b - g * (np.abs(A) @ np.abs(c) + np.abs(b))
    return float(np.max(excess / norms * (1 - g))) if len(b) else -np.inf


def _best_on_segment(A, b, norms, c, radius, p, z, rounds=2):
    """The point of the segment ``[p, z]`` with the largest inscribed radius in ``R ∩ B``.

    Both the slack of every row and ``r - ||x - c||`` are concave along the
    segment, so their minimum is too: its maximum lies within a cell of the
    best grid point, and each of ``rounds`` grids of 33 points zooms in 16x
    there (two locate it well enough for a region, whose radius is
    recomputed anyway; a facet whose peak is a sliver near ``p`` needs more).
    """
    Sp = (b - A @ p) / norms
    Sz = (b - A @ z) / norms
    dp, dz = p - c, z - p
    lo, hi, best_f, best_t = 0.0, 1.0, -np.inf, 0.0
    for _ in range(rounds):
        th = np.linspace(lo, hi, 33)
        slack = np.min(Sp[:, None] + np.outer(Sz - Sp, th), axis=0)
        inball = radius - np.linalg.norm(dp[None, :] + th[:, None] * dz[None, :], axis=1)
        f = np.minimum(slack, inball)
        k = int(np.argmax(f))
        if f[k] > best_f:
            best_f, best_t = float(f[k]), float(th[k])
        w = (hi - lo) / 32
        lo, hi = max(0.0, th[k] - w), min(1.0, th[k] + w)
    return p + best_t * dz


def _cap_radius(radius, dist):
    """The widest ball inside ``B(c, radius)`` and a convex set at distance ``>= dist`` from ``c``.

    The set lies beyond the hyperplane through its nearest point, so the part of the ball
    it can hold is a cap of height ``radius - dist``, whose widest ball has half that radius
    (for ``dist >= 0``; a set holding ``c`` may hold the whole ball).
    """
    return radius if dist <= 0 else max(radius - dist, 0.0) / 2


def region_in_ball(A, b, center, radius, *, target=0.0, rtol=None, interior=None, max_cuts=None):
    """Decide whether ``R = {A x <= b}`` meets the open ball ``B(center, radius)`` in a set with interior.

    Parameters
    ----------
    A : ndarray, shape (m, n)
        Rows must be non-zero.
    b : ndarray, shape (m,)
    center : array_like, shape (n,)
    radius : float
    target : float, default 0.0
        Work on until the certified radius of ``R ∩ B`` exceeds ``target``
        or its upper bound falls to ``target`` (the engine passes its
        full-dimension threshold); ``meets`` itself is about radius ``> 0``.
    rtol : float, optional
        Also work on until the certified radius is within this relative
        distance of its upper bound (a near-largest inscribed ball; costs
        tangent-cut LPs, which converge slowly in high dimension).
    interior : (x, r), optional
        ``R``'s Chebyshev centre and certified radius if already known.
    max_cuts : int, optional
        Tangent-cut LPs allowed when the segment point leaves the decision
        open (default :data:`MAX_CUTS`).

    Returns
    -------
    BallRegion

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0]]); b = np.array([-0.9])            # x <= -0.9
    >>> res = region_in_ball(A, b, [0.0, 0.0], 1.0)
    >>> res.meets, 0 < res.radius <= res.radius_bound <= 0.1 + 1e-12
    (True, True)
    >>> region_in_ball(A, b, [0.0, 0.0], 0.8).meets
    False
    """
    A, b = _rows(A, b)
    c = np.asarray(center, dtype=np.float64)
    radius = float(radius)
    max_cuts = MAX_CUTS if max_cuts is None else int(max_cuts)
    m, n = A.shape
    n_lp = n_qp = 0

    def result(meets, x=None, r=-np.inf, r_hi=0.0, dist=-np.inf, z=None, rz=0.0):
        return BallRegion(meets, x, float(r), float(r_hi), float(dist), z, float(rz), n_lp, n_qp)

    if m == 0:
        return result(True, c.copy(), radius, radius, -np.inf, c.copy(), radius)
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    dist = _single_row_bound(A, b, c)
    if dist >= radius:
        return result(False, dist=dist)
    near = nearest_point(A, b, c)
    n_qp += 1
    if near is not None:
        dist = max(dist, distance_lower_bound(A, b, c, near[1]))
        if dist >= radius:
            return result(False, dist=dist)
    if interior is None:
        # Capped at r: no ball wider than B fits in R ∩ B, and R may be unbounded.
        st, z, t = chebyshev_lp(A, b, radius_cap=radius)
        n_lp += 1
        if st == "infeasible":
            return result(False, dist=dist)  # R is empty (HiGHS' infeasibility)
        if st != "optimal":
            return result(None, r_hi=_cap_radius(radius, dist), dist=dist)
        rz = inscribed_radius(A, b, z)
        # The LP value, with room for HiGHS' absolute tolerances, bounds R's radius from above.
        t_hi = float(t) + LP_FEASIBILITY_TOL * radius
    else:
        z, rz = interior
        t_hi = radius
    r_hi = min(t_hi, _cap_radius(radius, dist))
    if rz <= 0:
        # No interior certified at the LP's point: not a proof that R has none.
        return result(None, None, -np.inf, r_hi, dist, z, rz)
    best_x, best_r = z, inscribed_radius(A, b, z, (c, radius))
    if near is not None:
        x = _best_on_segment(A, b, norms, c, radius, near[0], z)
        r = inscribed_radius(A, b, x, (c, radius))
        if r > best_r:
            best_x, best_r = x, r
    if (best_r <= target < r_hi or (rtol is not None and best_r < (1 - rtol) * r_hi)) and max_cuts > 0:
        best_x, best_r, r_hi, used = _tangent_cuts(A, b, norms, c, radius, best_x, best_r, r_hi,
                                                   near, target, rtol, max_cuts)
        n_lp += used
    meets = True if best_r > 0 else (False if r_hi <= 0 else None)
    return result(meets, best_x, best_r, max(r_hi, best_r), dist, z, rz)


def _tangent_cuts(A, b, norms, c, radius, best_x, best_r, r_hi, near, target, rtol, max_cuts):
    """Kelley's cutting planes on ``max t  s.t.  a_i x + ||a_i|| t <= b_i,  ||x - c|| + t <= r``.

    The ball constraint is replaced by tangent cuts ``u.(x - c) + t <= r``
    (first at the directions of the nearest point and of the best point so
    far): each LP value is an upper bound, each LP point is certified in
    float64. Stops as soon as either settles ``target`` (and, with ``rtol``,
    the two are that close).
    """
    m, n = A.shape
    rows = np.hstack([A, norms[:, None]])
    cost = np.zeros(n + 1)
    cost[n] = -1.0
    h = highs_solver("ballcut")
    dirs = [best_x - c] + ([near[0] - c] if near is not None else [])
    dirs = [d / np.linalg.norm(d) for d in dirs if np.linalg.norm(d) > 0]
    if not dirs:
        return best_x, best_r, r_hi, 0
    U = np.array(dirs)
    M = np.vstack([rows, np.hstack([U, np.ones((len(U), 1))])])
    pass_dense(h, cost, np.r_[np.full(n, -INF), 0.0], np.r_[np.full(n, INF), radius],
                np.full(len(M), -INF), np.concatenate([b, radius + U @ c]), M)
    used = 0
    for _ in range(max_cuts):
        h.run()
        used += 1
        st = h.getModelStatus()
        if st == INFEASIBLE:
            return best_x, best_r, 0.0, used
        if st != OPTIMAL:
            raise LPError(f"HiGHS returned {st} while cutting a ball constraint.")
        sol = np.asarray(h.getSolution().col_value)
        x, t = sol[:n], float(sol[n])
        r_hi = min(r_hi, t)
        for cand in (x, _best_on_segment(A, b, norms, c, radius, best_x, x)):
            r = inscribed_radius(A, b, cand, (c, radius))
            if r > best_r:
                best_x, best_r = cand, r
        settled = best_r > target or r_hi <= target
        if settled and (rtol is None or best_r >= (1 - rtol) * r_hi):
            break
        d = x - c
        nd = float(np.linalg.norm(d))
        if nd == 0:
            break
        u = d / nd
        h.addRow(-INF, float(radius + u @ c), n + 1, np.arange(n + 1, dtype=np.int32), np.r_[u, 1.0])
    return best_x, best_r, r_hi, used


def facet_point_certified(A, b, j, x, center, radius, *, skip=()):
    """Whether ``x`` certifies that facet ``j`` of ``{A x <= b}`` meets the open ball, in float64.

    ``x`` need not lie exactly on the hyperplane ``a_j x = b_j``: its exact
    projection ``x'`` onto it is at most ``delta`` away, ``delta`` being the
    computed residual plus its rounding bound. ``x'`` is then strictly inside
    every other row (slack ``> delta`` after rounding) and strictly inside the
    ball (margin ``> delta`` after rounding), so ``x'`` is a point of the
    facet's relative interior in the open ball, for the exact ``A``, ``b``
    and ``center``. Rows in ``skip`` (the same hyperplane as row ``j``,
    crossed with it) are not checked.

    >>> A = np.array([[1.0, 0.0], [0.0, 1.0]]); b = np.array([0.0, -0.5])
    >>> facet_point_certified(A, b, 0, np.array([0.0, -0.55]), [0.0, 0.0], 0.6)
    True
    >>> facet_point_certified(A, b, 0, np.array([0.0, -0.5]), [0.0, 0.0], 0.6)   # on row 1
    False
    """
    m, n = A.shape
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(center, dtype=np.float64)
    g = _gamma(n)
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    res = A @ x - b
    tau = g * (np.abs(A) @ np.abs(x) + np.abs(b))
    delta = (abs(float(res[j])) + float(tau[j])) / float(norms[j]) * (1 + g)
    others = np.ones(m, dtype=bool)
    others[j] = False
    others[list(skip)] = False
    if np.any(others):
        slack = (-res[others] - tau[others]) / norms[others] * (1 - g)
        if not np.all(slack > delta):
            return False
    d = x - c
    margin = radius * (1 - g) - float(np.linalg.norm(d)) * (1 + g) - g * float(np.abs(d).max(initial=0.0))
    return bool(margin > delta)


def facet_centre(A, b, j, center, radius, *, skip=()):
    """A near-largest ball of facet ``j`` within its hyperplane: ``(z, t)`` or ``None``.

    The Chebyshev LP of the other rows restricted to ``a_j x = b_j``, solved
    in an orthonormal basis of the hyperplane centred at the projection of
    ``center`` (so row norms are those of the rows projected onto it) and
    boxed to ``radius`` there. ``z`` is a candidate relative-interior point,
    not a certificate (:func:`facet_point_certified` decides); ``None`` if
    HiGHS finds no such point.

    >>> z, t = facet_centre(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, -0.5]), 0, [0.0, 0.0], 1.0)
    >>> np.round(z, 9).tolist(), round(t, 9)
    ([0.0, -0.75], 0.25)
    """
    m, n = A.shape
    c = np.asarray(center, dtype=np.float64)
    aj = A[j]
    p = c + (b[j] - aj @ c) / (aj @ aj) * aj
    if n == 1:
        return p, 0.0
    # Columns 1..n-1 of a complete QR of a_j span its orthogonal complement.
    N = np.linalg.qr(aj[:, None], mode="complete")[0][:, 1:]
    keep = np.ones(m, dtype=bool)
    keep[j] = False
    keep[list(skip)] = False
    Ay = A[keep] @ N
    by = b[keep] - A[keep] @ p
    k = n - 1
    I = np.eye(k)
    try:
        st, y, t = chebyshev_lp(np.vstack([Ay, I, -I]), np.concatenate([by, np.full(2 * k, radius)]),
                                radius_cap=radius)
    except LPError:
        return None
    if st != "optimal" or t is None or not t > 0:
        return None
    return p + N @ y, float(t)


def _segment_points(A, b, j, skip, c, radius, p, z):
    """The point of ``[p, z]`` on the facet's hyperplane where the least of row slack and ball margin peaks."""
    keep = np.ones(len(b), dtype=bool)
    keep[j] = False
    keep[list(skip)] = False
    if not np.any(keep):
        return p
    Ak, bk = A[keep], b[keep]
    norms = np.sqrt(np.einsum("ij,ij->i", Ak, Ak))
    return _best_on_segment(Ak, bk, norms, c, radius, p, z, rounds=12)


def facet_in_ball(A, b, j, center, radius, x0=None, *, skip=(), unit=None):
    """Decide whether the facet ``{x : A x <= b, a_j x = b_j}`` meets the open ball ``B(center, radius)``.

    In order, until one decides:

    1. the hyperplane misses the ball, or one other row alone does ("no");
    2. ``x0``, a point of ``R ∩ B`` if known, projected onto the hyperplane ("yes");
    3. the distance QP over the facet (row ``j`` an equality): its point
       ("yes"), its multipliers (row ``j`` free; "no");
    4. the facet's own Chebyshev LP within its hyperplane
       (:func:`facet_centre`), a point ``z`` of its relative interior, and
       the best point of the segment from the QP's nearest point to ``z``
       ("yes"): the QP's point usually lies on the facet's relative
       boundary, so it cannot certify on its own.

    "Yes" is always :func:`facet_point_certified` (a point of the facet's
    relative interior, inside the open ball, checked in float64); "no" a
    certified distance bound ``>= radius``. Rows in ``skip`` carry the same
    hyperplane as row ``j`` and are ignored. ``unit`` is the length of the
    polytope's own scale when it is far smaller than the ball (default
    ``radius``): the margin of the shrunk facet is relative to it.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0]]); b = np.array([0.0, -0.5])   # x <= 0, y <= -0.5
    >>> facet_in_ball(A, b, 0, [0.0, 0.0], 0.6).meets, facet_in_ball(A, b, 0, [0.0, 0.0], 0.4).meets
    (True, False)
    """
    A, b = _rows(A, b)
    c = np.asarray(center, dtype=np.float64)
    radius = float(radius)
    skip = tuple(int(i) for i in skip)
    aj = A[j]
    nj = float(np.sqrt(aj @ aj))
    g = _gamma(A.shape[1])
    # The whole hyperplane misses the ball (a one-row certificate, either sign).
    plane = (abs(float(aj @ c - b[j])) - g * (float(np.abs(aj) @ np.abs(c)) + abs(b[j]))) / nj * (1 - g)
    if plane >= radius:
        return BallFacet(False, None, plane, 0)
    if x0 is not None:
        q = x0 + (b[j] - aj @ x0) / (aj @ aj) * aj
        if facet_point_certified(A, b, j, q, c, radius, skip=skip):
            return BallFacet(True, q, -np.inf, 0)
    if skip:
        A, b = np.delete(A, skip, 0), np.delete(b, skip)
        j -= sum(1 for i in skip if i < j)
    dist = max(plane, _single_row_bound(np.delete(A, j, 0), np.delete(b, j), c)) if len(b) > 1 else plane
    if dist >= radius:
        return BallFacet(False, None, dist, 0)
    # The nearest point of the facet usually sits on its relative boundary, where rounding
    # decides nothing: first ask for the nearest point of the facet shrunk by a small margin
    # inside its other rows. Its multipliers still bound the distance to the facet itself
    # (any lam >= 0 does), only ~_SHRINK * radius less tightly.
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    bs = b - _SHRINK * min(radius, unit or radius) * norms
    bs[j] = b[j]
    q, n_qp = None, 0
    for rows in (bs, b):
        near = nearest_point(A, rows, c, equality=j)
        n_qp += 1
        if near is None:
            continue
        if facet_point_certified(A, b, j, near[0], c, radius):
            return BallFacet(True, near[0], dist, n_qp)
        dist = max(dist, distance_lower_bound(A, b, c, near[1], free=j))
        if dist >= radius:
            return BallFacet(False, None, dist, n_qp)
        q = near[0]
    if q is None:
        # DAQP found the facet infeasible (or failed) twice: most likely a row with an empty
        # face. Left undecided here; the caller tests facetness by LP if it must.
        return BallFacet(None, None, dist, n_qp)
    # Centred near the facet (its nearest point), boxed to the polytope's own scale.
    fc = facet_centre(A, b, j, q, min(radius, 1e3 * unit) if unit else radius)
    if fc is not None:
        z = fc[0]
        for cand in (_segment_points(A, b, j, (), c, radius, q, z), z):
            if facet_point_certified(A, b, j, cand, c, radius):
                return BallFacet(True, cand, dist, n_qp, 1)
    return BallFacet(None, None, dist, n_qp, 1)


def independent_rows(A, tol=INDEPENDENCE_TOL):
    """Whether the rows of ``A`` are clearly linearly independent (so at most ``n`` of them).

    Then every row of a full-dimensional ``{A x <= b}`` carries a facet, with
    no LP: from an interior point, the direction ``d`` with ``A d = e_j``
    leaves through row ``j`` alone. In a ball domain, where the box rows are
    left out, this holds for every region of a net with at most ``n``
    neurons and spares one LP per row (docs/performance.md §3: qhull cannot help above
    8 dimensions). "Clearly": the unit rows' smallest singular value exceeds
    ``tol``.

    >>> independent_rows(np.eye(3)[:2]), independent_rows(np.ones((2, 3)))
    (True, False)
    """
    A = np.asarray(A, dtype=np.float64)
    m, n = A.shape
    if m == 0:
        return True
    if m > n:
        return False
    U = A / np.sqrt(np.einsum("ij,ij->i", A, A))[:, None]
    return bool(np.linalg.svd(U, compute_uv=False)[-1] > tol)


def chebyshev_in_ball(A, b, ball=None, radius_cap=1.0):
    """Centre and certified radius of a near-largest ball in ``{A x <= b}`` (and ``ball``).

    Without ``ball`` this is :func:`polyregions.lp.chebyshev_ball`. With
    ``ball=(center, radius)`` it is :func:`region_in_ball` asked for a radius
    within 1e-3 of the largest; ``None`` then also means the polytope is
    certified to miss the open ball.

    >>> A = np.vstack([np.eye(2), -np.eye(2)]); b = np.ones(4)
    >>> x, r = chebyshev_in_ball(A, b, ball=([0.0, 0.0], 0.5))
    >>> round(r, 3)
    0.5
    """
    if ball is None:
        return chebyshev_ball(A, b, radius_cap=radius_cap)
    res = region_in_ball(np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64),
                         ball[0], ball[1], rtol=1e-3)
    return None if res.meets is False else (res.point, res.radius)


def facet_meets_ball(A, b, j, center, radius, x0=None):
    """Whether facet ``{x : A x <= b, a_j x = b_j}`` may meet the open ball ``B(center, radius)``.

    :func:`facet_in_ball` with undecided cases answered ``True``: ``False``
    is proved, and crossing a facet outside the ball only costs work while
    skipping one inside it could lose regions. ``x0`` is a point of the
    polytope inside the ball, if known.

    >>> facet_meets_ball(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, -0.5]), 0, [0.0, 0.0], 0.4)
    False
    """
    return facet_in_ball(A, b, j, center, radius, x0=x0).meets is not False
