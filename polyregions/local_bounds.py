"""Upper bounds on the number of activation regions meeting a ball or a box.

Zhu, Lin & Tang (2020, arXiv 2007.06803) introduced upper bounds on the
number of linear regions inside a sphere of input space. **Their formula
could not be checked** (only the abstract was available), so this module
does not reproduce it. It implements instead a bound in the same spirit that
is provably valid (docs/math.md §6):

1. Classify every hidden neuron over the domain as *stable-active*
   (pre-activation ``>= 0`` throughout), *dead* (``<= 0`` throughout) or
   *unstable*. Layer 1 is exact; deeper layers use sound pre-activation
   bounds from interval bound propagation (``method="ibp"``) or, tighter,
   from the triangle LP relaxation of the unstable ReLUs
   (``method="lp"``). An LP bound is a weak-duality certificate computed
   from HiGHS' duals, never the solver's reported objective, so it stays
   valid whatever the solver's tolerances.
2. With ``u_l`` unstable and ``a_l`` stable-active units in layer ``l`` and
   ``m_l = u_l + a_l``:

   * ``product = prod_l sum_{j <= min(d_l, u_l)} C(u_l, j)``, with
     ``d_1 = n0`` and ``d_{l+1} = min(d_l, m_l)``. *Proof sketch:* in the
     domain stable neurons never switch, so only the ``u_l`` unstable
     hyperplanes of layer ``l`` can cut a region of layers ``1..l-1``. On
     such a region the map to layer ``l``'s input is affine, its image has
     dimension at most ``min(n0, m_1, ..., m_{l-1})`` (dead units output a
     constant zero), and ``u_l`` hyperplanes cut a ``d``-dimensional affine
     set into at most ``sum_{j<=d} C(u_l, j)`` pieces (Zaslavsky).
     Multiply over the layers.
   * ``pruned_serra = serra_upper(n0, [m_1, ..., m_L])``. *Proof:* dead
     units are identically zero on the domain, so deleting them leaves the
     network unchanged there, and the regions meeting the domain inject into
     the regions of the pruned network in ``R^n0``.
   * ``value = min(product, pruned_serra, serra_upper(n0, widths))``.

The bound counts activation regions with non-empty interior in the domain,
and so also bounds the number of linear regions. A tighter Serra-type sum
over the unstable counts (docs/math.md §6, "refined") was never violated in
experiments but is not proven, so it is not offered here.

Example
-------
>>> from polyregions.constructions import montufar
>>> from polyregions.domain import Box
>>> lb = local_bound(montufar(2, [4, 4]), Box([0.45, 0.45], [0.55, 0.55]))
>>> lb.neuron_counts, lb.product, lb.pruned_serra, lb.value
(((2, 2, 0), (1, 2, 1)), 8, 77, 8)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._deprecation import warn_renamed
from .errors import NotADomainError
from ._validation import check_choice
from .arrangements import region_sum
from .bounds import serra_upper
from .domain import Ball, Box, Domain
from .lp import INF, OPTIMAL, highs_solver, pass_dense
from .network import as_network

__all__ = [
    "LocalBound",
    "local_bound",
    "preactivation_bounds",
    "classify_neurons",
    "ACTIVE",
    "DEAD",
    "UNSTABLE",
]

#: Neuron status codes returned by :func:`classify_neurons`.
ACTIVE, DEAD, UNSTABLE = 1, 0, -1

# A neuron is called stable only if its bound clears zero by this fraction of
# its scale. Rounding can then never turn a neuron that switches into a
# "stable" one, and a hyperplane that just touches the domain's boundary is
# counted as unstable, which can only make the bound larger.
_REL_TOL = 1e-9
# Relative allowance for float rounding in evaluating an LP's dual certificate
# (a few dot products of length ncol), far above the ~1e-16 actually incurred.
_CERT_ROUND = 1e-12


@dataclass(frozen=True)
class LocalBound:
    """Result of :func:`local_bound`.

    Attributes
    ----------
    unstable, active, dead : tuple of int
        Per hidden layer: neurons that may switch inside the domain, neurons
        that are ``>= 0`` throughout, neurons that are ``<= 0`` throughout.
    product : int
        Layer-wise product bound (module docstring).
    pruned_serra : int
        Serra et al.'s Thm 1 bound of the network with dead units removed.
    global_serra : int
        Serra et al.'s Thm 1 bound of the full architecture in ``R^n0``.
    value : int
        ``min(product, pruned_serra, global_serra)``: an upper bound on the
        number of activation regions with non-empty interior in the domain.
    method : str
        ``"ibp"`` or ``"lp"``.
    bounds : tuple of (ndarray, ndarray)
        Sound pre-activation bounds ``(lower, upper)`` per layer.
    """

    unstable: tuple
    active: tuple
    dead: tuple
    product: int
    pruned_serra: int
    global_serra: int
    value: int
    method: str
    bounds: tuple = field(default=(), repr=False, compare=False)

    @property
    def neuron_counts(self) -> tuple:
        """``((unstable, active, dead), ...)``: neurons of each kind, per layer.

        Not ``counts``, which everywhere else in the API are region counts.
        """
        return tuple(zip(self.unstable, self.active, self.dead))

    @property
    def counts(self) -> tuple:
        """Deprecated name of :attr:`neuron_counts`."""
        warn_renamed("LocalBound.counts (neurons per layer, not regions)",
                     "LocalBound.neuron_counts")
        return self.neuron_counts


# --------------------------------------------------------------- checking
def _check(net, domain, method):
    as_network(net)
    check_choice(method, "method", ("ibp", "lp"))
    if not isinstance(domain, (Box, Ball)):
        raise (TypeError if isinstance(domain, Domain) else NotADomainError)(
            f"local bounds need a Box (l-infinity ball) or a Ball (l2); got "
            f"{type(domain).__name__}. For another bounded domain pass its bounding Box: the "
            "bound stays valid, only looser."
        )
    domain.check_network(net)
    if any(float(s) != 0.0 for s in net.negative_slopes):
        raise ValueError(
            "local bounds are implemented for plain ReLU networks only; this network has "
            f"negative slopes {net.negative_slopes} (leaky ReLU), whose 'dead' units still "
            "pass a signal. Use polyregions.bounds.montufar2017_upper for a valid global bound."
        )
    if net.depth == 0:
        raise ValueError("the network has no hidden layer; it has exactly one region.")


def _first_layer(net, domain):
    W, b = net.weights[0], net.biases[0]
    if isinstance(domain, Box):
        c = 0.5 * (domain.lo + domain.hi)
        r = 0.5 * (domain.hi - domain.lo)
        centre, rad = W @ c + b, np.abs(W) @ r
    else:
        centre = W @ domain.center + b
        rad = domain.radius * np.linalg.norm(W, axis=1)
    return centre - rad, centre + rad, np.abs(centre) + rad


def _classify(lo, hi, scale):
    status = np.full(lo.shape, UNSTABLE, dtype=np.int8)
    tol = _REL_TOL * scale
    const = hi - lo == 0  # no hyperplane at all: the neuron's value is known exactly
    status[(lo > tol) | (const & (lo > 0))] = ACTIVE
    status[(hi < -tol) | (const & (hi <= 0))] = DEAD
    return status


def _ibp(W, b, h_lo, h_hi):
    # Interval arithmetic in centre/radius form. milp.interval_bounds computes the
    # same bounds independently (the MILP is an oracle; see milp's module notes).
    c = 0.5 * (h_lo + h_hi)
    r = 0.5 * (h_hi - h_lo)
    centre, rad = W @ c + b, np.abs(W) @ r
    return centre - rad, centre + rad, np.abs(centre) + rad


# --------------------------------------------------------------------- LP
class _TriangleLP:
    """Triangle relaxation of layers ``1..k`` over a box of inputs.

    Columns are ``x`` then the post-activations of layers ``1..k``. Active
    units are equalities ``h = W h_prev + b``, dead units are fixed at 0 and
    unstable units with bounds ``[l, u]`` satisfy ``h >= 0``,
    ``h >= W h_prev + b`` and ``h <= u (W h_prev + b - l) / (u - l)``.
    """

    def __init__(self, net, x_lo, x_hi, layers):
        n0 = net.input_dim
        sizes = [n0] + [len(s) for (_, _, s) in layers]
        offs = np.concatenate([[0], np.cumsum(sizes)])
        ncol = int(offs[-1])
        col_lo = np.empty(ncol)
        col_hi = np.empty(ncol)
        col_lo[:n0], col_hi[:n0] = x_lo, x_hi
        rows, row_lo, row_hi = [], [], []
        for k, (lo, hi, st) in enumerate(layers):
            W, b = net.weights[k], net.biases[k]
            prev = slice(offs[k], offs[k + 1])
            cur = offs[k + 1]
            for i in range(len(st)):
                j = cur + i
                if st[i] == DEAD:
                    col_lo[j] = col_hi[j] = 0.0
                    continue
                col_lo[j], col_hi[j] = max(lo[i], 0.0), max(hi[i], 0.0)
                row = np.zeros(ncol)
                row[prev] = -W[i]
                row[j] = 1.0
                if st[i] == ACTIVE:
                    rows.append(row)
                    row_lo.append(b[i])
                    row_hi.append(b[i])
                else:
                    # Clamp to l <= 0 <= u: a neuron within rounding of zero is
                    # "unstable" even if l > 0 or u < 0, and the chord must stay
                    # above relu on the whole interval.
                    l_i, u_i = min(lo[i], 0.0), max(hi[i], 0.0)
                    lam = u_i / (u_i - l_i)
                    rows.append(row)  # h - W h_prev >= b
                    row_lo.append(b[i])
                    row_hi.append(INF)
                    up = np.zeros(ncol)
                    up[prev] = -lam * W[i]
                    up[j] = 1.0
                    rows.append(up)  # h - lam W h_prev <= lam (b - l)
                    row_lo.append(-INF)
                    row_hi.append(lam * (b[i] - l_i))
        M = np.array(rows).reshape(len(rows), ncol)
        self.M = M
        self.row_lo = np.asarray(row_lo, dtype=np.float64)
        self.row_hi = np.asarray(row_hi, dtype=np.float64)
        self.col_lo, self.col_hi = col_lo, col_hi
        # One reused HiGHS object per thread (docs/performance.md §1), shared with the kernel.
        self.h = h = highs_solver("local_bounds")
        self.ncol = ncol
        self.last = slice(offs[-2], offs[-1])
        pass_dense(h, np.zeros(ncol), col_lo, col_hi, self.row_lo, self.row_hi, M, sparse=True)
        self._idx = np.arange(ncol, dtype=np.int32)

    def minimise(self, w_last):
        """A *certified* lower bound on ``min w . h_k`` over the relaxation, or ``None``.

        The solver's objective is not used: it is only as accurate as HiGHS'
        tolerances, and an "optimal" objective above the true minimum would be
        an unsound bound. Instead the row duals ``y`` it returns feed weak
        duality, which holds for *any* ``y``: with reduced costs
        ``r = c - M^T y``, every feasible ``v`` has
        ``c.v = y.(M v) + r.v >= sum_i y_i (row_lo_i if y_i > 0 else row_hi_i)
        + sum_j r_j (col_lo_j if r_j > 0 else col_hi_j)``. Duals that would
        multiply an infinite row bound are set to 0 (still valid). Every
        column is bounded, so the value is finite; it equals the LP optimum
        up to the solver's accuracy when the duals are optimal, and is merely
        looser when they are not. ``None`` if HiGHS returned no duals.
        """
        cost = np.zeros(self.ncol)
        cost[self.last] = w_last
        self.h.changeColsCost(self.ncol, self._idx, cost)
        self.h.run()
        if self.h.getModelStatus() != OPTIMAL:
            return None
        sol = self.h.getSolution()
        if not sol.dual_valid:
            return None
        y = np.array(sol.row_dual, dtype=np.float64)
        y[~np.isfinite(y)] = 0.0
        y[(y > 0) & ~np.isfinite(self.row_lo)] = 0.0
        y[(y < 0) & ~np.isfinite(self.row_hi)] = 0.0
        row_b = np.where(y > 0, self.row_lo, np.where(y < 0, self.row_hi, 0.0))
        r = cost - self.M.T @ y
        col_b = np.where(r > 0, self.col_lo, self.col_hi)
        terms_row, terms_col = y * row_b, r * col_b
        value = float(np.sum(terms_row) + np.sum(terms_col))
        # Rounding in r and in the sums is bounded by a small multiple of the
        # magnitudes involved; subtracting it keeps the bound sound in floats.
        mag = (np.abs(self.M).T @ np.abs(y) + np.abs(cost)) @ np.maximum(
            np.abs(self.col_lo), np.abs(self.col_hi))
        value -= _CERT_ROUND * float(np.sum(np.abs(terms_row)) + mag)
        return value


# ----------------------------------------------------------------- public
def _bounds_and_status(net, domain, method):
    _check(net, domain, method)
    lo, hi, scale = _first_layer(net, domain)
    layers = [(lo, hi, _classify(lo, hi, scale))]
    if isinstance(domain, Box):
        x_lo, x_hi = domain.lo, domain.hi
    else:
        # The LP sees the ball's bounding box; layer-1 bounds stay ball-exact.
        x_lo, x_hi = domain.center - domain.radius, domain.center + domain.radius
    for k in range(1, net.depth):
        plo, phi, _ = layers[-1]
        W, b = net.weights[k], net.biases[k]
        lo, hi, scale = _ibp(W, b, np.maximum(plo, 0.0), np.maximum(phi, 0.0))
        st = _classify(lo, hi, scale)
        todo = np.flatnonzero(st == UNSTABLE)
        if method == "lp" and todo.size:
            lp = _TriangleLP(net, x_lo, x_hi, layers)
            for i in todo:
                # Certified bounds (see _TriangleLP.minimise), never the raw objective.
                m = lp.minimise(W[i])
                if m is not None:
                    lo[i] = max(lo[i], m + b[i])
                M = lp.minimise(-W[i])
                if M is not None:
                    hi[i] = min(hi[i], -M + b[i])
            st = _classify(lo, hi, scale)
        layers.append((lo, hi, st))
    return layers


def preactivation_bounds(net, domain, method="ibp"):
    """Sound bounds on every hidden pre-activation over a box or ball.

    Parameters
    ----------
    net : ReLUNetwork
        A plain-ReLU network.
    domain : Box or Ball
        ``Box(c - r, c + r)`` is the l-infinity ball of radius ``r`` about ``c``.
    method : {"ibp", "lp"}, default "ibp"
        Interval bound propagation, or IBP tightened by one LP per unstable
        neuron over the triangle relaxation (HiGHS). Layer 1 is exact either way.

    Returns
    -------
    list of (ndarray, ndarray)
        ``(lower, upper)`` per hidden layer; every pre-activation ``z^l_i(x)``
        with ``x`` in the domain lies in ``[lower_i, upper_i]``.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions.network import ReLUNetwork
    >>> from polyregions.domain import Box
    >>> net = ReLUNetwork.from_weights([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.5], [0.0]])
    >>> [(l.tolist(), u.tolist()) for l, u in preactivation_bounds(net, Box([-1.0], [1.0]))]
    [([-1.0, -0.5], [1.0, 1.5])]
    """
    return [(lo, hi) for lo, hi, _ in _bounds_and_status(net, domain, method)]


def classify_neurons(net, domain, method="ibp"):
    """Status of every hidden neuron over the domain.

    Parameters
    ----------
    net, domain, method
        As in :func:`preactivation_bounds`.

    Returns
    -------
    list of ndarray of int8
        Per layer, :data:`ACTIVE` (1, pre-activation ``>= 0`` throughout),
        :data:`DEAD` (0, ``<= 0`` throughout) or :data:`UNSTABLE` (-1, may
        change sign). A neuron whose bound is within a relative ``1e-9`` of
        zero counts as unstable, which keeps the classification sound under
        rounding.

    Examples
    --------
    >>> from polyregions.network import ReLUNetwork
    >>> from polyregions.domain import Ball
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]], [[0.0, -2.0], [0.0]])
    >>> classify_neurons(net, Ball([0.0, 0.0], 1.0))[0].tolist()
    [-1, 0]
    """
    return [st for _, _, st in _bounds_and_status(net, domain, method)]


def local_bound(net, domain, method="ibp") -> LocalBound:
    """Upper bound on the number of activation regions meeting a box or ball.

    A provably valid bound in the spirit of Zhu, Lin & Tang (2020), whose own
    formula could not be checked. See the module docstring for the
    definitions and the proof sketch: stable neurons never switch inside the
    domain, unstable ones cut each region at most as a generic arrangement
    would, and dead ones shrink the dimension and can be pruned.

    Parameters
    ----------
    net : ReLUNetwork
        A plain-ReLU network.
    domain : Box or Ball
        ``Box(c - r, c + r)`` is the l-infinity ball of half-width ``r``
        about ``c``; ``Ball(c, r)`` the Euclidean one.
    method : {"ibp", "lp"}, default "ibp"
        How deeper layers are bounded (layer 1 is exact): interval bound
        propagation, or its tightening by the triangle LP relaxation of the
        unstable ReLUs over the domain's box (for a Ball, its bounding box,
        with ball-exact layer-1 bounds), solved with HiGHS.

    Returns
    -------
    LocalBound

    Raises
    ------
    TypeError
        If ``domain`` is not a Box or a Ball.
    ValueError
        On a dimension mismatch, a leaky-ReLU network or an unknown method.

    Examples
    --------
    >>> from polyregions.constructions import montufar
    >>> from polyregions.domain import Box
    >>> net = montufar(2, [4, 4])
    >>> lb = local_bound(net, Box([0.2, 0.5], [0.4, 0.7]))
    >>> lb.neuron_counts, lb.product, lb.pruned_serra, lb.global_serra, lb.value
    (((1, 2, 1), (4, 0, 0)), 22, 59, 121, 22)
    """
    layers = _bounds_and_status(net, domain, method)
    n0 = net.input_dim
    unstable = tuple(int(np.sum(st == UNSTABLE)) for _, _, st in layers)
    active = tuple(int(np.sum(st == ACTIVE)) for _, _, st in layers)
    dead = tuple(int(np.sum(st == DEAD)) for _, _, st in layers)
    kept = [u + a for u, a in zip(unstable, active)]
    product, d = 1, n0
    for u, m in zip(unstable, kept):
        product *= region_sum(u, d)
        d = min(d, m)
    pruned = serra_upper(n0, kept)
    glob = serra_upper(n0, net.widths)
    return LocalBound(
        unstable=unstable,
        active=active,
        dead=dead,
        product=product,
        pruned_serra=pruned,
        global_serra=glob,
        value=min(product, pruned, glob),
        method=method,
        bounds=tuple((lo.copy(), hi.copy()) for lo, hi, _ in layers),
    )
