"""Regions crossed by a classifier's decision boundary, and its pieces in 2-D.

On an activation region the network is affine, so each class score is an
affine function there. With scores ``s_0..s_{k-1}`` (the outputs of a
multiclass net; ``(0, f)`` for a single-output binary net, whose boundary is
``f = 0``), class ``c`` wins on the convex *cell*
``{x in region : s_c(x) >= s_j(x) for all j}``. The decision boundary
crosses a region iff at least two classes win on cells with non-empty
interior there; the boundary inside the region is then the union of the
segments (in 2-D) where two winning cells meet, on the lines ``s_c = s_d``.

Each cell is decided as the engine decides a region: a Chebyshev-centre
LP (HiGHS) on unit-norm rows, solved in coordinates centred at the region's
interior point with the region's radius as the unit (in a ball, the
certified ball QP of :mod:`polyregions.ball`), its radius certified in
float64 in the original coordinates; a cell counts iff that radius exceeds
``Tolerances.radius`` times the cell's own local scale
``max(|x0|_inf, r, lam)`` (:mod:`polyregions.tolerances`), never the
domain's width. So the decision is unchanged by positive rescaling of the
weights or of the input, and in boxes of any width.

Like a :class:`~polyregions.results.RegionSet`, the result carries a
``status`` in the project's vocabulary: a cell is dropped only when a
solver proves it empty; a feasible cell whose radius is proved below the
tolerance is counted in ``n_thin`` (``"exact_at_resolution"``), and a cell
no solver could decide in ``n_undecided`` (``"lower_bound"``: ``n_crossed``
is then only a lower bound).

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box, enumerate_regions
>>> net = ReLUNetwork.from_weights([np.eye(2), [[1.0, -1.0]]], [np.zeros(2), [-0.5]])
>>> db = decision_boundary(enumerate_regions(net, Box([-1, -1], [1, 1])))
>>> db.n_crossed, db.n_regions, len(db.segments) > 0
(2, 4, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .polytope import clip_rows_to_ball
from .ball import region_in_ball
from .lp import chebyshev_lp, inscribed_radius
from .network import ReLUNetwork
from .results import (EXACT, EXACT_AT_RESOLUTION, LOWER_BOUND, RegionSet,
                      region_halfspaces)
from .scaling import first_layer_offset_scale, first_layer_spread

__all__ = ["DecisionBoundary", "decision_boundary", "region_scores"]


def region_scores(rs, i):
    """Class scores ``S u + s`` on region ``i`` of ``rs`` (domain coordinates).

    ``(0, f)`` for a single-output network (the boundary is ``f = 0``), the
    outputs otherwise.
    """
    A, c = rs.network.affine_output(rs.patterns[i], rs.domain.input_map)
    if rs.network.output_dim == 1:
        return np.vstack([np.zeros_like(A), A]), np.concatenate([[0.0], c])
    return A, c


def _cell_rows(S, s, cls):
    """Rows ``(s_j - s_c)(u) <= 0`` for every ``j != cls``."""
    others = np.arange(len(s)) != cls
    return S[others] - S[cls], s[cls] - s[others]


def _clip(poly, a, beta):
    """Sutherland-Hodgman: the convex polygon ``poly`` cut by ``a . x <= beta``."""
    if len(poly) == 0:
        return poly
    out = []
    vals = poly @ a - beta
    n = len(poly)
    for k in range(n):
        p, q = poly[k], poly[(k + 1) % n]
        vp, vq = vals[k], vals[(k + 1) % n]
        if vp <= 0:
            out.append(p)
        if (vp < 0 < vq) or (vq < 0 < vp):
            out.append(p + (vp / (vp - vq)) * (q - p))
    return np.array(out).reshape(-1, 2)


@dataclass(frozen=True, eq=False)
class DecisionBoundary:
    """The regions a decision boundary crosses; built by :func:`decision_boundary`.

    Attributes
    ----------
    regions : ndarray of intp
        Indices (into the RegionSet) of the regions crossed.
    winners : tuple of tuple of int
        For every region, the classes that win on a full-dimensional cell of
        it (for a single-output net, class 1 is ``f > 0``).
    n_regions : int
        Regions in the RegionSet.
    segments : ndarray, shape (k, 2, 2) or None
        In 2-D, the boundary as segments in domain coordinates (for ball
        domains the region polygons are inscribed, as in plots).
    segment_regions : ndarray of intp or None
        The region of each segment.
    segment_classes : ndarray of intp, shape (k, 2), or None
        The two classes each segment separates.
    n_thin : int
        Cells (class, region) proved feasible but thinner than the radius
        tolerance: not counted as winning (a crossing only at resolution).
    n_undecided : int
        Cells no solver could decide: not counted as winning, so a region
        holding one may be crossed without being listed.
    run_status : str
        The RegionSet's status (an incomplete run lists only the regions found).

    Examples
    --------
    >>> db = DecisionBoundary(np.array([1]), ((0,), (0, 1)), 2, None, None, None)
    >>> db.n_crossed, db.fraction_crossed, db.status
    (1, 0.5, 'exact')
    >>> DecisionBoundary(np.array([1]), ((0,), (0, 1)), 2, None, None, None, n_undecided=1).status
    'lower_bound'
    """

    regions: np.ndarray
    winners: tuple
    n_regions: int
    segments: np.ndarray | None
    segment_regions: np.ndarray | None
    segment_classes: np.ndarray | None
    n_thin: int = 0
    n_undecided: int = 0
    run_status: str = EXACT

    @property
    def status(self) -> str:
        """``"exact"``, ``"exact_at_resolution"`` (thin cells or such a run) or ``"lower_bound"``.

        ``"lower_bound"`` when a cell is undecided or the run did not finish:
        ``n_crossed`` may then miss crossed regions.
        """
        if self.n_undecided or self.run_status not in (EXACT, EXACT_AT_RESOLUTION):
            return LOWER_BOUND
        if self.n_thin or self.run_status == EXACT_AT_RESOLUTION:
            return EXACT_AT_RESOLUTION
        return EXACT

    @property
    def status_detail(self) -> str:
        """Why the status is what it is, in words."""
        parts = []
        if self.run_status != EXACT:
            parts.append(f"the region run is {self.run_status}")
        if self.n_undecided:
            parts.append(f"{self.n_undecided} class cells undecided (not counted as winning)")
        if self.n_thin:
            parts.append(f"{self.n_thin} class cells thinner than the radius tolerance "
                         "(not counted as winning)")
        st = self.status
        return st if not parts else f"{st}: " + "; ".join(parts)

    @property
    def n_crossed(self) -> int:
        """Number of regions the boundary crosses."""
        return int(self.regions.size)

    @property
    def fraction_crossed(self) -> float:
        return self.n_crossed / self.n_regions if self.n_regions else float("nan")

    @property
    def length(self) -> float:
        """Total length of the 2-D boundary pieces (``nan`` above 2-D)."""
        if self.segments is None:
            return float("nan")
        return float(np.sum(np.linalg.norm(self.segments[:, 1] - self.segments[:, 0], axis=1)))

    def __repr__(self):
        return (f"DecisionBoundary(n_crossed={self.n_crossed}, n_regions={self.n_regions}, "
                f"status={self.status!r})")


def decision_boundary(rs, *, pieces=None):
    """Regions of ``rs`` crossed by the decision boundary, and its 2-D pieces.

    Parameters
    ----------
    rs : RegionSet
        A complete run (a partial one gives the crossings among the regions
        found, with a ``RuntimeWarning``).
    pieces : bool, optional
        Compute the boundary's segments; default: when the domain is 2-D and
        bounded (a box, ball, polytope or 2-D slice).

    Returns
    -------
    DecisionBoundary
        Its ``status`` is ``"lower_bound"`` when a cell could not be decided
        (``n_undecided``) or the run is incomplete, ``"exact_at_resolution"``
        when a cell was proved thinner than the radius tolerance (``n_thin``)
        or the run is exact only at resolution, else ``"exact"``.

    Examples
    --------
    Three classes on a line split by two thresholds:

    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0], [-1.0]], [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]],
    ...                                [[0.0, 0.0], [-0.5, -0.5, 0.0]])
    >>> db = decision_boundary(enumerate_regions(net, Box([-2.0], [2.0])))
    >>> db.n_crossed, db.winners, db.status
    (2, ((1, 2), (0, 2)), 'exact')
    """
    if not isinstance(rs, RegionSet):
        raise TypeError(f"decision_boundary needs a RegionSet (from enumerate_regions); got "
                        f"{type(rs).__name__}.")
    if not rs.complete:
        import warnings

        warnings.warn(f"the run is incomplete ({rs.status_detail}); only the regions found are "
                      "examined.", RuntimeWarning, stacklevel=2)
    dom = rs.domain
    if pieces is None:
        pieces = dom.dim == 2 and dom.bounded
    if pieces and dom.dim != 2:
        raise ValueError(f"boundary pieces are drawn in 2-D; this run is {dom.dim}-D.")
    if pieces and not dom.bounded:
        raise ValueError("boundary pieces need a bounded 2-D domain (a box, ball or slice).")
    tol = rs.tolerances
    ball = dom.ball
    dense = isinstance(rs.network, ReLUNetwork)
    lam = first_layer_offset_scale(rs.network, dom.input_map) if dense else 0.0
    cap = np.inf
    if not dom.bounded:
        # The engine's cap on unbounded regions' radii (recorded in the run's stats).
        cap = rs.stats.get("radius_cap") or np.inf
        if not np.isfinite(cap):
            spread = first_layer_spread(rs.network, dom.input_map) if dense else 0.0
            cap = tol.radius_cap * (spread if spread > 0 else max(lam, dom.scale))
    winners, crossed = [], []
    n_thin = n_undecided = 0
    segs, seg_reg, seg_cls = [], [], []
    for i in range(rs.n_regions):
        A, b, _ = region_halfspaces(rs.network, dom, rs.patterns[i], tol.zero_row)
        if ball is not None:
            # Bound the cell LPs without cutting the cell's part inside the ball.
            A, b, _, _ = clip_rows_to_ball(A, b, ball)
        S, s = region_scores(rs, i)
        first = int(np.argmax(S @ rs.interior_points[i] + s))
        won = []
        for c in range(len(s)):
            if c == first:
                won.append(c)  # its cell holds the certified interior point
                continue
            Ac, bc = _cell_rows(S, s, c)
            const = ~np.any(Ac != 0, axis=1)
            if np.any(bc[const] <= 0):
                continue  # a score never above a parallel one: no interior
            Ac, bc = Ac[~const], bc[~const]
            kind = _cell_kind(np.vstack([A, Ac]), np.concatenate([b, bc]), ball, cap, lam, tol,
                              rs.interior_points[i], rs.radii[i])
            if kind == "wins":
                won.append(c)
            n_thin += kind == "thin"
            n_undecided += kind == "undecided"
        winners.append(tuple(won))
        if len(won) > 1:
            crossed.append(i)
            if pieces:
                _pieces(rs, i, S, s, won, segs, seg_reg, seg_cls)
    segments = seg_regions = seg_classes = None
    if pieces:
        segments = np.array(segs, dtype=np.float64).reshape(-1, 2, 2)
        seg_regions = np.array(seg_reg, dtype=np.intp)
        seg_classes = np.array(seg_cls, dtype=np.intp).reshape(-1, 2)
    return DecisionBoundary(np.array(crossed, dtype=np.intp), tuple(winners), rs.n_regions,
                            segments, seg_regions, seg_classes, n_thin=int(n_thin),
                            n_undecided=int(n_undecided), run_status=rs.status)


def _cell_kind(A, b, ball, cap, lam, tol, x_ref, L):
    """Decide the cell ``{A u <= b}`` (inside ``ball``): ``"wins"``, ``"empty"``, ``"thin"`` or ``"undecided"``.

    The engine's rule (:mod:`polyregions.tolerances`): rows of unit norm, the
    LP in coordinates ``y = (u - x_ref) / L`` (the region's interior point
    and radius), the radius recomputed in float64 in the original
    coordinates, ``ell = max(|x0|_inf, r, lam)`` the cell's local scale. It
    wins when that radius exceeds ``tol.radius * ell``; it is ``"empty"``
    only when HiGHS proves the LP infeasible (or the ball certificate proves
    it misses the ball); ``"thin"`` when its radius is proved at most a few
    times the tolerance (the engine's thin band); otherwise ``"undecided"``.
    """
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    An, bn = A / norms[:, None], b / norms
    L = float(L) if L > 0 else 1.0
    s = (bn - An @ x_ref) / L
    if ball is None:
        st, y, t = chebyshev_lp(An, s, radius_cap=cap / L)
        if st == "infeasible":
            return "empty"
        if st != "optimal":
            return "undecided"
        bound = t * L  # the LP's radius in the original coordinates
    else:
        c, R = ball
        fit = region_in_ball(An, s, (np.asarray(c, dtype=np.float64) - x_ref) / L, R / L, rtol=1e-3)
        if fit.meets is False:
            return "empty"
        bound = fit.radius_bound * L
        if fit.point is None:
            ell = max(float(np.max(np.abs(x_ref), initial=0.0)), lam)
            return "thin" if bound <= tol.radius * ell else "undecided"
        y = fit.point
    x0 = x_ref + L * y
    r = inscribed_radius(An, bn, x0, ball)
    # As the engine: the LP path's scale includes the LP radius, the ball path's the certified one.
    ell = max(float(np.max(np.abs(x0), initial=0.0)), max(r, bound if ball is None else r, 0.0), lam)
    if r > tol.radius * ell:
        return "wins"
    # The LP's own radius (an upper bound up to its tolerance) says how thin it is.
    return "thin" if bound <= 4 * tol.radius * ell else "undecided"


def _pieces(rs, i, S, s, won, segs, seg_reg, seg_cls):
    """Append the segments of region ``i`` where two winning cells meet."""
    from .geometry import region_polygon

    poly = region_polygon(rs, i)
    scale = max(float(np.max(np.abs(poly))), 1.0)
    for c in won:
        cell = poly
        Ac, bc = _cell_rows(S, s, c)
        for a, beta in zip(Ac, bc):
            cell = _clip(cell, a, beta)
        if len(cell) < 2:
            continue
        for d in won:
            if d <= c:
                continue  # each shared edge once, from the lower class's cell
            a = S[d] - S[c]
            beta = s[c] - s[d]
            resid = np.abs(cell @ a - beta)
            on = resid <= 1e-9 * scale * max(float(np.linalg.norm(a)), 1e-300)
            n = len(cell)
            if n < 3:
                continue  # a degenerate sliver of the cell, no edge of positive length
            for k in range(n):
                if on[k] and on[(k + 1) % n]:
                    p, q = cell[k], cell[(k + 1) % n]
                    if np.linalg.norm(q - p) > 1e-12 * scale:
                        segs.append((p, q))
                        seg_reg.append(i)
                        seg_cls.append((c, d))
