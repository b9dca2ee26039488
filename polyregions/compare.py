"""Every estimator of the number of regions next to the exact count, on one net and domain.

:func:`compare_estimators` runs the exact engine and the sampling-based
estimators of docs/math.md ("Richness estimators", "Sampling expectations") on the same network and domain and returns an
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
volumes from :mod:`polyregions.volumes`) when the domain is low-dimensional
and every observed pattern is a known region; otherwise it is a Monte Carlo
estimate on an independent hold-out sample and is labelled so, with its
standard error. Every sampled pattern must be a region of a complete
enumeration; any that is not is counted in
:attr:`EstimatorComparison.engine_missed` and raises a ``RuntimeWarning``
(the engine then missed regions, and its count is too low).

The exact sampling expectations (:mod:`polyregions.expectations`) and the
region volumes and probabilities (:mod:`polyregions.volumes`) live in their
own modules; their names are re-exported here, where they used to be.

Example
-------
>>> from polyregions import Box, random_network
>>> net = random_network(2, [4], random_state=0)
>>> cmp = compare_estimators(net, Box([-1, -1], [1, 1]), sample_sizes=1000, n_lines=5,
...                          random_state=0)
>>> cmp.exact_count, cmp.row("S_obs").estimate, cmp.line_mismatches
(11, 9.0, 0)
"""

from __future__ import annotations

import importlib
import math
import numbers
import time
import warnings
from dataclasses import dataclass

import numpy as np

from . import enumeration, richness
from ._deprecation import renamed_parameters
from .errors import NotADomainError, NotAnIntegerError
from ._validation import check_choice, check_int, check_level
from .distance import boundary_distance_statistics
from .domain import Domain, Slice, as_domain
from .estimator_table import EstimatorComparison, EstimatorRow
from .expectations import (
    chao1_plugin,
    expected_frequency,
    expected_missing_mass,
    expected_observed,
    good_turing_bias,
)
from .lines import line_statistics
from .network import as_network
from .polytope import MAX_EXACT_DIM
from .results import pattern_keys
from .sampling import sample_patterns
from .volumes import exact_volumes_exist, region_probabilities, region_volumes

# Names that moved to expectations, volumes and estimator_table stay importable
# from here, where the 0.1 API had them.
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


# ============================================================ the driver
def _check_sizes(sample_sizes):
    if isinstance(sample_sizes, numbers.Integral) and not isinstance(sample_sizes, bool):
        sample_sizes = (sample_sizes,)
    try:
        sizes = tuple(sample_sizes)
    except TypeError:
        raise NotAnIntegerError(f"sample_sizes must be an integer or a sequence of integers; got "
                                f"{sample_sizes!r}.") from None
    if not sizes:
        raise ValueError("sample_sizes is empty; give at least one sample size.")
    return tuple(check_int(n, "every sample_sizes entry") for n in sizes)


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


@dataclass(frozen=True)
class _Settings:
    """The checked arguments of one :func:`compare_estimators` call."""

    sizes: tuple
    n_lines: int
    line_length: float | None
    n_distance_points: int
    n_holdout: int
    level: float
    exact: bool
    time_limit: float | None
    max_regions: int | None
    coverage_reference: str
    progress: bool

    def to_dict(self):
        return {"sample_sizes": list(self.sizes), "n_lines": self.n_lines,
                "n_distance_points": self.n_distance_points, "n_holdout": self.n_holdout,
                "level": self.level, "time_limit": self.time_limit,
                "max_regions": self.max_regions}


def _check_arguments(net, domain, sample_sizes, n_lines, line_length, n_distance_points, exact,
                     time_limit, max_regions, coverage_reference, n_holdout, level, progress):
    net = as_network(net)
    if not isinstance(domain, Domain):
        raise NotADomainError(f"domain must be a polyregions Domain (Box, Ball, Polytope, Slice, "
                              f"WholeSpace); got {type(domain).__name__}.")
    domain = as_domain(domain, net)
    sizes = _check_sizes(sample_sizes)
    n_lines = check_int(n_lines, "n_lines", minimum=0)
    if n_distance_points is None:
        n_distance_points = min(max(sizes), 10_000)
    n_distance_points = check_int(n_distance_points, "n_distance_points", minimum=0)
    check_choice(coverage_reference, "coverage_reference", _COVERAGE_REFERENCES)
    if coverage_reference == "volumes":
        if not exact:
            raise ValueError("coverage_reference='volumes' needs the exact engine (exact=True).")
        if not exact_volumes_exist(domain, MAX_EXACT_DIM):
            raise ValueError(
                f"exact region volumes are not available in {domain!r} (finite polytopes up to "
                f"{MAX_EXACT_DIM}-D, balls up to 2-D); use coverage_reference='holdout'."
            )
    n_holdout = (max(100_000, 10 * max(sizes)) if n_holdout is None
                 else check_int(n_holdout, "n_holdout"))
    if not exact and (time_limit is not None or max_regions is not None):
        raise ValueError("time_limit and max_regions are budgets of the exact engine; they need "
                         "exact=True.")
    return domain, _Settings(sizes, n_lines, line_length, n_distance_points, n_holdout,
                             check_level(level), bool(exact), time_limit, max_regions,
                             coverage_reference, bool(progress))


class _Coverage:
    """The true covered fraction of a sample: exact volumes where known, else a hold-out sample.

    ``probs`` are the regions' exact probabilities (``None`` unless the run is
    complete and volumes are exact), used for the exact expectations.
    """

    def __init__(self, net, domain, rs, settings, holdout_stream):
        self.net, self.domain, self.settings = net, domain, settings
        self.stream = holdout_stream
        self.key_index = {} if rs is None else dict(zip(pattern_keys(rs.patterns),
                                                        range(rs.n_regions)))
        self.volumes = self.volume_total = self.probs = None
        self.holdout = None
        self.used = set()
        ref = settings.coverage_reference
        if rs is not None and (ref == "volumes" or (
                ref == "auto" and exact_volumes_exist(domain, AUTO_VOLUME_MAX_DIM))):
            self.volumes = region_volumes(rs) / float(domain.volume())
            self.volume_total = float(self.volumes.sum())
            if rs.complete:
                self.probs = self.volumes

    def fraction(self, sample):
        """``(value, stderr, kind)`` of the true mass of the sample's observed regions."""
        if self.volumes is not None:
            idx = [self.key_index.get(k) for k in sample.keys]
            if all(i is not None for i in idx):
                self.used.add("volumes")
                return float(self.volumes[idx].sum()), 0.0, "exact"
            if self.settings.coverage_reference == "volumes":
                raise ValueError("the sample hit regions the engine did not find (it was stopped by "
                                 "a budget, or missed them), so their volumes are unknown; rerun "
                                 "without a budget or use coverage_reference='holdout'.")
        n_holdout = self.settings.n_holdout
        if self.holdout is None:
            self.holdout = sample_patterns(self.net, self.domain, n_holdout,
                                           random_state=self.stream)
        seen = set(sample.keys)
        hit = sum(int(c) for k, c in zip(self.holdout.keys, self.holdout.counts) if k in seen)
        c = hit / n_holdout
        self.used.add("holdout")
        return c, math.sqrt(max(c * (1 - c), 0.0) / n_holdout), "monte carlo"

    @property
    def reference(self):
        """``"volumes"``, ``"holdout"``, ``"mixed"`` or ``None`` (nothing was compared)."""
        if not self.used:
            return None
        return next(iter(self.used)) if len(self.used) == 1 else "mixed"


def _engine_row(net, domain, settings, stream):
    """Run the exact engine: ``(RegionSet, its row)``."""
    t0 = time.perf_counter()
    # Looked up at call time (enumeration.enumerate_regions), so a test can stand a
    # faulty engine in for the real one.
    rs = enumeration.enumerate_regions(net, domain, max_regions=settings.max_regions,
                                       time_limit=settings.time_limit, random_state=stream,
                                       progress=settings.progress)
    seconds = time.perf_counter() - t0
    kind = "exact" if rs.complete else "lower bound"
    return rs, EstimatorRow(
        "exact engine", "regions", float(rs.n_regions), float(rs.n_regions), kind,
        0.0 if rs.complete else None, None, seconds,
        note="" if rs.complete else f"stopped by {rs.stop_reason}: a lower bound",
    )


def _sample_rows(sample, n, t_sample, rs, coverage, level):
    """The count and coverage estimators on one pattern sample of size ``n``."""
    count_ref = None if rs is None else float(rs.n_regions)
    count_kind = "none" if rs is None else ("exact" if rs.complete else "lower bound")
    probs = coverage.probs
    counts = sample.counts
    rows = []

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

    truth, stderr, tkind = coverage.fraction(sample)
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
    return rows


def _line_row(net, domain, settings, stream, steps):
    """Regions per random segment, against the engine on the very same segments.

    Returns ``(row, mismatches)``; ``mismatches`` is ``None`` without the engine.
    """
    if not settings.exact:
        steps.next("line statistics")
    t0 = time.perf_counter()
    ls = line_statistics(net, domain, settings.n_lines, settings.line_length,
                         random_state=stream, level=settings.level)
    secs = time.perf_counter() - t0
    ref, kind, mismatches = None, "none", None
    note = f"(count - 1)/N = {ls.breakpoints_per_neuron:.4g}"
    if settings.exact:
        eng = []
        for a, b in zip(ls.starts, ls.ends):
            steps.next("engine on segments")
            eng.append(enumeration.enumerate_regions(net, Slice.segment(a, b)).count())
        eng = np.array(eng)
        mismatches = int(np.count_nonzero(eng != ls.counts))
        ref, kind = float(eng.mean()), "exact"
        note += f"; engine on the same segments: {mismatches} mismatches"
    return EstimatorRow("regions per line", "regions per line", ls.mean_regions, ref, kind,
                        _rel(ls.mean_regions, ref), settings.n_lines, secs,
                        tuple(float(x) for x in ls.regions_ci), None, 0.0, note), mismatches


def _distance_row(net, domain, settings, stream):
    t0 = time.perf_counter()
    ds = boundary_distance_statistics(net, domain, settings.n_distance_points,
                                      random_state=stream, level=settings.level)
    secs = time.perf_counter() - t0
    return EstimatorRow(
        "distance to boundary", "distance", ds.mean, None, "none", None,
        settings.n_distance_points, secs, tuple(float(x) for x in ds.mean_ci), None, 0.0,
        f"mean; median {ds.median:.4g}; mean x N = {ds.mean_scaled:.4g}",
    )


def _warn_missed(n_missed, rs):
    if n_missed:
        warnings.warn(
            f"{n_missed} sampled activation patterns are not among the {rs.n_regions} regions "
            "of the complete enumeration: the engine missed regions (or a point fell in a region "
            "thinner than tolerances.radius). The exact count is then too low.",
            RuntimeWarning, stacklevel=3,
        )


@renamed_parameters(n_samples="sample_sizes")
def compare_estimators(net, domain, *, sample_sizes=(10**3, 10**4), n_lines=50, line_length=None,
                       n_distance_points=None, random_state=None, exact=True, time_limit=None,
                       max_regions=None, coverage_reference="auto", n_holdout=None, level=0.95,
                       progress=False):
    """Run the exact engine and every estimator on the same network and domain.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Domain
        Box, Ball, Polytope, Slice, or WholeSpace (standard normal points).
    sample_sizes : int or sequence of int, default (1000, 10000)
        Pattern-sample sizes (the ``n_samples`` of each
        :func:`~polyregions.sample_patterns` call); one block of rows per
        size. (``n_samples=`` is its deprecated name.)
    n_lines : int, default 50
        Random segments for the line statistics (0 to skip them).
    line_length : float, optional
        Segment length in domain coordinates; default ``domain.scale``.
    n_distance_points : int, optional
        Points for the distance statistics; default ``max(sample_sizes)``
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
        Hold-out size; default ``max(100_000, 10 * max(sample_sizes))``.
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
    >>> c = compare_estimators(net, Box([-1, -1], [1, 1]), sample_sizes=(100, 1000), n_lines=5,
    ...                        random_state=0)
    >>> [r.name for r in c.rows][:4]
    ['exact engine', 'S_obs', 'Chao1', 'Chao1-bc']
    >>> c.row("S_obs", 1000).estimate <= c.exact_count
    True
    """
    domain, settings = _check_arguments(net, domain, sample_sizes, n_lines, line_length,
                                        n_distance_points, exact, time_limit, max_regions,
                                        coverage_reference, n_holdout, level, progress)
    s_engine, s_sample, s_holdout, s_lines, s_dist = _streams(random_state, 5)
    importlib.import_module("scipy.stats")  # once here, not inside one estimator's timing

    rows, rs = [], None
    if settings.exact:
        rs, row = _engine_row(net, domain, settings, s_engine)
        rows.append(row)
    coverage = _Coverage(net, domain, rs, settings, s_holdout)
    n_steps = (len(settings.sizes) + (settings.n_lines if settings.exact else int(settings.n_lines > 0))
               + int(settings.n_distance_points > 0))
    steps = _Steps(settings.progress, n_steps)
    missed = set()
    for n in settings.sizes:
        steps.next(f"samples n={n}")
        t0 = time.perf_counter()
        sample = sample_patterns(net, domain, n, random_state=s_sample)
        t_sample = time.perf_counter() - t0
        if rs is not None and rs.complete:
            missed.update(k for k in sample.keys if k not in coverage.key_index)
        rows.extend(_sample_rows(sample, n, t_sample, rs, coverage, settings.level))
    line_mismatches = None
    if settings.n_lines:
        row, line_mismatches = _line_row(net, domain, settings, s_lines, steps)
        rows.append(row)
    if settings.n_distance_points:
        steps.next("distance to boundary")
        rows.append(_distance_row(net, domain, settings, s_dist))
    steps.close()
    engine_missed = len(missed) if (rs is not None and rs.complete) else None
    _warn_missed(engine_missed, rs)
    return EstimatorComparison(
        rows=tuple(rows),
        network={"input_dim": net.input_dim, "widths": list(net.widths),
                 "n_neurons": net.n_neurons, "sha256": net.fingerprint()},
        domain=domain.to_dict(),
        exact_count=None if rs is None else rs.n_regions,
        exact_complete=None if rs is None else rs.complete,
        stop_reason=None if rs is None else rs.stop_reason,
        coverage_reference=coverage.reference,
        line_mismatches=line_mismatches,
        volume_total=coverage.volume_total,
        engine_missed=engine_missed,
        exact_status=None if rs is None else rs.status,
        settings=settings.to_dict(),
    )
