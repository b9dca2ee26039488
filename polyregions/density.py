"""Local density of activation regions around given points.

Zhu, Lin & Tang (2020) report that small spheres centred at training points
contain more linear regions than spheres centred at arbitrary points (docs/math.md
§6; only their abstract was checked). :func:`local_region_counts` measures the
quantity behind that claim -- the number of activation regions meeting a small
neighbourhood of each point -- and :func:`compare_data_vs_random` contrasts
data points with points drawn uniformly from a domain.

The neighbourhood of a centre ``c`` is the open Euclidean ball
``Ball(c, radius)`` (``kind="ball"``) or the box ``Box(c - radius, c + radius)``
(``kind="box"``), the ``kind`` of :func:`polyregions.batch.neighbourhoods`.
Two methods count the regions meeting it:

``"exact"``
    Runs the enumeration engine on the neighbourhood
    (:func:`~polyregions.enumerate_regions`); the count is exact at the
    engine's resolution (``Tolerances.radius``), unless a budget
    (``max_regions`` / ``time_limit``) stops the run: that count is then
    only a lower bound, and is flagged as such.
``"sampling"``
    Draws ``n_samples`` uniform points in the neighbourhood and counts their
    distinct activation patterns. Every pattern seen belongs, with
    probability one, to a full-dimensional region meeting the neighbourhood,
    so this is a **lower bound** on the exact count, never an estimate of it:
    small regions are missed. It is the cheap option in high input
    dimension, where exact enumeration may be out of reach.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> res = local_region_counts(net, [[0.0, 0.0], [1.0, 1.0]], 0.5)
>>> res.counts.tolist()  # four quadrants around the origin, one region far from it
[4, 1]
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ._deprecation import renamed_parameters, warn_renamed
from .errors import NotADomainError
from ._validation import (check_choice, check_int, check_max_regions, check_points, check_real,
                          check_time_limit)
from .domain import Ball, Box, Domain, as_domain
from .network import as_network

__all__ = [
    "LocalRegionCounts",
    "DataVsRandom",
    "neighbourhood",
    "local_region_counts",
    "compare_data_vs_random",
]

_METHODS = ("exact", "sampling")
_KINDS = ("ball", "box")
#: The 0.1 spelling ``norm=`` of ``kind=``, value by value.
_NORM_TO_KIND = {"l2": "ball", "linf": "box"}
#: Points drawn per neighbourhood by ``method="sampling"`` when ``n_samples`` is omitted.
DEFAULT_N_SAMPLES = 10_000


# ----------------------------------------------------------- validation
def _check_centers(net, points, name="X"):
    X = np.array(check_points(points, net.input_dim, name, min_points=1))  # a copy, made read-only
    X.setflags(write=False)
    return X


def _check_radius(radius):
    return check_real(radius, "radius", low=0.0, low_open=True)


def _check_method_options(method, n_samples, max_regions, time_limit):
    check_choice(method, "method", _METHODS)
    n_samples = check_int(n_samples, "n_samples", allow_none=True)
    max_regions = check_max_regions(max_regions)
    if method == "exact" and n_samples is not None:
        raise ValueError(
            "n_samples only applies to method='sampling'; the exact method enumerates the "
            "regions instead of sampling."
        )
    if method == "sampling" and (max_regions is not None or time_limit is not None):
        raise ValueError(
            "max_regions and time_limit are budgets of the exact engine; they do not apply to "
            "method='sampling' (whose cost is set by n_samples)."
        )
    check_time_limit(time_limit)
    if method == "sampling" and n_samples is None:
        n_samples = DEFAULT_N_SAMPLES
    return n_samples, max_regions, time_limit


def _kind_from_norm(kind, norm, fn, stacklevel):
    """``kind``, or the deprecated ``norm=`` translated to it (with a warning)."""
    if norm is None:
        return kind
    if kind != "ball":
        raise TypeError(f"{fn}: pass kind (norm is its deprecated name), not both.")
    check_choice(norm, "norm", tuple(_NORM_TO_KIND))
    warn_renamed(f"{fn}(norm={norm!r})", f"{fn}(kind={_NORM_TO_KIND[norm]!r})",
                 stacklevel=stacklevel + 1)
    return _NORM_TO_KIND[norm]


def neighbourhood(center, radius, kind="ball", *, norm=None):
    """The domain of radius ``radius`` around ``center``: a :class:`Ball` or a :class:`Box`.

    Parameters
    ----------
    center : array_like, shape (n0,)
    radius : float
        Euclidean radius (``"ball"``) or half-side (``"box"``).
    kind : {"ball", "box"}, default "ball"
    norm : {"l2", "linf"}, optional
        Deprecated spelling of ``kind`` (``"l2"`` is ``"ball"``, ``"linf"``
        is ``"box"``).

    Returns
    -------
    Ball or Box

    Examples
    --------
    >>> neighbourhood([0.5, 0.5], 0.1, kind="box")
    Box(lo=[0.4, 0.4], hi=[0.6, 0.6])
    """
    kind = _kind_from_norm(kind, norm, "neighbourhood", stacklevel=3)
    check_choice(kind, "kind", _KINDS)
    radius = _check_radius(radius)
    c = np.asarray(center, dtype=np.float64).reshape(-1)
    if kind == "ball":
        return Ball(c, radius)
    return Box(c - radius, c + radius)


# --------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class LocalRegionCounts:
    """Number of activation regions meeting a neighbourhood of each point.

    Built by :func:`local_region_counts`.

    Attributes
    ----------
    centers : ndarray, shape (n, n0)
        The points (network inputs), read-only.
    counts : ndarray of int64, shape (n,)
        Regions meeting each neighbourhood (exact, or a lower bound: see
        :attr:`lower_bound`).
    lower_bound : ndarray of bool, shape (n,)
        ``True`` where ``counts`` is only a lower bound: every count of the
        sampling method, and exact counts whose enumeration hit a budget.
    radius : float
    kind : str
        ``"ball"`` or ``"box"``.
    method : str
        ``"exact"`` or ``"sampling"``.
    n_samples : int or None
        Points per neighbourhood for the sampling method.
    seconds : ndarray of float64, shape (n,)
        Wall time spent on each point.
    upper_bounds : ndarray of int64 or None
        Local upper bound (:func:`~polyregions.local_bound`) per
        neighbourhood, when asked for with ``bound=``.
    bound : str or None
        The local bound's method, ``"ibp"`` or ``"lp"``.

    Examples
    --------
    >>> r = LocalRegionCounts(np.zeros((2, 1)), np.array([3, 5]), np.array([False, False]),
    ...                       0.1, "ball", "exact", None, np.zeros(2), np.array([6, 5]), "lp")
    >>> r.mean, r.is_lower_bound, r.bound_ratios.tolist(), r.mean_bound_ratio
    (4.0, False, [2.0, 1.0], 1.5)
    """

    centers: np.ndarray
    counts: np.ndarray
    lower_bound: np.ndarray
    radius: float
    kind: str
    method: str
    n_samples: int | None
    seconds: np.ndarray
    upper_bounds: np.ndarray | None = None
    bound: str | None = None

    @property
    def n_points(self) -> int:
        return int(self.counts.size)

    @property
    def norm(self) -> str:
        """Deprecated: the 0.1 name of :attr:`kind` (``"l2"`` for balls, ``"linf"`` for boxes)."""
        warn_renamed("LocalRegionCounts.norm", "LocalRegionCounts.kind ('ball' or 'box')")
        return {v: k for k, v in _NORM_TO_KIND.items()}[self.kind]

    @property
    def bound_ratios(self):
        """``upper_bound / count`` per point: how loose the local bound is (>= 1).

        ``None`` without bounds. Where the count is only a lower bound the
        ratio over-states the looseness.
        """
        if self.upper_bounds is None:
            return None
        return self.upper_bounds.astype(np.float64) / self.counts

    @property
    def mean_bound_ratio(self):
        """Mean of :attr:`bound_ratios` (``nan`` without bounds)."""
        r = self.bound_ratios
        return math.nan if r is None else float(np.mean(r))

    @property
    def is_lower_bound(self) -> bool:
        """Whether any count is only a lower bound (always ``True`` for sampling)."""
        return bool(np.any(self.lower_bound))

    @property
    def mean(self) -> float:
        return float(np.mean(self.counts))

    @property
    def median(self) -> float:
        return float(np.median(self.counts))

    @property
    def std(self) -> float:
        """Sample standard deviation (``ddof=1``; ``nan`` for one point)."""
        return float(np.std(self.counts, ddof=1)) if self.n_points > 1 else math.nan

    def summary(self) -> dict:
        """Plain-dict summary (floats, ints, strings)."""
        return {
            "n_points": self.n_points,
            "method": self.method,
            "kind": self.kind,
            "radius": self.radius,
            "n_samples": self.n_samples,
            "count_is": "lower bound" if self.is_lower_bound else "exact",
            "mean": self.mean,
            "median": self.median,
            "std": self.std,
            "min": int(self.counts.min()),
            "max": int(self.counts.max()),
            "seconds": float(np.sum(self.seconds)),
            "bound": self.bound,
            "mean_upper_bound": (math.nan if self.upper_bounds is None
                                 else float(np.mean(self.upper_bounds))),
            "mean_bound_ratio": self.mean_bound_ratio,
        }

    def __repr__(self):
        kind = "lower bound" if self.is_lower_bound else "exact"
        return (
            f"LocalRegionCounts(n_points={self.n_points}, method={self.method!r}, "
            f"kind={self.kind!r}, radius={self.radius}, mean={self.mean:.4g} ({kind}))"
        )


@dataclass(frozen=True, eq=False)
class DataVsRandom:
    """Local region counts at data points against uniformly random points.

    Built by :func:`compare_data_vs_random`.

    Attributes
    ----------
    data, random : LocalRegionCounts
        Counts around the data points and around the random points.
    domain : Domain
        Where the random points were drawn.

    Examples
    --------
    >>> z = np.zeros(2)
    >>> mk = lambda c: LocalRegionCounts(np.zeros((2, 1)), np.array(c), np.zeros(2, bool),
    ...                                  0.1, "ball", "exact", None, z)
    >>> d = DataVsRandom(mk([6, 8]), mk([3, 5]), None)
    >>> d.mean_difference, d.ratio
    (3.0, 1.75)
    """

    data: LocalRegionCounts
    random: LocalRegionCounts
    domain: object

    @property
    def mean_difference(self) -> float:
        """``data.mean - random.mean``."""
        return self.data.mean - self.random.mean

    @property
    def ratio(self) -> float:
        """``data.mean / random.mean``."""
        return self.data.mean / self.random.mean

    @property
    def bound_ratio(self):
        """``(data, random)`` mean ratios of local upper bound to count (``nan`` without bounds)."""
        return (self.data.mean_bound_ratio, self.random.mean_bound_ratio)

    def mann_whitney(self, alternative="two-sided"):
        """Mann–Whitney U test of data counts against random counts.

        Parameters
        ----------
        alternative : {"two-sided", "greater", "less"}
            ``"greater"`` tests Zhu, Lin & Tang's direction (more regions
            around data points).

        Returns
        -------
        (float, float)
            The U statistic of the data sample and the p-value (``nan`` if a
            group has fewer than two points).
        """
        check_choice(alternative, "alternative", ("two-sided", "greater", "less"))
        if self.data.n_points < 2 or self.random.n_points < 2:
            return (math.nan, math.nan)
        from scipy.stats import mannwhitneyu

        res = mannwhitneyu(self.data.counts, self.random.counts, alternative=alternative)
        return (float(res.statistic), float(res.pvalue))

    def summary(self) -> dict:
        u, p = self.mann_whitney()
        return {
            "data": self.data.summary(),
            "random": self.random.summary(),
            "mean_difference": self.mean_difference,
            "ratio": self.ratio,
            "bound_ratio": self.bound_ratio,
            "mann_whitney_u": u,
            "p_value": p,
        }

    def __repr__(self):
        return (
            f"DataVsRandom(data mean={self.data.mean:.4g}, random mean={self.random.mean:.4g}, "
            f"ratio={self.ratio:.4g})"
        )


# ------------------------------------------------------------- counting
def _count_one(net, dom, method, n_samples, rng, max_regions, time_limit):
    """``(count, is_lower_bound)`` for one neighbourhood."""
    if method == "exact":
        from .enumeration import enumerate_regions

        rs = enumerate_regions(net, dom, max_regions=max_regions, time_limit=time_limit,
                               random_state=rng)
        return rs.n_regions, not rs.complete
    from .sampling import sample_patterns

    return sample_patterns(net, dom, n_samples, random_state=rng).n_observed, True


@renamed_parameters(points="X")
def local_region_counts(net, X, radius, *, method="exact", n_samples=None, kind="ball",
                        random_state=None, max_regions=None, time_limit=None, bound=None,
                        n_jobs=1, progress=False, norm=None):
    """Number of activation regions meeting a small ball or box around each point.

    Parameters
    ----------
    net : ReLUNetwork
    X : array_like, shape (n, net.input_dim)
        Centres (network inputs); a single point may be given as a vector.
        (``points=`` is its deprecated name.)
    radius : float
        Euclidean radius (``kind="ball"``) or half-side of the box
        (``kind="box"``), in input units.
    method : {"exact", "sampling"}, default "exact"
        Enumerate the regions, or count distinct patterns among uniform
        samples (a lower bound, see the module docstring).
    n_samples : int, optional
        Points per neighbourhood, sampling method only (default
        :data:`DEFAULT_N_SAMPLES`).
    kind : {"ball", "box"}, default "ball"
        The neighbourhood, as in :func:`~polyregions.batch.neighbourhoods`.
    random_state : int, numpy Generator or None
        Seeds the samples (and the engine's seed points).
    max_regions, time_limit : optional
        Per-point budgets of the exact engine; a stopped run gives a count
        flagged as a lower bound.
    bound : {None, "ibp", "lp"}, default None
        Also compute the local upper bound of each neighbourhood
        (:func:`~polyregions.local_bound`; ``"lp"`` is the tighter one), to
        set beside the count (:attr:`LocalRegionCounts.bound_ratios`).
    n_jobs : int, default 1
        Worker processes for the exact method
        (:func:`~polyregions.batch.count_regions_batch`).
    progress : bool, default False
        Progress bar over the points (exact method).
    norm : {"l2", "linf"}, optional
        Deprecated spelling of ``kind`` (``"l2"`` is ``"ball"``, ``"linf"``
        is ``"box"``).

    Returns
    -------
    LocalRegionCounts

    Raises
    ------
    ValueError
        On malformed points, a non-positive radius, an unknown method or
        kind, or options that do not apply to the chosen method.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> ex = local_region_counts(net, [0.3, 0.0], 0.2, kind="box")
    >>> lb = local_region_counts(net, [0.3, 0.0], 0.2, kind="box", method="sampling",
    ...                          n_samples=2000, random_state=0)
    >>> int(ex.counts[0]), int(lb.counts[0]), lb.is_lower_bound
    (2, 2, True)
    """
    as_network(net)
    X = _check_centers(net, X)
    radius = _check_radius(radius)
    kind = _kind_from_norm(kind, norm, "local_region_counts", stacklevel=4)
    check_choice(kind, "kind", _KINDS)
    n_samples, max_regions, time_limit = _check_method_options(
        method, n_samples, max_regions, time_limit
    )
    check_choice(bound, "bound", (None, "ibp", "lp"))
    rng = np.random.default_rng(random_state)
    doms = [neighbourhood(c, radius, kind) for c in X]
    uppers = None
    if method == "exact":
        from .batch import count_regions_batch

        res = count_regions_batch(net, doms, max_regions=max_regions, time_limit=time_limit,
                                  n_jobs=n_jobs, progress=progress, random_state=rng)
        failed = [k for k, s in enumerate(res.statuses) if s == "failed"]
        if failed:
            raise RuntimeError(f"the engine failed around point {failed[0]}: "
                               f"{res.details[failed[0]]}")
        counts = np.array(res.counts, dtype=np.int64)
        lower = res.lower_bound.copy()
        seconds = np.array(res.seconds)
    else:
        counts = np.zeros(len(X), dtype=np.int64)
        lower = np.zeros(len(X), dtype=bool)
        seconds = np.zeros(len(X))
        for i, dom in enumerate(doms):
            t0 = time.perf_counter()
            counts[i], lower[i] = _count_one(net, dom, method, n_samples, rng, max_regions,
                                             time_limit)
            seconds[i] = time.perf_counter() - t0
    if bound is not None:
        from .local_bounds import local_bound

        uppers = np.array([local_bound(net, d, method=bound).value for d in doms], dtype=object)
        if all(u < 2**62 for u in uppers):
            uppers = uppers.astype(np.int64)
        uppers.setflags(write=False)
    for arr in (counts, lower, seconds):
        arr.setflags(write=False)
    return LocalRegionCounts(X, counts, lower, radius, kind, method, n_samples, seconds, uppers,
                             bound)


@renamed_parameters(data_points="X")
def compare_data_vs_random(net, X, domain, radius, *, n_random=None, method="exact",
                           n_samples=None, kind="ball", random_state=None, max_regions=None,
                           time_limit=None, bound=None, n_jobs=1, progress=False, norm=None):
    """Local region counts around data points against uniform random points of ``domain``.

    Zhu, Lin & Tang's experiment: with the same radius, do neighbourhoods of
    data points meet more regions than neighbourhoods of arbitrary points?

    Parameters
    ----------
    net : ReLUNetwork
    X : array_like, shape (n, net.input_dim)
        The data points. (``data_points=`` is its deprecated name.)
    domain : Domain
        Where the random centres are drawn uniformly (e.g. the data's
        bounding box); for a :class:`~polyregions.Slice` they are drawn in
        its parameter box and mapped to inputs.
    radius : float
    n_random : int, optional
        Number of random centres; default ``len(X)``.
    method, n_samples, kind, random_state, max_regions, time_limit, bound, n_jobs, progress
        As in :func:`local_region_counts`, used for both groups (``norm=``
        is the deprecated spelling of ``kind``). With
        ``bound="lp"`` (or ``"ibp"``) :attr:`DataVsRandom.bound_ratio` sets
        the local upper bound beside the count.

    Returns
    -------
    DataVsRandom

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> d = compare_data_vs_random(net, [[0.0, 0.0], [0.05, -0.05]], Box([-1, -1], [1, 1]), 0.1,
    ...                            n_random=20, random_state=0)
    >>> d.data.mean, d.random.n_points, d.mean_difference > 0
    (4.0, 20, True)
    """
    as_network(net)
    X = _check_centers(net, X)
    if not isinstance(domain, Domain):
        raise NotADomainError(
            f"domain must be a polyregions Domain (Box, Ball, Polytope, Slice, WholeSpace) to draw "
            f"the random centres from; got {type(domain).__name__}."
        )
    domain = as_domain(domain, net)
    n_random = check_int(n_random, "n_random", allow_none=True) or len(X)
    rng = np.random.default_rng(random_state)
    R = domain.to_input(domain.sample(n_random, random_state=rng))
    kind = _kind_from_norm(kind, norm, "compare_data_vs_random", stacklevel=4)
    kw = dict(method=method, n_samples=n_samples, kind=kind, random_state=rng,
              max_regions=max_regions, time_limit=time_limit, bound=bound, n_jobs=n_jobs,
              progress=progress)
    data = local_region_counts(net, X, radius, **kw)
    rand = local_region_counts(net, R, radius, **kw)
    return DataVsRandom(data, rand, domain)
