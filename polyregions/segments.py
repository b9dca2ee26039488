"""Exact activation-region counts along 1-D segments (Hanin & Rolnick 2019a).

Along ``x(t) = start + t (end - start)``, ``t`` in ``[0, 1]``, every
pre-activation is piecewise affine in ``t``. The traversal walks the segment
piece by piece without sampling: on the current piece all pre-activations are
affine functions ``s t + c`` of ``t``, so the end of the piece is the first
``t`` at which one of them changes sign, found in closed form. The pattern of
the next piece is then derived *symbolically* at the breakpoint: layer by
layer, a neuron's sign just to the right of ``t`` is the sign of its value at
``t`` or, if that value is zero, the sign of its right derivative (and
"inactive" if both vanish, the neuron being identically zero on the next
piece). This handles neurons that are exactly zero at the start, several
neurons switching at the same ``t`` (a segment through an intersection of
hyperplanes), and downstream neurons that touch zero because an upstream one
switched.

One traversal serves one segment and many: :class:`_Walk` advances every
active segment of a batch by one breakpoint per step with batched products,
and a single segment is a batch of one.

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

Segment ends are ``start, end`` (``starts, ends`` for many), never ``a, b``,
which would read as the ``(A, b)`` of a polytope.

Example
-------
>>> from polyregions import ReLUNetwork
>>> net = ReLUNetwork.from_weights([[[1.0], [1.0]], [[1.0, 1.0]]], [[-0.5, -1.5], [0.0]])
>>> segment_breakpoints(net, [0.0], [2.0]).tolist()
[0.25, 0.75]
>>> count_regions_on_segment(net, [0.0], [2.0])
3
"""

from __future__ import annotations

import math

import numpy as np

from ._deprecation import renamed_parameters
from ._validation import check_int, check_points
from .network import as_network

__all__ = [
    "segment_breakpoints",
    "count_regions_on_segment",
    "count_regions_on_segments",
    "check_segment_ends",
]

# Breakpoints closer than this (in units of t, the segment being [0, 1]) merge.
_T_TOL = 1e-12
# Relative size of floating-point noise accepted as "exactly zero" when a
# value or slope is compared with the magnitudes of the terms it was summed from.
_ROUND = 1e-12


def check_segment_ends(net, starts, ends, names=("starts", "ends")):
    """Two ``(S, n0)`` float arrays of segment ends (one segment may be given as vectors).

    Raises a ``ValueError`` naming the parameter for a wrong shape, NaN or
    infinity, different numbers of starts and ends, or a segment of length 0.

    Examples
    --------
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0, 1.0]], [[1.0]]], [[0.0], [0.0]])
    >>> [a.shape for a in check_segment_ends(net, [0, 0], [1, 1])]
    [(1, 2), (1, 2)]
    """
    out = []
    for name, x in zip(names, (starts, ends)):
        out.append(np.array(check_points(x, net.input_dim, name)))
    S, E = out
    if S.shape != E.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must hold the same number of points; got {len(S)} "
            f"and {len(E)}."
        )
    same = np.flatnonzero(np.all(S == E, axis=1))
    if same.size:
        raise ValueError(
            f"segment {int(same[0])} has coinciding ends ({names[0]} = {names[1]}); every "
            "segment needs two distinct ends."
        )
    return S, E


class _Walk:
    """The traversal of ``S`` segments (rows) at once.

    The first layer's pre-activations are affine in ``t`` whatever the
    pattern, so they (and the magnitude bounds used for the zero tests) are
    computed once; for a wide input this removes the only ``n0``-sized
    product from the per-breakpoint work. Every segment keeps its own ``t``;
    one :meth:`right_state` call advances all active segments by one
    breakpoint, so the Python overhead is paid per breakpoint *index*, not per
    breakpoint.
    """

    def __init__(self, net, starts, ends):
        W1, b1 = net.weights[0], net.biases[0]
        M = ends - starts
        self.s1 = M @ W1.T
        self.c1 = starts @ W1.T + b1
        absW1 = np.abs(W1)
        # Magnitude bounds of the terms summed into each value and slope, so
        # that "zero" is judged relative to the cancellation that produced it.
        self.s1_scale = np.abs(M) @ absW1.T
        self.c1_scale = np.abs(starts) @ absW1.T + np.abs(b1)
        self.first_alpha = net.negative_slopes[0] if net.depth else 0.0
        self.deeper = [
            (W.T, np.abs(W).T, bb, np.abs(bb), alpha)
            for W, bb, alpha in zip(
                net.weights[1:-1], net.biases[1:-1], net.negative_slopes[1:]
            )
        ]

    def right_state(self, t, rows):
        """Patterns ``(len(rows), N)`` on ``(t, t + eps)`` and the piece lengths ``dt``.

        The pattern of row ``k`` is constant on ``(t[k], t[k] + dt[k])`` and
        changes at ``t[k] + dt[k]`` (``dt = inf`` if no neuron switches again).
        """
        if len(rows) == len(self.s1):  # every segment active: no gather needed
            s, c, s_scale, c_scale = self.s1, self.c1, self.s1_scale, self.c1_scale
        else:
            s, c = self.s1[rows], self.c1[rows]
            s_scale, c_scale = self.s1_scale[rows], self.c1_scale[rows]
        tt = t[:, None]
        v_scale = s_scale * np.abs(tt) + c_scale
        alpha = self.first_alpha
        pats = []
        dt = np.full(len(rows), math.inf)
        layer = 0
        while True:
            v = s * tt + c
            # A value within the merge tolerance (in t) or within rounding
            # noise is the neuron sitting on its hyperplane at t: its side on
            # the next piece is then given by its slope there.
            zero = np.abs(v) <= np.maximum(_T_TOL * np.abs(s), _ROUND * v_scale)
            rising = s > _ROUND * s_scale
            on = np.where(zero, rising, v > 0)
            # Only neurons strictly off their hyperplane and heading towards
            # it end the piece; dt = |v|/|s| > _T_TOL for them by the zero
            # test, so the traversal always advances.
            leaving = ~zero & ((on & (s < 0)) | (~on & (s > 0)))
            step = np.full(v.shape, math.inf)
            np.divide(-v, s, out=step, where=leaving)
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


def _traverse(net, starts, ends, max_breakpoints, record=False):
    """Regions met by each segment, and with ``record`` its breakpoints and patterns.

    Returns ``counts`` (int64, ``(S,)``) and, with ``record``, per segment a
    list of breakpoints and a list of patterns (one more than breakpoints).
    """
    S = len(starts)
    counts = np.ones(S, dtype=np.int64)
    if S == 0 or net.depth == 0:
        empty = np.zeros(0, dtype=bool)
        return (counts, [[] for _ in range(S)], [[empty] for _ in range(S)]) if record else counts
    walk = _Walk(net, starts, ends)
    rows = np.arange(S)
    t = np.zeros(S)
    pattern, dt = walk.right_state(t, rows)
    if record:
        breaks, patterns = [[] for _ in range(S)], [[p] for p in pattern]
    events = 0
    while rows.size:
        t_next = t + dt
        keep = t_next < 1.0 - _T_TOL
        if not keep.all():  # some segments are done: drop them
            rows, t_next, pattern = rows[keep], t_next[keep], pattern[keep]
            if not rows.size:
                break
        new, dt = walk.right_state(t_next, rows)
        changed = np.any(new != pattern, axis=1)
        events += 1
        if changed.any():
            counts[rows] += changed
            if record:
                for k in np.flatnonzero(changed):
                    breaks[rows[k]].append(float(t_next[k]))
                    patterns[rows[k]].append(new[k])
        if counts.max() > max_breakpoints + 1:
            raise RuntimeError(
                f"more than max_breakpoints={max_breakpoints} breakpoints on a segment; "
                "raise max_breakpoints or use shorter segments."
            )
        if events > 4 * max_breakpoints + 100:  # pragma: no cover - numerical safety net
            raise RuntimeError("the traversal stalled without pattern changes; please report.")
        pattern, t = new, t_next
    return (counts, breaks, patterns) if record else counts


@renamed_parameters(a="start", b="end")
def segment_breakpoints(net, start, end, *, return_patterns=False, max_breakpoints=1_000_000):
    """Parameters ``t`` in ``(0, 1)`` where the activation pattern changes along ``start -> end``.

    Exact 1-D traversal (no sampling), see the module docstring.

    Parameters
    ----------
    net : ReLUNetwork
    start, end : array_like, shape (net.input_dim,)
        Ends of the segment ``x(t) = start + t (end - start)``; must differ.
        (``a=`` and ``b=`` are their deprecated names.)
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
    A neuron exactly zero at ``start`` takes the side its slope points to:

    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])
    >>> t, pats = segment_breakpoints(net, [-1.0], [1.0], return_patterns=True)
    >>> t.tolist(), pats.astype(int).tolist()
    ([0.5], [[0, 1], [1, 0]])
    """
    as_network(net)
    S, E = _one_segment(net, start, end)
    max_breakpoints = check_int(max_breakpoints, "max_breakpoints", minimum=0)
    _, breaks, patterns = _traverse(net, S, E, max_breakpoints, record=True)
    t = np.asarray(breaks[0], dtype=np.float64)
    if not return_patterns:
        return t
    return t, np.asarray(patterns[0], dtype=bool).reshape(len(patterns[0]), net.n_neurons)


def _one_segment(net, start, end):
    """``start`` and ``end`` as ``(1, n0)`` rows, each checked to be one point."""
    for name, x in (("start", start), ("end", end)):
        check_points(x, net.input_dim, name, single=True)
    if np.array_equal(np.reshape(start, -1), np.reshape(end, -1)):
        raise ValueError("start and end coincide; a segment needs two distinct ends.")
    return check_segment_ends(net, np.reshape(start, -1), np.reshape(end, -1),
                              names=("start", "end"))


@renamed_parameters(a="start", b="end")
def count_regions_on_segment(net, start, end):
    """Number of activation regions the segment ``[start, end]`` passes through.

    Equals ``1 + len(segment_breakpoints(net, start, end))``; because regions
    are convex this is also the number of distinct patterns met (see the
    module docstring for the convention and how it relates to linear pieces).

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
    as_network(net)
    S, E = _one_segment(net, start, end)
    return int(_traverse(net, S, E, 1_000_000)[0])


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
    S, E = check_segment_ends(net, starts, ends)
    max_breakpoints = check_int(max_breakpoints, "max_breakpoints", minimum=0)
    return _traverse(net, S, E, max_breakpoints)
