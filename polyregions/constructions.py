"""Networks whose exact number of activation regions is known in closed form.

These are the lower-bound constructions of Montúfar et al. (2014) and Serra
et al. (2018) in the normalised form of docs/math.md §4.2. Every hidden layer but
the last *folds* the unit cube ``[0,1]^n0`` onto itself coordinate by
coordinate with a zig-zag ``g``; the last layer is an arrangement of
hyperplanes in general position whose vertices all lie strictly inside the
cube. Counting then factorises: each fold cell contributes one copy of the
arrangement.

The fold's read-out ``u = C h + kappa`` is not a layer of its own: it is
absorbed into the next layer's weights, ``W^{l+1} = A^{l+1} C`` and
``b^{l+1} = A^{l+1} kappa + a^{l+1}``, so the networks have exactly the
advertised widths. The output layer is the sum of the last hidden layer.

The counts hold **in the unit cube** ``[0,1]^n0`` (activation regions with
non-empty interior there); in all of ``R^n0`` the Montúfar networks have
more regions (docs/math.md §4.2, §10.4).

Example
-------
>>> net = montufar(2, [4, 4])
>>> net.widths, construction_count("montufar", 2, [4, 4])
((4, 4), 44)
>>> construction_count("serra", 1, [3, 3])
16
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_choice, check_int
from .bounds import check_widths, region_sum
from .network import ReLUNetwork

__all__ = ["montufar", "serra", "zigzag_1d", "construction_count"]

# Vertices of the last layer's arrangement are kept within this sup-distance of
# the cube's centre, well inside the open cube.
_VERTEX_RADIUS = 0.45


# ------------------------------------------------------------------ folds
def _fold(p, kind):
    """One coordinate's zig-zag: ``g(t) = kappa + sum_k c_k relu(A_k t + a_k)``.

    ``g`` maps ``[0,1]`` onto itself piecewise linearly, every piece onto all
    of ``[0,1]``, and each piece has its own activation pattern.
    """
    if kind == "montufar":
        # p pieces of slope +-p; unit 0 is active on the whole open interval.
        A = np.full(p, float(p))
        a = 0.0 - np.arange(p, dtype=np.float64)  # 0.0 - x avoids a -0.0 bias
        c = np.array([1.0] + [2.0 * (-1) ** k for k in range(1, p)])
        return A, a, c, 0.0
    if kind == "serra":
        # p + 1 pieces from p units. The first piece needs a unit that is on
        # there, so one or two units are "left-active" relu(tau - t); slopes
        # are chosen so that their read-out coefficients give that slope.
        if p % 2 == 1:
            s = [2.0] + [float((-1) ** k) for k in range(1, p + 1)]
            left = {p}
        else:
            s = [1.0] + [float((-1) ** k) for k in range(1, p - 2)] + [2.0, -1.0, 1.0]
            left = {p - 1, p}
        s = np.array(s)
        lengths = 1.0 / np.abs(s)  # each piece rises or falls by exactly 1
        scale = float(lengths.sum())  # = p + 1/2: rescale the pieces to [0, 1]
        tau = np.cumsum(lengths)[:-1]  # breakpoints before rescaling, k = 1..p
        d = np.diff(s)  # slope change at each breakpoint = read-out coefficient
        is_left = np.array([k in left for k in range(1, p + 1)])
        A = np.where(is_left, -scale, scale)
        a = np.where(is_left, tau, -tau)
        kappa = -float(np.sum(d[is_left] * tau[is_left]))  # makes g(0) = 0
        return A, a, d, kappa
    raise ValueError(f"kind must be 'montufar' or 'serra'; got {kind!r}.")


def _fold_layer(n0, width, p, kind):
    """A folding layer on ``u`` in ``[0,1]^n0`` and its read-out ``(C, kappa)``."""
    A1, a1, c1, k1 = _fold(p, kind)
    A = np.zeros((width, n0))
    a = np.full(width, -1.0)  # left-over units: zero weights, bias -1, never on
    C = np.zeros((n0, width))
    for i in range(n0):
        rows = slice(i * p, (i + 1) * p)
        A[rows, i] = A1
        a[rows] = a1
        C[i, rows] = c1
    return A, a, C, np.full(n0, k1)


# ------------------------------------------------------------ last layers
def _last_layer(n0, n):
    """``n`` units relu(A u + a) in general position, all vertices inside the open cube."""
    if n0 == 1:
        return np.ones((n, 1)), -np.arange(1, n + 1) / (n + 1)
    if n0 == 2:
        # Tangents to a circle about the centre: never three through a point,
        # never parallel, and two tangents meet within r / sin(pi/(2n)) = 0.45.
        theta = (np.arange(n) + 0.5) * np.pi / n
        r = _VERTEX_RADIUS * math.sin(math.pi / (2 * n))
        A = np.column_stack([np.cos(theta), np.sin(theta)])
        return A, -(A @ np.full(2, 0.5) + r)
    return _osculating_hyperplanes(n0, n)


def _osculating_hyperplanes(d, n):
    """Osculating hyperplanes of the moment curve, mapped into the cube.

    Identify ``x`` in ``R^d`` with the monic polynomial
    ``P_x(t) = t^d + sum_k (-1)^k C(d,k) x_k t^(d-k)`` and let ``H_s`` be
    ``{x : P_x(s) = 0}``, an affine hyperplane. For distinct ``s_1..s_d`` the
    hyperplanes meet in the single point with ``P_x = prod (t - s_i)``, i.e.
    ``x_k = e_k(s) / C(d,k)`` (normalised elementary symmetric polynomials),
    and no further ``H_s`` passes through it because a degree-d polynomial
    has only those d roots: general position, for every ``n``. With every
    ``s`` in ``[-1,1]`` each ``|x_k| <= 1``, so ``u = 0.5 + 0.45 x`` puts all
    vertices in ``[0.05, 0.95]^d``. With ``n < d`` the common flat still
    contains such points (add parameters), so all ``2^n`` cells meet the cube.
    """
    s = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    k = np.arange(1, d + 1)
    sign_binom = np.array([(-1) ** int(j) * math.comb(d, int(j)) for j in k], dtype=np.float64)
    Nx = sign_binom[None, :] * s[:, None] ** (d - k)[None, :]  # normal of H_s in x
    cx = s**d
    # x = (u - 0.5) / 0.45, so H_s in u: (Nx / 0.45) u + cx - Nx . 0.5 / 0.45 = 0
    A = Nx / _VERTEX_RADIUS
    a = cx - A @ np.full(d, 0.5)
    # Normalise rows: the arrangement is unchanged and the weights stay O(1).
    nrm = np.linalg.norm(A, axis=1)
    return A / nrm[:, None], a / nrm


# -------------------------------------------------------------- assembly
def _check(kind, n0, widths):
    n0 = check_int(n0, "n0 (the input dimension)", minimum=1, integral_float=True)
    ws = check_widths(widths, minimum=1)
    if kind == "montufar":
        for l, w in enumerate(ws):
            if w < n0:
                raise ValueError(
                    f"the Montufar construction needs every width >= n0 = {n0} (one unit per "
                    f"input coordinate at least), but layer {l + 1} has {w}."
                )
    elif kind == "serra":
        for l, w in enumerate(ws[:-1]):
            if w // n0 < 3:
                raise ValueError(
                    f"the Serra construction needs at least 3 units per input coordinate in "
                    f"every folding layer (width >= 3*n0 = {3 * n0}), but layer {l + 1} has "
                    f"{w}; use montufar(), which needs only width >= n0, or widen the layer."
                )
    else:
        check_choice(kind, "kind", ("montufar", "serra"))
    return n0, ws


def construction_count(kind, n0, widths) -> int:
    """Exact activation-region count in ``[0,1]^n0`` of :func:`montufar` / :func:`serra`.

    * ``"montufar"``: ``prod_{l<L} floor(n_l/n0)^n0 * sum_{j<=n0} C(n_L, j)``;
    * ``"serra"``: ``prod_{l<L} (floor(n_l/n0) + 1)^n0 * sum_{j<=n0} C(n_L, j)``.

    Parameters
    ----------
    kind : {"montufar", "serra"}
    n0 : int
    widths : sequence of int

    Returns
    -------
    int

    Examples
    --------
    >>> construction_count("serra", 2, [6, 4]), construction_count("montufar", 1, [2, 2, 2])
    (176, 12)
    """
    n0, ws = _check(kind, n0, widths)
    extra = 0 if kind == "montufar" else 1
    out = region_sum(ws[-1], n0)
    for w in ws[:-1]:
        out *= (w // n0 + extra) ** n0
    return out


def _build(kind, n0, widths):
    n0, ws = _check(kind, n0, widths)
    weights, biases = [], []
    readout = None  # (C, kappa) of the previous folding layer, or None for the input
    for l, w in enumerate(ws):
        if l < len(ws) - 1:
            A, a, C, kappa = _fold_layer(n0, w, w // n0, kind)
        else:
            A, a = _last_layer(n0, w)
            C = kappa = None
        if readout is None:
            weights.append(A)
            biases.append(a)
        else:
            Cp, kp = readout
            weights.append(A @ Cp)
            biases.append(A @ kp + a)
        readout = (C, kappa)
    weights.append(np.ones((1, ws[-1])))
    biases.append(np.zeros(1))
    return ReLUNetwork.from_weights(weights, biases)


def montufar(n0, widths) -> ReLUNetwork:
    """Montúfar-type zig-zag network with a known number of regions in the unit cube.

    Each folding layer has ``p = floor(n_l/n0)`` units ``relu(p t_i - k)``,
    ``k = 0..p-1``, per input coordinate ``t_i``, read out as
    ``g = relu(p t) - 2 relu(p t - 1) + 2 relu(p t - 2) - ...``; ``g`` maps
    each ``[k/p, (k+1)/p]`` onto ``[0,1]``. Left-over units have zero
    weights and bias ``-1``. The last layer is a general-position
    arrangement with every vertex strictly inside the cube: thresholds
    ``k/(n_L+1)`` for ``n0 = 1``, tangents to a circle for ``n0 = 2`` (docs/math.md
    §4.2), and for ``n0 >= 3`` osculating hyperplanes of the moment curve
    (general position for any width; see ``_osculating_hyperplanes``). For
    wide last layers with ``n0 >= 3`` the smallest cells get thin (their
    size shrinks roughly like ``(2/n_L)^n0``), which matters to samplers,
    not to the count.

    The number of activation regions meeting the open cube ``(0,1)^n0`` is
    exactly ``prod_{l<L} floor(n_l/n0)^n0 * sum_{j<=n0} C(n_L, j)``
    (:func:`polyregions.bounds.montufar2014_lower`). Outside the cube there
    are more.

    Parameters
    ----------
    n0 : int
        Input dimension, ``>= 1``.
    widths : sequence of int
        Hidden widths, each ``>= n0``.
    Returns
    -------
    ReLUNetwork
        With one output, the sum of the last hidden layer.

    Raises
    ------
    ValueError
        If a width is below ``n0``.

    Examples
    --------
    >>> net = montufar(2, [4, 4])
    >>> net.weights[0].tolist(), net.biases[0].tolist()
    ([[2.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, 2.0]], [0.0, -1.0, 0.0, -1.0])
    """
    return _build("montufar", n0, widths)


def serra(n0, widths) -> ReLUNetwork:
    """Serra-type zig-zag network with a known number of regions in the unit cube.

    Each folding layer has ``p = floor(n_l/n0) >= 3`` units per input
    coordinate that cut ``[0,1]`` into ``p + 1`` pieces, each mapped onto
    ``[0,1]``; one or two units are "left-active" ``relu(tau - t)`` so that
    the first piece is not flat (docs/math.md §4.2(b); ``p = 2`` is impossible). The
    last layer is as in :func:`montufar` and may have any width.

    The number of activation regions meeting the open cube ``(0,1)^n0`` is
    exactly ``prod_{l<L} (floor(n_l/n0) + 1)^n0 * sum_{j<=n0} C(n_L, j)``
    (Serra et al. 2018, Thm 6, which states it for all ``n_l >= 3 n0``). For
    ``n0 = 1`` and all widths ``>= 3`` this is ``prod (n_l + 1)``, the global
    maximum (Thm 5).

    Parameters
    ----------
    n0 : int
        Input dimension, ``>= 1``.
    widths : sequence of int
        Hidden widths: ``>= 3 n0`` for every layer but the last, ``>= 1``
        for the last.
    Returns
    -------
    ReLUNetwork
        With one output, the sum of the last hidden layer.

    Raises
    ------
    ValueError
        If a folding layer has fewer than ``3 n0`` units.

    Examples
    --------
    >>> net = serra(1, [3, 3])
    >>> net.weights[1].tolist(), net.biases[1].tolist()
    ([[-3.0, 2.0, -2.0], [-3.0, 2.0, -2.0], [-3.0, 2.0, -2.0]], [4.75, 4.5, 4.25])
    """
    return _build("serra", n0, widths)


def zigzag_1d(p, kind="serra") -> ReLUNetwork:
    """One fold as a network ``R -> R``: ``p`` hidden units, output the zig-zag ``g``.

    ``g`` maps ``[0,1]`` onto ``[0,1]`` in ``p`` pieces (``kind="montufar"``)
    or ``p + 1`` pieces (``kind="serra"``, ``p >= 3``), each piece onto the
    whole interval; that is also the number of activation regions in
    ``[0,1]``.

    Parameters
    ----------
    p : int
        Number of hidden units.
    kind : {"serra", "montufar"}

    Returns
    -------
    ReLUNetwork

    Examples
    --------
    >>> g = zigzag_1d(3, "serra")
    >>> g.forward([[0.0], [1 / 7], [3 / 7], [5 / 7], [1.0]]).ravel().round(12).tolist()
    [0.0, 1.0, 0.0, 1.0, 0.0]
    """
    check_choice(kind, "kind", ("montufar", "serra"))
    p = check_int(p, "p", minimum=3 if kind == "serra" else 1, integral_float=True)
    A, a, c, kappa = _fold(p, kind)
    return ReLUNetwork.from_weights([A[:, None], c[None, :]], [a, np.array([kappa])])
