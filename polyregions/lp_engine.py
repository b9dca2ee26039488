"""One pattern's region by LP: classify it, find its facets, step across them.

The per-pattern numerics of the breadth-first LP search
(:mod:`polyregions.lp_search` drives it; docs/design.md, "The search"). For
a pattern ``s`` (docs/math.md §1) the engine

1. writes the region as ``A u <= b`` inside the domain, rows of unit norm,
   from a *balanced* copy of the network (every hidden row ``[W_i | b_i]``
   of unit norm: positive rescalings change no pattern),
2. solves one Chebyshev-centre LP (HiGHS) in coordinates centred at the
   parent region's interior point with the parent's radius as unit: empty,
   thin or full-dimensional, with an interior point and a radius certified
   in float64 in the original coordinates, all thresholds relative to the
   region's own scale (see :class:`LPEngine`),
3. finds the facets with qhull on the polar dual,
4. for each facet carried by neurons, derives the neighbouring pattern across
   it *symbolically* -- no step size, so thin neighbours are never skipped
   (docs/math.md §10.2).

In a ball domain the region and facet questions are certified QPs
(:mod:`polyregions.ball`).

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box
>>> from polyregions.tolerances import Tolerances
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> eng = LPEngine(net, Box([-1, -1], [1, 1]), Tolerances())
>>> status, x0, r, neighbours = eng.process(np.array([True, True]), np.zeros(2), 1.0)
>>> status, sorted(n for _, n, _ in neighbours)   # the quadrant x, y > 0 has two facets
('region', [(0,), (1,)])
"""

from __future__ import annotations

import numpy as np

from .ball import facet_in_ball, independent_rows, region_in_ball
from .lp import LP_FEASIBILITY_TOL, QHULL_MAX_DIM, chebyshev_lp, facet_rows, inscribed_radius, is_facet_row
from .network import ReLUNetwork
from .results import pattern_rows
from .scaling import balanced_network, first_layer_offset_scale, first_layer_spread

__all__ = ["LPEngine"]

#: An LP whose radius is below this fraction of its length unit is solved
#: again, centred at its own centre with its own radius as the unit, so that
#: HiGHS' absolute tolerances never exceed a small fraction of the region.
_ZOOM = 1e-4
#: At most this many zoomed re-solves per pattern.
_MAX_ZOOMS = 3
#: Two constraints whose normalised rows (offsets relative to the local
#: scale) differ by at most this, about 9 ulps, are the same hyperplane up to
#: the rounding of normalisation (crossing them together is exact); up to
#: ``Tolerances.coincide`` they are merged and counted in ``n_merged``.
_SAME = 2e-15
#: Local row offsets are clipped here so HiGHS never reads a finite bound as
#: infinite (1e20); such rows are 1e18 region-lengths away.
_MAX_LOCAL_BOUND = 1e18


class LPEngine:
    """Per-run numerics: the balanced network, the domain, tolerances, LP counters.

    Everything that depends on a length is measured against the local scale
    of the region at hand, ``ell = max(|x0|_inf, r, lam)``: the magnitude of
    its interior point's coordinates (float64 resolves ``x0`` to about
    ``eps * |x0|``), its own radius, and ``lam``, the network's first-layer
    offset scale (offsets computed deeper in the net carry rounding errors of
    about ``eps * lam``). The domain's width plays no part, so a region is
    decided the same way in a box of half-width 1 or 1e8. With ``lam = 0``
    the scale vanishes at the origin; a pattern whose closure holds it is a
    cone there, decided at unit scale (:meth:`classify_cone`).
    """

    def __init__(self, net, domain, tol):
        # Positive rescalings change no pattern: work on unit-norm hidden rows
        # (dense ReLU networks; a general PLNetwork is used as given).
        self.dense = dense = isinstance(net, ReLUNetwork)
        self.net = balanced_network(net) if dense else net
        self.domain = domain
        self.tol = tol
        self.lam = first_layer_offset_scale(self.net, domain.input_map) if dense else 0.0
        self.layer_of = np.concatenate(
            [np.full(w, l) for l, w in enumerate(net.widths)] or [np.zeros(0, int)]
        ).astype(np.intp)
        # General networks (PLNetwork) have bits that are not crossed by a
        # single flip (a max-pool's argmax) and say how to settle them.
        self.flippable = getattr(net, "flippable", None)
        self.settle = getattr(net, "settle", None)
        Ad, bd = domain.halfspaces
        self.ball = domain.ball
        if self.ball is not None and len(bd) == 0:
            # The circumscribed box keeps every LP bounded and gives qhull a
            # bounded polytope; its faces touch the open ball nowhere, so the
            # facets they carry are never crossed.
            c, R = self.ball
            I = np.eye(domain.dim)
            Ad, bd = np.vstack([I, -I]), np.concatenate([c + R, -(c - R)])
        nd = np.linalg.norm(Ad, axis=1) if len(bd) else np.ones(0)
        self.Ad, self.bd = Ad / nd[:, None], bd / nd
        if domain.bounded and len(bd):
            self.radius_cap = np.inf
        else:
            # Unbounded regions: cap the radius relative to the arrangement's own
            # size, so that their centres stay near the hyperplanes they border
            # (facets seen from afar shrink below float64's resolution).
            spread = first_layer_spread(self.net, domain.input_map) if dense else 0.0
            self.radius_cap = tol.radius_cap * (spread if spread > 0 else max(self.lam, domain.scale))
        # The ball path (:meth:`ball_process`) decides region and facet questions
        # with certified QPs in the ball's units; its thresholds are the local ones too.
        self.basis = None
        # A ball with rows of its own (a part of a ball in a distributed run, a disc slice's
        # square): the rows count as constraints in the ball path too.
        self.ball_rows = self.ball is not None and len(domain.halfspaces[1]) > 0
        if self.ball is not None and net.n_neurons and not self.ball_rows:
            # Every neuron's gradient is a combination of the first layer's rows, so a
            # region is a cylinder over its trace on their span: the ball's decisions
            # live in that subspace (16-D for a 784-input net with 16 first neurons).
            W1 = net.weights[0] if domain.input_map is None else net.weights[0] @ domain.input_map[0]
            if W1.shape[0] < domain.dim:
                self.basis = np.linalg.qr(W1.T)[0]
        self.lp_calls = 0
        self.qp_calls = 0
        # Ball facets neither certified to meet nor to miss the ball: crossed
        # (the neighbour is tested on its own), but no edge recorded for them.
        self.undecided_facets = 0
        self.qhull_fallbacks = 0
        self.slow_neighbours = 0
        self.zooms = 0

    # ------------------------------------------------------------ one region
    def halfspaces(self, p):
        """Unit-norm rows of the region of pattern ``p``, or ``None`` if a constant neuron contradicts ``p``.

        Returns ``(A, b, owner, undetermined)``: ``owner`` is the neuron of
        each row (-1 for the domain) and ``undetermined`` the neurons that
        are identically zero on the region (their bit can change across any
        facet).
        """
        G, g = self.net.affine_preactivations(p, self.domain.input_map)
        An, bn, nz = pattern_rows(G, g, p, self.tol.zero_row)
        undetermined = np.zeros(0, dtype=np.intp)
        if not nz.all():
            zero = ~nz
            gz = g[zero]
            # Relative to the offsets' own magnitude (no absolute floor): with
            # balanced rows the terms summed into a constant are at most that big.
            eps = self.tol.zero_row * float(np.abs(g).max())
            # A neuron constant on the region must have the bit its constant gives.
            if np.any((gz > eps) != p[zero]):
                return None
            undetermined = np.flatnonzero(zero)[np.abs(gz) <= eps]
        norms = np.sqrt(np.einsum("ij,ij->i", An, An))
        A = np.vstack([An / norms[:, None], self.Ad])
        b = np.concatenate([bn / norms, self.bd])
        owner = np.concatenate([np.flatnonzero(nz), np.full(len(self.bd), -1)])
        return A, b, owner, undetermined

    def local_scale(self, x, r):
        return max(float(np.max(np.abs(x), initial=0.0)), float(r), self.lam)

    def solve(self, A, b, xc, L, *, scale=0.0, radius_cap=None):
        """Chebyshev LP of ``{A x <= b}`` in coordinates ``y = (x - xc) / L``.

        Returns ``(status, x, t)``: status ``"optimal"`` (``x`` in original
        coordinates, ``t`` the LP radius), ``"infeasible"`` (proved empty by HiGHS) or
        ``"error"`` (undecided). Re-solves zoomed in while the radius is a
        tiny fraction of ``L``, down to a unit of ``radius / LP_FEASIBILITY_TOL``
        times the local scale of the LP's point, or of ``scale`` if larger
        (:meth:`classify_cone` measures a cone against its normalising box,
        not against its apex). ``radius_cap`` defaults to the engine's.
        """
        cap_x = self.radius_cap if radius_cap is None else radius_cap
        x = t = None
        for zoom in range(_MAX_ZOOMS + 1):
            if zoom:
                self.zooms += 1
            self.lp_calls += 1
            s = np.minimum((b - A @ xc) / L, _MAX_LOCAL_BOUND)
            st, y, tl = chebyshev_lp(A, s, radius_cap=cap_x / L)
            if st != "optimal":
                return ("infeasible" if st == "infeasible" else "error"), None, None
            x, t = xc + L * y, tl * L
            # HiGHS decides to about LP_FEASIBILITY_TOL * L: zoom in until that
            # is a small part of the radius or below the radius tolerance.
            ell = max(self.local_scale(x, max(t, 0.0)), scale)
            floor = self.tol.radius / LP_FEASIBILITY_TOL * ell
            if t >= _ZOOM * L or L <= floor or max(t, floor) <= 0.0:
                break  # (no unit at all: the LP sits on the origin with lam = 0 and t = 0)
            xc, L = x, max(t, floor)
        return "optimal", x, t

    def classify(self, A, b, xc, L):
        """``(status, x0, r, t, ell)``; status region, thin, flat, empty or undecided.

        A region needs a radius certified in float64 in the original
        coordinates above ``radius * ell``. A pattern is dropped as empty
        only when HiGHS proves its LP infeasible. A feasible pattern below
        the radius tolerance is thin (counted in ``n_thin``): traversed when
        its LP radius exceeds ``empty * ell``, else *flat* (no interior to
        take facets from; counted in ``n_thin`` too, not traversed). An LP
        that claims a radius the float64 check cannot confirm leaves the
        pattern undecided (``n_undecided``), never dropped.

        A pattern whose closure holds the origin while ``lam = 0`` (every
        pattern of a zero-bias network) is decided by its cone at the origin
        unless its own LP certifies it a region (:meth:`classify_cone`): same
        rule, the ratio ``r / ell`` being scale-free in a cone, but measured
        away from the apex, where ``ell`` vanishes.
        """
        apex = self.at_apex(b)
        # At an apex the zoom keeps the parent's scale as its floor: zooming in on
        # the apex itself only shrinks the local scale with every step.
        decided = self.classify_lp(A, b, xc, L, scale=self.local_scale(xc, L) if apex else 0.0)
        if decided[0] == "region" or not apex:
            return decided
        # The pattern's closure holds the origin and no length is intrinsic
        # there (lam = 0): its LP may have settled at the apex, where the
        # local scale vanishes and the thresholds mean nothing (nor can HiGHS
        # ever prove the pattern empty: the origin is feasible). Decide the
        # cone instead, which is scale-free.
        return self.classify_cone(A, b)

    def classify_lp(self, A, b, xc, L, scale=0.0):
        """:meth:`classify` by the pattern's own Chebyshev LP (``scale``: the zoom's floor, see :meth:`solve`)."""
        st, x, t = self.solve(A, b, xc, L, scale=scale)
        if st == "infeasible":
            return "empty", None, None, None, None
        if st != "optimal":
            return "undecided", None, None, None, None
        r = inscribed_radius(A, b, x, self.ball) if len(b) else min(t, self.radius_cap)
        ell = self.local_scale(x, max(r, t, 0.0))
        if r > self.tol.radius * ell:
            return "region", x, r, t, ell
        if t <= self.tol.empty * ell:
            return self.flat()
        if t <= 4 * self.tol.radius * ell:
            return "thin", x, r, t, ell
        return "undecided", None, None, None, None

    def flat(self):
        # General networks' argmax bits make many patterns lower-dimensional
        # by construction (ties): there a flat pattern is treated as empty.
        return ("flat" if self.dense else "empty"), None, None, None, None

    def at_apex(self, b):
        """Whether ``{A x <= b}`` holds the origin on some of its rows while ``lam = 0``.

        Exactly then the region is, near the origin, the cone ``K`` of the
        rows with ``b_i = 0`` (every other row is slack there), and the local
        scale ``ell = max(|x|_inf, r)`` has no floor: zooming in on the apex
        shrinks it with every step (a zero-bias network: all its hyperplanes
        pass through the origin, every region is such a cone).
        """
        return self.lam == 0.0 and len(b) > 0 and bool(np.all(b >= 0.0)) and bool(np.any(b == 0.0))

    def classify_cone(self, A, b):
        """:meth:`classify` of a pattern whose closure holds the origin, with ``lam = 0``.

        Let ``K = {x : a_i x <= 0 for the rows with b_i = 0}`` (unit rows).
        The region ``P`` lies in ``K`` and agrees with it near the origin. With
        ``lam = 0`` the counting rule's ratio ``r / ell`` is invariant under
        ``x -> c x`` in ``K``, so ``K`` is decided once, at unit scale: its
        Chebyshev LP in the box ``|x|_inf <= 1`` gives a point ``xK`` and the
        radius ``tK`` there, the zoom measured against that box (scale 1),
        not against the apex where the LP may settle when ``K`` is thin.

        * region: the point ``x0 = s xK``, with ``s`` small enough for the
          rows with ``b_i > 0`` to stay slack, has a radius certified in
          float64 on ``P``'s own rows above ``radius * ell(x0)``, as for
          any other region;
        * flat or thin by ``tK <= empty`` or ``tK <= 4 radius``: every
          point ``x`` of ``P`` has a ball of radius at most ``|x|_inf tK /
          (1 - tK)`` inside ``K``, hence ``r / ell <= tK / (1 - tK)`` in
          ``P`` -- the thresholds of :meth:`classify_lp` with ``ell``
          measured at ``|x|_inf = 1``;
        * anything else (an LP error; an "infeasible" cone, which holds the
          origin, so HiGHS erred) is undecided.

        Never ``"empty"`` for a dense network: ``P`` holds the origin.

        >>> from polyregions import ReLUNetwork, Box
        >>> from polyregions.tolerances import Tolerances
        >>> W = [[1.0, 0.0], [-0.5, 0.75 ** 0.5], [-0.5, -0.75 ** 0.5]]  # three lines, 120 degrees apart
        >>> net = ReLUNetwork.from_weights([W, np.ones((1, 3))], [np.zeros(3), np.zeros(1)])
        >>> eng = LPEngine(net, Box([-1, -1], [1, 1]), Tolerances())
        >>> [eng.classify_cone(*eng.halfspaces(np.array(p, bool))[:2])[0] for p in ([1, 0, 0], [0, 0, 0])]
        ['region', 'flat']
        """
        d = A.shape[1]
        through = b == 0.0
        eye = np.eye(d)
        AK = np.vstack([A[through], eye, -eye])
        bK = np.concatenate([np.zeros(int(through.sum())), np.ones(2 * d)])
        st, xK, tK = self.solve(AK, bK, np.zeros(d), 1.0, scale=1.0, radius_cap=np.inf)
        if st != "optimal":
            return "undecided", None, None, None, None
        tK = max(tK, 0.0)
        # Scale the cone's point towards the apex until the other rows are slack
        # around it (rows of unit norm: a move by |x|_2 + tK changes a row by at most that).
        reach = float(np.linalg.norm(xK)) + tK
        slack = b[~through]
        s = 0.5 * float(np.min(slack)) / reach if len(slack) and reach > 0 else 1.0
        x0 = s * xK
        r = inscribed_radius(A, b, x0)
        t = s * tK
        ell = self.local_scale(x0, max(r, t, 0.0))
        if r > self.tol.radius * ell:
            return "region", x0, r, max(t, r), ell
        if tK <= self.tol.empty:
            return self.flat()
        if tK <= 4 * self.tol.radius:
            return "thin", x0, r, t, ell
        return "undecided", None, None, None, None

    def facets(self, A, b, x0, r, t, ell):
        """Facet groups ``(rows, merged)``: row indices carrying the same hyperplane.

        Computed in coordinates centred at ``x0`` with the region's radius as
        unit. Rows within ``Tolerances.coincide`` of a facet's row (unit
        normals, offsets relative to ``ell``) are crossed with it; ``merged``
        is true when they differ by more than float64 rounding.
        """
        s = b - A @ x0
        thin = r <= self.tol.radius * ell
        if thin:
            # qhull's polar points blow up as the slack goes to zero; test rows by LP.
            self.qhull_fallbacks += 1
            self.lp_calls += len(b)
            unit = max(t, r, self.tol.empty * ell)
            rows = facet_rows(A, s / unit, np.zeros(A.shape[1]), rel_tol=1e-9, method="lp")
        else:
            rows = facet_rows(A, s / r, np.zeros(A.shape[1]))
        H = np.hstack([A, (s / ell)[:, None]])
        groups = []
        for j in rows:
            dist = np.max(np.abs(H - H[j]), axis=1)
            group = np.flatnonzero(dist <= self.tol.coincide)
            groups.append((group, bool(np.max(dist[group]) > _SAME)))
        return groups

    def ball_region(self, A, b, owner):
        """Classify one pattern's rows in the ball domain (docs/math.md §1, :mod:`polyregions.ball`).

        Works in coordinates ``y`` of the first layer's row space, centred at
        the ball's centre with its radius as the unit (``x = c + R basis @ y``:
        the solvers' absolute tolerances then mean the same at any scale),
        with the neuron rows only plus the circumscribed box of the ball,
        which keeps the LPs bounded and cuts the open ball nowhere. Thresholds
        are the engine's: relative to the local scale ``ell = max(|x0|_inf,
        r, lam)`` of the certified point. Returns ``(kind, x0, r, rows)``:
        ``kind`` is ``"region"`` (radius of region ∩ ball certified above
        ``radius * ell`` at ``x0``, recomputed from the original rows),
        ``"thin"`` (its upper bound is at most that), ``"flat"`` (at most
        ``empty * ell``: counted in ``n_thin``, not traversed), ``"empty"``
        (proved disjoint) or ``"undecided"``; ``rows`` is ``(idx, Ay, by,
        y0, hull, hull_thin)`` for the facet step: the neuron rows in ``y``,
        the certified point and a point strictly inside the region's own rows.
        """
        c, R = self.ball
        # Without rows of its own, the engine's box (owner -1) is left out: it is rebuilt below.
        idx = np.arange(len(b)) if self.ball_rows else np.flatnonzero(owner >= 0)
        An, bn = A[idx], b[idx]
        Ay = An if self.basis is None else An @ self.basis
        by = (bn - An @ c) / R
        k = Ay.shape[1]
        I = np.eye(k)
        # ell <= max(|c|_inf + R, lam) for every point of the ball: work on until that threshold is settled.
        ell_hi = max(float(np.max(np.abs(c), initial=0.0)) + R, self.lam)
        Ab = np.vstack([Ay, I, -I])
        bb = np.concatenate([by, np.ones(2 * k)])
        target = self.tol.radius * ell_hi / R
        # The frame: y = zc + unit * v. A region far smaller than the ball is decided again in
        # coordinates centred at its own LP centre with its size as the unit (as the LP path
        # zooms), where the solvers' absolute tolerances are a small part of it.
        zc, unit = np.zeros(k), 1.0

        def settle(fit, zc, unit):
            """The certified point and radius in input space, its local scale, the radius bound."""
            x0, r = None, fit.radius * R * unit
            if fit.point is not None:
                y = zc + unit * fit.point
                x0 = c + R * (y if self.basis is None else self.basis @ y)
                r = min(r, inscribed_radius(An, bn, x0, self.ball))  # the certificate in input space
            ell = self.local_scale(x0 if x0 is not None else c, max(r, 0.0))
            return x0, r, ell, fit.radius_bound * R * unit

        for zoom in range(_MAX_ZOOMS + 1):
            fit = region_in_ball(Ab, (bb - Ab @ zc) / unit, -zc / unit, 1.0 / unit, target=target / unit)
            self.lp_calls += fit.n_lp
            self.qp_calls += fit.n_qp
            small = fit.radius_bound < _ZOOM and fit.polytope_point is not None
            if fit.meets is False or fit.radius > target / unit or not small or zoom == _MAX_ZOOMS:
                break
            # Thinness already settled (e.g. a cone touching the sphere at its apex, whose
            # distance bound caps the radius near 0): zooming in cannot change it, and the
            # frames far inside lose the precision that settled it.
            _, _, ell, bound = settle(fit, zc, unit)
            if bound <= self.tol.radius * ell:
                break
            self.zooms += 1
            zc = zc + unit * fit.polytope_point
            unit *= max(fit.radius_bound, 2 * LP_FEASIBILITY_TOL)
        if fit.meets is False:
            return "empty", None, None, None
        scale = R * unit  # one unit of v in input space
        x0, r, ell, bound = settle(fit, zc, unit)
        if bound <= self.tol.empty * ell or fit.polytope_point is None:
            # No certifiable interior: counted as thin (never dropped unproved), not traversed.
            return ("flat" if self.dense else "empty"), None, None, None
        hull_thin = fit.polytope_radius * scale <= self.tol.radius * ell
        # The facet step works in the same frame: rows, ball centre and radius in units of v.
        frame = ((by - Ay @ zc) / unit, -zc / unit, 1.0 / unit)
        rows = (idx, Ay, frame, fit.point, fit.polytope_point, hull_thin, scale / ell)
        if r > self.tol.radius * ell:
            return "region", x0, r, rows
        return ("thin" if bound <= self.tol.radius * ell else "undecided"), x0, r, rows

    def ball_process(self, p, A, b, owner, undetermined):
        """:meth:`process` in a ball domain: only facets certified to meet the ball are edges."""
        kind, x0, r, rows = self.ball_region(A, b, owner)
        if kind in ("empty", "flat"):
            return kind, None, None, ()
        idx, Ay, (by, cv, Rv), y0, hull, hull_thin, to_ell = rows
        lazy = False
        if independent_rows(Ay):
            groups = [[k] for k in range(len(idx))]  # each row carries a facet: no LP
        elif hull_thin or Ay.shape[1] > QHULL_MAX_DIM:
            # Facets would take one LP per row here. A certified "meets" proves the row a
            # facet (a point of its hyperplane strictly inside every other row) and "misses"
            # makes the question moot, so only rows both leave open get that LP.
            groups, lazy = self.ball_row_groups(Ay, by, to_ell), True
        else:
            groups = self.ball_facets(Ay, by, hull, hull_thin, to_ell)
        out = []
        for group in groups:
            if np.any(owner[idx[group]] < 0):
                continue  # the facet lies on the domain's own boundary
            j = group[0]
            meets = facet_in_ball(Ay, by, j, cv, Rv, x0=y0 if kind == "region" else None,
                                  skip=group[1:], unit=1.0)
            self.qp_calls += meets.n_qp
            self.lp_calls += meets.n_lp
            if meets.meets is None and lazy:
                self.lp_calls += 1
                keep = np.setdiff1d(np.arange(len(by)), group[1:])
                if not is_facet_row(Ay[keep], by[keep], int(np.searchsorted(keep, j)), rel_tol=1e-12):
                    continue  # not a facet: no neighbour across it
            self.undecided_facets += meets.meets is None
            if meets.meets is False:
                continue  # shared facet outside the ball: not an edge in the domain
            neurons = owner[idx[group]]
            normal = A[idx[j]] / np.linalg.norm(A[idx[j]])
            q = self.neighbour(p, neurons, normal, undetermined)
            # Undecided: cross it (the neighbour is tested on its own) but record no edge.
            out.append((q, tuple(sorted(neurons.tolist())) if meets.meets else None, False))
        return kind, x0, r, out

    def ball_row_groups(self, A, b, to_ell):
        """Every row, grouped with the rows carrying the same hyperplane (as in :meth:`ball_facets`)."""
        norms = np.sqrt(np.einsum("ij,ij->i", A, A))
        H = np.hstack([A / norms[:, None], (b / norms * to_ell)[:, None]])
        free = np.ones(len(b), dtype=bool)
        groups = []
        for r in range(len(b)):
            if free[r]:
                group = np.flatnonzero(free & (np.max(np.abs(H - H[r]), axis=1) <= self.tol.coincide))
                free[group] = False
                groups.append(group)
        return groups

    def ball_facets(self, A, b, x0, thin, to_ell):
        """Facet groups: arrays of row indices carrying the same hyperplane (``to_ell``: frame unit / ell)."""
        norms = np.sqrt(np.einsum("ij,ij->i", A, A))
        # Offsets relative to the local scale, as in :meth:`facets`.
        H = np.hstack([A / norms[:, None], (b / norms * to_ell)[:, None]])
        if thin:
            # qhull's polar points blow up as the slack goes to zero; test rows by LP.
            self.qhull_fallbacks += 1
            self.lp_calls += len(b)
            rows = facet_rows(A, b, x0, rel_tol=1e-12, method="lp")
        else:
            rows = facet_rows(A, b, x0)
        groups = []
        for r in rows:
            dist = np.max(np.abs(H - H[r]), axis=1)
            groups.append(np.flatnonzero(dist <= self.tol.coincide))
        return groups

    def process(self, p, xc, L):
        """Everything the search learns from one pattern.

        ``xc`` is a nearby certified point (the parent's interior point, or
        the seed) and ``L`` a length of the parent's scale. Returns
        ``(status, x0, r, neighbours)`` with status ``"region"``, ``"thin"``,
        ``"flat"``, ``"empty"`` or ``"undecided"``; ``neighbours`` lists
        ``(pattern, neurons, merged)`` across each facet inside the domain,
        ``neurons=()`` with ``merged=True`` for a domain-boundary facet with
        a neuron hyperplane merged into it.
        """
        data = self.halfspaces(p)
        if data is None:
            return "empty", None, None, ()
        A, b, owner, undetermined = data
        if self.ball is not None:
            return self.ball_process(p, A, b, owner, undetermined)
        status, x0, r, t, ell = self.classify(A, b, xc, L)
        if status not in ("region", "thin"):
            return status, None, None, ()
        out = []
        for group, merged in self.facets(A, b, x0, r, t, ell):
            if np.any(owner[group] < 0):
                if merged and np.any(owner[group] >= 0):
                    out.append((None, (), True))  # a neuron slab against the boundary, unresolved
                continue  # the facet lies on the domain's boundary
            j = group[0]
            q = self.neighbour(p, owner[group], A[j], undetermined)
            out.append((q, tuple(sorted(owner[group].tolist())), merged))
        return status, x0, r, out

    def counters(self):
        return {"lp_calls": self.lp_calls, "qp_calls": self.qp_calls,
                "qhull_fallbacks": self.qhull_fallbacks, "slow_neighbours": self.slow_neighbours,
                "zooms": self.zooms, "undecided_facets": self.undecided_facets}

    def neighbour(self, p, neurons, normal, undetermined):
        """Pattern across the facet carried by ``neurons`` (outward unit ``normal``)."""
        if (len(neurons) == 1 and (self.flippable is None or self.flippable[neurons[0]])
                and not np.any(self.layer_of[undetermined] > self.layer_of[neurons[0]])):
            q = p.copy()
            q[neurons[0]] = not q[neurons[0]]
            return q
        # Slow path: several neurons vanish on the facet. Just across it their
        # sign is that of their derivative along the normal, evaluated with the
        # *new* pattern of the earlier layers, so settle them layer by layer.
        self.slow_neighbours += 1
        q = p.copy()
        open_ = np.union1d(neurons, undetermined)
        for l in np.unique(self.layer_of[open_]):
            G, _ = self.net.affine_preactivations(q, self.domain.input_map)
            ks = open_[self.layer_of[open_] == l]
            if self.settle is not None:
                q = self.settle(q, ks, G, normal, self.tol.zero_row)
                continue
            d = G[ks] @ normal
            nrm = np.sqrt(np.einsum("ij,ij->i", G[ks], G[ks]))
            q[ks] = d > self.tol.zero_row * np.maximum(nrm, 1e-300)
        return q
