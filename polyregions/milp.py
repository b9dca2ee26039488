"""A second, independent region counter: Serra et al.'s MILP, built with PuLP.

This module is an *oracle* for tiny networks, not part of the engine. It shares
no code with the LP-BFS of :mod:`~polyregions.lp_search` (it uses only the
network's weights and its float64 forward pass), so agreement between the two
is real evidence that both are right. It goes through PuLP, which docs/performance.md
measures at 10-50x slower per solve than raw ``highspy``: fine for a few dozen
regions, never for a hot loop.

Formulation (docs/math.md §9, Serra, Tjandraatmadja & Ramalingam 2018, Thm 9)
-----------------------------------------------------------------------
Variables are the input ``x`` (bounded by the box) and, for every hidden
neuron ``i`` of layer ``l``, its positive part ``h_i >= 0``, its negative part
``hbar_i >= 0`` and a binary ``z_i``::

    W^l_i . o^{l-1} + b^l_i = h_i - hbar_i          (pre-activation split)
    h_i    <= Mpos_i * z_i,    h_i    >= margin * z_i
    hbar_i <= Mneg_i * (1 - z_i),  hbar_i >= margin * (1 - z_i)

where ``o^0 = x`` and ``o^l_i = h_i - alpha_l * hbar_i`` is the neuron's output
(``alpha_l = 0`` for ReLU, the negative slope for a leaky ReLU). So ``z_i = 1``
forces the pre-activation to be ``>= margin`` and ``z_i = 0`` forces it to be
``<= -margin``. Every feasible ``z`` is the activation pattern of the feasible
``x``, and the feasible ``z`` are enumerated one by one: after each solution a
*no-good cut* ``sum_{z*_i=1} (1 - z_i) + sum_{z*_i=0} z_i >= 1`` removes exactly
that pattern, and the MILP is solved again until it is infeasible.

Big-M constants
---------------
``Mpos_i`` and ``Mneg_i`` are the upper bound and minus the lower bound of the
pre-activation (clipped at 0) from interval bound propagation (IBP) over the
box: each layer's interval is pushed through ``W`` by splitting it into its
positive and negative parts, then through the activation. IBP is *sound* (the
true range over the box lies inside its interval, so no feasible point is cut
off) and it is exactly as tight as plain interval arithmetic gets (exact for
the first layer, looser deeper down). The bounds are widened by a relative
``1e-9`` against float rounding. A neuron whose IBP interval excludes one
side with margin (``lower > -margin`` or ``upper < margin``) has its ``z``
fixed, which only removes infeasible choices.

This is the same interval arithmetic as :mod:`polyregions.local_bounds`'
first bounding step, written again here on purpose: the MILP is an
independent oracle for the engine and for the local bounds, so it shares no
bounding code with either.

What is counted
---------------
The count is the number of patterns realised **with margin** ``margin``: there
is a point of the box at which every pre-activation satisfies
``|z_i(x)| >= margin`` with the sign the pattern says. This equals the number of
full-dimensional activation regions (docs/math.md §1, what
:func:`~polyregions.enumerate_regions` counts) whenever every region contains
such a point, as in generic networks with the default tiny margin. In general
it is only a **lower bound**:

* a region thinner than the margin (all of its points have some
  ``|z_i(x)| < margin``) is missed, e.g. the gap between two kinks that are
  closer than ``margin / slope``;
* a region on which some neuron is identically zero (say all of its inputs are
  dead and its bias is exactly 0) is a full-dimensional region of the
  *inactive* pattern, but it has no margin at all and is missed;
* patterns realised only on lower-dimensional sets (on a hyperplane, at a
  vertex) are excluded, which is what we want: they are not regions.

Candidates and certificates
---------------------------
The solvers run with their default tolerances: HiGHS accepts a MIP row
violated by up to ``1e-6`` (``mip_feasibility_tolerance``) and an integrality
slack on ``z`` that a big-M of 10 turns into ``1e-5``, so with the default
margin the MILP's own point often sits *on* a neuron's hyperplane. Tightening
the tolerances is not the way out: at ``1e-9`` (and ``1e-8``) both HiGHS and
CBC declared feasible MILPs infeasible, i.e. missed regions, in our tests (the
HiGHS developers warn against such tolerances). Instead the MILP only
*proposes* a pattern and a float64 check decides:

1. the MILP's point ``x`` is accepted as a witness if its forward pass (exact
   weights, no solver involved) has exactly the pattern ``z`` and every
   ``|z_i(x)| >= margin / 2``;
2. otherwise an LP with the pattern fixed maximises the smallest signed
   margin over the box, and its optimal point is checked the same way;
3. a pattern that fails both is cut off without being counted and reported in
   :attr:`MilpCount.n_rejected` (its region, if any, is thinner than about
   ``margin``).

So nothing is counted that is not a full-dimensional region (a witness with
all margins positive has a neighbourhood of the same pattern, and the box has
interior), and a pattern with margin ``>= margin`` is always proposed, because
loose tolerances only enlarge the MILP's feasible set. Only the threshold is
blurred: a pattern whose best margin lies between ``margin / 2`` and
``margin`` may or may not be counted.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box
>>> net = ReLUNetwork.from_weights([[[1.0], [1.0]], [[1.0, -1.0]]], [[0.0, -0.5], [0.0]])
>>> res = count_regions_milp(net, Box([-1], [1]))   # kinks at 0 and 0.5
>>> res.count, res.complete
(3, True)
>>> res.patterns.astype(int).tolist()
[[0, 0], [1, 0], [1, 1]]
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import NotADomainError
from ._validation import check_max_regions, check_real, check_time_limit
from .domain import Box, Domain
from .network import as_network

__all__ = ["MilpCount", "count_regions_milp", "interval_bounds"]

#: A witness is accepted when every |pre-activation| is >= this times margin.
_ACCEPT = 0.5


@dataclass(frozen=True, eq=False)
class MilpCount:
    """Result of :func:`count_regions_milp`.

    Attributes
    ----------
    count : int or None
        Number of patterns realised with margin (see the module docstring)
        when the enumeration finished; ``None`` when it was stopped early, so a
        partial number is never mistaken for the count.
    complete : bool
        ``True`` iff the last MILP was proved infeasible, i.e. every pattern
        was found.
    patterns : ndarray of bool, shape (R, N)
        The verified patterns, sorted lexicographically (``False < True``), one
        row per pattern, neurons layer after layer as in
        :meth:`~polyregions.ReLUNetwork.activation_patterns`.
    seconds : float
        Wall time of the whole run.
    solver_name : str
        The PuLP solver used (``"HiGHS"``, ``"PULP_CBC_CMD"``, ...).
    points : ndarray, shape (R, n0)
        A witness input for each pattern (same order): a point of the box
        whose float64 forward pass has that pattern with every
        ``|pre-activation| >= margin / 2``.
    margin : float
        The margin that was required.
    n_solves : int
        Number of MILPs solved (``R + 1`` for a complete run without
        rejections).
    n_rejected : int
        MILP solutions whose pattern failed the forward-pass check and was
        cut off without being counted (0 in healthy runs).
    stop_reason : str or None
        ``"max_regions"`` or ``"time_limit"`` when incomplete, else ``None``.
    """

    count: int | None
    complete: bool
    patterns: np.ndarray
    seconds: float
    solver_name: str
    points: np.ndarray
    margin: float
    n_solves: int
    n_rejected: int = 0
    stop_reason: str | None = None

    @property
    def n_found(self) -> int:
        """Number of verified patterns found (the count iff :attr:`complete`)."""
        return int(self.patterns.shape[0])

    @property
    def lower_bound(self) -> int:
        """A lower bound on the count, valid whether or not the run finished."""
        return self.n_found

    @property
    def seconds_per_region(self) -> float:
        """Wall time divided by the number of patterns found (``nan`` if none)."""
        return self.seconds / self.n_found if self.n_found else float("nan")

    @property
    def n_regions(self) -> int:
        """Regions found, as ``RegionSet.n_regions``: the count only if :attr:`complete`."""
        return self.n_found

    @property
    def status(self) -> str:
        """``"exact"`` or ``"lower_bound"``, as ``RegionSet.status``.

        :attr:`count` follows the API's rule for counts: it is never a partial
        number (``None`` here, where ``RegionSet.count()`` raises).
        """
        return "exact" if self.complete else "lower_bound"

    def __repr__(self):
        state = f"count={self.count}" if self.complete else (
            f"count=None (incomplete: {self.stop_reason}; >= {self.n_found})")
        return (f"MilpCount({state}, solver={self.solver_name!r}, margin={self.margin:g}, "
                f"n_solves={self.n_solves}, seconds={self.seconds:.3g})")


def interval_bounds(net, lo, hi):
    """Interval bounds of every hidden pre-activation over the box ``[lo, hi]``.

    Plain interval arithmetic (IBP): the input interval of each layer is
    multiplied by the positive and the negative part of ``W`` separately, and
    the output interval of the activation ``max(z, alpha z)`` is the range of
    that function over the pre-activation interval.

    Parameters
    ----------
    net : ReLUNetwork
    lo, hi : array_like, shape (n0,)

    Returns
    -------
    lower, upper : ndarray, shape (N,)
        Sound bounds (the exact range over the box lies inside), widened by a
        relative ``1e-9`` against rounding; exact for the first layer up to
        that widening.

    Examples
    --------
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0], [-2.0]], [[1.0, 1.0]]], [[0.5, 0.0], [0.0]])
    >>> lower, upper = interval_bounds(net, [-1.0], [1.0])
    >>> lower.round(6).tolist(), upper.round(6).tolist()
    ([-0.5, -2.0], [1.5, 2.0])
    """
    lo = np.asarray(lo, dtype=np.float64).reshape(-1)
    hi = np.asarray(hi, dtype=np.float64).reshape(-1)
    lowers, uppers = [], []
    for W, b, alpha in zip(net.weights[:-1], net.biases[:-1], net.negative_slopes):
        Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
        zlo = Wp @ lo + Wn @ hi + b
        zhi = Wp @ hi + Wn @ lo + b
        pad = 1e-9 * (1.0 + np.abs(W) @ np.maximum(np.abs(lo), np.abs(hi)) + np.abs(b))
        zlo, zhi = zlo - pad, zhi + pad
        lowers.append(zlo)
        uppers.append(zhi)

        def act(v, a=alpha):
            return np.where(v > 0, v, a * v)

        cands = [act(zlo), act(zhi)]
        straddle = (zlo < 0) & (zhi > 0)
        cands.append(np.where(straddle, 0.0, act(zlo)))
        lo, hi = np.minimum.reduce(cands), np.maximum.reduce(cands)
    if not lowers:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(lowers), np.concatenate(uppers)


# ----------------------------------------------------------------- solvers
_ALIASES = {"highs": "HiGHS", "pulp_cbc_cmd": "PULP_CBC_CMD", "cbc": "PULP_CBC_CMD"}


def _solver_factory(solver):
    """Return ``(name, make)`` where ``make(time_left)`` builds a PuLP solver."""
    import pulp

    if solver is None or isinstance(solver, str):
        if solver is None:
            available = pulp.listSolvers(onlyAvailable=True)
            name = "HiGHS" if "HiGHS" in available else "PULP_CBC_CMD"
        else:
            name = _ALIASES.get(solver.strip().lower())
            if name is None:
                raise ValueError(
                    f"unknown solver {solver!r}; use 'highs' (PuLP's in-process HiGHS), "
                    "'cbc' (PULP_CBC_CMD), None for the first available, or a pulp solver "
                    "instance."
                )
        if name == "HiGHS":
            if not pulp.HiGHS(msg=False).available():
                raise ValueError("solver='highs' needs highspy, which PuLP cannot import; "
                                 "pip install highspy, or use solver='cbc'.")

            def make(time_left):
                # threads stays at HiGHS' default, as in polyregions.lp: HiGHS keeps one
                # thread scheduler per process, and a solve asking for a different
                # thread count than the scheduler's fails with status kNotset.
                return pulp.HiGHS(msg=False, timeLimit=time_left)
        else:
            def make(time_left):
                # PuLP 3.3 flags PULP_CBC_CMD as deprecated for 4.0 (in favour of COIN_CMD
                # with a separately installed CBC); it is the CBC that ships with PuLP.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_left)

            if not make(None).available():
                raise ValueError("solver='cbc' needs the CBC binary bundled with PuLP, which "
                                 "is not available on this platform; use solver='highs'.")
        return name, make
    if isinstance(solver, pulp.LpSolver):
        if not solver.available():
            raise ValueError(f"the pulp solver {solver.name} is not available here.")
        return solver.name, (lambda time_left: solver)
    raise TypeError(
        f"solver must be None, 'highs', 'cbc' or a pulp.LpSolver instance; got "
        f"{type(solver).__name__}."
    )


# ------------------------------------------------------------------ checks
def _witness_ok(net, x, z, margin):
    """Float64 forward pass: does ``x`` realise pattern ``z`` with margin/2?"""
    pre = np.concatenate([p[0] for p in net.preactivations(x[None, :])])
    return bool(np.array_equal(pre > 0, z) and np.min(np.abs(pre)) >= _ACCEPT * margin)


def _max_margin_point(net, lo, hi, z, make_solver, time_left):
    """Point of the box maximising the smallest signed margin of pattern ``z``.

    An LP (the pattern fixed, so every pre-activation is affine in ``x``);
    returns ``None`` if the solver gives no point.
    """
    import pulp

    G, g = net.affine_preactivations(z)
    sign = np.where(z, 1.0, -1.0)
    prob = pulp.LpProblem("max_margin", pulp.LpMaximize)
    xs = [prob.add_variable(f"x{k}", float(lo[k]), float(hi[k])) for k in range(len(lo))]
    t = prob.add_variable("t")
    prob += t
    for i in range(len(z)):
        prob += pulp.lpSum(float(sign[i] * G[i, k]) * xs[k] for k in range(len(xs))
                           if G[i, k] != 0) + float(sign[i] * g[i]) >= t
    prob.solve(make_solver(time_left))
    if prob.status != pulp.LpStatusOptimal:
        return None
    x = np.array([v.varValue if v.varValue is not None else np.nan for v in xs])
    return None if not np.all(np.isfinite(x)) else np.clip(x, lo, hi)


# -------------------------------------------------------------------- main
def count_regions_milp(net, domain, *, margin=1e-6, max_regions=10_000, time_limit=None,
                       solver=None):
    """Count the activation regions of ``net`` in a box with Serra et al.'s MILP.

    Enumerates the activation patterns realised with margin ``margin`` (see
    the module docstring for the formulation and for when that equals the
    number of full-dimensional regions; in general it is a lower bound) by
    solving the MILP, cutting off the pattern found with a no-good cut, and
    solving again until the MILP is infeasible. Built with PuLP; meant as an
    independent check for tiny networks (a few dozen regions), not for speed.

    Parameters
    ----------
    net : ReLUNetwork
        ReLU or leaky-ReLU network.
    domain : Box
        The input box (the big-M constants need bounded inputs); any other
        domain raises ``ValueError``.
    margin : float, default 1e-6
        Required ``|pre-activation|`` at the witness point, in the units of
        the pre-activations (absolute, not relative).
    max_regions : int or None, default 10_000
        Stop, incomplete, when a pattern beyond this many is found (``None``:
        no limit).
    time_limit : float, optional
        Wall-clock budget in seconds; the remaining time is also passed to the
        named solvers as their own time limit (a solver instance passed in
        ``solver`` keeps its own settings and is checked only between solves).
    solver : None, str or pulp.LpSolver, default None
        ``"highs"``: PuLP's in-process ``HiGHS`` (through highspy); ``"cbc"``:
        ``PULP_CBC_CMD`` (a subprocess per solve, reading an MPS file whose
        coefficients PuLP rounds to 13 significant digits); ``None``: HiGHS if
        PuLP can use it, else CBC. Both named solvers run silently with their
        default tolerances (tightening them to ``1e-9`` made HiGHS 1.16 and
        CBC report feasible MILPs as infeasible, i.e. miss regions, in our
        tests), with HiGHS' default ``threads``. An instance is used as given
        (leave its ``threads`` unset: HiGHS has one thread scheduler per
        process, and a solve asking for a thread count other than the
        scheduler's fails). Witnesses are always checked against the exact float64
        weights, whatever the solver saw, so loose solver tolerances cannot
        add a pattern.

    Returns
    -------
    MilpCount
        ``count`` is the number of patterns if ``complete``, else ``None``
        (``n_found`` / ``lower_bound`` then give the lower bound).

    Raises
    ------
    TypeError
        If ``net`` is not a :class:`~polyregions.ReLUNetwork` or ``solver`` has
        the wrong type.
    ValueError
        For a domain that is not a :class:`~polyregions.Box`, a box of the
        wrong dimension, a non-positive margin or budget, an unknown or
        unavailable solver.
    RuntimeError
        If the solver ends with a status that is neither a solution nor a
        proof of infeasibility nor a time-out.

    Examples
    --------
    Two neurons ``relu(x1)``, ``relu(x2)`` cut the square into 4 quadrants:

    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [[0.1, -0.2], [0.0]])
    >>> res = count_regions_milp(net, Box([-1, -1], [1, 1]))
    >>> res.count, res.complete, res.n_solves
    (4, True, 5)
    >>> count_regions_milp(net, Box([-1, -1], [1, 1]), max_regions=2).count is None
    True
    """
    t0 = time.perf_counter()
    net, lo, hi, margin, max_regions = _check_inputs(net, domain, margin, max_regions, time_limit)
    solver_name, make_solver = _solver_factory(solver)
    run = _Run(net, t0, solver_name, margin)
    if net.n_neurons == 0:  # an affine network: the box is one region
        run.add(np.zeros(0, bool), (lo + hi) / 2)
        return run.finish(True)
    lower, upper = interval_bounds(net, lo, hi)
    if np.any((lower > -margin) & (upper < margin)):
        # Some neuron stays strictly inside (-margin, margin) on the whole box (say it is
        # identically 0): no pattern is realised with margin, so the count is 0 and complete.
        return run.finish(True)
    prob, xs, zs = _build_model(net, lo, hi, lower, upper, margin)
    return _enumerate_with_cuts(run, prob, xs, zs, lo, hi, make_solver, max_regions, time_limit)


# ------------------------------------------------------------------- steps
def _check_inputs(net, domain, margin, max_regions, time_limit):
    """The validated ``(net, lo, hi, margin, max_regions)``; ``max_regions=None`` becomes inf."""
    net = as_network(net)
    if domain is not None and not isinstance(domain, Domain):
        raise NotADomainError(f"domain must be a polyregions Box; got {type(domain).__name__}. Use "
                              "polyregions.Box(lo, hi) around the region of interest.")
    if not isinstance(domain, Box):
        raise ValueError(
            f"count_regions_milp needs a Box domain (its big-M constants come from interval "
            f"bounds over the box); got {type(domain).__name__ if domain is not None else None}."
            " Use polyregions.Box(lo, hi) around the region of interest."
        )
    domain.check_network(net)
    margin = check_real(margin, "margin", low=0.0, low_open=True)
    max_regions = check_max_regions(max_regions)
    check_time_limit(time_limit)
    return net, domain.lo, domain.hi, margin, np.inf if max_regions is None else max_regions


class _Run:
    """The patterns and witnesses found so far, and the counters of one enumeration."""

    def __init__(self, net, t0, solver_name, margin):
        self.net, self.t0, self.solver_name, self.margin = net, t0, solver_name, margin
        self.pats, self.pts = [], []
        self.n_solves = self.n_rejected = 0

    def add(self, pattern, point):
        self.pats.append(pattern)
        self.pts.append(point)

    def time_left(self, time_limit):
        return None if time_limit is None else time_limit - (time.perf_counter() - self.t0)

    def finish(self, complete, stop_reason=None):
        P = np.array(self.pats, dtype=bool).reshape(len(self.pats), self.net.n_neurons)
        X = np.array(self.pts, dtype=np.float64).reshape(len(self.pts), self.net.input_dim)
        order = sorted(range(len(P)), key=lambda r: tuple(P[r].tolist()))
        P, X = P[order], X[order]
        P.setflags(write=False)
        X.setflags(write=False)
        return MilpCount(len(P) if complete else None, complete, P,
                         time.perf_counter() - self.t0, self.solver_name, X, float(self.margin),
                         self.n_solves, self.n_rejected, None if complete else stop_reason)


def _build_model(net, lo, hi, lower, upper, margin):
    """The MILP of the module docstring: ``(problem, input variables, binary variables)``."""
    import pulp

    prob = pulp.LpProblem("serra_regions", pulp.LpMinimize)
    xs = [prob.add_variable(f"x{k}", float(lo[k]), float(hi[k])) for k in range(net.input_dim)]
    prob += pulp.lpSum([0 * xs[0]])  # feasibility problem: zero objective
    zs = []
    inputs = xs
    i = 0
    for l, (W, b, alpha) in enumerate(zip(net.weights[:-1], net.biases[:-1],
                                          net.negative_slopes)):
        outputs = []
        for j in range(W.shape[0]):
            mpos, mneg = max(float(upper[i]), 0.0), max(-float(lower[i]), 0.0)
            zlb = 1 if lower[i] > -margin else 0   # cannot be <= -margin: active
            zub = 0 if upper[i] < margin else 1    # cannot be >= margin: inactive
            z = prob.add_variable(f"z{l}_{j}", zlb, zub, cat=pulp.LpInteger)
            h = prob.add_variable(f"h{l}_{j}", 0, mpos)
            hb = prob.add_variable(f"hbar{l}_{j}", 0, mneg)
            pre = pulp.lpSum(float(W[j, k]) * inputs[k] for k in range(W.shape[1])
                             if W[j, k] != 0) + float(b[j])
            prob += pre == h - hb
            prob += h <= mpos * z
            prob += h >= margin * z
            prob += hb <= mneg * (1 - z)
            prob += hb >= margin * (1 - z)
            outputs.append(h if alpha == 0.0 else h - float(alpha) * hb)
            zs.append(z)
            i += 1
        inputs = outputs
    return prob, xs, zs


def _solve(prob, xs, zs, solver, lo, hi):
    """One MILP solve: ``("infeasible", None, None)``, ``("point", x, z)`` or ``("none", status, sol)``."""
    import pulp

    prob.solve(solver)
    status, sol = prob.status, prob.sol_status
    if status == pulp.LpStatusInfeasible:
        return "infeasible", None, None
    if status == pulp.LpStatusOptimal and sol in (pulp.LpSolutionOptimal,
                                                  pulp.LpSolutionIntegerFeasible):
        z = np.array([round(v.varValue) for v in zs]) > 0
        x = np.clip(np.array([v.varValue for v in xs], dtype=np.float64), lo, hi)
        return "point", x, z
    return "none", status, sol


def _certified_witness(net, x, z, margin, lo, hi, make_solver, time_left):
    """A witness of pattern ``z`` checked in float64 (the MILP's point or a max-margin LP's), or None."""
    if _witness_ok(net, x, z, margin):
        return x
    # solver tolerance: re-examine the pattern with a max-margin LP
    x2 = _max_margin_point(net, lo, hi, z, make_solver, time_left)
    return x2 if x2 is not None and _witness_ok(net, x2, z, margin) else None


def _enumerate_with_cuts(run, prob, xs, zs, lo, hi, make_solver, max_regions, time_limit):
    """Solve, certify the pattern found, cut it off with a no-good cut; until infeasible."""
    import pulp

    while True:
        time_left = run.time_left(time_limit)
        if time_left is not None and time_left <= 0:
            return run.finish(False, "time_limit")
        kind, x, z = _solve(prob, xs, zs, make_solver(time_left), lo, hi)
        run.n_solves += 1
        if kind == "infeasible":
            return run.finish(True)
        if kind == "none":
            if time_limit is not None and time.perf_counter() - run.t0 >= 0.95 * time_limit:
                return run.finish(False, "time_limit")
            status, sol = x, z
            raise RuntimeError(
                f"{run.solver_name} ended with status {pulp.LpStatus.get(status, status)!r} "
                f"(solution status {pulp.LpSolution.get(sol, sol)!r}) after {len(run.pats)} "
                "patterns; it neither found a pattern nor proved that none is left."
            )
        witness = _certified_witness(run.net, x, z, run.margin, lo, hi, make_solver, time_left)
        if witness is not None:
            if len(run.pats) >= max_regions:
                return run.finish(False, "max_regions")
            run.add(z, witness)
        else:
            run.n_rejected += 1
        prob += (pulp.lpSum(1 - zs[k] for k in np.flatnonzero(z))
                 + pulp.lpSum(zs[k] for k in np.flatnonzero(~z)) >= 1)
