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
* **yes** (facet) -- a point of the closed facet (to rounding) strictly
  inside the ball.

Anything else is *undecided*, and the caller must say so (the engine
counts it in ``RegionSet.n_undecided``); nothing is dropped because an
iteration budget ran out.

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

from .lp import INF, LPError, OPTIMAL, INFEASIBLE, pass_dense, highs_solver, chebyshev_ball, inscribed_radius

__all__ = ["BallRegion", "BallFacet", "nearest_point", "distance_lower_bound", "region_in_ball",
           "facet_in_ball", "chebyshev_in_ball", "facet_meets_ball", "independent_rows"]

_U = np.finfo(np.float64).eps
#: DAQP's value for an absent bound.
_DAQP_INF = 1e30
#: Smallest singular value of the unit rows for :func:`independent_rows`.
INDEPENDENCE_TOL = 1e-6
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

    ``meets`` is ``True`` (``point`` lies on the closed facet, to rounding,
    strictly inside the ball), ``False`` (``distance``, a certified lower
    bound on ``dist(c, F)``, is ``>= r``) or ``None`` (undecided).
    """

    meets: bool | None
    point: np.ndarray | None
    distance: float
    n_qp: int


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


def _best_on_segment(A, b, norms, c, radius, p, z):
    """The point of the segment ``[p, z]`` with the largest inscribed radius in ``R ∩ B``.

    Both the slack of every row and ``r - ||x - c||`` are concave along the
    segment, so their minimum is too: two grids of 33 points locate its
    maximum well enough (the radius at the point is recomputed anyway).
    """
    Sp = (b - A @ p) / norms
    Sz = (b - A @ z) / norms
    dp, dz = p - c, z - p
    lo, hi, best_f, best_t = 0.0, 1.0, -np.inf, 0.0
    for _ in range(2):
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
        interior = chebyshev_ball(A, b, radius_cap=radius)
        n_lp += 1
        if interior is None:
            return result(False, dist=dist)  # R is empty (the LP's infeasibility)
    z, rz = interior
    r_hi = min(rz, radius - max(dist, 0.0))
    if rz <= 0:
        return result(False, None, -np.inf, 0.0, dist, z, rz)  # R has no interior
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


def _on_facet_in_ball(A, b, j, q, c, radius):
    """Whether ``q`` is on the closed facet ``j`` (to rounding) and strictly inside the ball.

    Residuals beyond ``8 (n + 2) u`` times the magnitudes involved fail; the
    ball margin must exceed the rounding of ``||q - c||`` plus 1000 times the
    largest normalised residual (room to move ``q`` onto the exact facet).
    """
    m, n = A.shape
    g = _gamma(n)
    res = A @ q - b
    tau = g * (np.abs(A) @ np.abs(q) + np.abs(b))
    if np.any(res > tau) or abs(res[j]) > tau[j]:
        return False
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    off = float(max(np.max(np.maximum(res, 0.0) / norms), abs(res[j]) / norms[j]))
    margin = radius - float(np.linalg.norm(q - c))
    return margin > 1e3 * off + g * (float(np.linalg.norm(q)) + float(np.linalg.norm(c)) + radius)


def facet_in_ball(A, b, j, center, radius, x0=None):
    """Decide whether the facet ``{x : A x <= b, a_j x = b_j}`` meets the open ball ``B(center, radius)``.

    ``x0``, a point of ``R ∩ B`` if known, is projected onto the facet's
    hyperplane first (no QP needed when the projection certifies). Then one
    QP over the facet: its point certifies "yes", its multipliers (row ``j``
    free) "no". The facet is assumed to be one (``n - 1``-dimensional), so
    meeting the closed facet means meeting its relative interior.

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
    aj = A[j]
    nj = float(np.sqrt(aj @ aj))
    g = _gamma(A.shape[1])
    # The whole hyperplane misses the ball (a one-row certificate, either sign).
    plane = (abs(float(aj @ c - b[j])) - g * (float(np.abs(aj) @ np.abs(c)) + abs(b[j]))) / nj * (1 - g)
    if plane >= radius:
        return BallFacet(False, None, plane, 0)
    if x0 is not None:
        q = x0 + (b[j] - aj @ x0) / (aj @ aj) * aj
        if _on_facet_in_ball(A, b, j, q, c, radius):
            return BallFacet(True, q, -np.inf, 0)
    dist = max(plane, _single_row_bound(np.delete(A, j, 0), np.delete(b, j), c)) if len(b) > 1 else plane
    if dist >= radius:
        return BallFacet(False, None, dist, 0)
    near = nearest_point(A, b, c, equality=j)
    if near is None:
        return BallFacet(None, None, dist, 1)
    q, lam = near
    if _on_facet_in_ball(A, b, j, q, c, radius):
        return BallFacet(True, q, dist, 1)
    dist = max(dist, distance_lower_bound(A, b, c, lam, free=j))
    return BallFacet(False if dist >= radius else None, None, dist, 1)


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
