"""Exact volumes and uniform-sampling probabilities of the regions of a region set.

:func:`region_volumes` measures each region (``{A u <= b}`` ∩ the domain's
ball, if any) with the polytope kernel where that is exact: polytopes up to
:data:`~polyregions.polytope.MAX_EXACT_DIM` dimensions, balls up to 2-D.
:func:`region_probabilities` divides by the domain's volume: the law of the
region a uniform point falls in, which the sampling estimators are judged
against (:mod:`polyregions.expectations`).

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box, enumerate_regions
>>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.5], [0.0]])
>>> region_volumes(enumerate_regions(net, Box([-1, -1], [1, 1]))).tolist()
[1.0, 3.0]
"""

from __future__ import annotations

import math

import numpy as np

from .polytope import MAX_EXACT_DIM, region_volume

__all__ = ["region_volumes", "region_probabilities", "exact_volumes_exist"]


def exact_volumes_exist(domain, max_dim=MAX_EXACT_DIM):
    """Whether region volumes in ``domain`` are exact (not Monte Carlo) up to ``max_dim``."""
    if not math.isfinite(domain.volume()):
        return False
    if domain.ball is not None:
        return domain.dim <= 2
    return domain.dim <= max_dim


def region_volumes(rs, indices=None):
    """Exact volumes of the regions of a :class:`~polyregions.RegionSet` (domain coordinates).

    Uses :func:`polyregions.polytope.region_volume` with the domain's ball,
    if any.

    Parameters
    ----------
    rs : RegionSet
        On a bounded domain: polytopes up to
        :data:`~polyregions.polytope.MAX_EXACT_DIM` dimensions, balls up to 2-D.
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
    if not exact_volumes_exist(rs.domain, MAX_EXACT_DIM):
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
