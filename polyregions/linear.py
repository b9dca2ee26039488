"""Linear regions: activation regions merged where the network computes the same affine map.

A linear region is a maximal connected set on which the network function is
affine (docs/math.md §1). Every one is a union of closures of activation regions,
so ``n_linear <= n_activation``; the two differ when neighbouring activation
regions carry the same output map ``y = A u + c``, e.g. when a neuron's
output weights are zero or a downstream path is dead (docs/math.md §10.5).

The merge runs over the facet-adjacency graph of a
:class:`~polyregions.RegionSet`: two regions sharing a facet are joined when
their maps agree within a tolerance relative to the float64 rounding scale of
those two maps (see :func:`linear_regions`), and linear regions are the
connected components of the joined pairs (chains included). Regions with
equal maps that are not linked by such a chain stay separate (the function is
affine on each piece, but not on a connected set containing both).

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box, enumerate_regions
>>> # The second neuron has output weight 0: its line splits regions but not the map.
>>> net = ReLUNetwork.from_weights([np.eye(2), [[1.0, 0.0]]], [np.zeros(2), [0.0]])
>>> lr = linear_regions(enumerate_regions(net, Box([-1, -1], [1, 1])))
>>> lr.n_activation, lr.n_linear
(4, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import ReLUNetwork
from .results import IncompleteEnumerationError

__all__ = ["LinearRegions", "linear_regions"]


@dataclass(frozen=True, eq=False)
class LinearRegions:
    """Activation regions grouped into linear regions (see :func:`linear_regions`).

    Attributes
    ----------
    labels : ndarray of int, shape (R,)
        Linear region of each activation region, numbered ``0 ..
        n_linear - 1`` in order of first appearance (read-only).
    n_linear : int
    n_activation : int
    merged_edges : ndarray of bool, shape (E,)
        For each edge of ``RegionSet.edges``: whether its two regions were
        merged (read-only). The boundaries of the linear regions are the
        facets of the unmerged edges (plus the domain's boundary).
    rtol, atol : float
        The tolerances used.
    complete : bool
        Copied from the region set; ``False`` only with
        ``linear_regions(..., allow_incomplete=True)``. The labels then cover
        only the regions found, and ``n_linear`` is not a bound in either
        direction (a missing region may add a linear region or join two).
    """

    labels: np.ndarray
    n_linear: int
    n_activation: int
    merged_edges: np.ndarray
    rtol: float
    atol: float
    complete: bool

    def members(self, k):
        """Indices of the activation regions forming linear region ``k``."""
        return np.flatnonzero(self.labels == k)

    @property
    def sizes(self):
        """Number of activation regions in each linear region."""
        return np.bincount(self.labels, minlength=self.n_linear)


def _magnitude_maps(rs):
    """Entrywise magnitudes ``(S_A, S_c)`` of the sums that produce each region's output map.

    ``S_A[r]`` is ``|W_out| |D_L| |W_L| ... |D_1| |W_1| |M|`` (``D`` the
    pattern's slopes, ``(M, m)`` the domain's input map) and ``S_c[r]`` the
    same for the offset, i.e. the map of the network with every weight, bias,
    slope and input-map entry replaced by its absolute value. Computing ``A``
    and ``c`` in float64 errs by at most a small multiple of ``1e-16 * depth *
    width`` times these, whatever cancellation happens in the sums, so they are
    the scale against which two maps can be told apart.
    """
    net = rs.network
    # Built directly (not with from_weights): |slope| may be 1, which
    # from_weights rightly refuses for a real network.
    mag = ReLUNetwork(tuple(np.abs(W) for W in net.weights), tuple(np.abs(b) for b in net.biases),
                      tuple(abs(a) for a in net.negative_slopes))
    in_map = rs.domain.input_map
    if in_map is not None:
        in_map = (np.abs(in_map[0]), np.abs(in_map[1]))
    maps = [mag.affine_output(p, in_map) for p in rs.patterns]
    return np.stack([m[0] for m in maps]), np.stack([m[1] for m in maps])


def linear_regions(rs, rtol=1e-9, atol=0.0, *, allow_incomplete=False):
    """Merge adjacent activation regions with equal output maps into linear regions.

    Parameters
    ----------
    rs : RegionSet
    rtol : float, default 1e-9
        Two regions ``i``, ``j`` sharing a facet are merged when, for every
        output ``o`` and input coordinate ``k``,
        ``|A_i - A_j|[o, k] <= atol + rtol * S[o, k]``, where ``S`` is the larger
        of the two regions' *magnitude maps*: the output map of the network
        with every weight, bias and slope replaced by its absolute value (see
        :func:`_magnitude_maps`). That is the scale of the float64 rounding
        error of each entry, so the test is local to the pair, per output and
        per coordinate: invariant under rescaling any output or input
        coordinate, a map with tiny slope from cancellation (say ``1e-17``
        where the summed terms are ``O(1)``) still equals an exactly flat one,
        and a genuinely small kink (say ``1e-4`` next to a slope of ``1e6`` in
        another output or another region) is not hidden by the run's largest
        coefficient. Rounding errors are about ``1e-16 * depth * width``
        relative to ``S``; ``1e-9`` leaves room for that while separating maps
        that genuinely differ. The offsets are compared as well, at the
        midpoint ``u`` of the two interior points ``u_i``, ``u_j``, within
        ``atol + rtol * S_c + (atol + rtol * S_A) (|u| + |u_i - u_j|)``
        (see Notes).
    atol : float, default 0.0
        Absolute slack added to both comparisons (output units per input
        unit for slopes, output units for offsets).
    allow_incomplete : bool, default False
        For a run stopped by a budget (``rs.complete`` is ``False``), the
        number of linear regions among the regions found is not a bound in
        either direction: a missing region can add a linear region or join
        two. Such a run raises unless this is ``True`` (e.g. to colour a
        partial picture); the result then has ``complete=False``.

    Returns
    -------
    LinearRegions

    Raises
    ------
    IncompleteEnumerationError
        If ``rs`` is incomplete and ``allow_incomplete`` is ``False``.

    Notes
    -----
    *Adjacency* is facet adjacency, as in ``RegionSet.edges``: linear regions
    are the connected components of the graph whose edges join two regions
    that share an ``(n-1)``-dimensional facet inside the domain and carry equal
    maps. Chains are followed (``a ~ b ~ c`` puts ``a`` and ``c`` together
    even if they do not touch). Two regions with equal maps that touch only in
    a lower-dimensional face (e.g. opposite quadrants meeting at a point) stay
    apart; the literature also uses other definitions (docs/math.md §1).

    Equality is tested per edge, so along a long chain of merges the maps may
    drift by up to ``rtol * S`` per step; with ``rtol = 1e-9`` this only
    matters for kinks many orders of magnitude smaller than the slopes.

    Across a shared facet the map is continuous, so equal slopes force equal
    offsets; the offset comparison is a guard against numerical accidents,
    not an independent condition. With slopes differing by ``d`` (within
    tolerance), offsets at the midpoint ``u`` of the interior points differ
    by at most ``|d| |u_i - u_j| / 2``, hence its scale.

    Patterns thinner than ``tolerances.radius`` are not regions
    (``rs.n_thin``) and carry no edges, so two regions touching only through
    such a sliver are not linked; the count is exact at that resolution.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> # y = relu(x) - 2 relu(x - 1) + relu(x - 2) is 0 for x < 0 and for x > 2:
    >>> # equal maps, but not adjacent, so they stay two linear regions.
    >>> net = ReLUNetwork.from_weights([[[1.0], [1.0], [1.0]], [[1.0, -2.0, 1.0]]],
    ...                                [[0.0, -1.0, -2.0], [0.0]])
    >>> linear_regions(enumerate_regions(net, Box([-1], [3]))).n_linear
    4
    >>> # A small kink next to a big slope is still a kink: four quadrants.
    >>> net = ReLUNetwork.from_weights([np.eye(2), [[1e6, 1e-4]]], [np.zeros(2), [0.0]])
    >>> linear_regions(enumerate_regions(net, Box([-1, -1], [1, 1]))).n_linear
    4
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"rtol and atol must be non-negative; got rtol={rtol!r}, atol={atol!r}.")
    if not rs.complete and not allow_incomplete:
        err = IncompleteEnumerationError(rs)
        err.args = (
            f"the enumeration stopped early ({rs.stop_reason}) after {rs.n_regions} regions, so "
            "the number of linear regions among them is not a bound in either direction. Rerun "
            "enumerate_regions without a budget, or pass allow_incomplete=True to group only "
            "the regions found.",
        )
        raise err
    R = rs.n_regions
    edges = rs.edges
    if R == 0:
        empty = np.zeros(0, dtype=np.intp)
        empty.setflags(write=False)
        merged = np.zeros(len(edges), dtype=bool)
        merged.setflags(write=False)
        return LinearRegions(empty, 0, 0, merged, float(rtol), float(atol), rs.complete)
    A, c = rs.affine_maps()
    S_A, S_c = _magnitude_maps(rs)
    i, j = edges[:, 0], edges[:, 1]
    sA = np.maximum(S_A[i], S_A[j])  # (E, out, dim)
    dA_ok = np.all(np.abs(A[i] - A[j]) <= atol + rtol * sA, axis=(1, 2))
    U = rs.interior_points
    mid = 0.5 * (U[i] + U[j])
    spread = np.abs(mid) + np.abs(U[i] - U[j])
    y_i = np.einsum("eok,ek->eo", A[i], mid) + c[i]
    y_j = np.einsum("eok,ek->eo", A[j], mid) + c[j]
    # Slopes within their tolerance move the offsets at `mid` by at most that
    # tolerance times the distance to the facet (< spread); S_c covers rounding.
    tol_y = (atol + rtol * np.maximum(S_c[i], S_c[j])
             + np.einsum("eok,ek->eo", atol + rtol * sA, spread))
    dc_ok = np.all(np.abs(y_i - y_j) <= tol_y, axis=1)
    merged = dA_ok & dc_ok
    graph = coo_matrix((np.ones(int(merged.sum())), (i[merged], j[merged])), shape=(R, R))
    n_linear, raw = connected_components(graph, directed=False)
    # Renumber by first appearance so labels do not depend on scipy's traversal.
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.intp)
    rank[np.argsort(first)] = np.arange(len(first))
    labels = rank[inverse].astype(np.intp)
    labels.setflags(write=False)
    merged.setflags(write=False)
    return LinearRegions(labels, int(n_linear), R, merged, float(rtol), float(atol), rs.complete)
