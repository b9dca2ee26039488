"""Exact region counts on many segments, as statistics (Hanin & Rolnick 2019a).

The exact 1-D traversal lives in :mod:`polyregions.segments`
(:func:`segment_breakpoints`, :func:`count_regions_on_segment`,
:func:`count_regions_on_segments`, re-exported here). This module places
segments -- at random in a domain, through data points, between pairs of
points, or as given -- counts them in one batched pass and summarises the
counts in a :class:`LineStatistics`: the mean number of regions met and
Hanin & Rolnick's normalisations (breakpoints per neuron, per unit length,
per unit length per neuron), each with a Student-t interval. The per-line
values behind every statistic are defined once, in ``_PER_LINE``.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork
>>> net = ReLUNetwork.from_weights([[[1.0], [1.0]], [[1.0, 1.0]]], [[-0.5, -1.5], [0.0]])
>>> segment_statistics(net, [[0.0], [0.0]], [[2.0], [1.0]]).counts.tolist()
[3, 2]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._deprecation import renamed_parameters, warn_renamed
from .errors import NotADomainError
from ._validation import check_int, check_level, check_real
from .domain import Domain, as_domain
from .network import as_network
from .segments import (check_segment_ends, count_regions_on_segment, count_regions_on_segments,
                       segment_breakpoints)

__all__ = [
    "segment_breakpoints",
    "count_regions_on_segment",
    "count_regions_on_segments",
    "line_statistics",
    "segment_statistics",
    "LineStatistics",
    "mean_ci",
    "require_domain",
]


def mean_ci(values, level):
    """Mean and two-sided Student-t interval ``mean ± t_{n-1} s / sqrt(n)``.

    ``(nan, nan)`` when fewer than two values or any value is not finite.

    Examples
    --------
    >>> m, (lo, hi) = mean_ci([1.0, 2.0, 3.0], 0.95)
    >>> m, round(lo, 3), round(hi, 3)
    (2.0, -0.484, 4.484)
    """
    v = np.asarray(values, dtype=np.float64)
    mean = float(v.mean()) if v.size else math.nan
    if v.size < 2 or not np.all(np.isfinite(v)):
        return mean, (math.nan, math.nan)
    from scipy.stats import t as student_t

    half = float(student_t.ppf(0.5 + level / 2.0, v.size - 1)) * float(v.std(ddof=1)) / math.sqrt(
        v.size
    )
    return mean, (mean - half, mean + half)


def require_domain(domain, net):
    """``domain`` checked against ``net``; a ``TypeError`` saying what a domain is otherwise."""
    if domain is None or not isinstance(domain, Domain):
        raise NotADomainError(
            "domain must be a polyregions Domain, e.g. Box(lo, hi), Ball(center, radius), a "
            "Slice, or WholeSpace(dim) for standard-normal points; got "
            f"{type(domain).__name__}."
        )
    return as_domain(domain, net)


def _per_neuron(st, values):
    if st.n_neurons == 0:
        return np.full(st.counts.shape, math.nan)
    return values / st.n_neurons


#: The per-line value behind each statistic of :class:`LineStatistics`: the
#: statistic is its mean over lines, ``<name>_ci`` its Student-t interval.
_PER_LINE = {
    "mean_regions": lambda st: st.counts,
    "breakpoints_per_neuron": lambda st: _per_neuron(st, st.breakpoints),
    "breakpoints_per_unit_length": lambda st: st.breakpoints / st.lengths,
    "breakpoints_per_unit_length_per_neuron":
        lambda st: _per_neuron(st, st.breakpoints / st.lengths),
}


def _statistic(name, doc):
    """The property pair ``name`` (mean over lines) and its interval."""
    mean = property(lambda st: float(np.mean(_PER_LINE[name](st))), doc=doc)
    ci = property(lambda st: mean_ci(_PER_LINE[name](st), st.level)[1],
                  doc=f"Confidence interval of :attr:`{name}`.")
    return mean, ci


@dataclass(frozen=True, eq=False)
class LineStatistics:
    """Exact region counts on segments; see :func:`line_statistics`.

    The normalisations are named for what they compute: a segment meeting
    ``count`` regions crosses ``count - 1`` boundaries ("breakpoints").

    Attributes
    ----------
    counts : ndarray of int64, shape (n_lines,)
        Regions met by each segment.
    lengths : ndarray of float64, shape (n_lines,)
        Euclidean length of each segment in the network's input space.
    starts, ends : ndarray, shape (n_lines, input_dim)
        The segments' ends (network inputs).
    n_neurons : int
    level : float
        Confidence level of the ``*_ci`` intervals (Student-t on the per-line
        values, which are i.i.d. across lines).

    Examples
    --------
    >>> import numpy as np
    >>> st = LineStatistics(np.array([3, 5]), np.array([2.0, 2.0]), np.zeros((2, 1)),
    ...                     np.ones((2, 1)), n_neurons=4)
    >>> st.mean_regions, st.breakpoints_per_neuron, st.breakpoints_per_unit_length
    (4.0, 0.75, 1.5)
    >>> st.breakpoints_per_unit_length_per_neuron
    0.375
    """

    counts: np.ndarray
    lengths: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    n_neurons: int
    level: float = 0.95

    @property
    def n_lines(self) -> int:
        return int(self.counts.size)

    @property
    def breakpoints(self) -> np.ndarray:
        """``counts - 1``: boundary crossings on each segment."""
        return self.counts - 1

    mean_regions, regions_ci = _statistic("mean_regions", "Average number of regions per segment.")
    breakpoints_per_neuron, breakpoints_per_neuron_ci = _statistic(
        "breakpoints_per_neuron", "Mean of ``(count - 1) / N``: crossings per segment per neuron.")
    breakpoints_per_unit_length, breakpoints_per_unit_length_ci = _statistic(
        "breakpoints_per_unit_length",
        "Mean of ``(count - 1) / length``: boundary crossings per unit input length.")
    breakpoints_per_unit_length_per_neuron, breakpoints_per_unit_length_per_neuron_ci = _statistic(
        "breakpoints_per_unit_length_per_neuron",
        "Mean of ``(count - 1) / (length N)``: Hanin & Rolnick's normalised density, which they "
        "find of order one, independent of depth at a fixed number of neurons ``N``.")

    @property
    def regions_per_neuron(self) -> float:
        """Deprecated name of :attr:`breakpoints_per_neuron` (it never counted regions)."""
        warn_renamed("LineStatistics.regions_per_neuron (breakpoints per segment per neuron)",
                     "breakpoints_per_neuron", stacklevel=3)
        return self.breakpoints_per_neuron

    @property
    def regions_per_neuron_ci(self):
        """Deprecated name of :attr:`breakpoints_per_neuron_ci`."""
        warn_renamed("LineStatistics.regions_per_neuron_ci", "breakpoints_per_neuron_ci",
                     stacklevel=3)
        return self.breakpoints_per_neuron_ci

    def summary(self):
        """Every statistic as a dict of floats and ``(lo, hi)`` tuples."""
        out = {"n_lines": self.n_lines, "n_neurons": self.n_neurons}
        for name in _PER_LINE:
            ci = "regions_ci" if name == "mean_regions" else f"{name}_ci"
            out[name], out[ci] = getattr(self, name), getattr(self, ci)
        return out

    def __repr__(self):
        return (
            f"LineStatistics(n_lines={self.n_lines}, mean_regions={self.mean_regions:.4g}, "
            f"breakpoints_per_neuron={self.breakpoints_per_neuron:.4g})"
        )


def _statistics(net, starts, ends, level):
    counts = count_regions_on_segments(net, starts, ends)
    lengths = np.linalg.norm(ends - starts, axis=1)
    for arr in (counts, lengths, starts, ends):
        arr.setflags(write=False)
    return LineStatistics(counts, lengths, starts, ends, net.n_neurons, level)


def segment_statistics(net, starts, ends, *, level=0.95):
    """Exact region counts on given segments ``[starts[k], ends[k]]``, with intervals.

    Parameters
    ----------
    net : ReLUNetwork
    starts, ends : array_like, shape (n, net.input_dim)
    level : float, default 0.95

    Returns
    -------
    LineStatistics

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> segment_statistics(net, [[-1.0, 0.5], [0.5, 0.5]], [[1.0, 0.5], [1.0, 1.0]]).counts.tolist()
    [2, 1]
    """
    as_network(net)
    S, E = check_segment_ends(net, starts, ends)
    return _statistics(net, S, E, check_level(level))


def _default_line_length(X):
    """Twice the root-mean-square distance of the points to their mean (the data's "diameter")."""
    if len(X) < 2:
        raise ValueError("line_length is needed when a single point is given (no spread to "
                         "scale by).")
    spread = 2.0 * math.sqrt(float(np.mean(np.sum((X - X.mean(axis=0)) ** 2, axis=1))))
    if not spread > 0:
        raise ValueError("all points coincide; pass line_length=... explicitly.")
    return spread


def _check_line_length(line_length):
    return check_real(line_length, "line_length", low=0.0, low_open=True)


def _random_directions(rng, n, dim):
    dirs = rng.normal(size=(n, dim))
    return dirs / np.linalg.norm(dirs, axis=1, keepdims=True)


@renamed_parameters(length="line_length", points="X")
def line_statistics(net, domain=None, n_lines=None, line_length=None, random_state=None, *,
                    X=None, pairs=False, level=0.95):
    """Exact region counts on random segments, with confidence intervals.

    Three ways to place the segments:

    * ``domain`` (docs/math.md §5): the centre is uniform in ``domain``, the direction
      uniform on the unit sphere, the length fixed. The segment may stick out
      of the domain; only its centre is constrained. For a
      :class:`~polyregions.Slice` the centre and direction are drawn in the
      slice's parameter space and mapped to inputs, so ``line_length`` is in
      parameter units while :attr:`LineStatistics.lengths` are input-space
      lengths.
    * ``X=`` (Hanin & Rolnick's lines through data): each segment is centred
      at a point of ``X`` (all of them, or ``n_lines`` drawn with
      replacement) with a uniform random direction.
    * ``X=, pairs=True``: segments between two distinct points of ``X``
      (``n_lines`` random pairs, default ``len(X)``).

    All segments are counted in one batched pass
    (:func:`count_regions_on_segments`).

    Parameters
    ----------
    net : ReLUNetwork
    domain : Domain, optional
        Where centres are drawn; exclusive with ``X``.
    n_lines : int, optional
        Number of segments; required with ``domain``, default ``len(X)``
        with ``X``.
    line_length : float, optional
        Segment length. Default: ``domain.scale`` (the longest side of a box,
        the diameter of a ball) with ``domain``; with ``X``, twice the
        root-mean-square distance of the points to their mean. Not used with
        ``pairs=True``. (``length=`` is its deprecated name.)
    random_state : int, numpy Generator or None
    X : array_like, shape (n, net.input_dim), optional
        Data points (network inputs). (``points=`` is its deprecated name.)
    pairs : bool, default False
        With ``X``: segments between pairs of points.
    level : float, default 0.95
        Confidence level of the Student-t intervals.

    Returns
    -------
    LineStatistics

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> st = line_statistics(net, Box([-1, -1], [1, 1]), 50, random_state=0)
    >>> st.n_lines, bool(1 <= st.mean_regions <= 3)
    (50, True)
    >>> X = np.array([[0.5, 0.5], [-1.0, -0.5]])   # the segment crosses both axes
    >>> line_statistics(net, X=X, pairs=True, n_lines=2, random_state=0).counts.tolist()
    [3, 3]
    """
    as_network(net)
    level = check_level(level)
    rng = np.random.default_rng(random_state)
    if X is not None:
        if domain is not None:
            raise TypeError("pass either domain (random centres) or X (data points), not both.")
        X = net.check_points(X)
        if len(X) == 0:
            raise ValueError("X is empty; pass at least one point.")
        n = len(X) if n_lines is None else check_int(n_lines, "n_lines")
        if pairs:
            if line_length is not None:
                raise ValueError("line_length does not apply to pairs=True (a segment joins two "
                                 "points).")
            if len(X) < 2:
                raise ValueError("pairs=True needs at least two points.")
            i = rng.integers(len(X), size=n)
            j = (i + rng.integers(1, len(X), size=n)) % len(X)  # j != i
            starts, ends = X[i].copy(), X[j].copy()
            bad = np.flatnonzero(np.all(starts == ends, axis=1))
            if bad.size:
                raise ValueError(
                    f"points {int(i[bad[0]])} and {int(j[bad[0]])} of X coincide; remove "
                    "duplicate points before pairing them."
                )
            return _statistics(net, starts, ends, level)
        half = 0.5 * (_default_line_length(X) if line_length is None
                      else _check_line_length(line_length))
        centres = X if n_lines is None else X[rng.integers(len(X), size=n)]
        dirs = _random_directions(rng, n, net.input_dim)
        return _statistics(net, centres - half * dirs, centres + half * dirs, level)
    if pairs:
        raise TypeError("pairs=True needs X=... (the data points to pair).")
    domain = require_domain(domain, net)
    if n_lines is None:
        raise TypeError("line_statistics(net, domain, n_lines): n_lines is needed with a domain.")
    n_lines = check_int(n_lines, "n_lines")
    half = 0.5 * (float(domain.scale) if line_length is None else _check_line_length(line_length))
    centres = np.atleast_2d(domain.sample(n_lines, random_state=rng))
    dirs = _random_directions(rng, n_lines, domain.dim)
    return _statistics(net, domain.to_input(centres - half * dirs),
                       domain.to_input(centres + half * dirs), level)
