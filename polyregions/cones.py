"""Regions of a bias-free network in a box around the origin, read off the box's far facets.

A network whose hidden biases are all zero (ReLU or leaky ReLU) is positively
homogeneous: every pre-activation satisfies ``z(t x) = t z(x)`` for ``t > 0``,
so every region is an open polyhedral cone with apex at the origin. In a box
``B`` whose closure holds the origin every hyperplane passes through the
origin, a degenerate arrangement for the subdivision. The *far facets* of
``B`` (those not containing the origin) remove the apex:

* a cone ``C`` meets the interior of ``B`` iff it meets some far facet ``F``
  in a set of dimension ``d - 1``: from a point ``x`` of ``C`` inside ``B``
  the ray ``t x`` leaves ``B`` at ``t* >= 1`` through a far facet, and near
  there ``C`` is open and crosses the facet's hyperplane transversally
  (it misses the origin); conversely, the open cone over a relatively open
  piece of ``C`` in ``F`` lies in ``C`` and, scaled by ``t`` in ``(0, 1)``,
  in the interior of ``B``;
* two cones share a facet (a ``(d - 1)``-cone ``G`` in a hyperplane ``H``
  through the origin) inside ``B`` iff their pieces share an edge in some
  far facet's graph: the rays of ``G`` through the interior of ``B`` leave it
  on ``H``'s side of the far facets, a ``(d - 2)``-dimensional set, which
  lies in some facet's relative interior unless ``H`` holds a whole
  ``(d - 2)``-face of ``B`` -- and then some vertex of that facet's complex
  (a corner of ``B``, or where an earlier neuron crosses that face) lies on
  the neuron's hyperplane, which the subdivision refuses as degenerate.
  Conversely, a shared ``(d - 2)``-face of two pieces in a facet's complex
  meets the facet's relative interior, and its cone is a common facet of the
  two cones inside ``B``, on the same neuron.

So the regions are the union over the far facets of the regions of the
network restricted to each facet (a ``(d - 1)``-dimensional
:class:`~polyregions.domain.Slice`, whose first layer gets the bias
``value * W[:, k]``: no apex), enumerated by the subdivision; each region's
interior point is its facet point scaled by 1/2 towards the origin (inside
the open cone and inside ``B``), with its radius recomputed in ``d``
dimensions by :func:`~polyregions.inscribed_radii.certify_cells`, the
subdivision's own certificate code.

A facet the subdivision cannot decide (a :class:`SubdivisionFallback`, e.g.
the concurrent hyperplanes along a ray where a ReLU layer is dead) or with a
thin cell hands the whole run to the LP search; a facet stopped by a budget
makes the result a lower bound. ``d = 1`` (facets are points) is left to the
ordinary run.

Example
-------
>>> import numpy as np
>>> from polyregions import Box, random_network
>>> from polyregions.subdivision import enumerate_subdivision
>>> net = random_network(2, [6], bias_std=0.0, random_state=0)   # 6 lines through 0
>>> rs = enumerate_cones(net, Box([-1, -1], [1, 1]), enumerate_subdivision)
>>> rs.n_regions, rs.status, rs.stats["cones"]
(12, 'exact', True)
"""

from __future__ import annotations

import time

import numpy as np

from .domain import Box, Slice
from .inscribed_radii import certify_cells
from .merge import PieceMerge, part_arrays
from .results import RegionSet
from .skeleton import SubdivisionFallback
from .tolerances import Tolerances

__all__ = ["cone_reduction_applies", "far_facets", "enumerate_cones"]


def cone_reduction_applies(net, domain):
    """Whether ``net`` is bias-free and ``domain`` a box of dimension >= 2 whose closure holds 0.

    Only the hidden biases matter (the output layer makes no region). A box
    that misses the origin is no degenerate arrangement because of the apex
    and takes the ordinary run.

    >>> from polyregions import Box, random_network
    >>> net = random_network(2, [4], bias_std=0.0, random_state=0)
    >>> [cone_reduction_applies(net, Box(lo, [1, 1])) for lo in ([-1, -1], [0, 0], [0.5, -1])]
    [True, True, False]
    """
    if not isinstance(domain, Box) or domain.dim < 2 or not hasattr(net, "weights") \
            or net.n_neurons == 0:  # (an affine net has no arrangement at all)
        return False
    if not all(not np.any(np.asarray(b)) for b in net.biases[:-1]):
        return False
    return bool(np.all(domain.lo <= 0.0) and np.all(domain.hi >= 0.0))


def far_facets(box):
    """The facets of ``box`` not containing the origin, as ``(k, value, Slice)``: ``x_k = value``.

    The slice's parameters are the other coordinates, in order, over the
    box's own ranges (so its points are input points, not rescaled ones).

    >>> [(k, v) for k, v, _ in far_facets(Box([0, -1], [1, 2]))]
    [(0, 1.0), (1, -1.0), (1, 2.0)]
    """
    lo, hi = np.asarray(box.lo, dtype=np.float64), np.asarray(box.hi, dtype=np.float64)
    d = len(lo)
    eye = np.eye(d)
    out = []
    for k in range(d):
        rest = [j for j in range(d) if j != k]
        for value in (lo[k], hi[k]):
            if value != 0.0:
                out.append((k, float(value),
                            Slice(value * eye[k], eye[rest], lo[rest], hi[rest])))
    return out


def enumerate_cones(net, box, run, tolerances=None, *, max_regions=None, time_limit=None,
                    progress=False, max_memory=None):
    """Every full-dimensional region of the bias-free ``net`` in ``box``, from its far facets.

    Parameters
    ----------
    net : ReLUNetwork
        Hidden biases all zero (:func:`cone_reduction_applies`).
    box : Box
        Its closure holds the origin; dimension at least 2.
    run : callable
        The subdivision, ``run(net, slice, max_regions=, time_limit=,
        progress=, tolerances=, max_memory=)`` returning a
        :class:`RegionSet` or raising :class:`SubdivisionFallback` (passed
        in, so this module does not import the driver that dispatches here).
    tolerances, max_regions, time_limit, progress, max_memory
        As in :func:`~polyregions.subdivision.enumerate_subdivision`.

    Returns
    -------
    RegionSet
        Regions sorted by pattern; ``stats["engine"] == "subdivision"``,
        ``stats["cones"]`` is True and ``stats["facets"]`` the number of far
        facets run. A facet stopped by ``time_limit`` (or an interrupt)
        gives a ``"lower_bound"`` with the regions of the facets finished.

    Raises
    ------
    SubdivisionFallback
        A facet's arrangement is degenerate, or a facet has thin cells (a
        thin piece could belong to a region that is thick elsewhere): the
        caller runs the LP search on the whole box.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import Box, ReLUNetwork
    >>> from polyregions.subdivision import enumerate_subdivision
    >>> net = ReLUNetwork.from_weights([np.eye(3), np.ones((1, 3))], [np.zeros(3), [0.0]])
    >>> rs = enumerate_cones(net, Box([-1] * 3, [1] * 3), enumerate_subdivision)
    >>> rs.n_regions, len(rs.edges)   # the 8 orthants, 12 shared quarter-planes
    (8, 12)
    """
    t0 = time.perf_counter()
    tol = Tolerances() if tolerances is None else tolerances
    N = net.n_neurons
    d = box.dim
    # the facets' regions are pieces of the cones, merged by pattern as a distributed run's
    # parts are (one sort, no Python object per region)
    pieces = PieceMerge(N, d)
    complete, reason = True, None
    n_facets = vertices = n_edges = lp_facets = 0
    for k, value, facet in far_facets(box):
        left = None
        if time_limit is not None:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0:
                complete, reason = False, "time_limit"
                break
        try:
            rs = run(net, facet, max_regions=None, time_limit=left, progress=progress,
                     tolerances=tol, max_memory=max_memory)
        except SubdivisionFallback as exc:
            raise SubdivisionFallback(f"cone reduction, facet x{k} = {value:g}: {exc}") from None
        n_facets += 1
        if rs.stop_reason is not None:  # a budget or an interrupt stopped it
            complete, reason = False, rs.stop_reason
            break
        if rs.n_thin or rs.n_merged or rs.n_undecided:
            # the thin piece's pattern is not known here, and its cone may be thick in the box
            raise SubdivisionFallback(f"cone reduction, facet x{k} = {value:g}: thin cells")
        vertices += rs.stats.get("vertices", 0)
        n_edges += rs.stats.get("edges", 0)
        lp_facets += rs.stats.get("lp_calls", 0)
        part = part_arrays(rs)
        # facet points are input points (the slice spans the other coordinates one to one);
        # halfway to the apex: inside the open cone, and inside the box (0 and the point are)
        part["points"] = 0.5 * facet.to_input(part["points"])
        pieces.add(n_facets, part)
    merged = pieces.merged()
    if not isinstance(merged["neurons"], np.ndarray):
        raise SubdivisionFallback("cone reduction: two neurons carry the same facet")
    R = len(merged["radii"])
    patterns = np.unpackbits(merged["packed"], axis=1, count=N).astype(bool).reshape(R, N)
    points = merged["points"]
    E, lab = merged["edges"], merged["neurons"][:, 0]
    Ws = [np.asarray(W, dtype=np.float64) for W in net.weights[:-1]]
    bs = [np.asarray(b, dtype=np.float64) for b in net.biases[:-1]]
    A_dom, b_dom = (np.asarray(x, dtype=np.float64) for x in box.halfspaces)
    points, r, counted, n_thin, lp_calls = certify_cells(
        net, box, Ws, bs, list(net.negative_slopes), patterns, points, A_dom, b_dom, tol)
    idx = np.flatnonzero(counted)
    new = np.full(R, -1)
    new[idx] = np.arange(len(idx))
    ke = counted[E[:, 0]] & counted[E[:, 1]] if len(E) else np.zeros(0, bool)
    E, lab = new[E[ke]].reshape(-1, 2), lab[ke]  # still sorted: the renumbering keeps order
    if max_regions is not None and len(idx) > max_regions:
        complete, reason = False, "max_regions"
        idx = idx[:max_regions]
        keep = (E < max_regions).all(axis=1)
        E, lab = E[keep], lab[keep]
    stats = {"engine": "subdivision", "cones": True, "fallback": None, "facets": n_facets,
             "seconds": time.perf_counter() - t0, "vertices": vertices, "edges": n_edges,
             "cells": R, "lp_calls": lp_calls + lp_facets, "frontier": 0}
    return RegionSet(net, box, patterns[idx], points[idx], r[idx], E, lab[:, None], complete,
                     reason, n_thin, tol, stats)
