"""Scale-free copies of a network for the exact engine.

ReLU and leaky ReLU are positively homogeneous: ``act(c z) = c act(z)`` for
``c > 0``. Dividing a hidden neuron's row ``[W_i | b_i]`` by ``c`` and
multiplying column ``i`` of the next layer by ``c`` therefore changes no
activation pattern and no region. :func:`balanced_network` uses this to give
every hidden neuron a row of unit norm, so the engine sees the same numbers
whether a layer was trained at scale ``1e-8`` or ``1e8`` (or every array was
multiplied by ``1e300``).

The factors are carried as mantissa/exponent pairs (``np.frexp``), so nothing
overflows or underflows on the way even when the products of the layers'
scales leave float64's range. The output layer does not shape the regions and
is replaced by zeros.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork
>>> net = ReLUNetwork.from_weights([[[3e200, 4e200]], [[1e-200]]], [[0.0], [0.0]])
>>> bal = balanced_network(net)
>>> np.round(bal.weights[0], 12).tolist(), bal.biases[0].tolist()
([[0.6, 0.8]], [0.0])
"""

from __future__ import annotations

import numpy as np

from .network import ReLUNetwork

__all__ = ["balanced_network", "first_layer_offset_scale", "first_layer_spread"]

_NO_EXPONENT = np.iinfo(np.int64).min // 4


def _balanced_rows(W, b, fm, fe):
    """Unit-norm rows of ``[W * f | b]`` with ``f = fm * 2**fe`` per column, and their norms.

    Returns ``(W_unit, b_unit, norm_mantissa, norm_exponent)``; a row that is
    all zero stays zero with norm 0.
    """
    n, m = W.shape
    A = np.empty((n, m + 1))
    A[:, :m] = W
    A[:, m] = b
    mp, ep = np.frexp(A)
    mp[:, :m] *= fm  # in (-1, 1): products of two mantissas (the bias column's factor is 1)
    ep = ep.astype(np.int64)
    ep[:, :m] += fe
    # largest exponent of each row over its non-zero entries
    E = np.maximum.reduce(np.where(mp != 0, ep, _NO_EXPONENT), axis=1, initial=_NO_EXPONENT)
    zero = E == _NO_EXPONENT
    E[zero] = 0
    # shifted entries are at most 1 in magnitude; tiny ones underflow to 0 harmlessly
    # (they are below float64's resolution relative to the row's largest entry)
    ep -= E[:, None]
    np.maximum(ep, -2000, out=ep)
    np.minimum(ep, 10, out=ep)
    Ar = np.ldexp(mp, ep.astype(np.int32))
    Wr = np.ascontiguousarray(Ar[:, :m])
    br = Ar[:, m]
    nrm = np.sqrt(np.einsum("ij,ij->i", Wr, Wr) + br * br)
    safe = np.where(zero, 1.0, nrm)
    Wr /= safe[:, None]
    br = br / safe
    nm, ne = np.frexp(np.where(zero, 0.0, nrm))
    ne = ne.astype(np.int64)
    ne += E
    ne[zero] = 0
    return Wr, br, nm, ne


def _network(Ws, bs, slopes):
    """A :class:`ReLUNetwork` of arrays made here (finite, consistent shapes: not re-checked)."""
    for a in (*Ws, *bs):
        a.setflags(write=False)
    return ReLUNetwork(tuple(Ws), tuple(bs), tuple(slopes))


def balanced_network(net):
    """A copy of ``net`` with the same activation patterns and unit-norm hidden rows.

    Each hidden neuron's row ``[W_i | b_i]`` (after the previous layer's
    factors are pushed into it) is scaled to unit Euclidean norm; its factor
    goes into column ``i`` of the next layer. All-zero rows (dead neurons)
    stay zero. The output layer is zero (it does not affect the regions).

    Parameters
    ----------
    net : ReLUNetwork

    Returns
    -------
    ReLUNetwork
        Same widths, input dimension and negative slopes.
    """
    fm = np.ones(net.input_dim)
    fe = np.zeros(net.input_dim, dtype=np.int64)
    Ws, bs = [], []
    for W, b in zip(net.weights[:-1], net.biases[:-1]):
        Wr, br, fm, fe = _balanced_rows(np.asarray(W), np.asarray(b), fm, fe)
        Ws.append(Wr)
        bs.append(br)
    Ws.append(np.zeros((1, net.weights[-1].shape[1])))
    bs.append(np.zeros(1))
    return _network(Ws, bs, net.negative_slopes)


def _first_layer_hyperplanes(net, input_map=None):
    """The first layer's hyperplanes ``U x + c = 0`` with unit normals (zero rows left out)."""
    W, b = np.asarray(net.weights[0]), np.asarray(net.biases[0])
    if input_map is not None:
        M, m = input_map
        W, b = W @ M, W @ m + b
    norms = np.sqrt(np.einsum("ij,ij->i", W, W))
    ok = norms > 0
    return W[ok] / norms[ok, None], b[ok] / norms[ok]


def first_layer_offset_scale(net, input_map=None):
    """Root-mean-square distance from the origin to the first layer's hyperplanes.

    A length intrinsic to the network (not to a domain): hyperplane offsets
    computed deeper in the network carry rounding errors of about float64's
    epsilon times this length. ``0.0`` if every first-layer hyperplane passes
    through the origin or the layer is all zero.

    >>> import numpy as np
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0], [0.0, 2.0]], [[1.0, 1.0]]], [[3.0, 8.0], [0.0]])
    >>> round(first_layer_offset_scale(net), 12)   # distances 3 and 4
    3.535533905933
    """
    U, c = _first_layer_hyperplanes(net, input_map)
    d = np.abs(c[np.isfinite(c)])
    return float(np.sqrt(np.mean(d * d))) if d.size else 0.0


def first_layer_spread(net, input_map=None):
    """Size of the first layer's arrangement: RMS distance of its hyperplanes from their nearest common point.

    The least-squares point ``x*`` nearest to all first-layer hyperplanes is
    where the arrangement lives, and the root-mean-square distance from
    ``x*`` to them is its size, whatever its distance from the origin (a net
    translated by ``1e6`` or squeezed into ``1e-12`` keeps its spread
    relative to its structure). ``0.0`` when every hyperplane passes through
    one point.

    >>> import numpy as np
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 1.0]]], [[-1e6, -1e6 - 2], [0.0]])
    >>> round(first_layer_spread(net), 9)   # the lines x = 1e6 and x = 1e6 + 2
    1.0
    """
    U, c = _first_layer_hyperplanes(net, input_map)
    if not len(c):
        return 0.0
    x = np.linalg.lstsq(U, -c, rcond=None)[0]
    res = U @ x + c
    return float(np.sqrt(np.mean(res * res)))
