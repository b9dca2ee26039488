"""Global bounds on the number of activation regions of ReLU networks.

Every bound here is a function of the architecture only: the input dimension
``n0`` and the hidden widths ``(n_1, ..., n_L)`` (docs/math.md §2–§4). Counts are
exact Python integers computed with :func:`math.comb`. They are built from the
hyperplane-arrangement counts of :mod:`polyregions.arrangements`; the
Hanin–Rolnick expectations along a segment are
:mod:`polyregions.segment_expectations`. Both are re-exported here.

Upper bounds hold for *every* choice of weights, in all of ``R^{n0}`` and
hence in any sub-domain. Lower bounds are statements about the *maximal*
count over all weights of an architecture: some network of that shape has at
least that many regions (:mod:`polyregions.constructions` builds one). They
say nothing about the count of a particular trained network.
:func:`bounds_for` reads every bound that applies to a network into an
:class:`ArchitectureBounds`.

Example
-------
>>> serra_upper(2, [3, 3]), montufar2017_upper(2, [3, 3]), trivial_bound([3, 3])
(40, 49, 64)
>>> montufar2014_lower(2, [4, 4])
44
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np

from ._deprecation import warn_renamed
from ._validation import check_int
from .arrangements import central_count, region_sum, zaslavsky, zaslavsky_bounded
from .segment_expectations import hanin_rolnick_segment_bound, hanin_rolnick_segment_expectation

__all__ = [
    "trivial_bound",
    "zaslavsky",
    "zaslavsky_bounded",
    "central_count",
    "montufar2014_lower",
    "montufar2017_upper",
    "serra_upper",
    "serra_lower",
    "serra_1d_max",
    "arora_serra_construction_count",
    "product_bound",
    "hanin_rolnick_segment_expectation",
    "hanin_rolnick_segment_bound",
    "bounds_for",
    "ArchitectureBounds",
    "region_sum",
    "check_widths",
]


# --------------------------------------------------------------- validation
def check_widths(widths, minimum=0, name="widths"):
    """``widths`` as a tuple of ints ``>= minimum`` (a ``ValueError`` naming the bad entry)."""
    if isinstance(widths, numbers.Number) or isinstance(widths, str):
        raise ValueError(
            f"{name} must be a sequence of hidden-layer widths such as [4, 4]; got {widths!r}."
        )
    try:
        ws = list(widths)
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of hidden-layer widths such as [4, 4]; got {widths!r}."
        ) from None
    if not ws:
        raise ValueError(f"{name} is empty; give at least one hidden layer.")
    return tuple(check_int(w, f"{name}[{l}]", minimum=minimum, integral_float=True)
                 for l, w in enumerate(ws))


def _n0(n0):
    return check_int(n0, "n0 (the input dimension)", minimum=1, integral_float=True)


# ------------------------------------------------------------ upper bounds
def trivial_bound(widths: Sequence[int]) -> int:
    """``2^N``: one region per activation pattern, ``N = sum(widths)``.

    Parameters
    ----------
    widths : sequence of int
        Hidden-layer widths ``(n_1, ..., n_L)``.

    Returns
    -------
    int

    Examples
    --------
    >>> trivial_bound([4, 4])
    256
    """
    return 2 ** sum(check_widths(widths))


def product_bound(n0: int, widths: Sequence[int]) -> int:
    """Product of single-layer maxima ``prod_l sum_{j<=n0} C(n_l, j)``.

    A convenience bound (docs/math.md §3): each layer cuts every region of the
    previous layers into at most as many pieces as a one-layer net with
    ``n_l`` units could. Never tighter than :func:`montufar2017_upper`.

    Parameters
    ----------
    n0 : int
        Input dimension, ``>= 1``.
    widths : sequence of int
        Hidden widths.

    Returns
    -------
    int

    Examples
    --------
    >>> product_bound(2, [1, 5]), product_bound(2, [8, 8, 8])
    (32, 50653)
    """
    n0 = _n0(n0)
    return math.prod(region_sum(n, n0) for n in check_widths(widths))


def montufar2017_upper(n0: int, widths: Sequence[int]) -> int:
    """Montúfar (2017) upper bound ``prod_l sum_{j<=d_l} C(n_l, j)``, ``d_l = min(n0, n_1..n_l)``.

    Valid for every choice of weights (also for leaky ReLU, since it only
    uses that the image of a region never has more dimensions than the
    narrowest layer so far).

    Parameters
    ----------
    n0 : int
        Input dimension, ``>= 1``.
    widths : sequence of int
        Hidden widths.

    Returns
    -------
    int

    Examples
    --------
    >>> montufar2017_upper(2, [1, 5]), montufar2017_upper(2, [3, 3])
    (12, 49)
    """
    d = _n0(n0)
    out = 1
    for n in check_widths(widths):
        d = min(d, n)
        out *= region_sum(n, d)
    return out


def serra_upper(n0: int, widths: Sequence[int], ranks: Sequence[int] | None = None) -> int:
    """Serra, Tjandraatmadja & Ramalingam (2018), Thm 1 upper bound.

    ``sum_{j in J} prod_l C(n_l, j_l)`` with ``J`` the integer vectors with
    ``0 <= j_l <= min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, n_l)``. Here
    ``j_l`` is the number of inactive units of layer ``l``; the active ones
    bound the dimension of every deeper region. Computed by a dynamic program
    over the running dimension cap ``d``: layer ``l`` multiplies by
    ``C(n_l, j)`` and sets ``d <- min(d, n_l - j)``.

    It bounds the maximal number of (activation) regions over all weights in
    all of ``R^{n0}``, for plain ReLU networks (the dimension argument needs
    inactive units to output zero). Tight for one hidden layer and for
    ``n0 = 1`` when every ``n_l >= 3``.

    Parameters
    ----------
    n0 : int
        Input dimension, ``>= 1``.
    widths : sequence of int
        Hidden widths; zero widths are allowed (a layer with no unit
        collapses everything after it to a point).
    ranks : sequence of int, optional
        ``rank(W^l)`` per layer: the rank variant replaces the last term
        ``n_l`` of the ``min`` by ``rank(W^l)`` (Serra et al.'s refinement,
        from Lemma 2: ``N`` hyperplanes whose normals span ``r`` dimensions
        make at most ``sum_{j<=r} C(N, j)`` regions).

    Returns
    -------
    int

    Examples
    --------
    >>> serra_upper(2, [3, 3]), serra_upper(2, [1, 5]), serra_upper(1, [4, 4])
    (40, 7, 25)
    >>> serra_upper(2, [3, 3], ranks=[1, 1])
    16
    """
    n0 = _n0(n0)
    ws = check_widths(widths)
    if ranks is None:
        caps = ws
    else:
        rk = check_widths(ranks, name="ranks")
        if len(rk) != len(ws):
            raise ValueError(f"got {len(rk)} ranks for {len(ws)} layers; pass one rank per layer.")
        for l, (r, n) in enumerate(zip(rk, ws)):
            if r > n:
                raise ValueError(
                    f"ranks[{l}] = {r} exceeds the layer width {n}; a {n}-row matrix has "
                    f"rank at most {n}."
                )
        caps = rk
    # state: dimension cap -> number of weighted index prefixes reaching it
    states = {n0: 1}
    for n, cap in zip(ws, caps):
        nxt: dict[int, int] = {}
        for d, mult in states.items():
            for j in range(min(d, cap) + 1):
                d2 = min(d, n - j)
                nxt[d2] = nxt.get(d2, 0) + mult * math.comb(n, j)
        states = nxt
    return sum(states.values())


# ------------------------------------------------------------ lower bounds
def montufar2014_lower(n0: int, widths: Sequence[int]) -> int:
    """Montúfar, Pascanu, Cho & Bengio (2014) lower bound on the maximal count.

    ``(prod_{l<L} floor(n_l / n0)^n0) * sum_{j<=n0} C(n_L, j)``, valid when
    every ``n_l >= n0``. Some network of this architecture has at least this
    many regions; :func:`polyregions.constructions.montufar` builds one whose
    count in ``[0,1]^n0`` equals it.

    Parameters
    ----------
    n0 : int
        Input dimension, ``>= 1``.
    widths : sequence of int
        Hidden widths, each ``>= n0``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If a width is smaller than ``n0``.

    Examples
    --------
    >>> montufar2014_lower(2, [4, 4]), montufar2014_lower(2, [8, 8, 8])
    (44, 9472)
    """
    n0 = _n0(n0)
    ws = check_widths(widths)
    for l, n in enumerate(ws):
        if n < n0:
            raise ValueError(
                f"the Montufar et al. (2014) bound needs every width >= n0 = {n0}, but layer "
                f"{l + 1} has {n} units; it does not apply to this architecture."
            )
    out = region_sum(ws[-1], n0)
    for n in ws[:-1]:
        out *= (n // n0) ** n0
    return out


def serra_lower(n0: int, widths: Sequence[int]) -> int:
    """Serra et al. (2018), Thm 6 lower bound on the maximal count.

    ``(prod_{l<L} (floor(n_l / n0) + 1)^n0) * sum_{j<=n0} C(n_L, j)``, stated
    for every ``n_l >= 3 n0``. (The construction in
    :func:`polyregions.constructions.serra` only needs the condition on the
    first ``L - 1`` layers; the theorem as stated needs it on all.)

    Parameters
    ----------
    n0 : int
        Input dimension, ``>= 1``.
    widths : sequence of int
        Hidden widths, each ``>= 3 n0``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If a width is smaller than ``3 n0``.

    Examples
    --------
    >>> serra_lower(2, [6, 6]), serra_lower(2, [8, 8, 8]), serra_lower(1, [4, 4])
    (352, 23125, 25)
    """
    n0 = _n0(n0)
    ws = check_widths(widths)
    for l, n in enumerate(ws):
        if n < 3 * n0:
            raise ValueError(
                f"Serra et al.'s Thm 6 needs every width >= 3*n0 = {3 * n0}, but layer {l + 1} "
                f"has {n} units; use montufar2014_lower, which needs only widths >= n0."
            )
    out = region_sum(ws[-1], n0)
    for n in ws[:-1]:
        out *= (n // n0 + 1) ** n0
    return out


def serra_1d_max(widths: Sequence[int]) -> int:
    """Serra et al. (2018), Thm 5: the exact maximal count ``prod_l (n_l + 1)`` for ``n0 = 1``.

    Holds when every ``n_l >= 3``; it then equals :func:`serra_upper` with
    ``n0 = 1``.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths, each ``>= 3``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If a width is below 3 (a width-2 layer cannot fold into 3 pieces).

    Examples
    --------
    >>> serra_1d_max([3, 3, 3]), serra_1d_max([4, 4])
    (64, 25)
    """
    ws = check_widths(widths)
    for l, n in enumerate(ws):
        if n < 3:
            raise ValueError(
                f"Serra et al.'s Thm 5 needs every width >= 3, but layer {l + 1} has {n}; "
                "serra_upper(1, widths) still gives a valid upper bound."
            )
    return math.prod(n + 1 for n in ws)


def arora_serra_construction_count(n0: int, m: int, w: int, L: int) -> int:
    """Serra et al. (2018), Thm 7 (Arora-type) region count.

    A network with ``n0`` inputs and ``L`` hidden layers of *total* size
    ``2m + w(L-1)`` can have ``2 sum_{j<n0} C(m-1, j) * (w+1)^(L-1)``
    regions (Arora et al. 2016 had ``w`` for ``w + 1``).

    Parameters
    ----------
    n0 : int
        Input dimension, ``>= 1``.
    m : int
        ``>= 1``.
    w : int
        ``>= 2``.
    L : int
        Number of hidden layers, ``>= 1``.

    Returns
    -------
    int

    Examples
    --------
    >>> arora_serra_construction_count(2, 3, 3, 3)
    96
    """
    n0 = _n0(n0)
    m = check_int(m, "m", minimum=1, integral_float=True)
    w = check_int(w, "w", minimum=2, integral_float=True)
    L = check_int(L, "L", minimum=1, integral_float=True)
    return 2 * region_sum(m - 1, n0 - 1) * (w + 1) ** (L - 1)


# ------------------------------------------------------------- convenience
@dataclass(frozen=True, eq=False)
class ArchitectureBounds:
    """Every global bound that applies to a network, in two groups (see :func:`bounds_for`).

    Attributes
    ----------
    upper : mapping of str to int
        Upper bounds on *this network's* number of activation regions in
        ``R^n0`` (hence in any domain), read-only.
    lower_on_max : mapping of str to int
        Lower bounds on the *maximal* count over all weights of its
        architecture -- not on this network's count -- read-only; empty when
        none applies.

    Examples
    --------
    >>> b = ArchitectureBounds({"trivial": 64, "serra": 40}, {"montufar2014": 7})
    >>> b.best_upper, b.upper["serra"], b.to_dict()["lower_on_max"]
    (40, 40, {'montufar2014': 7})
    """

    upper: Mapping[str, int]
    lower_on_max: Mapping[str, int]

    def __post_init__(self):
        object.__setattr__(self, "upper", MappingProxyType(dict(self.upper)))
        object.__setattr__(self, "lower_on_max", MappingProxyType(dict(self.lower_on_max)))

    @property
    def best_upper(self) -> int:
        """The smallest (tightest) of the upper bounds."""
        return min(self.upper.values())

    def to_dict(self) -> dict:
        """``{"upper": {...}, "lower_on_max": {...}}``, plain dicts of ints (JSON-ready)."""
        return {"upper": dict(self.upper), "lower_on_max": dict(self.lower_on_max)}

    def __getitem__(self, key):
        """Deprecated: 0.1 returned a dict; ``b["upper"]`` is now ``b.upper``."""
        warn_renamed(f"bounds_for(net)[{key!r}] (0.1 returned a dict)",
                     f"bounds_for(net).{key} or .to_dict()")
        return self.to_dict()[key]

    def __eq__(self, other):
        if isinstance(other, ArchitectureBounds):
            return self.to_dict() == other.to_dict()
        if isinstance(other, dict):
            warn_renamed("comparing bounds_for(net) with a dict (0.1 returned a dict)",
                         "bounds_for(net).to_dict() == {...}")
            return self.to_dict() == other
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return f"ArchitectureBounds(upper={dict(self.upper)}, lower_on_max={dict(self.lower_on_max)})"


def bounds_for(net) -> ArchitectureBounds:
    """Every applicable global bound for a network's architecture.

    Parameters
    ----------
    net : ReLUNetwork
        Anything with ``input_dim``, ``widths`` and ``weights``
        (``negative_slopes`` is read if present).

    Returns
    -------
    ArchitectureBounds
        Two groups, kept apart because they bound different things
        (``.to_dict()`` gives them as plain dicts for JSON).

        ``upper``: upper bounds on *this network's* number of activation
        regions in ``R^n0`` (hence in any domain):

        * ``"trivial"`` – :func:`trivial_bound`;
        * ``"product"`` – :func:`product_bound`;
        * ``"montufar2017"`` – :func:`montufar2017_upper`;
        * ``"serra"`` – :func:`serra_upper` (plain ReLU only);
        * ``"serra_rank"`` – :func:`serra_upper` with the numerical ranks of
          the hidden weight matrices (plain ReLU only).

        ``lower_on_max``: lower bounds on the *maximal* count over all
        weights of this architecture -- not on this network's count -- when
        their assumptions hold:

        * ``"montufar2014"`` – widths ``>= n0``;
        * ``"serra"`` – widths ``>= 3 n0``;
        * ``"serra_1d_max"`` – ``n0 = 1`` and widths ``>= 3`` (exact maximum).

        Entries whose assumptions fail are left out. Serra-type bounds are
        left out for leaky-ReLU networks, whose inactive units still pass a
        signal, so the dimension argument behind them does not apply.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions.network import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([np.ones((3, 2)), np.ones((3, 3)), np.ones((1, 3))],
    ...                                [np.zeros(3), np.zeros(3), np.zeros(1)])
    >>> b = bounds_for(net)
    >>> b.upper["serra"], b.upper["serra_rank"], b.upper["montufar2017"], b.best_upper
    (40, 16, 49, 16)
    >>> b.to_dict()["lower_on_max"]
    {'montufar2014': 7}
    """
    if hasattr(net, "nodes") and hasattr(net, "is_chain"):
        return _general_bounds(net)
    try:
        n0 = int(net.input_dim)
        ws = tuple(int(w) for w in net.widths)
    except AttributeError:
        raise TypeError(
            f"bounds_for needs a ReLUNetwork (or an object with input_dim and widths); got "
            f"{type(net).__name__}. For plain numbers call e.g. serra_upper(n0, widths)."
        ) from None
    if not ws:
        raise ValueError("the network has no hidden layer; it is affine and has one region.")
    leaky = any(float(s) != 0.0 for s in getattr(net, "negative_slopes", ()))
    upper = {
        "trivial": trivial_bound(ws),
        "product": product_bound(n0, ws),
        "montufar2017": montufar2017_upper(n0, ws),
    }
    lower = {}
    if not leaky:
        upper["serra"] = serra_upper(n0, ws)
        ranks = [int(np.linalg.matrix_rank(np.asarray(W))) for W in net.weights[: len(ws)]]
        upper["serra_rank"] = serra_upper(n0, ws, ranks=ranks)
        if all(n >= n0 for n in ws):
            lower["montufar2014"] = montufar2014_lower(n0, ws)
        if all(n >= 3 * n0 for n in ws):
            lower["serra"] = serra_lower(n0, ws)
        if n0 == 1 and all(n >= 3 for n in ws):
            lower["serra_1d_max"] = serra_1d_max(ws)
    return ArchitectureBounds(upper, lower)


def _general_bounds(net) -> ArchitectureBounds:
    """:func:`bounds_for` of a :class:`~polyregions.plnetwork.PLNetwork`.

    A chain of affine layers and ReLUs (convolutions, pooling, batch norm) has
    the bounds of its dense equivalent, computed on it. With a residual
    addition or a max-pool only two upper bounds stay valid:

    * ``"trivial"``: the number of patterns (``2`` per ReLU unit, the number
      of real positions per max-pool window);
    * ``"product"``: on a region of the earlier activation layers every later
      quantity is affine in the ``n0`` inputs, so a ReLU layer of ``n`` units
      cuts it into at most ``sum_{j<=n0} C(n, j)`` pieces, and a max-pool
      layer into at most the cells of its ``H = sum_w C(k_w, 2)`` comparison
      hyperplanes, ``sum_{j<=n0} C(H, j)``, and at most ``prod_w k_w``.

    Montufar's and Serra's bounds and every lower bound on the maximum are
    left out: a skip connection passes the input past inactive units and a
    max-pool is not a layer of hyperplanes, which breaks the dimension
    arguments behind them.
    """
    if net.is_chain():
        if not net.widths:
            raise ValueError("the network has no hidden layer; it is affine and has one region.")
        return bounds_for(net.to_relu_network())
    n0 = int(net.input_dim)
    trivial, product = 1, 1
    for n, w in zip(net.activation_nodes(), net.widths):
        if n.op == "relu":
            trivial *= 2 ** w
            product *= region_sum(w, n0)
        else:
            ks = n.params["valid"].sum(axis=1).astype(int)
            patterns = math.prod(int(k) for k in ks)
            trivial *= patterns
            hyperplanes = int(sum(k * (k - 1) // 2 for k in ks))
            product *= min(patterns, region_sum(hyperplanes, n0))
    return ArchitectureBounds({"trivial": trivial, "product": product}, {})
