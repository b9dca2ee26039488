"""Region counts of hyperplane arrangements (docs/math.md §2).

The counts every architecture bound is built from: ``N`` affine hyperplanes
in general position in ``R^n`` cut it into ``sum_{j<=n} C(N, j)`` regions
(Zaslavsky), ``C(N-1, n)`` of them bounded, and ``N`` hyperplanes through one
point into Cover's ``2 sum_{j<n} C(N-1, j)``. Exact Python integers.

Example
-------
>>> zaslavsky(4, 2), zaslavsky_bounded(4, 2), central_count(4, 2)
(11, 3, 8)
"""

from __future__ import annotations

import math

from ._validation import check_int

__all__ = ["region_sum", "zaslavsky", "zaslavsky_bounded", "central_count"]


def region_sum(N, d):
    """``sum_{j <= d} C(N, j)``: regions of ``N`` generic hyperplanes in ``d`` dimensions."""
    return sum(math.comb(N, j) for j in range(min(N, d) + 1))


def zaslavsky(n_hyperplanes: int, dim: int) -> int:
    """Regions of ``n_hyperplanes`` affine hyperplanes in general position in ``R^dim``.

    ``r(N, n) = sum_{j=0}^{n} C(N, j)``. For any other arrangement of ``N``
    hyperplanes this is an upper bound, attained exactly in general position.

    Parameters
    ----------
    n_hyperplanes : int
        ``N >= 0``.
    dim : int
        ``n >= 0``; ``dim = 0`` (a point) gives 1.

    Returns
    -------
    int

    Examples
    --------
    >>> zaslavsky(4, 2), zaslavsky(5, 3), zaslavsky(6, 1)
    (11, 26, 7)
    """
    N = check_int(n_hyperplanes, "n_hyperplanes", minimum=0, integral_float=True)
    n = check_int(dim, "dim", minimum=0, integral_float=True)
    return region_sum(N, n)


def zaslavsky_bounded(n_hyperplanes: int, dim: int) -> int:
    """Bounded regions of ``N`` hyperplanes in general position in ``R^n``: ``C(N-1, n)``.

    Zero when ``N <= n`` (too few hyperplanes to enclose anything).

    Parameters
    ----------
    n_hyperplanes : int
        ``N >= 0``.
    dim : int
        ``n >= 1``.

    Returns
    -------
    int

    Examples
    --------
    >>> zaslavsky_bounded(4, 2), zaslavsky_bounded(8, 2), zaslavsky_bounded(6, 1)
    (3, 21, 5)
    """
    N = check_int(n_hyperplanes, "n_hyperplanes", minimum=0, integral_float=True)
    n = check_int(dim, "dim", minimum=1, integral_float=True)
    return math.comb(N - 1, n) if N >= 1 else 0


def central_count(n_hyperplanes: int, dim: int) -> int:
    """Regions of ``N`` hyperplanes through one point, otherwise generic, in ``R^n``.

    Cover's count ``2 sum_{j=0}^{n-1} C(N-1, j)`` (``1`` when ``N = 0``).

    Parameters
    ----------
    n_hyperplanes : int
        ``N >= 0``.
    dim : int
        ``n >= 1``.

    Returns
    -------
    int

    Examples
    --------
    >>> central_count(5, 2), central_count(4, 2), central_count(5, 3)
    (10, 8, 22)
    """
    N = check_int(n_hyperplanes, "n_hyperplanes", minimum=0, integral_float=True)
    n = check_int(dim, "dim", minimum=1, integral_float=True)
    if N == 0:
        return 1
    return 2 * region_sum(N - 1, n - 1)
