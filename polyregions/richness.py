"""Richness and sample-coverage estimators over abundance counts (docs/math.md §8).

Here the "species" are activation regions and the abundance of a region is the
number of sampled points that fell into it. Every function takes ``counts``, a
1-D array of non-negative integers with one entry per region; zero entries
(regions known to exist but not observed) are accepted and ignored, so the
count vector of an exact enumeration can be passed unchanged.

Notation: ``n = sum(counts)``, ``S_obs`` = number of positive entries,
``f_k`` = number of entries equal to ``k``, ``K = (n - 1) / n`` (the
"small-sample" factor that SpadeR and iNEXT apply).

Edge cases are decided once, here, and documented per function:

* an empty sample (``n = 0``) gives richness ``0.0`` and coverage ``nan``;
* ``f_1 = 0``: nothing is extrapolated, every richness estimate is ``S_obs``;
* ``f_2 = 0``: the classic Chao1 ``f_1^2 / (2 f_2)`` is undefined, so the
  bias-corrected form is used instead (as docs/math.md §8 prescribes);
* all rare regions are singletons: ACE diverges and ``inf`` is returned.

Example
-------
>>> counts = [1, 1, 1, 1, 2, 2, 3, 5, 8]
>>> chao1(counts), chao1(counts, bias_corrected=True)
(13.0, 11.0)
>>> round(good_turing_coverage(counts), 5)
0.83333
"""

from __future__ import annotations

import math

import numpy as np

from ._deprecation import keyword_only_flags
from ._validation import check_int, check_level

__all__ = [
    "frequency_counts",
    "chao1",
    "chao1_variance",
    "chao1_ci",
    "ace",
    "good_turing_coverage",
    "chao_jost_coverage",
]


def _validate_counts(counts):
    """Return ``counts`` as a 1-D int64 array, zeros kept, or raise with a hint."""
    arr = np.asarray(counts)
    if arr.ndim == 0:
        raise ValueError(
            f"counts must be a 1-D sequence of per-region abundances; got the scalar {counts!r}."
        )
    if arr.ndim != 1:
        raise ValueError(
            f"counts must be 1-D (one abundance per region); got shape {arr.shape}. "
            "Flatten it, or pass PatternSample.counts."
        )
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"counts must be integers; got dtype {arr.dtype}.")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError("counts must be real integers; got complex values.")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError("counts contain NaN or infinite values.")
        if np.any(arr != np.round(arr)):
            raise ValueError(
                "counts must be whole numbers (abundances); got non-integral values. "
                "Estimators over relative abundances are not defined."
            )
    if np.any(arr < 0):
        raise ValueError("counts must be non-negative.")
    return arr.astype(np.int64)


def _observed(counts):
    c = _validate_counts(counts)
    return c[c > 0]


def _basics(c):
    """``(n, S_obs, f1, f2)`` of a vector of positive counts."""
    n = int(c.sum())
    return n, int(c.size), int(np.count_nonzero(c == 1)), int(np.count_nonzero(c == 2))


def _small_sample_factor(n, small_sample):
    return (n - 1) / n if small_sample else 1.0


def _f0_hat(n, f1, f2, bias_corrected, small_sample):
    """Estimated number of unseen regions; 0 when there are no singletons."""
    if f1 == 0:
        return 0.0
    k = _small_sample_factor(n, small_sample)
    if bias_corrected or f2 == 0:
        return k * f1 * (f1 - 1) / (2.0 * (f2 + 1))
    return k * f1 * f1 / (2.0 * f2)


def _observed_variance(c, n):
    """Variance attributed to ``S_obs`` when nothing is extrapolated (SpadeR)."""
    k = c.astype(np.float64)
    e1 = np.exp(-k)
    var = float(np.sum(e1 - e1 * e1) - np.sum(k * e1) ** 2 / n)
    # Mathematically non-negative; clipping only removes rounding noise.
    return max(var, 0.0)


def _z_value(level):
    level = check_level(level)
    from scipy.stats import norm

    return float(norm.ppf(0.5 + float(level) / 2.0))


def frequency_counts(counts):
    """Frequency counts ``f_k``: how many regions were observed exactly ``k`` times.

    Parameters
    ----------
    counts : array_like of int, shape (S,)
        Abundance of each region.

    Returns
    -------
    ndarray of int64, shape (max(counts) + 1,)
        ``f[k]`` for ``k = 0 .. max(counts)``. ``f[0]`` is the number of zero
        entries given in ``counts`` (it is *not* an estimate of the unseen).
        An empty input gives ``array([0])``.

    Examples
    --------
    >>> frequency_counts([1, 1, 2, 5]).tolist()
    [0, 2, 1, 0, 0, 1]
    """
    c = _validate_counts(counts)
    return np.bincount(c, minlength=1).astype(np.int64)


@keyword_only_flags(1, ("bias_corrected", "small_sample"))
def chao1(counts, *, bias_corrected=False, small_sample=False):
    """Chao1 lower-bound estimate of the number of regions.

    ``S_obs + K f1^2 / (2 f2)`` (Chao 1984), or the bias-corrected
    ``S_obs + K f1 (f1 - 1) / (2 (f2 + 1))``, with ``K = (n - 1)/n`` when
    ``small_sample`` is true and ``K = 1`` otherwise. With ``bias_corrected``
    and ``small_sample`` both false this is the scikit-bio classic form; with
    both true it is SpadeR's "Chao1-bc".

    Parameters
    ----------
    counts : array_like of int
        Abundance of each region (zeros ignored).
    bias_corrected : bool, default False
        Use the bias-corrected form. It is used regardless when ``f2 = 0``,
        where the classic form is undefined.
    small_sample : bool, default False
        Multiply the extrapolated term by ``(n - 1)/n``.

    Returns
    -------
    float
        ``S_obs`` when there are no singletons, ``0.0`` for an empty sample.

    Examples
    --------
    >>> chao1([1, 1, 1, 1, 2, 2, 3, 5, 8])
    13.0
    >>> round(chao1([1, 1, 1, 1, 2, 2, 3, 5, 8], small_sample=True), 4)
    12.8333
    >>> chao1([1, 1, 1, 3])  # f2 = 0: bias-corrected form, 4 + 3*2/2
    7.0
    """
    c = _observed(counts)
    if c.size == 0:
        return 0.0
    n, s_obs, f1, f2 = _basics(c)
    return float(s_obs + _f0_hat(n, f1, f2, bias_corrected, small_sample))


@keyword_only_flags(1, ("small_sample",))
def chao1_variance(counts, *, bias_corrected=False, small_sample=False):
    """Estimated variance of Chao1, with SpadeR's conventions for edge cases.

    * Classic form, ``f1 > 0`` and ``f2 > 0`` (Chao 1987), with ``r = f1/f2``:
      ``f2 [K r^2/2 + K^2 r^3 + K^2 r^4/4]``.
    * Bias-corrected form, ``f2 > 0``:
      ``K f1(f1-1)/(2(f2+1)) + K^2 f1(2f1-1)^2/(4(f2+1)^2) + K^2 f1^2 f2 (f1-1)^2/(4(f2+1)^4)``.
    * ``f2 = 0`` (either form; the estimate is then bias-corrected):
      ``K f1(f1-1)/2 + K^2 f1(2f1-1)^2/4 - K^2 f1^4/(4 S)``, with ``S`` the estimate.
    * Nothing extrapolated (the unseen estimate is 0, e.g. ``f1 = 0``): the
      variance of ``S_obs``, ``sum_k f_k (e^-k - e^-2k) - (sum_k k e^-k f_k)^2 / n``.

    ``K = (n-1)/n`` if ``small_sample`` else 1. With ``K = 1`` and
    ``bias_corrected=False`` this is the formula of docs/math.md §8; with
    ``small_sample=True`` it is SpadeR's.

    Parameters
    ----------
    counts : array_like of int
    small_sample : bool, default False
    bias_corrected : bool, default False
        Variance of the bias-corrected estimate instead of the classic one.

    Returns
    -------
    float
        ``0.0`` for an empty sample.

    Examples
    --------
    >>> chao1_variance([1, 1, 1, 1, 2, 2, 3, 5, 8])
    28.0
    >>> chao1_variance([1, 1, 1, 1, 2, 2, 3, 5, 8], small_sample=True)
    25.875
    """
    c = _observed(counts)
    if c.size == 0:
        return 0.0
    n, _, f1, f2 = _basics(c)
    f0 = _f0_hat(n, f1, f2, bias_corrected, small_sample)
    if f0 == 0.0:
        return _observed_variance(c, n)
    k = _small_sample_factor(n, small_sample)
    if f2 > 0 and not bias_corrected:
        r = f1 / f2
        return float(f2 * (k * r**2 / 2.0 + k * k * r**3 + k * k * r**4 / 4.0))
    if f2 > 0:
        g = f2 + 1.0
        return float(
            k * f1 * (f1 - 1) / (2.0 * g)
            + k * k * f1 * (2 * f1 - 1) ** 2 / (4.0 * g**2)
            + k * k * f1**2 * f2 * (f1 - 1) ** 2 / (4.0 * g**4)
        )
    s_hat = c.size + f0
    return float(
        k * f1 * (f1 - 1) / 2.0
        + k * k * f1 * (2 * f1 - 1) ** 2 / 4.0
        - k * k * f1**4 / (4.0 * s_hat)
    )


def chao1_ci(counts, level=0.95, *, bias_corrected=False, small_sample=False):
    """Log-normal confidence interval for Chao1 (Chao 1987), as in SpadeR.

    With ``f0 = Chao1 - S_obs`` and ``C = exp(z sqrt(log(1 + var/f0^2)))`` the
    interval is ``(S_obs + f0/C, S_obs + f0 C)``; it never goes below
    ``S_obs``. When nothing is extrapolated (``f0 = 0``) SpadeR's fallback is
    used: with ``P = sum_k f_k e^-k / S_obs`` and the variance of ``S_obs``,
    ``(max(S_obs, S_obs/(1-P) - z sd/(1-P)), S_obs/(1-P) + z sd/(1-P))``.

    ``chao1_ci(counts, small_sample=True)`` reproduces SpadeR's "Chao1" row and
    ``chao1_ci(counts, bias_corrected=True, small_sample=True)`` its
    "Chao1-bc" row.

    Parameters
    ----------
    counts : array_like of int
    level : float, default 0.95
        Two-sided confidence level, ``z`` is the normal quantile.
    bias_corrected, small_sample : bool
        As in :func:`chao1`; the interval is centred on that estimate.

    Returns
    -------
    (float, float)
        ``(lower, upper)``; ``(0.0, 0.0)`` for an empty sample.

    Examples
    --------
    >>> lo, hi = chao1_ci([1, 1, 1, 1, 2, 2, 3, 5, 8])
    >>> round(lo, 3), round(hi, 3)
    (9.557, 37.72)
    """
    z = _z_value(level)
    c = _observed(counts)
    if c.size == 0:
        return (0.0, 0.0)
    n, s_obs, f1, f2 = _basics(c)
    f0 = _f0_hat(n, f1, f2, bias_corrected, small_sample)
    if f0 > 0.0:
        var = chao1_variance(c, small_sample=small_sample, bias_corrected=bias_corrected)
        factor = math.exp(z * math.sqrt(math.log1p(var / f0**2)))
        return (float(s_obs + f0 / factor), float(s_obs + f0 * factor))
    sd = math.sqrt(_observed_variance(c, n))
    p = float(np.sum(np.exp(-c.astype(np.float64)))) / s_obs
    centre = s_obs / (1.0 - p)
    half = z * sd / (1.0 - p)
    return (float(max(s_obs, centre - half)), float(centre + half))


def ace(counts, rare_threshold=10):
    """Abundance-based coverage estimator (Chao & Lee 1992).

    Regions seen at most ``rare_threshold`` times are "rare". With
    ``C = 1 - f1/N_rare`` and
    ``g2 = max(S_rare/C * sum_{i<=k} i(i-1) f_i / (N_rare (N_rare-1)) - 1, 0)``
    the estimate is ``S_abund + S_rare/C + f1/C * g2``.

    Parameters
    ----------
    counts : array_like of int
    rare_threshold : int, default 10
        The cut-off ``k`` (10 in scikit-bio and SpadeR).

    Returns
    -------
    float
        ``0.0`` for an empty sample; ``S_obs`` when no region is rare (the
        formula has no rare part); ``inf`` when every rare region is a
        singleton (``C = 0``: the data carry no information to bound the
        unseen, and the estimator diverges).

    Examples
    --------
    >>> round(ace([1, 1, 1, 1, 2, 2, 3, 5, 8]), 5)
    14.07652
    """
    rare_threshold = check_int(rare_threshold, "rare_threshold")
    c = _observed(counts)
    if c.size == 0:
        return 0.0
    rare = c[c <= rare_threshold]
    s_abund = c.size - rare.size
    if rare.size == 0:
        return float(s_abund)
    n_rare = int(rare.sum())
    f1 = int(np.count_nonzero(rare == 1))
    coverage = 1.0 - f1 / n_rare
    if coverage == 0.0:
        return math.inf
    # coverage > 0 implies some rare count >= 2, hence n_rare >= 2.
    pairs = float(np.sum(rare * (rare - 1)))
    gamma2 = max(rare.size / coverage * pairs / (n_rare * (n_rare - 1.0)) - 1.0, 0.0)
    return float(s_abund + rare.size / coverage + f1 / coverage * gamma2)


def good_turing_coverage(counts):
    """Good–Turing sample coverage ``1 - f1/n``.

    It estimates the probability mass (volume fraction, for uniform sampling)
    of the regions already seen; on average it slightly under-states it
    (docs/math.md §8).

    Returns
    -------
    float
        ``nan`` for an empty sample (coverage of nothing is undefined).

    Examples
    --------
    >>> good_turing_coverage([1, 1, 2, 4])
    0.75
    """
    c = _observed(counts)
    if c.size == 0:
        return math.nan
    n, _, f1, _ = _basics(c)
    return float(1.0 - f1 / n)


def chao_jost_coverage(counts):
    """Chao–Jost (2012) sample coverage, as in SpadeR's ``Cf0Fun``.

    * ``f2 > 0``: ``1 - (f1/n) (n-1) f1 / ((n-1) f1 + 2 f2)``;
    * ``f2 = 0, f1 > 0``: ``1 - (f1/n) (n-1)(f1-1) / ((n-1)(f1-1) + 2)``;
    * ``f1 = 0``: ``1``.

    Note that the second case gives 1 for a single singleton (``f1 = 1``),
    including the one-point sample; this is SpadeR's convention.

    Returns
    -------
    float
        ``nan`` for an empty sample.

    Examples
    --------
    >>> round(chao_jost_coverage([1, 1, 1, 1, 2, 2, 3, 5, 8]), 6)
    0.840278
    """
    c = _observed(counts)
    if c.size == 0:
        return math.nan
    n, _, f1, f2 = _basics(c)
    if f1 == 0:
        return 1.0
    if f2 > 0:
        a = (n - 1) * f1
        return float(1.0 - f1 / n * a / (a + 2.0 * f2))
    a = (n - 1) * (f1 - 1)
    return float(1.0 - f1 / n * a / (a + 2.0))
