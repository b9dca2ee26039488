"""Expected region counts along a segment for random networks (Hanin & Rolnick 2019a).

Two float-valued functions, expectations over random weights rather than
counts: the exact expectation for one random hidden layer
(:func:`hanin_rolnick_segment_expectation`) and the Kac–Rice bound
``1 + N T C_grad C_bias`` (:func:`hanin_rolnick_segment_bound`), both
docs/math.md §5. The exact counts they are compared with are
:func:`polyregions.segments.count_regions_on_segment` and
:func:`polyregions.lines.line_statistics`.

Example
-------
>>> round(hanin_rolnick_segment_bound(10, 1.0, 0.5, 0.4), 6)
3.0
"""

from __future__ import annotations

import math

import numpy as np

from .errors import OutOfRangeError
from ._validation import check_int, check_real

__all__ = ["hanin_rolnick_segment_expectation", "hanin_rolnick_segment_bound"]


def hanin_rolnick_segment_expectation(n_neurons, start, end, weight_std, bias_std) -> float:
    """Expected number of regions along a segment for one random hidden layer.

    Exact (docs/math.md §5): with ``w ~ N(0, weight_std^2 I)`` and
    ``b ~ N(0, bias_std^2)`` i.i.d. per neuron, a neuron switches on the
    segment ``x0 + t u`` (``t`` in ``[0, T]``, ``||u|| = 1``) iff
    ``t* = -(w.x0 + b) / (w.u)`` falls in ``(0, T)``. The ratio of the two
    jointly Gaussian numbers is Cauchy, so::

        E[#regions] = 1 + n * (atan((T - mu)/gamma) - atan(-mu/gamma)) / pi

    with ``s_A^2 = weight_std^2 |x0|^2 + bias_std^2``, ``s_B = weight_std``,
    ``rho = weight_std^2 (x0.u) / (s_A s_B)``, ``mu = -rho s_A/s_B`` and
    ``gamma = (s_A/s_B) sqrt(1 - rho^2)``. Breakpoints are almost surely
    distinct, so regions = 1 + crossings.

    Parameters
    ----------
    n_neurons : int
        Width of the single hidden layer.
    start, end : array_like
        End points of the segment (``T = ||end - start|| > 0``).
    weight_std : float
        Standard deviation of each weight, ``> 0`` (He init: ``sqrt(2/n_in)``).
    bias_std : float
        Standard deviation of the biases, ``> 0`` (zero biases make every
        hyperplane pass through the origin and the formula degenerate).

    Returns
    -------
    float

    Examples
    --------
    >>> import math
    >>> round(hanin_rolnick_segment_expectation(
    ...     20, [0.3, -0.2, 0.5], [2.3, -0.2, 0.5], math.sqrt(2 / 3), math.sqrt(0.1)), 4)
    6.5085
    """
    n = check_int(n_neurons, "n_neurons", minimum=0, integral_float=True)
    x0 = np.asarray(start, dtype=np.float64).reshape(-1)
    x1 = np.asarray(end, dtype=np.float64).reshape(-1)
    if x0.shape != x1.shape or x0.size == 0:
        raise ValueError(f"start and end must be points of the same dimension; got {x0.shape} and {x1.shape}.")
    if not (np.all(np.isfinite(x0)) and np.all(np.isfinite(x1))):
        raise ValueError("start and end must be finite.")
    sw = check_real(weight_std, "weight_std", low=0.0, low_open=True)
    if bias_std == 0:
        raise OutOfRangeError("bias_std must be positive (> 0): with zero biases every hyperplane "
                              "passes through the origin; use a tiny positive value instead.")
    sb = check_real(bias_std, "bias_std", low=0.0, low_open=True)
    T = float(np.linalg.norm(x1 - x0))
    if T == 0:
        raise ValueError("start and end coincide; a segment needs positive length.")
    u = (x1 - x0) / T
    s_a = math.sqrt(sw * sw * float(x0 @ x0) + sb * sb)
    s_b = sw
    rho = sw * sw * float(x0 @ u) / (s_a * s_b)
    mu = -rho * s_a / s_b
    # 1 - rho^2 >= sb^2 / s_a^2 > 0, so gamma is positive.
    gamma = (s_a / s_b) * math.sqrt(max(1.0 - rho * rho, 0.0))
    p = (math.atan((T - mu) / gamma) - math.atan(-mu / gamma)) / math.pi
    return 1.0 + n * p


def hanin_rolnick_segment_bound(n_neurons, length, c_grad, c_bias) -> float:
    """Hanin–Rolnick-type bound ``1 + N T C_grad C_bias`` on expected regions along a segment.

    From the Kac–Rice argument (docs/math.md §5): ``C_grad`` bounds ``E|grad z . u|``
    and ``C_bias`` the density of each bias given everything else, uniformly
    along the segment. Returns a float, like the inputs.

    Parameters
    ----------
    n_neurons : int
        Total number of hidden neurons ``N``.
    length : float
        Segment length ``T >= 0``.
    c_grad, c_bias : float
        Non-negative constants.

    Returns
    -------
    float

    Examples
    --------
    >>> import math
    >>> sw, sb = math.sqrt(2 / 3), math.sqrt(0.1)
    >>> round(hanin_rolnick_segment_bound(20, 2.0, sw * math.sqrt(2 / math.pi),
    ...                                   1 / (sb * math.sqrt(2 * math.pi))), 2)
    33.87
    """
    n = check_int(n_neurons, "n_neurons", minimum=0, integral_float=True)
    vals = {}
    for name, v in (("length", length), ("c_grad", c_grad), ("c_bias", c_bias)):
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number; got {v!r}.") from None
        if not (np.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be non-negative and finite; got {v}.")
        vals[name] = v
    return 1.0 + n * vals["length"] * vals["c_grad"] * vals["c_bias"]
