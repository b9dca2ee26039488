"""Exact activation-region counts along 1-D segments (Hanin & Rolnick 2019a).

Along ``x(t) = a + t (b - a)``, ``t`` in ``[0, 1]``, every pre-activation is
piecewise affine in ``t``. :func:`segment_breakpoints` walks the segment piece
by piece without sampling: on the current piece all pre-activations are affine
functions ``s t + c`` of ``t``, so the end of the piece is the first ``t`` at
which one of them changes sign, found in closed form. The pattern of the next
piece is then derived *symbolically* at the breakpoint: layer by layer, a
neuron's sign just to the right of ``t`` is the sign of its value at ``t`` or,
if that value is zero, the sign of its right derivative (and "inactive" if
both vanish, the neuron being identically zero on the next piece). This
handles neurons that are exactly zero at the start, several neurons switching
at the same ``t`` (a segment through an intersection of hyperplanes), and
downstream neurons that touch zero because an upstream one switched.

Counting convention. Activation regions are convex (docs/math.md §1), so a segment
meets each region in a single interval and a pattern never repeats on
non-adjacent pieces: the number of pieces equals the number of distinct
patterns, and equals ``1 + len(segment_breakpoints(...))``. This is the
Hanin–Rolnick count "1 + number of points where the pattern changes". It
counts *activation* regions; where a switch leaves the network's gradient
unchanged (e.g. behind a dead neuron) the number of linear pieces of the
network function is smaller (docs/math.md §1, ``B_F``).

Numerical resolution: breakpoints closer than ``1e-12`` in ``t`` are merged
into one, and breakpoints within ``1e-12`` of ``t = 1`` are dropped.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork
>>> net = ReLUNetwork.from_weights([[[1.0], [1.0]], [[1.0, 1.0]]], [[-0.5, -1.5], [0.0]])
>>> segment_breakpoints(net, [0.0], [2.0]).tolist()
[0.25, 0.75]
>>> count_regions_on_segment(net, [0.0], [2.0])
3
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from ._validation import check_level
from .domain import Domain, as_domain
from .network import as_network

__all__ = [
    "segment_breakpoints",
    "count_regions_on_segment",
    "count_regions_on_segments",
    "line_statistics",
    "segment_statistics",
    "LineStatistics",
]

# Breakpoints closer than this (in units of t, the segment being [0, 1]) merge.
_T_TOL = 1e-12
# Relative size of floating-point noise accepted as "exactly zero" when a
# value or slope is compared with the magnitudes of the terms it was summed from.
_ROUND = 1e-12


def _check_endpoint(x, name, dim):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a vector of {dim} numbers; got {x!r}.") from None
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.shape != (dim,):
        raise ValueError(
            f"{name} must be a point of the network's input space, shape ({dim},); "
            f"got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


class _Segment:
    """Per-segment constants of the traversal.

    The first layer's pre-activations are affine in ``t`` whatever the
    pattern, so they (and the magnitude bounds used for the zero tests) are
    computed once; for a wide input this removes the only ``n0``-sized
    product from the per-breakpoint work.
    """

    def __init__(self, net, a, b):
        W1, b1 = net.weights[0], net.biases[0]
        M = b - a
        self.s1 = W1 @ M
        self.c1 = W1 @ a + b1
        absW1 = np.abs(W1)
        # Magnitude bounds of the terms summed into each value and slope, so
        # that "zero" is judged relative to the cancellation that produced it.
        self.s1_scale = absW1 @ np.abs(M)
        self.c1_scale = absW1 @ np.abs(a) + np.abs(b1)
        self.first_alpha = net.negative_slopes[0] if net.depth else 0.0
        self.deeper = [
            (W, np.abs(W), bb, np.abs(bb), alpha)
            for W, bb, alpha in zip(
                net.weights[1:-1], net.biases[1:-1], net.negative_slopes[1:]
            )
        ]
        self.depth = net.depth

    def right_state(self, t):
        """Pattern on ``(t, t + eps)`` and the length ``dt`` of that piece.

        The pattern is constant on ``(t, t + dt)`` and changes at ``t + dt``
        (``dt = inf`` if no neuron switches again).
        """
        if self.depth == 0:
            return np.zeros(0, dtype=bool), math.inf
        s, c = self.s1, self.c1
        s_scale = self.s1_scale
        v_scale = s_scale * abs(t) + self.c1_scale
        alpha = self.first_alpha
        pats = []
        dt = math.inf
        layer = 0
        while True:
            v = s * t + c
            # A value within the merge tolerance (in t) or within rounding
            # noise is the neuron sitting on its hyperplane at t: its side on
            # the next piece is then given by its slope there.
            zero = np.abs(v) <= np.maximum(_T_TOL * np.abs(s), _ROUND * v_scale)
            rising = s > _ROUND * s_scale
            on = np.where(zero, rising, v > 0)
            # Only neurons strictly off their hyperplane and heading towards
            # it end the piece; dt = |v|/|s| > _T_TOL for them by the zero
            # test, so the traversal always advances.
            leaving_on = on & ~zero & (s < 0)
            leaving_off = ~on & ~zero & (s > 0)
            if leaving_on.any():
                dt = min(dt, float(np.min(v[leaving_on] / -s[leaving_on])))
            if leaving_off.any():
                dt = min(dt, float(np.min(-v[leaving_off] / s[leaving_off])))
            pats.append(on)
            if layer == len(self.deeper):
                break
            d = np.where(on, 1.0, alpha)
            absd = np.abs(d)
            W, absW, bb, absb, alpha = self.deeper[layer]
            s, c = W @ (d * s), W @ (d * c) + bb
            s_scale = absW @ (absd * s_scale)
            v_scale = absW @ (absd * v_scale) + absb
            layer += 1
        return np.concatenate(pats), dt


def _traverse(net, a, b, max_breakpoints):
    seg = _Segment(net, a, b)
    t = 0.0
    pattern, dt = seg.right_state(t)
    breaks, patterns = [], [pattern]
    events = 0
    while True:
        t_next = t + dt
        if not t_next < 1.0 - _T_TOL:
            break
        new, dt = seg.right_state(t_next)
        events += 1
        if not np.array_equal(new, pattern):
            breaks.append(t_next)
            patterns.append(new)
            pattern = new
            if len(breaks) > max_breakpoints:
                raise RuntimeError(
                    f"more than max_breakpoints={max_breakpoints} breakpoints on the segment; "
                    "raise max_breakpoints or use a shorter segment."
                )
        elif events > 4 * max_breakpoints + 100:  # pragma: no cover - numerical safety net
            raise RuntimeError("the traversal stalled without pattern changes; please report.")
        t = t_next
    return np.asarray(breaks, dtype=np.float64), np.asarray(patterns, dtype=bool).reshape(
        len(patterns), net.n_neurons
    )


def segment_breakpoints(net, a, b, *, return_patterns=False, max_breakpoints=1_000_000):
    """Parameters ``t`` in ``(0, 1)`` where the activation pattern changes along ``a -> b``.

    Exact 1-D traversal (no sampling), see the module docstring.

    Parameters
    ----------
    net : ReLUNetwork
    a, b : array_like, shape (net.input_dim,)
        Endpoints of the segment ``x(t) = a + t (b - a)``; must differ.
    return_patterns : bool, default False
        Also return the pattern of each piece.
    max_breakpoints : int, default 1_000_000
        Safety cap; a ``RuntimeError`` is raised beyond it.

    Returns
    -------
    t : ndarray of float64, shape (k,)
        Increasing breakpoints, strictly inside ``(0, 1)``.
    patterns : ndarray of bool, shape (k + 1, N)
        Only with ``return_patterns``: ``patterns[j]`` holds on
        ``(t[j-1], t[j])`` (with ``t[-1] = 0``, ``t[k] = 1``); consecutive
        rows differ.

    Examples
    --------
    A neuron exactly zero at ``a`` takes the side its slope points to:

    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])
    >>> t, pats = segment_breakpoints(net, [-1.0], [1.0], return_patterns=True)
    >>> t.tolist(), pats.astype(int).tolist()
    ([0.5], [[0, 1], [1, 0]])
    """
    as_network(net)
    a = _check_endpoint(a, "a", net.input_dim)
    b = _check_endpoint(b, "b", net.input_dim)
    if np.array_equal(a, b):
        raise ValueError("a and b coincide; a segment needs two distinct endpoints.")
    if isinstance(max_breakpoints, bool) or not isinstance(max_breakpoints, numbers.Integral):
        raise TypeError(f"max_breakpoints must be an integer; got {max_breakpoints!r}.")
    if max_breakpoints < 0:
        raise ValueError(f"max_breakpoints must be >= 0; got {max_breakpoints}.")
    t, patterns = _traverse(net, a, b, int(max_breakpoints))
    return (t, patterns) if return_patterns else t


def count_regions_on_segment(net, a, b):
    """Number of activation regions the segment ``[a, b]`` passes through.

    Equals ``1 + len(segment_breakpoints(net, a, b))``; because regions are
    convex this is also the number of distinct patterns met (see the module
    docstring for the convention and how it relates to linear pieces).

    Examples
    --------
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]],
    ...                                [[0.0, 0.0], [0.0]])
    >>> count_regions_on_segment(net, [-1.0, -1.0], [1.0, 1.0])  # through the corner
    2
    >>> count_regions_on_segment(net, [-1.0, -0.5], [1.0, 1.0])
    3
    """
    return 1 + int(segment_breakpoints(net, a, b).size)


# ------------------------------------------------------------ many segments
class _Segments:
    """:class:`_Segment` for ``S`` segments at once (rows), same arithmetic.

    Every segment keeps its own ``t``; one call advances the pattern
    computation of all active segments by one breakpoint with batched numpy
    products, so the Python overhead is paid per breakpoint *index*, not per
    breakpoint.
    """

    def __init__(self, net, A, B):
        W1, b1 = net.weights[0], net.biases[0]
        M = B - A
        self.s1 = M @ W1.T
        self.c1 = A @ W1.T + b1
        absW1 = np.abs(W1)
        self.s1_scale = np.abs(M) @ absW1.T
        self.c1_scale = np.abs(A) @ absW1.T + np.abs(b1)
        self.first_alpha = net.negative_slopes[0] if net.depth else 0.0
        self.deeper = [
            (W.T, np.abs(W).T, bb, np.abs(bb), alpha)
            for W, bb, alpha in zip(
                net.weights[1:-1], net.biases[1:-1], net.negative_slopes[1:]
            )
        ]

    def right_state(self, t, rows):
        """Patterns ``(len(rows), N)`` on ``(t, t + eps)`` and piece lengths ``dt``."""
        s, c = self.s1[rows], self.c1[rows]
        s_scale = self.s1_scale[rows]
        tt = t[:, None]
        v_scale = s_scale * np.abs(tt) + self.c1_scale[rows]
        alpha = self.first_alpha
        pats = []
        dt = np.full(len(rows), math.inf)
        layer = 0
        while True:
            v = s * tt + c
            zero = np.abs(v) <= np.maximum(_T_TOL * np.abs(s), _ROUND * v_scale)
            rising = s > _ROUND * s_scale
            on = np.where(zero, rising, v > 0)
            leaving = ~zero & ((on & (s < 0)) | (~on & (s > 0)))
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(leaving, -v / s, math.inf)
            dt = np.minimum(dt, step.min(axis=1))
            pats.append(on)
            if layer == len(self.deeper):
                break
            d = np.where(on, 1.0, alpha)
            absd = np.abs(d)
            WT, absWT, bb, absb, alpha = self.deeper[layer]
            s, c = (d * s) @ WT, (d * c) @ WT + bb
            s_scale = (absd * s_scale) @ absWT
            v_scale = (absd * v_scale) @ absWT + absb
            layer += 1
        return np.concatenate(pats, axis=1), dt


def _check_endpoints(net, starts, ends):
    """Two ``(S, n0)`` float arrays of endpoints (one segment may be given as vectors)."""
    out = []
    for name, x in (("starts", starts), ("ends", ends)):
        try:
            arr = np.array(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be an array of shape (n, {net.input_dim}).") from None
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != net.input_dim:
            raise ValueError(
                f"{name} must have shape (n, {net.input_dim}) for this network; "
                f"got {np.shape(x)}."
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values.")
        out.append(arr)
    A, B = out
    if A.shape != B.shape:
        raise ValueError(
            f"starts and ends must hold the same number of points; got {len(A)} and {len(B)}."
        )
    same = np.flatnonzero(np.all(A == B, axis=1))
    if same.size:
        raise ValueError(
            f"segment {int(same[0])} has coinciding endpoints; every segment needs two distinct "
            "endpoints."
        )
    return A, B


def count_regions_on_segments(net, starts, ends, *, max_breakpoints=1_000_000):
    """Regions met by each of many segments ``[starts[k], ends[k]]``, in one batched pass.

    The same exact traversal as :func:`count_regions_on_segment` (and the
    same tolerances), run on all segments together: each step advances every
    segment past its next breakpoint with one batched matrix product per
    layer. About 20-100x faster than a Python loop over the segments.

    Parameters
    ----------
    net : ReLUNetwork
    starts, ends : array_like, shape (n, net.input_dim)
    max_breakpoints : int, default 1_000_000
        Safety cap per segment; a ``RuntimeError`` is raised beyond it.

    Returns
    -------
    ndarray of int64, shape (n,)

    Examples
    --------
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0], [1.0]], [[1.0, 1.0]]], [[-0.5, -1.5], [0.0]])
    >>> count_regions_on_segments(net, [[0.0], [0.0], [1.0]], [[2.0], [0.1], [-1.0]]).tolist()
    [3, 1, 2]
    """
    as_network(net)
    A, B = _check_endpoints(net, starts, ends)
    if isinstance(max_breakpoints, bool) or not isinstance(max_breakpoints, numbers.Integral):
        raise TypeError(f"max_breakpoints must be an integer; got {max_breakpoints!r}.")
    S = len(A)
    counts = np.ones(S, dtype=np.int64)
    if S == 0 or net.depth == 0:
        return counts
    seg = _Segments(net, A, B)
    rows = np.arange(S)
    t = np.zeros(S)
    pattern, dt = seg.right_state(t, rows)
    events = 0
    while rows.size:
        t_next = t + dt
        keep = t_next < 1.0 - _T_TOL
        rows, t_next, pattern = rows[keep], t_next[keep], pattern[keep]
        if not rows.size:
            break
        new, dt = seg.right_state(t_next, rows)
        counts[rows] += np.any(new != pattern, axis=1)
        events += 1
        if counts.max() > max_breakpoints + 1:
            raise RuntimeError(
                f"more than max_breakpoints={max_breakpoints} breakpoints on a segment; "
                "raise max_breakpoints or use shorter segments."
            )
        if events > 4 * max_breakpoints + 100:  # pragma: no cover - numerical safety net
            raise RuntimeError("the traversal stalled without pattern changes; please report.")
        pattern, t = new, t_next
    return counts


# ---------------------------------------------------------------- statistics
def mean_ci(values, level):
    """Mean and two-sided Student-t interval ``mean ± t_{n-1} s / sqrt(n)``.

    ``(nan, nan)`` when fewer than two values or any value is not finite.
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
    if domain is None or not isinstance(domain, Domain):
        raise TypeError(
            "domain must be a polyregions Domain, e.g. Box(lo, hi), Ball(center, radius), a "
            "Slice, or WholeSpace(dim) for standard-normal points; got "
            f"{type(domain).__name__}."
        )
    return as_domain(domain, net)


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
        The segments' endpoints (network inputs).
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
    def mean_regions(self) -> float:
        """Average number of regions per segment."""
        return float(self.counts.mean())

    @property
    def regions_ci(self):
        """Confidence interval of :attr:`mean_regions`."""
        return mean_ci(self.counts, self.level)[1]

    def _per_neuron(self, values):
        if self.n_neurons == 0:
            return np.full(self.counts.shape, math.nan)
        return values / self.n_neurons

    @property
    def breakpoints(self) -> np.ndarray:
        """``counts - 1``: boundary crossings on each segment."""
        return self.counts - 1

    @property
    def breakpoints_per_neuron(self) -> float:
        """Mean of ``(count - 1) / N``: crossings per segment per hidden neuron."""
        return float(np.mean(self._per_neuron(self.breakpoints)))

    @property
    def breakpoints_per_neuron_ci(self):
        return mean_ci(self._per_neuron(self.breakpoints), self.level)[1]

    @property
    def regions_per_neuron(self) -> float:
        """Deprecated name of :attr:`breakpoints_per_neuron` (it never counted regions)."""
        warnings.warn("LineStatistics.regions_per_neuron is breakpoints per segment per neuron; "
                      "it is now called breakpoints_per_neuron.", DeprecationWarning, stacklevel=2)
        return self.breakpoints_per_neuron

    @property
    def regions_per_neuron_ci(self):
        """Deprecated name of :attr:`breakpoints_per_neuron_ci`."""
        warnings.warn("LineStatistics.regions_per_neuron_ci is now breakpoints_per_neuron_ci.",
                      DeprecationWarning, stacklevel=2)
        return self.breakpoints_per_neuron_ci

    @property
    def _density(self):
        return self.breakpoints / self.lengths

    @property
    def breakpoints_per_unit_length(self) -> float:
        """Mean of ``(count - 1) / length``: boundary crossings per unit input length."""
        return float(np.mean(self._density))

    @property
    def breakpoints_per_unit_length_ci(self):
        return mean_ci(self._density, self.level)[1]

    @property
    def breakpoints_per_unit_length_per_neuron(self) -> float:
        """Mean of ``(count - 1) / (length N)``: Hanin & Rolnick's normalised density.

        Their claim is that it stays of order one, independent of depth at a
        fixed number of neurons ``N``.
        """
        return float(np.mean(self._per_neuron(self._density)))

    @property
    def breakpoints_per_unit_length_per_neuron_ci(self):
        return mean_ci(self._per_neuron(self._density), self.level)[1]

    def summary(self):
        """All statistics as a dict of floats and ``(lo, hi)`` tuples."""
        return {
            "n_lines": self.n_lines,
            "n_neurons": self.n_neurons,
            "mean_regions": self.mean_regions,
            "regions_ci": self.regions_ci,
            "breakpoints_per_neuron": self.breakpoints_per_neuron,
            "breakpoints_per_neuron_ci": self.breakpoints_per_neuron_ci,
            "breakpoints_per_unit_length": self.breakpoints_per_unit_length,
            "breakpoints_per_unit_length_ci": self.breakpoints_per_unit_length_ci,
            "breakpoints_per_unit_length_per_neuron": self.breakpoints_per_unit_length_per_neuron,
            "breakpoints_per_unit_length_per_neuron_ci":
                self.breakpoints_per_unit_length_per_neuron_ci,
        }

    def __repr__(self):
        return (
            f"LineStatistics(n_lines={self.n_lines}, mean_regions={self.mean_regions:.4g}, "
            f"breakpoints_per_neuron={self.breakpoints_per_neuron:.4g})"
        )


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1; got {value}.")
    return int(value)


def _check_length(length):
    if isinstance(length, bool) or not isinstance(length, numbers.Real):
        raise TypeError(f"length must be a positive number; got {length!r}.")
    length = float(length)
    if not (math.isfinite(length) and length > 0):
        raise ValueError(f"length must be positive and finite; got {length}.")
    return length


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
    A, B = _check_endpoints(net, starts, ends)
    return _statistics(net, A, B, check_level(level))


def _default_length(X):
    """Twice the root-mean-square distance of the points to their mean (the data's "diameter")."""
    if len(X) < 2:
        raise ValueError("length is needed when a single point is given (no spread to scale by).")
    spread = 2.0 * math.sqrt(float(np.mean(np.sum((X - X.mean(axis=0)) ** 2, axis=1))))
    if not spread > 0:
        raise ValueError("all points coincide; pass length=... explicitly.")
    return spread


def line_statistics(net, domain=None, n_lines=None, length=None, random_state=None, *,
                    points=None, pairs=False, level=0.95):
    """Exact region counts on random segments, with confidence intervals.

    Three ways to place the segments:

    * ``domain`` (docs/math.md §5): the centre is uniform in ``domain``, the direction
      uniform on the unit sphere, the length fixed. The segment may stick out
      of the domain; only its centre is constrained. For a
      :class:`~polyregions.Slice` the centre and direction are drawn in the
      slice's parameter space and mapped to inputs, so ``length`` is in
      parameter units while :attr:`LineStatistics.lengths` are input-space
      lengths.
    * ``points=X`` (Hanin & Rolnick's lines through data): each segment is
      centred at a point of ``X`` (all of them, or ``n_lines`` drawn with
      replacement) with a uniform random direction.
    * ``points=X, pairs=True``: segments between two distinct points of
      ``X`` (``n_lines`` random pairs, default ``len(X)``).

    All segments are counted in one batched pass
    (:func:`count_regions_on_segments`).

    Parameters
    ----------
    net : ReLUNetwork
    domain : Domain, optional
        Where centres are drawn; exclusive with ``points``.
    n_lines : int, optional
        Number of segments; required with ``domain``, default ``len(points)``
        with ``points``.
    length : float, optional
        Segment length. Default: ``domain.scale`` (the longest side of a box,
        the diameter of a ball) with ``domain``; with ``points``, twice the
        root-mean-square distance of the points to their mean. Not used with
        ``pairs=True``.
    random_state : int, numpy Generator or None
    points : array_like, shape (n, net.input_dim), optional
        Data points (network inputs).
    pairs : bool, default False
        With ``points``: segments between pairs of points.
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
    >>> line_statistics(net, points=X, pairs=True, n_lines=2, random_state=0).counts.tolist()
    [3, 3]
    """
    as_network(net)
    level = check_level(level)
    rng = np.random.default_rng(random_state)
    if points is not None:
        if domain is not None:
            raise TypeError("pass either domain (random centres) or points (data), not both.")
        X = net.check_points(points)
        if len(X) == 0:
            raise ValueError("points is empty; pass at least one point.")
        n = len(X) if n_lines is None else _positive_int(n_lines, "n_lines")
        if pairs:
            if length is not None:
                raise ValueError("length does not apply to pairs=True (a segment joins two points).")
            if len(X) < 2:
                raise ValueError("pairs=True needs at least two points.")
            i = rng.integers(len(X), size=n)
            j = (i + rng.integers(1, len(X), size=n)) % len(X)  # j != i
            A, B = X[i].copy(), X[j].copy()
            bad = np.flatnonzero(np.all(A == B, axis=1))
            if bad.size:
                raise ValueError(
                    f"points {int(i[bad[0]])} and {int(j[bad[0]])} coincide; remove duplicate "
                    "points before pairing them."
                )
            return _statistics(net, A, B, level)
        length = _default_length(X) if length is None else _check_length(length)
        centres = X if n_lines is None else X[rng.integers(len(X), size=n)]
        dirs = rng.normal(size=(n, net.input_dim))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        return _statistics(net, centres - 0.5 * length * dirs, centres + 0.5 * length * dirs,
                           level)
    if pairs:
        raise TypeError("pairs=True needs points=...")
    domain = require_domain(domain, net)
    if n_lines is None:
        raise TypeError("line_statistics(net, domain, n_lines): n_lines is needed with a domain.")
    n_lines = _positive_int(n_lines, "n_lines")
    length = float(domain.scale) if length is None else _check_length(length)
    centres = np.atleast_2d(domain.sample(n_lines, random_state=rng))
    dirs = rng.normal(size=(n_lines, domain.dim))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    starts = domain.to_input(centres - 0.5 * length * dirs)
    ends = domain.to_input(centres + 0.5 * length * dirs)
    return _statistics(net, starts, ends, level)
