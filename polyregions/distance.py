"""Exact distance from points to the boundary of their activation region.

On the region ``P`` of a point ``x`` every pre-activation is affine,
``z_i(y) = grad_i . y + const``, and ``P`` is the intersection of the
half-spaces ``sign_i z_i(y) >= 0``. The distance from ``x`` to the boundary of
``P`` is therefore (docs/math.md §1)::

    dist(x, dP) = min_i |z_i(x)| / ||grad_i||,

the gradients being those of ``x``'s own region. This is the Hanin–Rolnick
quantity; generically it equals the distance to the network's boundary set
``B_F``, and it is never larger (``dist(x, B_F) >= dist(x, dP)``).

:func:`distance_to_boundary` evaluates it for many points at once by
propagating the Jacobians of all layers in batch. Neurons whose gradient
vanishes on the region (e.g. fed only by inactive neurons) are constant there,
so their hyperplane never bounds the region: they are ignored. A point whose
region has no bounding neuron at all (every gradient zero) gets ``inf``.

Distances are Euclidean in the network's input space, also for points drawn
from a :class:`~polyregions.Slice`, and are not clipped to any domain.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> distance_to_boundary(net, [[0.3, -0.5], [2.0, 1.0]]).tolist()
[0.3, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._deprecation import renamed_parameters
from ._validation import check_int, check_level, check_points
from .lines import mean_ci, require_domain
from .network import as_network

__all__ = ["distance_to_boundary", "boundary_distance_statistics", "BoundaryDistanceStatistics"]

# A gradient norm below this fraction of its triangle-inequality bound is
# rounding noise around an exact zero (cancelling weights), not a facet.
_ROUND = 1e-12
# Working-memory budget (float64 entries) for one batch of Jacobians.
_BATCH_ENTRIES = 4_000_000


def _first_layer_factor(W1):
    """A matrix ``F`` with ``F F^T = W1 W1^T`` and at most ``n1`` columns.

    Gradient norms only depend on ``W1`` through ``W1 W1^T`` (everything
    downstream multiplies it on the left), so a wide input (e.g. 784 pixels)
    can be compressed once by a QR factorisation instead of carrying
    ``n0`` columns through every layer.
    """
    n1, n0 = W1.shape
    if n0 <= n1:
        return W1
    R = np.linalg.qr(W1.T, mode="r")
    return R.T


def distance_to_boundary(net, X, *, return_argmin=False, batch_size=None):
    """Exact distance of each point to the boundary of its activation region.

    Parameters
    ----------
    net : ReLUNetwork
    X : array_like, shape (n, net.input_dim) or (net.input_dim,)
    return_argmin : bool, default False
        Also return, per point, the index (in the concatenated pattern
        order) of the neuron attaining the minimum, ``-1`` if none.
    batch_size : int, optional
        Points per batch; by default chosen so that one batch of Jacobians
        holds about 4 million floats.

    Returns
    -------
    dist : ndarray of float64, shape (n,)
        ``min_i |z_i(x)| / ||grad z_i(x)||`` over neurons with non-zero
        gradient on ``x``'s region; ``0`` for points on a boundary; ``inf``
        if no neuron bounds the region.
    argmin : ndarray of int64, shape (n,)
        Only with ``return_argmin``.

    Examples
    --------
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[3.0, 4.0]], [[1.0]]], [[-5.0], [0.0]])
    >>> distance_to_boundary(net, [0.0, 0.0], return_argmin=True)
    (array([1.]), array([0]))
    """
    as_network(net)
    X = net.check_points(X)
    n = X.shape[0]
    dist = np.full(n, np.inf)
    arg = np.full(n, -1, dtype=np.int64)
    if net.depth == 0 or n == 0:
        return (dist, arg) if return_argmin else dist
    layers = list(zip(net.weights[:-1], net.negative_slopes))
    F = _first_layer_factor(net.weights[0])
    norms1 = np.linalg.norm(net.weights[0], axis=1)
    if batch_size is None:
        batch_size = max(1, _BATCH_ENTRIES // (max(net.widths) * F.shape[1]))
    else:
        batch_size = check_int(batch_size, "batch_size")

    for start in range(0, n, int(batch_size)):
        Xb = X[start : start + int(batch_size)]
        zs = net.preactivations(Xb)
        rows = np.arange(Xb.shape[0])
        best = np.full(Xb.shape[0], np.inf)
        best_i = np.full(Xb.shape[0], -1, dtype=np.int64)
        offset = 0
        J = bound = None
        for l, ((W, _), z) in enumerate(zip(layers, zs)):
            if l == 0:
                norms = np.broadcast_to(norms1, z.shape)
                bound = norms
                J = np.broadcast_to(F, (Xb.shape[0],) + F.shape)
            else:
                alpha = layers[l - 1][1]
                d = np.where(zs[l - 1] > 0, 1.0, alpha)
                J = np.matmul(W, d[:, :, None] * J)
                norms = np.linalg.norm(J, axis=2)
                bound = (np.abs(d) * bound) @ np.abs(W).T
            valid = norms > _ROUND * bound
            ratio = np.full(z.shape, np.inf)
            np.divide(np.abs(z), norms, out=ratio, where=valid)
            j = np.argmin(ratio, axis=1)
            r = ratio[rows, j]
            better = r < best
            best[better] = r[better]
            best_i[better] = offset + j[better]
            offset += z.shape[1]
        dist[start : start + Xb.shape[0]] = best
        arg[start : start + Xb.shape[0]] = best_i
    return (dist, arg) if return_argmin else dist


@dataclass(frozen=True, eq=False)
class BoundaryDistanceStatistics:
    """Distances of random points to their region's boundary.

    See :func:`boundary_distance_statistics`.

    Attributes
    ----------
    distances : ndarray of float64, shape (n_points,)
    points : ndarray, shape (n_points, input_dim)
        The sampled network inputs.
    n_neurons : int
    level : float
        Confidence level of the Student-t intervals on the means.

    Examples
    --------
    >>> import numpy as np
    >>> st = BoundaryDistanceStatistics(np.array([0.1, 0.3]), np.zeros((2, 1)), n_neurons=10)
    >>> round(st.mean, 3), round(st.mean_scaled, 3), round(st.median_scaled, 3)
    (0.2, 2.0, 2.0)
    """

    distances: np.ndarray
    points: np.ndarray
    n_neurons: int
    level: float = 0.95

    @property
    def n_points(self) -> int:
        return int(self.distances.size)

    @property
    def mean(self) -> float:
        return float(np.mean(self.distances))

    @property
    def median(self) -> float:
        return float(np.median(self.distances))

    @property
    def mean_ci(self):
        """Student-t interval of :attr:`mean` (``nan`` if any distance is infinite)."""
        return mean_ci(self.distances, self.level)[1]

    def quantile(self, q):
        """Empirical quantile(s) of the distances (numpy's default interpolation)."""
        return np.quantile(self.distances, q)

    @property
    def quantiles(self):
        """``{q: quantile}`` for q in 0.05, 0.25, 0.5, 0.75, 0.95."""
        qs = (0.05, 0.25, 0.5, 0.75, 0.95)
        return dict(zip(qs, (float(v) for v in np.quantile(self.distances, qs))))

    @property
    def scaled_distances(self):
        """``distance * N``, the Hanin–Rolnick normalisation (order 1 at initialisation)."""
        return self.distances * self.n_neurons

    @property
    def mean_scaled(self) -> float:
        return self.mean * self.n_neurons

    @property
    def median_scaled(self) -> float:
        return self.median * self.n_neurons

    @property
    def mean_scaled_ci(self):
        lo, hi = self.mean_ci
        return (lo * self.n_neurons, hi * self.n_neurons)

    def summary(self):
        """All statistics as a dict."""
        return {
            "n_points": self.n_points,
            "n_neurons": self.n_neurons,
            "mean": self.mean,
            "mean_ci": self.mean_ci,
            "median": self.median,
            "quantiles": self.quantiles,
            "mean_scaled": self.mean_scaled,
            "mean_scaled_ci": self.mean_scaled_ci,
            "median_scaled": self.median_scaled,
        }

    def __repr__(self):
        return (
            f"BoundaryDistanceStatistics(n_points={self.n_points}, mean={self.mean:.4g}, "
            f"mean_scaled={self.mean_scaled:.4g})"
        )


@renamed_parameters(points="X", n_points="n_samples")
def boundary_distance_statistics(net, domain=None, n_samples=None, random_state=None, *,
                                 X=None, level=0.95):
    """Distance to the region boundary of random points of ``domain``, or of given points.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Domain, optional
        Box, Ball, Polytope or Slice (parameters drawn uniformly and mapped to
        inputs); ``WholeSpace`` draws standard normal points. Exclusive with
        ``X``.
    n_samples : int
        Number of points drawn from ``domain`` (>= 1; intervals need >= 2),
        as in :func:`~polyregions.sampling.sample_patterns`. (``n_points=`` is
        its deprecated name.)
    random_state : int, numpy Generator or None
    X : array_like, shape (n, net.input_dim), optional
        Measure at these points (e.g. training data) instead of sampling.
        (``points=`` is its deprecated name.)
    level : float, default 0.95

    Returns
    -------
    BoundaryDistanceStatistics

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box
    >>> net = ReLUNetwork.from_weights([[[1.0]], [[1.0]]], [[0.0], [0.0]])
    >>> st = boundary_distance_statistics(net, Box([-1.0], [1.0]), 2000, random_state=0)
    >>> round(st.mean, 1)  # |x| for x uniform in [-1, 1]
    0.5
    >>> boundary_distance_statistics(net, X=[[0.5], [-0.25]]).distances.tolist()
    [0.5, 0.25]
    """
    as_network(net)
    level = check_level(level)
    if X is not None:
        if domain is not None or n_samples is not None:
            raise TypeError("pass either X or (domain, n_samples), not both.")
        X = np.array(check_points(X, net.input_dim, "X", min_points=1))
    else:
        domain = require_domain(domain, net)
        if n_samples is None:
            raise TypeError("boundary_distance_statistics needs n_samples, the number of points "
                            "(or X=... to measure at given points).")
        n_samples = check_int(n_samples, "n_samples")
        rng = np.random.default_rng(random_state)
        X = domain.to_input(domain.sample(n_samples, random_state=rng))
    d = distance_to_boundary(net, X)
    d.setflags(write=False)
    X.setflags(write=False)
    return BoundaryDistanceStatistics(d, X, net.n_neurons, level)
