"""Every estimator of the number of regions next to the exact count, on one net and domain.

:func:`compare_estimators` runs the exact engine and the sampling-based
estimators of SPEC.md §5 and §8 on the same network and domain and returns an
:class:`EstimatorComparison`, a table with one row per estimate:

* the **exact engine** itself (its count and run time);
* per sample size ``n``: the observed number of patterns ``S_obs``, Chao1,
  the bias-corrected Chao1 (SpadeR's conventions) with its log-normal
  interval, and ACE, against the exact count ``S``; Good–Turing and
  Chao–Jost sample coverage against the **true covered fraction**: the
  probability mass (volume fraction, for uniform sampling) of the regions the
  sample hit;
* the mean number of regions along random segments
  (:func:`~polyregions.lines.line_statistics`) against the engine's count on
  the very same segments, each enumerated as a 1-D
  :meth:`~polyregions.Slice.segment`. The two are independent exact methods
  and must agree segment by segment; disagreements are reported in
  :attr:`EstimatorComparison.line_mismatches`;
* the mean distance of uniform points to their region's boundary
  (:func:`~polyregions.distance.boundary_distance_statistics`).

Honesty rules. If a budget (``time_limit``, ``max_regions``) stops the exact
engine, its count is shown as ``≥ N (lower bound)`` and no relative error is
computed against it. The true covered fraction is exact (sums of exact region
volumes from :mod:`polyregions.geometry`) when the domain is low-dimensional
and every observed pattern is a known region; otherwise it is a Monte Carlo
estimate on an independent hold-out sample and is labelled so, with its
standard error. Every sampled pattern must be a region of a complete
enumeration; any that is not is counted in
:attr:`EstimatorComparison.engine_missed` and raises a ``RuntimeWarning``
(the engine then missed regions, and its count is too low).

The module also holds the exact sampling expectations of SPEC §8 --
:func:`expected_observed`, :func:`expected_frequency`,
:func:`expected_missing_mass`, :func:`good_turing_bias`,
:func:`chao1_plugin` -- which turn a vector of region probabilities (e.g.
:func:`region_probabilities`) into the exact mean of what a sampler sees.

Example
-------
>>> from polyregions import Box, random_network
>>> net = random_network(2, [4], random_state=0)
>>> cmp = compare_estimators(net, Box([-1, -1], [1, 1]), n_samples=1000, n_lines=5,
...                          random_state=0)
>>> cmp.exact_count, cmp.row("S_obs").estimate, cmp.line_mismatches
(11, 9.0, 0)
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from ._jsonsafe import to_plain
from .domain import Domain, Slice, as_domain
from ._validation import check_level
from .network import ReLUNetwork

__all__ = [
    "EstimatorRow",
    "EstimatorComparison",
    "compare_estimators",
    "region_volumes",
    "region_probabilities",
    "expected_observed",
    "expected_frequency",
    "expected_missing_mass",
    "good_turing_bias",
    "chao1_plugin",
]

#: ``coverage_reference="auto"`` uses exact region volumes up to this dimension
#: (ball domains: up to 2-D, where the area of a polygon ∩ disc is closed-form).
AUTO_VOLUME_MAX_DIM = 4

_COVERAGE_REFERENCES = ("auto", "volumes", "holdout")


# ==================================================== exact expectations
def _check_p(p):
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"p must be a non-empty 1-D vector of region probabilities; got shape "
                         f"{arr.shape}.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise ValueError("p must hold probabilities in [0, 1].")
    if arr.sum() > 1.0 + 1e-9:
        raise ValueError(f"p sums to {arr.sum():.12g} > 1; pass probabilities (volume / domain "
                         "volume), not volumes.")
    return arr


def _check_n(n, name="n"):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer; got {n!r}.")
    if n < 1:
        raise ValueError(f"{name} must be >= 1; got {n}.")
    return int(n)


def _survival(p, n):
    """``(1 - p)^n`` computed as ``exp(n log1p(-p))`` (exact 0 at ``p = 1``)."""
    with np.errstate(divide="ignore"):
        return np.exp(n * np.log1p(-p))


def expected_observed(p, n):
    """Exact ``E[S_obs] = sum_i 1 - (1 - p_i)^n`` for ``n`` i.i.d. draws.

    Parameters
    ----------
    p : array_like, shape (S,)
        Probability of each region under the sampling law (for uniform
        sampling, ``volume / domain volume``).
    n : int
        Sample size.

    Examples
    --------
    >>> round(expected_observed([0.5, 0.25, 0.125, 0.0625, 0.0625], 10), 6)
    3.630713
    """
    p = _check_p(p)
    return float(np.sum(1.0 - _survival(p, _check_n(n))))


def expected_frequency(p, n, k):
    """Exact ``E[f_k] = sum_i C(n, k) p_i^k (1 - p_i)^(n - k)``.

    ``k = 0`` gives the expected number of *unseen* regions, ``E[f_0]``.

    Examples
    --------
    >>> p = [0.5, 0.25, 0.125, 0.0625, 0.0625]
    >>> round(expected_frequency(p, 10, 1), 6), round(expected_frequency(p, 10, 0), 6)
    (1.27258, 1.369287)
    """
    from scipy.stats import binom

    p = _check_p(p)
    n = _check_n(n)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= n:
        raise ValueError(f"k must be an integer in [0, n]; got {k!r}.")
    if k == 0:
        return float(np.sum(_survival(p, n)))
    return float(np.sum(binom.pmf(int(k), n, p)))


def expected_missing_mass(p, n):
    """Exact expected mass of the unseen regions, ``E[1 - C_n] = sum_i p_i (1 - p_i)^n``.

    Examples
    --------
    >>> round(expected_missing_mass([0.5, 0.25, 0.125, 0.0625, 0.0625], 10), 6)
    0.113009
    """
    p = _check_p(p)
    return float(np.sum(p * _survival(p, _check_n(n))))


def good_turing_bias(p, n):
    """``E[f_1/n] - E[1 - C_n] = sum_i p_i^2 (1 - p_i)^(n-1)`` (SPEC §8).

    Non-negative: on average ``1 - f_1/n`` *under*-states the coverage by
    this much.

    Examples
    --------
    >>> round(good_turing_bias([0.5, 0.25, 0.125, 0.0625, 0.0625], 10), 6)
    0.014249
    """
    p = _check_p(p)
    return float(np.sum(p * p * _survival(p, _check_n(n) - 1)))


def chao1_plugin(p, n):
    """Chao1's unseen term evaluated at the expectations, ``((n-1)/n) E[f1]^2 / (2 E[f2])``.

    By Cauchy–Schwarz it never exceeds ``E[f_0]`` (SPEC §8), with equality
    iff all regions have equal probability: the exact sense in which Chao1
    is a lower-bound estimator. ``nan`` when ``E[f_2] = 0`` (``n < 2``).

    Examples
    --------
    >>> round(chao1_plugin([0.5, 0.25, 0.125, 0.0625, 0.0625], 10), 6)
    0.938036
    """
    n = _check_n(n)
    if n < 2:
        return math.nan
    f1 = expected_frequency(p, n, 1)
    f2 = expected_frequency(p, n, 2)
    if f2 == 0.0:
        return math.nan
    return float((n - 1) / n * f1 * f1 / (2.0 * f2))


def region_volumes(rs, indices=None):
    """Exact volumes of the regions of a :class:`~polyregions.RegionSet` (domain coordinates).

    Uses :func:`polyregions.geometry.region_volume` with the domain's ball,
    if any.

    Parameters
    ----------
    rs : RegionSet
        On a bounded domain: polytopes up to
        :data:`~polyregions.geometry.MAX_EXACT_DIM` dimensions, balls up to 2-D.
    indices : sequence of int, optional
        Regions to measure; default all.

    Raises
    ------
    ValueError
        Where volumes would only be Monte Carlo estimates.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Ball, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> (region_volumes(enumerate_regions(net, Ball([0, 0], 1.0))) / np.pi).round(12).tolist()
    [0.5, 0.5]
    """
    from .geometry import MAX_EXACT_DIM, region_volume

    if not _exact_volumes_exist(rs.domain, MAX_EXACT_DIM):
        raise ValueError(
            f"region volumes in {rs.domain!r} would only be Monte Carlo estimates (or infinite); "
            f"exact volumes exist in finite polytopes up to {MAX_EXACT_DIM}-D and balls up to 2-D."
        )
    idx = range(rs.n_regions) if indices is None else indices
    ball = rs.domain.ball
    out = []
    for i in idx:
        A, b = rs.halfspaces(i)
        out.append(region_volume(A, b, rs.interior_points[i], ball=ball).value)
    return np.asarray(out, dtype=np.float64)


def region_probabilities(rs):
    """Probability of each region under uniform sampling: exact volume / domain volume.

    Parameters
    ----------
    rs : RegionSet
        A *complete* run on a bounded domain whose region volumes are exact
        (see :func:`region_volumes`).

    Returns
    -------
    ndarray, shape (R,)
        Sums to 1 up to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.5], [0.0]])
    >>> sorted(region_probabilities(enumerate_regions(net, Box([-1, -1], [1, 1]))).tolist())
    [0.25, 0.75]
    """
    if not rs.complete:
        raise ValueError(
            f"the enumeration is incomplete ({rs.stop_reason}): region probabilities of a partial "
            "run do not sum to 1. Rerun without a budget."
        )
    vol = float(rs.domain.volume())
    if not math.isfinite(vol):
        raise ValueError("the domain has infinite volume; uniform sampling needs a Box, Ball, "
                         "Polytope or Slice.")
    return region_volumes(rs) / vol


# ============================================================ the table
@dataclass(frozen=True)
class EstimatorRow:
    """One estimate in an :class:`EstimatorComparison`.

    Attributes
    ----------
    name : str
        ``"exact engine"``, ``"S_obs"``, ``"Chao1"``, ``"Chao1-bc"``, ``"ACE"``,
        ``"Good-Turing coverage"``, ``"Chao-Jost coverage"``,
        ``"regions per line"`` or ``"distance to boundary"``.
    target : str
        What it estimates: ``"regions"``, ``"coverage"``, ``"regions per line"``
        or ``"distance"``.
    estimate : float
    exact : float or None
        The reference value; ``None`` when there is none.
    exact_kind : str
        ``"exact"``, ``"lower bound"`` (a stopped engine run),
        ``"monte carlo"`` (hold-out coverage, see ``exact_stderr``) or
        ``"none"``.
    relative_error : float or None
        ``(estimate - exact) / exact``; ``None`` unless the reference is
        exact or a Monte Carlo estimate.
    n_samples : int or None
        Sample size (points, segments or distance points) behind the estimate.
    seconds : float
        Wall time to produce it; the rows of one pattern sample all include
        the time to draw that sample.
    ci : (float, float) or None
        Confidence interval of the estimate, when it has one.
    expected : float or None
        Exact expectation of the estimator under the sampling law (from exact
        region volumes), when known.
    exact_stderr : float
        Standard error of ``exact`` (hold-out coverage only).
    note : str
    """

    name: str
    target: str
    estimate: float
    exact: float | None
    exact_kind: str
    relative_error: float | None
    n_samples: int | None
    seconds: float
    ci: tuple | None = None
    expected: float | None = None
    exact_stderr: float = 0.0
    note: str = ""


def _fmt(x, kind="float"):
    if x is None:
        return "—"
    if isinstance(x, (int, np.integer)) or (kind == "count" and float(x).is_integer()):
        return f"{int(x)}"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.4g}" if kind != "coverage" else f"{x:.4f}"


@dataclass(frozen=True, eq=False)
class EstimatorComparison:
    """Estimators against the exact engine on one network and domain.

    Built by :func:`compare_estimators`.

    Attributes
    ----------
    rows : tuple of EstimatorRow
    network : dict
        ``input_dim``, ``widths``, ``n_neurons``, ``sha256``.
    domain : dict
        ``Domain.to_dict()``.
    exact_count : int or None
        Regions found by the engine (``None`` if it was not run).
    exact_complete : bool or None
        ``False`` when a budget stopped the engine: ``exact_count`` is then a
        lower bound.
    stop_reason : str or None
    coverage_reference : str or None
        ``"volumes"`` (exact) or ``"holdout"`` (Monte Carlo): how the true
        covered fraction was obtained.
    line_mismatches : int or None
        Segments on which the 1-D traversal and the engine disagree
        (``0`` expected; ``None`` without the engine).
    volume_total : float or None
        Sum of the exact region volumes divided by the domain's volume
        (``1`` up to rounding for a complete run), when computed.
    engine_missed : int or None
        Distinct sampled patterns that are *not* among the regions of a
        complete enumeration. ``0`` expected: a positive value means the
        engine missed regions (its count is then too low) or a sample point
        fell in a region thinner than the engine's resolution. ``None``
        without a complete engine run.
    settings : dict
        The arguments of the run.
    exact_status : str or None
        The engine's :attr:`RegionSet.status` (``"exact"``,
        ``"exact_at_resolution"``, ``"lower_bound"`` or ``"failed"``);
        ``None`` if it was not run.

    Examples
    --------
    >>> r = EstimatorRow("S_obs", "regions", 9.0, 10, "exact", -0.1, 100, 0.01)
    >>> c = EstimatorComparison((r,), {}, {}, 10, True, None, None, None, None)
    >>> c.row("S_obs").relative_error
    -0.1
    """

    rows: tuple
    network: dict
    domain: dict
    exact_count: int | None
    exact_complete: bool | None
    stop_reason: str | None
    coverage_reference: str | None
    line_mismatches: int | None
    volume_total: float | None
    engine_missed: int | None = None
    settings: dict = field(default_factory=dict)
    exact_status: str | None = None

    def row(self, name, n_samples=None):
        """The row called ``name`` (for sample-based rows, the one with ``n_samples``).

        Without ``n_samples`` the first matching row is returned.
        """
        for r in self.rows:
            if r.name == name and (n_samples is None or r.n_samples == n_samples):
                return r
        names = sorted({r.name for r in self.rows})
        raise KeyError(f"no row {name!r} with n_samples={n_samples!r}; rows are {names}.")

    def _exact_cell(self, r):
        kind = "coverage" if r.target == "coverage" else "count"
        if r.exact is None:
            return "—"
        if r.exact_kind == "lower bound":
            return f"≥ {_fmt(r.exact, kind)} (lower bound)"
        if r.exact_kind == "monte carlo":
            return f"{_fmt(r.exact, kind)} ± {r.exact_stderr:.1g} (hold-out MC)"
        return _fmt(r.exact, kind)

    def to_markdown(self) -> str:
        """The table as GitHub markdown, with a caption line and footnotes."""
        net = self.network
        if self.exact_count is None:
            status = "exact engine not run"
        elif self.exact_complete:
            status = f"exact count {self.exact_count}"
        else:
            status = (f"exact engine stopped ({self.stop_reason}): ≥ {self.exact_count} regions, "
                      "a lower bound")
        lines = [
            f"Estimators vs exact — net {net.get('input_dim')}-{list(net.get('widths', ()))}, "
            f"domain {self.domain.get('type')}; {status}.",
            "",
            "| estimator | n | estimate | exact | rel. error | E[estimate] | seconds |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            kind = "coverage" if r.target == "coverage" else "count"
            est = _fmt(r.estimate, kind)
            if r.ci is not None:
                est += f" [{_fmt(r.ci[0], kind)}, {_fmt(r.ci[1], kind)}]"
            rel = "n/a" if r.relative_error is None else f"{100 * r.relative_error:+.2f}%"
            exp = "—" if r.expected is None else _fmt(r.expected, kind)
            n = "—" if r.n_samples is None else str(r.n_samples)
            lines.append(f"| {r.name} | {n} | {est} | {self._exact_cell(r)} | {rel} | {exp} | "
                         f"{r.seconds:.3g} |")
        notes = []
        if self.coverage_reference == "volumes":
            notes.append("coverage reference: exact volume fraction of the observed regions")
        elif self.coverage_reference == "holdout":
            notes.append("coverage reference: fraction of an independent uniform hold-out sample "
                         "falling in observed regions (Monte Carlo)")
        if self.line_mismatches is not None:
            notes.append(f"line counts: 1-D traversal vs engine on the same segments, "
                         f"{self.line_mismatches} mismatches")
        if self.engine_missed:
            notes.append(f"**engine inconsistency**: {self.engine_missed} sampled patterns are not "
                         "among the regions of the complete enumeration, so the exact count is "
                         "too low (or a point fell in a region thinner than the engine's "
                         "resolution)")
        if self.volume_total is not None:
            found = "" if self.exact_complete else " (regions found before the engine stopped)"
            notes.append(f"sum of exact region volumes{found} / domain volume = "
                         f"{self.volume_total:.12g}")
        if notes:
            lines.append("")
            lines.extend(f"* {s}" for s in notes)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict (non-finite floats become ``None``)."""
        return to_plain({
            "network": self.network,
            "domain": self.domain,
            "exact": {
                "count": self.exact_count,
                "complete": self.exact_complete,
                "count_is": (None if self.exact_count is None
                             else "exact" if self.exact_complete else "lower bound"),
                "stop_reason": self.stop_reason,
                "status": self.exact_status,
            },
            "coverage_reference": self.coverage_reference,
            "line_mismatches": self.line_mismatches,
            "volume_total": self.volume_total,
            "engine_missed": self.engine_missed,
            "settings": self.settings,
            "rows": [asdict(r) for r in self.rows],
        }, nonfinite="null")

    def __repr__(self):
        state = ("no exact run" if self.exact_count is None
                 else f"exact={self.exact_count}" if self.exact_complete
                 else f"exact>={self.exact_count} (lower bound)")
        return f"EstimatorComparison({len(self.rows)} rows, {state})"


# ============================================================ the driver
def _check_sizes(n_samples):
    if isinstance(n_samples, numbers.Integral) and not isinstance(n_samples, bool):
        n_samples = (n_samples,)
    try:
        sizes = tuple(n_samples)
    except TypeError:
        raise TypeError(f"n_samples must be an integer or a sequence of integers; got "
                        f"{n_samples!r}.") from None
    if not sizes:
        raise ValueError("n_samples is empty; give at least one sample size.")
    return tuple(_check_n(n, "every n_samples entry") for n in sizes)


def _streams(random_state, k):
    """``k`` independent generators, so one part's draws never shift another's."""
    if isinstance(random_state, np.random.Generator):
        seed = np.random.SeedSequence(int(random_state.integers(2**63)))
    elif isinstance(random_state, np.random.SeedSequence):
        seed = random_state
    else:
        seed = np.random.SeedSequence(random_state)
    return [np.random.default_rng(s) for s in seed.spawn(k)]


def _rel(est, ref):
    if ref is None or est is None or ref == 0 or not math.isfinite(est):
        return None
    return float((est - ref) / ref)


class _Steps:
    """A progress bar over the estimator steps (a no-op unless ``progress``)."""

    def __init__(self, progress, total):
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="estimators", unit="step")

    def next(self, what):
        if self.bar is not None:
            self.bar.set_postfix_str(what, refresh=False)
            self.bar.update()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _exact_volumes_exist(domain, max_dim):
    """Whether region volumes in ``domain`` are exact (not Monte Carlo) up to ``max_dim``."""
    if not math.isfinite(domain.volume()):
        return False
    if domain.ball is not None:
        return domain.dim <= 2
    return domain.dim <= max_dim


def compare_estimators(net, domain, *, n_samples=(10**3, 10**4), n_lines=50, line_length=None,
                       n_distance_points=None, random_state=None, exact=True, time_limit=None,
                       max_regions=None, coverage_reference="auto", n_holdout=None, level=0.95,
                       progress=False):
    """Run the exact engine and every estimator on the same network and domain.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Domain
        Box, Ball, Polytope, Slice, or WholeSpace (standard normal points).
    n_samples : int or sequence of int, default (1000, 10000)
        Pattern-sample sizes; one block of rows per size.
    n_lines : int, default 50
        Random segments for the line statistics (0 to skip them).
    line_length : float, optional
        Segment length in domain coordinates; default ``domain.scale``.
    n_distance_points : int, optional
        Points for the distance statistics; default ``max(n_samples)``
        capped at 10 000 (0 to skip).
    random_state : int, numpy Generator or None
        Seeds independent streams for the engine's seed point, the pattern
        samples, the hold-out sample, the segments and the distance points;
        turning ``exact`` on or off does not change the samples.
    exact : bool, default True
        Run the exact engine (and the engine on every segment).
    time_limit, max_regions : optional
        Budgets of the exact engine on ``domain``; a stopped run gives a
        count shown as a lower bound.
    coverage_reference : {"auto", "volumes", "holdout"}, default "auto"
        How the true covered fraction is obtained. ``"volumes"``: sum of the
        exact volumes of the observed regions (needs the engine, a finite
        domain volume and exact volumes: polytopes up to
        :data:`~polyregions.geometry.MAX_EXACT_DIM` dimensions, balls up to
        2-D). ``"holdout"``: fraction of an independent sample of
        ``n_holdout`` points whose pattern was observed (unbiased Monte
        Carlo, any domain). ``"auto"``: volumes up to
        :data:`AUTO_VOLUME_MAX_DIM` dimensions when possible, else hold-out.
    n_holdout : int, optional
        Hold-out size; default ``max(100_000, 10 * max(n_samples))``.
    level : float, default 0.95
        Confidence level of the intervals.
    progress : bool, default False
        Show the exact engine's progress bar and a second bar over the
        estimator steps (sample sizes, segments, distance points), on stderr.

    Returns
    -------
    EstimatorComparison

    Examples
    --------
    >>> from polyregions import Box, random_network
    >>> net = random_network(2, [6, 6], random_state=1)
    >>> c = compare_estimators(net, Box([-1, -1], [1, 1]), n_samples=(100, 1000), n_lines=5,
    ...                        random_state=0)
    >>> [r.name for r in c.rows][:4]
    ['exact engine', 'S_obs', 'Chao1', 'Chao1-bc']
    >>> c.row("S_obs", 1000).estimate <= c.exact_count
    True
    """
    from . import richness
    from .distance import boundary_distance_statistics
    from .enumeration import enumerate_regions
    from .lines import line_statistics
    from .sampling import pattern_to_key, sample_patterns

    if not isinstance(net, ReLUNetwork):
        raise TypeError(f"net must be a ReLUNetwork (see ReLUNetwork.from_weights / from_torch); "
                        f"got {type(net).__name__}.")
    if not isinstance(domain, Domain):
        raise TypeError(f"domain must be a polyregions Domain (Box, Ball, Polytope, Slice, "
                        f"WholeSpace); got {type(domain).__name__}.")
    domain = as_domain(domain, net)
    sizes = _check_sizes(n_samples)
    if isinstance(n_lines, bool) or not isinstance(n_lines, numbers.Integral) or n_lines < 0:
        raise ValueError(f"n_lines must be a non-negative integer; got {n_lines!r}.")
    if n_distance_points is None:
        n_distance_points = min(max(sizes), 10_000)
    elif (isinstance(n_distance_points, bool) or not isinstance(n_distance_points, numbers.Integral)
          or n_distance_points < 0):
        raise ValueError(f"n_distance_points must be a non-negative integer; got "
                         f"{n_distance_points!r}.")
    if coverage_reference not in _COVERAGE_REFERENCES:
        raise ValueError(f"coverage_reference must be one of {_COVERAGE_REFERENCES}; got "
                         f"{coverage_reference!r}.")
    if coverage_reference == "volumes":
        from .geometry import MAX_EXACT_DIM

        if not exact:
            raise ValueError("coverage_reference='volumes' needs the exact engine (exact=True).")
        if not _exact_volumes_exist(domain, MAX_EXACT_DIM):
            raise ValueError(
                f"exact region volumes are not available in {domain!r} (finite polytopes up to "
                f"{MAX_EXACT_DIM}-D, balls up to 2-D); use coverage_reference='holdout'."
            )
    n_holdout = (max(100_000, 10 * max(sizes)) if n_holdout is None
                 else _check_n(n_holdout, "n_holdout"))
    level = check_level(level)
    if not exact and (time_limit is not None or max_regions is not None):
        raise ValueError("time_limit and max_regions are budgets of the exact engine; they need "
                         "exact=True.")
    s_engine, s_sample, s_holdout, s_lines, s_dist = _streams(random_state, 5)
    import scipy.stats  # noqa: F401  (imported once here, not inside one estimator's timing)

    rows = []
    rs = None
    exact_count = exact_complete = stop_reason = None
    if exact:
        t0 = time.perf_counter()
        rs = enumerate_regions(net, domain, max_regions=max_regions, time_limit=time_limit,
                               random_state=s_engine, progress=progress)
        seconds = time.perf_counter() - t0
        exact_count, exact_complete, stop_reason = rs.n_regions, rs.complete, rs.stop_reason
        kind = "exact" if rs.complete else "lower bound"
        rows.append(EstimatorRow(
            "exact engine", "regions", float(rs.n_regions), float(rs.n_regions), kind,
            0.0 if rs.complete else None, None, seconds,
            note="" if rs.complete else f"stopped by {rs.stop_reason}: a lower bound",
        ))
    count_ref = None if exact_count is None else float(exact_count)
    count_kind = "none" if rs is None else ("exact" if exact_complete else "lower bound")

    # ------------------------------------------------ the covered fraction
    key_index = {} if rs is None else {pattern_to_key(p): i for i, p in enumerate(rs.patterns)}
    volumes = None
    volume_total = None
    probs = None
    if rs is not None and (coverage_reference == "volumes" or (
            coverage_reference == "auto" and _exact_volumes_exist(domain, AUTO_VOLUME_MAX_DIM))):
        volumes = region_volumes(rs) / float(domain.volume())
        volume_total = float(volumes.sum())
        if rs.complete:
            probs = volumes
    holdout = None

    def covered_fraction(sample):
        """``(value, stderr, kind)`` of the true mass of the sample's observed regions."""
        nonlocal holdout
        if volumes is not None:
            idx = [key_index.get(k) for k in sample.keys]
            if all(i is not None for i in idx):
                return float(volumes[idx].sum()), 0.0, "exact"
            if coverage_reference == "volumes":
                raise ValueError("the sample hit regions the engine did not find (it was stopped by "
                                 "a budget, or missed them), so their volumes are unknown; rerun "
                                 "without a budget or use coverage_reference='holdout'.")
        if holdout is None:
            holdout = sample_patterns(net, domain, n_holdout, random_state=s_holdout)
        seen = set(sample.keys)
        hit = sum(int(c) for k, c in zip(holdout.keys, holdout.counts) if k in seen)
        c = hit / n_holdout
        return c, math.sqrt(max(c * (1 - c), 0.0) / n_holdout), "monte carlo"

    reference_used = set()
    missed = set()
    steps = _Steps(progress, len(sizes) + (n_lines if exact else 1 if n_lines else 0)
                   + (1 if n_distance_points else 0))
    for n in sizes:
        steps.next(f"samples n={n}")
        t0 = time.perf_counter()
        sample = sample_patterns(net, domain, n, random_state=s_sample)
        t_sample = time.perf_counter() - t0
        if rs is not None and rs.complete:
            missed.update(k for k in sample.keys if k not in key_index)
        counts = sample.counts

        def timed(fn):
            t = time.perf_counter()
            v = fn()
            return v, t_sample + time.perf_counter() - t

        def count_row(name, value, secs, ci=None, expected=None, note=""):
            rel = _rel(value, count_ref) if count_kind == "exact" else None
            rows.append(EstimatorRow(name, "regions", float(value), count_ref, count_kind, rel, n,
                                     secs, ci, expected, 0.0, note))

        s_obs, secs = timed(lambda: sample.n_observed)
        count_row("S_obs", s_obs, secs,
                  expected=None if probs is None else expected_observed(probs, n),
                  note="distinct patterns seen: a lower bound")
        v, secs = timed(lambda: richness.chao1(counts))
        count_row("Chao1", v, secs)
        (v, ci), secs = timed(lambda: (
            richness.chao1(counts, bias_corrected=True, small_sample=True),
            richness.chao1_ci(counts, level, bias_corrected=True, small_sample=True)))
        count_row("Chao1-bc", v, secs, ci=tuple(float(x) for x in ci),
                  note=f"SpadeR conventions; {100 * level:g}% log-normal interval")
        v, secs = timed(lambda: richness.ace(counts))
        count_row("ACE", v, secs)

        truth, stderr, tkind = covered_fraction(sample)
        reference_used.add("volumes" if tkind == "exact" else "holdout")
        for name, fn, expected in (
            ("Good-Turing coverage", richness.good_turing_coverage,
             None if probs is None else 1.0 - expected_frequency(probs, n, 1) / n),
            ("Chao-Jost coverage", richness.chao_jost_coverage, None),
        ):
            v, secs = timed(lambda: fn(counts))
            rows.append(EstimatorRow(
                name, "coverage", float(v), truth, tkind, _rel(v, truth), n, secs, None, expected,
                stderr, "reference: true probability mass of the observed regions",
            ))

    # ------------------------------------------------------- along lines
    line_mismatches = None
    if n_lines:
        if not exact:
            steps.next("line statistics")
        t0 = time.perf_counter()
        ls = line_statistics(net, domain, int(n_lines), line_length, random_state=s_lines,
                             level=level)
        secs = time.perf_counter() - t0
        ref = None
        kind = "none"
        note = f"(count - 1)/N = {ls.breakpoints_per_neuron:.4g}"
        if exact:
            eng = []
            for a, b in zip(ls.starts, ls.ends):
                steps.next("engine on segments")
                eng.append(enumerate_regions(net, Slice.segment(a, b)).count())
            eng = np.array(eng)
            line_mismatches = int(np.count_nonzero(eng != ls.counts))
            ref, kind = float(eng.mean()), "exact"
            note += f"; engine on the same segments: {line_mismatches} mismatches"
        rows.append(EstimatorRow("regions per line", "regions per line", ls.mean_regions, ref,
                                 kind, _rel(ls.mean_regions, ref), int(n_lines), secs,
                                 tuple(float(x) for x in ls.regions_ci), None, 0.0, note))

    # ------------------------------------------------ distance to boundary
    if n_distance_points:
        steps.next("distance to boundary")
        t0 = time.perf_counter()
        ds = boundary_distance_statistics(net, domain, int(n_distance_points),
                                          random_state=s_dist, level=level)
        secs = time.perf_counter() - t0
        rows.append(EstimatorRow(
            "distance to boundary", "distance", ds.mean, None, "none", None,
            int(n_distance_points), secs, tuple(float(x) for x in ds.mean_ci), None, 0.0,
            f"mean; median {ds.median:.4g}; mean x N = {ds.mean_scaled:.4g}",
        ))

    steps.close()
    engine_missed = len(missed) if (rs is not None and rs.complete) else None
    if engine_missed:
        warnings.warn(
            f"{engine_missed} sampled activation patterns are not among the {rs.n_regions} regions "
            "of the complete enumeration: the engine missed regions (or a point fell in a region "
            "thinner than tolerances.radius). The exact count is then too low.",
            RuntimeWarning, stacklevel=2,
        )
    if not reference_used:
        cov_ref = None
    elif reference_used == {"volumes"}:
        cov_ref = "volumes"
    else:
        cov_ref = "holdout" if reference_used == {"holdout"} else "mixed"
    return EstimatorComparison(
        rows=tuple(rows),
        network={"input_dim": net.input_dim, "widths": list(net.widths),
                 "n_neurons": net.n_neurons, "sha256": net.fingerprint()},
        domain=domain.to_dict(),
        exact_count=exact_count,
        exact_complete=exact_complete,
        stop_reason=stop_reason,
        coverage_reference=cov_ref,
        line_mismatches=line_mismatches,
        volume_total=volume_total,
        engine_missed=engine_missed,
        exact_status=None if rs is None else rs.status,
        settings={"n_samples": list(sizes), "n_lines": int(n_lines),
                  "n_distance_points": int(n_distance_points), "n_holdout": n_holdout,
                  "level": level, "time_limit": time_limit, "max_regions": max_regions},
    )
