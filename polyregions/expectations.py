"""Exact expectations of what a pattern sampler sees, from the regions' probabilities.

Given the probability ``p_i`` of each region under the sampling law (for
uniform sampling, its volume over the domain's volume, e.g.
:func:`polyregions.volumes.region_probabilities`), ``n`` independent draws
observe region ``i`` at least once with probability ``1 - (1 - p_i)^n``.
Every function here turns ``p`` into the exact mean of one statistic of such
a sample (docs/math.md, "Sampling expectations", has the formulas with
worked numbers): the observed count, the frequency counts ``f_k``, the
missing mass, the bias of the Good–Turing coverage and Chao1's unseen term.

Example
-------
>>> p = [0.5, 0.25, 0.125, 0.0625, 0.0625]
>>> round(expected_observed(p, 10), 6), round(expected_missing_mass(p, 10), 6)
(3.630713, 0.113009)
"""

from __future__ import annotations

import math

import numpy as np

from .errors import OutOfRangeError
from ._validation import check_int

__all__ = [
    "expected_observed",
    "expected_frequency",
    "expected_missing_mass",
    "good_turing_bias",
    "chao1_plugin",
]


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
    return check_int(n, name, minimum=1)


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
    k = check_int(k, "k", minimum=0)
    if k > n:
        raise OutOfRangeError(f"k must be an integer in [0, n] = [0, {n}]; got {k}.")
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
    """``E[f_1/n] - E[1 - C_n] = sum_i p_i^2 (1 - p_i)^(n-1)`` (docs/math.md, "Sampling expectations").

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

    By Cauchy–Schwarz it never exceeds ``E[f_0]`` (docs/math.md, "Sampling expectations"), with equality
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
