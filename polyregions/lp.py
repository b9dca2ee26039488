"""LP and geometry kernel over plain ``(A, b)`` arrays (``A x <= b``).

Everything the engine asks of a polytope goes through here:

* :func:`chebyshev_ball` -- largest inscribed ball (feasibility and full
  dimension in one LP); intersections with a Euclidean ball are
  :mod:`polyregions.ball`'s, which builds on this module;
* :func:`facet_rows` -- which rows carry facets (qhull on the polar dual,
  an LP per row where qhull cannot be trusted);
* :func:`bounding_box` and :func:`solve_lp` -- small utilities.

All LPs run on one reused HiGHS object per thread, fed through the flat-array
``passModel`` with presolve off: docs/performance.md measured a fresh object per LP
at about twice the cost, and pulp or ``scipy.optimize.linprog`` at 10-50x.
Each region's LP is loaded cold. Warm-started row flips (``changeCoeff`` +
``changeRowBounds`` on the parent's loaded LP, docs/performance.md §1) were built
and measured in the engine: a flip cost 214 us against 294 us for a cold
solve at m = 68, but end to end the CPU time per region did not change
(2-[32,32] 0.614 vs 0.619 ms, 3-[16,16] 0.664 vs 0.677, 4-[16,16] 0.730 vs
0.730), because only neighbours of cold-solved regions can be flipped and
the rest of the per-region work dominates. So they were left out.

Example
-------
>>> import numpy as np
>>> A = np.vstack([np.eye(2), -np.eye(2)]); b = np.ones(4)
>>> x, r = chebyshev_ball(A, b)
>>> np.round(x, 12).tolist() == [0, 0], round(r, 12)
(True, 1.0)
>>> facet_rows(A, b, x).tolist()
[0, 1, 2, 3]
"""

from __future__ import annotations

import threading

import numpy as np
import highspy
from highspy import _core

__all__ = [
    "chebyshev_ball",
    "chebyshev_lp",
    "facet_rows",
    "bounding_box",
    "solve_lp",
    "inscribed_radius",
    "is_bounded",
    "highs_solver",
    "pass_dense",
]

INF = highspy.kHighsInf
_COLWISE = int(highspy.MatrixFormat.kColwise)
_MINIMIZE = int(highspy.ObjSense.kMinimize)
OPTIMAL = highspy.HighsModelStatus.kOptimal
INFEASIBLE = highspy.HighsModelStatus.kInfeasible
_UNBOUNDED = (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible)

#: HiGHS primal/dual feasibility tolerance. Radii are re-verified with numpy
#: afterwards (:func:`inscribed_radius`), so this only affects which
#: near-degenerate LPs HiGHS calls feasible, never a reported certificate.
LP_FEASIBILITY_TOL = 1e-9

#: Highest dimension in which facets come from qhull. Measured on regions of
#: He nets with widths [24, 24] (about 65 rows): qhull 9 ms vs one LP per row
#: 19 ms in 8-D, but 116 ms vs 23 ms in 10-D and 3 s vs 27 ms in 12-D.
QHULL_MAX_DIM = 8

_local = threading.local()


class LPError(RuntimeError):
    """HiGHS returned a status the kernel does not know how to interpret."""


def highs_solver(slot="lp"):
    """The reused HiGHS object of this thread (one per ``slot``).

    The ``threads`` option is left at its default on purpose: HiGHS keeps one
    thread scheduler per process, and a run whose ``threads`` differs from
    the scheduler's size fails (status ``kNotset``), e.g. after a user's own
    HiGHS MIP. The simplex itself is serial either way.
    """
    h = getattr(_local, slot, None)
    if h is None:
        h = _core._Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("primal_feasibility_tolerance", LP_FEASIBILITY_TOL)
        h.setOptionValue("dual_feasibility_tolerance", LP_FEASIBILITY_TOL)
        setattr(_local, slot, h)
    return h


def pass_dense(h, cost, col_lo, col_hi, row_lo, row_hi, M, sparse=False):
    """Pass ``min cost.x  s.t. row_lo <= M x <= row_hi`` given ``M`` as a dense (rows, cols) array.

    ``sparse=True`` hands HiGHS only the non-zeros (worth it for the mostly
    empty relaxation LPs of :mod:`polyregions.local_bounds`; region LPs are dense).
    """
    m, ncol = M.shape
    if sparse:
        nz = (M != 0).T
        start = np.concatenate([[0], np.cumsum(nz.sum(1))]).astype(np.int32)
        index = np.nonzero(nz)[1].astype(np.int32)
        value = np.ascontiguousarray(M.T[nz], dtype=np.float64)
    elif m == 0:
        # No rows (e.g. every neuron constant on the region): columns with bounds only.
        start = np.zeros(ncol + 1, dtype=np.int32)
        index = np.zeros(0, dtype=np.int32)
        value = np.zeros(0)
    else:
        start = np.arange(0, (ncol + 1) * m, m, dtype=np.int32)
        index = np.tile(np.arange(m, dtype=np.int32), ncol)
        value = np.ascontiguousarray(M.T).ravel()
    h.passModel(
        ncol,
        m,
        int(value.size),
        _COLWISE,
        _MINIMIZE,
        0.0,
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(col_lo, dtype=np.float64),
        np.ascontiguousarray(col_hi, dtype=np.float64),
        np.ascontiguousarray(row_lo, dtype=np.float64),
        np.ascontiguousarray(row_hi, dtype=np.float64),
        start,
        index,
        value,
        np.zeros(ncol, dtype=np.int32),
    )


def inscribed_radius(A, b, x, ball=None):
    """Radius of the largest ball around ``x`` inside ``{A y <= b}`` (and ``ball``).

    This is the certificate: computed directly in float64 from the
    constraints, independent of the LP solver's tolerances. Negative when
    ``x`` violates a constraint.
    """
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    r = np.min((b - A @ x) / norms) if len(b) else np.inf
    if ball is not None:
        c, R = ball
        r = min(r, R - float(np.linalg.norm(x - c)))
    return float(r)


def chebyshev_ball(A, b, radius_cap=1.0):
    """Chebyshev centre and radius of ``{x : A x <= b}``.

    Solves ``max t  s.t.  a_i x + ||a_i|| t <= b_i,  0 <= t <= radius_cap``.
    Intersected with a Euclidean ball, the question is
    :func:`polyregions.ball.chebyshev_in_ball` (this kernel stays below the
    ball kernel, which builds on it).

    Parameters
    ----------
    A : ndarray, shape (m, n)
        Rows must be non-zero.
    b : ndarray, shape (m,)
    radius_cap : float, default 1.0
        Upper bound on ``t``; keeps unbounded regions' LPs bounded. Use
        ``np.inf`` to detect unboundedness (then ``(None, inf)`` is returned
        for an unbounded radius).

    Returns
    -------
    (x, r) or None
        ``None`` when the polytope is empty. ``r`` is the radius certified at
        ``x`` by :func:`inscribed_radius` (``<= 0`` means no interior found).
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    status, x, t = chebyshev_lp(A, b, radius_cap)
    if status == "infeasible":
        return None
    if status == "unbounded":
        return (None, np.inf)
    if status != "optimal":
        raise LPError(f"HiGHS gave no optimum for a Chebyshev-centre LP with {len(b)} rows.")
    return x, inscribed_radius(A, b, x) if len(b) else t


def _facet_rows_lp(A, b, rel_tol):
    """Irredundant rows by one LP each: relax row j by 1 and see if ``a_j x`` can exceed ``b_j``."""
    m, n = A.shape
    h = highs_solver("facet")
    pass_dense(h, np.zeros(n), np.full(n, -INF), np.full(n, INF), np.full(m, -INF), b, A)
    idx = np.arange(n, dtype=np.int32)
    keep = []
    for j in range(m):
        h.changeColsCost(n, idx, -A[j])
        h.changeRowBounds(j, -INF, float(b[j] + 1.0))
        h.run()
        st = h.getModelStatus()
        if st == OPTIMAL:
            val = -h.getObjectiveValue()
            if val > b[j] + rel_tol * max(1.0, abs(b[j])):
                keep.append(j)
        elif st in _UNBOUNDED:  # cannot happen with the relaxed row bounded; be safe
            keep.append(j)
        h.changeRowBounds(j, -INF, float(b[j]))
    return np.asarray(keep, dtype=np.intp)


def is_facet_row(A, b, j, rel_tol=1e-9):
    """Whether row ``j`` of ``{A x <= b}`` carries a facet: one LP, as in :func:`facet_rows`.

    Row ``j`` is relaxed by 1 and ``a_j x`` maximised: it is a facet iff the
    maximum exceeds ``b_j`` by more than ``rel_tol * max(1, |b_j|)``. Rows
    carrying the same hyperplane as row ``j`` must be left out by the caller.

    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); b = np.array([0.0, 0.0, 1.0])
    >>> is_facet_row(A, b, 0), is_facet_row(A, b, 2)
    (True, False)
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    m, n = A.shape
    h = highs_solver("facet")
    hi = b.copy()
    hi[j] += 1.0
    pass_dense(h, -A[j], np.full(n, -INF), np.full(n, INF), np.full(m, -INF), hi, A)
    h.run()
    st = h.getModelStatus()
    if st in _UNBOUNDED:
        return True
    return bool(st == OPTIMAL and -h.getObjectiveValue() > b[j] + rel_tol * max(1.0, abs(float(b[j]))))


def facet_rows(A, b, x0, rel_tol=1e-9, method="auto"):
    """Indices of the rows of ``A x <= b`` that carry facets.

    Uses qhull on the polar dual about the interior point ``x0``: row ``i``
    is a facet iff ``a_i / (b_i - a_i x0)`` is a vertex of the convex hull of
    those points and the origin (the origin is added so that unbounded
    polyhedra work too). Falls back to one LP per row when qhull rejects the
    input (fewer points than a full-dimensional hull needs) or in 1-D.

    Rows must be non-zero and ``x0`` strictly interior. Of several rows
    carrying the same hyperplane (equal up to ``rel_tol`` after
    normalisation) exactly one is reported. ``method="lp"`` skips qhull, for
    polytopes so thin that the polar points ``a_i / (b_i - a_i x0)`` lose
    precision; ``x0`` is then not used. Above :data:`QHULL_MAX_DIM`
    dimensions the LP test is always used: qhull's cost grows with the
    number of vertices, which explodes with the dimension.
    """
    if method not in ("auto", "lp"):
        raise ValueError(f"method must be 'auto' or 'lp'; got {method!r}.")
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    m, n = A.shape
    if m == 0:
        return np.zeros(0, dtype=np.intp)
    if method == "lp" or n > QHULL_MAX_DIM:
        return _facet_rows_lp_unique(A, b, rel_tol)
    slack = b - A @ x0
    if n == 1:
        a = A[:, 0]
        with np.errstate(divide="ignore"):
            reach = slack / np.abs(a)
        out = []
        for side in (a > 0, a < 0):
            if side.any():
                cand = np.flatnonzero(side)
                out.append(cand[np.argmin(reach[cand])])
        return np.sort(np.asarray(out, dtype=np.intp))
    if np.min(slack) <= 0:
        raise ValueError("facet_rows needs x0 strictly inside the polytope.")
    P = A / slack[:, None]
    if m >= n + 1:
        from scipy.spatial import ConvexHull, QhullError

        try:
            hull = ConvexHull(np.vstack([P, np.zeros((1, n))]))
            v = hull.vertices
            return np.sort(v[v < m]).astype(np.intp)
        except (QhullError, ValueError):
            pass
    return _facet_rows_lp_unique(A, b, rel_tol)


def _facet_rows_lp_unique(A, b, rel_tol):
    """LP facet test after merging coincident rows (relaxing one of two equal rows changes nothing)."""
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    scale = max(1.0, float(np.abs(b / norms).max()))
    key = np.round(np.hstack([A, b[:, None] / scale]) / norms[:, None] / rel_tol) + 0.0
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    return first[_facet_rows_lp(A[first], b[first], rel_tol)]


def is_bounded(A):
    """Whether a non-empty ``{x : A x <= b}`` is bounded (its recession cone is ``{0}``).

    The cone ``{d : A d <= 0}`` is trivial iff the rows positively span
    ``R^n``: ``A`` has rank ``n`` and some ``y > 0`` has ``A^T y = 0``. The
    second part is one LP (``y >= 1`` by scaling).
    """
    A = np.asarray(A, dtype=np.float64)
    m, n = A.shape
    if m <= n or np.linalg.matrix_rank(A) < n:
        return False
    h = highs_solver("aux")
    pass_dense(h, np.zeros(m), np.ones(m), np.full(m, INF), np.zeros(n), np.zeros(n), A.T)
    h.run()
    return h.getModelStatus() == OPTIMAL


def solve_lp(c, A, b, lo=None, hi=None):
    """``min c.x  s.t.  A x <= b,  lo <= x <= hi`` on the reused solver.

    Returns ``(status, x, value)`` with status ``"optimal"``, ``"infeasible"``
    or ``"unbounded"`` (``x``/``value`` are ``None`` unless optimal).

    >>> solve_lp([1.0], [[-1.0]], [2.0])[2]
    -2.0
    """
    c = np.asarray(c, dtype=np.float64)
    A = np.atleast_2d(np.asarray(A, dtype=np.float64))
    b = np.asarray(b, dtype=np.float64)
    n = c.size
    lo = np.full(n, -INF) if lo is None else np.where(np.isfinite(lo), lo, -INF)
    hi = np.full(n, INF) if hi is None else np.where(np.isfinite(hi), hi, INF)
    h = highs_solver("aux")
    pass_dense(h, c, lo, hi, np.full(len(b), -INF), b, A.reshape(len(b), n))
    h.run()
    st = h.getModelStatus()
    if st == OPTIMAL:
        return "optimal", np.asarray(h.getSolution().col_value), float(h.getObjectiveValue())
    if st == INFEASIBLE:
        return "infeasible", None, None
    if st in _UNBOUNDED:
        return "unbounded", None, None
    raise LPError(f"HiGHS returned {st}.")


def bounding_box(A, b):
    """Tight axis-aligned bounding box ``(lo, hi)`` of ``{A x <= b}``, or ``None`` if unbounded."""
    A = np.asarray(A, dtype=np.float64)
    n = A.shape[1]
    lo, hi = np.empty(n), np.empty(n)
    for k in range(n):
        e = np.zeros(n)
        e[k] = 1.0
        st1, _, v1 = solve_lp(e, A, b)
        st2, _, v2 = solve_lp(-e, A, b)
        if st1 != "optimal" or st2 != "optimal":
            return None
        lo[k], hi[k] = v1, -v2
    return lo, hi


def chebyshev_lp(A, b, radius_cap=1.0):
    """The Chebyshev-centre LP with its own optimum: ``(status, x, t)``.

    ``max t  s.t.  a_i x + ||a_i|| t <= b_i,  0 <= t <= radius_cap``, on the
    reused solver. ``status`` is ``"optimal"``, ``"infeasible"`` (HiGHS'
    proof that the polyhedron is empty), ``"unbounded"`` or ``"error"`` (any
    other HiGHS status: the pattern is then undecided, never dropped). ``t``
    is the LP's radius, an upper bound on the inscribed radius up to the
    solver's tolerances; certify a lower bound with :func:`inscribed_radius`.
    The engine calls this in local coordinates (rows of unit norm, lengths in
    units of the region's scale), so HiGHS' absolute tolerances are relative
    to the region's own geometry.

    >>> A = np.vstack([np.eye(2), -np.eye(2)]); b = np.array([1.0, 1.0, 0.0, 0.0])
    >>> st, x, t = chebyshev_lp(A, b)
    >>> st, np.round(x, 12).tolist(), round(t, 12)
    ('optimal', [0.5, 0.5], 0.5)
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    m, n = A.shape
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    cost = np.zeros(n + 1)
    cost[n] = -1.0
    col_lo = np.full(n + 1, -INF)
    col_lo[n] = 0.0
    col_hi = np.full(n + 1, INF)
    col_hi[n] = INF if not np.isfinite(radius_cap) else float(radius_cap)
    h = highs_solver()
    pass_dense(h, cost, col_lo, col_hi, np.full(m, -INF), b, np.hstack([A, norms[:, None]]))
    h.run()
    status = h.getModelStatus()
    if status == INFEASIBLE:
        return "infeasible", None, None
    if status in _UNBOUNDED:
        return "unbounded", None, np.inf
    if status != OPTIMAL:
        return "error", None, None
    sol = np.asarray(h.getSolution().col_value)
    return "optimal", sol[:n], float(sol[n])
