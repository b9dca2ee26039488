"""General piecewise-linear networks: a DAG of affine maps and PL activations.

A :class:`PLNetwork` is a list of nodes in topological order. Affine nodes
(dense, convolution, average pooling, per-channel scale and shift -- batch
norm folded --, constant shift, reshape, addition of branches) and
activation nodes (ReLU / leaky ReLU, max-pooling) may be wired as any DAG,
so residual blocks ``x + f(x)`` are plain additions.

**Patterns.** Every activation node is one "layer" of the pattern, in
topological order, so a neuron depends only on layers before its own:

* a ReLU neuron has one bit, ``1[z > 0]``, as in :class:`ReLUNetwork`;
* a max-pool window of ``k`` inputs has ``k`` bits holding the position
  ``c`` of its argmax in *thermometer* code: bits ``0..c`` set, the others
  clear. Ties go to the first position (as ``numpy.argmax``), so every input
  has exactly one pattern. Bit ``j`` is the sign of an affine quantity:
  ``z_c - z_j`` for ``j < c`` (set: ``c`` beats ``j`` strictly), ``z_j - z_c``
  for ``j > c`` (clear: ``j`` does not beat ``c``), a constant ``+1`` for
  ``j = c`` and ``-1`` for padding positions. With this coding a region is
  still ``{sign_i(s) q_i(x) >= 0}`` with the same rows and constant-neuron
  rules as for ReLU, so the engine's region algebra is unchanged; only the
  pattern across a facet differs (the argmax moves, several bits change), for
  which the engine asks :meth:`PLNetwork.settle` and :attr:`PLNetwork.flippable`.

A region of a max-pool net is therefore the set of inputs with the same ReLU
signs and the same argmax in every pool window; on it the network is affine.

The module runs past 600 lines on purpose: :class:`GraphBuilder` (one checked
method per layer kind) and :class:`PLNetwork` share the node format and are
one public concept (``polyregions.plnetwork.GraphBuilder`` builds what the
engine runs); the layer matrices (convolution, pooling) already live in
:mod:`polyregions._layers`, and what remains is the network's pattern
algebra, which splitting would scatter across modules that import each other.

Example
-------
>>> import numpy as np
>>> b = GraphBuilder((1, 2, 2))
>>> y = b.max_pool(b.input, kernel=2)
>>> net = b.build(b.dense(b.reshape(y, (1,)), [[1.0]], [0.0]))
>>> net.widths, net.forward(np.array([[1.0, 4.0, 2.0, 3.0]])).tolist()
((4,), [[4.0]])
>>> net.activation_patterns(np.array([[1.0, 4.0, 2.0, 3.0]])).astype(int).tolist()
[[1, 1, 0, 0]]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from . import _layers
from ._validation import check_array, check_int, check_pattern, check_points
from .network import ReLUNetwork

__all__ = ["PLNetwork", "GraphBuilder", "Node"]

_AFFINE = ("dense", "conv", "pool", "scale", "shift", "reshape", "add")
_ACTIVATIONS = ("relu", "maxpool")


def _ro(a, name):
    return check_array(a, name)


@dataclass(frozen=True, eq=False)
class Node:
    """One node: ``op`` applied to the outputs of ``inputs`` (node indices).

    ``shape`` is the output shape of one example (no batch axis); ``name``
    says where the node came from (a torch module path or an ONNX node), for
    error messages; ``params`` holds the read-only parameters of ``op``.
    """

    op: str
    inputs: tuple
    shape: tuple
    params: dict
    name: str = ""

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


def _tuple(v, nd, name):
    t = (int(v),) * nd if np.ndim(v) == 0 else tuple(int(x) for x in v)
    if len(t) != nd or any(x < 0 for x in t):
        raise ValueError(f"{name} must be a non-negative int or {nd} of them; got {v!r}.")
    return t


def _pads(padding, nd):
    """Padding as one ``(begin, end)`` pair per spatial axis."""
    if np.ndim(padding) == 0:
        return tuple((int(padding), int(padding)) for _ in range(nd))
    p = [int(x) for x in np.ravel(padding)]
    if len(p) == nd:
        return tuple((x, x) for x in p)
    if len(p) == 2 * nd:  # ONNX order: all begins, then all ends
        return tuple((p[i], p[nd + i]) for i in range(nd))
    raise ValueError(f"padding {padding!r} does not fit {nd} spatial axes.")


class GraphBuilder:
    """Builds a :class:`PLNetwork` node by node; each method returns the new node's index.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one input without the batch axis, e.g. ``(1, 28, 28)``.

    >>> b = GraphBuilder((3,))
    >>> h = b.relu(b.dense(b.input, np.eye(3), np.zeros(3)))
    >>> b.build(b.add(h, b.input)).widths
    (3,)
    """

    def __init__(self, input_shape, name="input"):
        shape = tuple(check_int(s, f"input_shape[{i}]", integral_float=True)
                      for i, s in enumerate(np.atleast_1d(input_shape)))
        if not shape:
            raise ValueError(f"input_shape must be positive integers; got {input_shape!r}.")
        self.nodes = [Node("input", (), shape, {}, name)]
        self.input = 0

    def shape(self, i):
        return self.nodes[i].shape

    def _add(self, op, inputs, shape, params, name):
        for i in inputs:
            if not (0 <= int(i) < len(self.nodes)):
                raise ValueError(f"node {name!r}: input {i} is not a node built before it.")
        self.nodes.append(Node(op, tuple(int(i) for i in inputs), tuple(int(s) for s in shape),
                               params, name))
        return len(self.nodes) - 1

    # ------------------------------------------------------------ affine
    def dense(self, x, weight, bias=None, name="dense"):
        """``z = weight @ x + bias`` along the last axis (torch ``Linear`` / ``MatMul``)."""
        W = _ro(weight, f"{name}: weight")
        if W.ndim != 2:
            raise ValueError(f"{name}: weight must be 2-D (out, in); got shape {W.shape}.")
        sh = self.shape(x)
        if sh[-1] != W.shape[1]:
            raise ValueError(
                f"{name}: weight expects {W.shape[1]} inputs but its input has shape {sh} "
                f"(last axis {sh[-1]})."
            )
        b = _ro(np.zeros(W.shape[0]) if bias is None else bias, f"{name}: bias")
        if b.shape != (W.shape[0],):
            raise ValueError(f"{name}: bias has shape {b.shape}; expected ({W.shape[0]},).")
        return self._add("dense", [x], sh[:-1] + (W.shape[0],), {"W": W, "b": b}, name)

    def conv(self, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, name="conv"):
        """Convolution (cross-correlation) of a ``(C, *S)`` input, 1-D or 2-D (or more)."""
        Wt = _ro(weight, f"{name}: weight")
        sh = self.shape(x)
        nd = Wt.ndim - 2
        if nd < 1 or len(sh) != nd + 1:
            raise ValueError(
                f"{name}: a {Wt.ndim}-D kernel needs a {nd + 1}-D (C, ...) input; got shape {sh}."
            )
        groups = int(groups)
        if sh[0] != Wt.shape[1] * groups or Wt.shape[0] % groups:
            raise ValueError(
                f"{name}: the kernel {Wt.shape} with groups={groups} does not fit {sh[0]} input channels."
            )
        stride = _tuple(stride, nd, f"{name}: stride")
        dilation = _tuple(dilation, nd, f"{name}: dilation")
        pads = _pads(padding, nd)
        out = _layers.conv_output_shape(sh, Wt, stride, pads, dilation)
        b = _ro(np.zeros(Wt.shape[0]) if bias is None else bias, f"{name}: bias")
        if b.shape != (Wt.shape[0],):
            raise ValueError(f"{name}: bias has shape {b.shape}; expected ({Wt.shape[0]},).")
        return self._add("conv", [x], out, {"W": Wt, "b": b, "stride": stride, "pads": pads,
                                            "dilation": dilation, "groups": groups}, name)

    def _pool_window(self, x, kernel, stride, name):
        """A pooling layer's input shape, its spatial rank and the checked kernel and stride."""
        sh = self.shape(x)
        nd = len(sh) - 1
        if nd < 1:
            raise ValueError(f"{name}: pooling needs a (C, ...) input; got shape {sh}.")
        kernel = _tuple(kernel, nd, f"{name}: kernel")
        stride = kernel if stride is None else _tuple(stride, nd, f"{name}: stride")
        return sh, nd, kernel, stride

    def avg_pool(self, x, kernel, stride=None, padding=0, count_include_pad=True, name="avg_pool"):
        """Average pooling over the spatial axes of a ``(C, *S)`` input (floor mode)."""
        sh, nd, kernel, stride = self._pool_window(x, kernel, stride, name)
        pads = _pads(padding, nd)
        mats = [_ro(_layers.avg_pool_matrix(sh[1 + i], kernel[i], stride[i], pads[i],
                                            count_include_pad), f"{name}: pool")
                for i in range(nd)]
        return self._pool(x, mats, name)

    def adaptive_avg_pool(self, x, output_size, name="adaptive_avg_pool"):
        """torch's ``AdaptiveAvgPool1d/2d`` for this (fixed) input size."""
        sh = self.shape(x)
        nd = len(sh) - 1
        out = [sh[1 + i] if o is None else o for i, o in
               enumerate((output_size,) * nd if np.ndim(output_size) == 0 else output_size)]
        mats = [_ro(_layers.adaptive_avg_pool_matrix(sh[1 + i], int(out[i])), f"{name}: pool")
                for i in range(nd)]
        return self._pool(x, mats, name)

    def _pool(self, x, mats, name):
        sh = self.shape(x)
        out = (sh[0],) + tuple(M.shape[0] for M in mats)
        return self._add("pool", [x], out, {"mats": tuple(mats)}, name)

    def scale_shift(self, x, scale, shift, name="scale"):
        """``z = scale * x + shift`` per channel (axis 0): batch norm in eval mode, folded."""
        sh = self.shape(x)
        s = _ro(np.ravel(scale), f"{name}: scale")
        t = _ro(np.ravel(shift), f"{name}: shift")
        if s.shape != (sh[0],) or t.shape != (sh[0],):
            raise ValueError(f"{name}: scale/shift need {sh[0]} entries (one per channel).")
        bshape = (sh[0],) + (1,) * (len(sh) - 1)
        return self._add("scale", [x], sh, {"scale": s.reshape(bshape), "shift": t.reshape(bshape)},
                         name)

    def batch_norm(self, x, mean, var, eps=1e-5, weight=None, bias=None, name="batch_norm"):
        """Eval-mode batch norm ``(x - mean) / sqrt(var + eps) * weight + bias``, folded."""
        mean = np.asarray(mean, dtype=np.float64)
        s = 1.0 / np.sqrt(np.asarray(var, dtype=np.float64) + float(eps))
        if weight is not None:
            s = s * np.asarray(weight, dtype=np.float64)
        t = -mean * s + (0.0 if bias is None else np.asarray(bias, dtype=np.float64))
        return self.scale_shift(x, s, t, name)

    def shift(self, x, constant, name="shift"):
        """``z = x + constant`` (broadcast to the input's shape)."""
        sh = self.shape(x)
        try:
            c = np.broadcast_to(np.asarray(constant, dtype=np.float64), sh)
        except ValueError:
            raise ValueError(f"{name}: a constant of shape {np.shape(constant)} does not broadcast "
                             f"to {sh}.") from None
        return self._add("shift", [x], sh, {"c": _ro(c, f"{name}: constant")}, name)

    def reshape(self, x, shape, name="reshape"):
        """New shape, same row-major order (``Flatten``, ``Reshape``, ``view``)."""
        sh = self.shape(x)
        shape = tuple(int(s) for s in shape)
        if -1 in shape:
            known = int(np.prod([s for s in shape if s != -1]))
            shape = tuple(int(np.prod(sh)) // max(known, 1) if s == -1 else s for s in shape)
        if int(np.prod(shape)) != int(np.prod(sh)):
            raise ValueError(f"{name}: cannot reshape {sh} into {shape}.")
        return self._add("reshape", [x], shape, {}, name)

    def add(self, x, y, name="add"):
        """Sum of two branches of the same shape (a residual connection)."""
        if self.shape(x) != self.shape(y):
            raise ValueError(f"{name}: cannot add shapes {self.shape(x)} and {self.shape(y)}.")
        return self._add("add", [x, y], self.shape(x), {}, name)

    # -------------------------------------------------------- activations
    def relu(self, x, negative_slope=0.0, name="relu"):
        """ReLU (``negative_slope=0``) or leaky ReLU, elementwise."""
        a = float(negative_slope)
        if not np.isfinite(a) or a == 1.0:
            raise ValueError(f"{name}: negative_slope={a} must be finite and different from 1.")
        return self._add("relu", [x], self.shape(x), {"alpha": a}, name)

    def max_pool(self, x, kernel, stride=None, padding=0, dilation=1, name="max_pool"):
        """Max pooling over the spatial axes of a ``(C, *S)`` input (floor mode)."""
        sh, nd, kernel, stride = self._pool_window(x, kernel, stride, name)
        dilation = _tuple(dilation, nd, f"{name}: dilation")
        idx, valid, out = _layers.max_pool_windows(sh, kernel, stride, _pads(padding, nd), dilation)
        idx.setflags(write=False)
        valid.setflags(write=False)
        return self._add("maxpool", [x], out, {"idx": idx, "valid": valid}, name)

    def build(self, output=None):
        """The network whose output is node ``output`` (default: the last node)."""
        output = len(self.nodes) - 1 if output is None else int(output)
        return PLNetwork(tuple(self.nodes[: output + 1]), output)


@dataclass(frozen=True, eq=False)
class PLNetwork:
    """An immutable piecewise-linear network given as a DAG of nodes.

    Build it with :class:`GraphBuilder`, :func:`polyregions.from_torch` or
    :func:`polyregions.from_onnx`. It offers what the enumeration engine uses
    (:meth:`activation_patterns`, :meth:`affine_preactivations`,
    :meth:`affine_output`, :attr:`widths`, :attr:`n_neurons`), so regions,
    certificates and the adjacency graph work as for a :class:`ReLUNetwork`.
    Analyses written for dense layers (``weights``) need :meth:`to_relu_network`.
    """

    nodes: tuple
    output: int

    def __post_init__(self):
        acts = [i for i, n in enumerate(self.nodes) if n.op in _ACTIVATIONS]
        widths = []
        for i in acts:
            n = self.nodes[i]
            widths.append(n.size if n.op == "relu" else int(n.params["idx"].size))
        object.__setattr__(self, "_acts", tuple(acts))
        object.__setattr__(self, "_widths", tuple(widths))
        starts = np.concatenate([[0], np.cumsum(widths)]).astype(int)
        object.__setattr__(self, "_starts", tuple(int(s) for s in starts))
        flip = np.concatenate([np.full(w, self.nodes[i].op == "relu") for i, w in zip(acts, widths)]
                              or [np.zeros(0, bool)])
        flip.setflags(write=False)
        object.__setattr__(self, "_flippable", flip)
        layer = np.concatenate([np.full(w, l) for l, w in enumerate(widths)] or [np.zeros(0, int)])
        object.__setattr__(self, "_layer_of", layer.astype(np.intp))

    # ------------------------------------------------------------ properties
    @property
    def input_shape(self) -> tuple:
        return self.nodes[0].shape

    @property
    def input_dim(self) -> int:
        return self.nodes[0].size

    @property
    def output_dim(self) -> int:
        return self.nodes[self.output].size

    @property
    def widths(self) -> tuple:
        """Pattern bits per activation node (ReLU: one per unit; max-pool: ``k`` per window)."""
        return self._widths

    @property
    def depth(self) -> int:
        """Number of activation nodes."""
        return len(self._acts)

    @property
    def n_neurons(self) -> int:
        return int(sum(self._widths))

    @property
    def layer_slices(self) -> tuple:
        return tuple(slice(a, b) for a, b in zip(self._starts[:-1], self._starts[1:]))

    @property
    def flippable(self):
        """Bits whose facet is crossed by flipping that bit alone (ReLU bits; not max-pool bits)."""
        return self._flippable

    def activation_nodes(self):
        """The activation nodes, one per pattern layer, in pattern order."""
        return [self.nodes[i] for i in self._acts]

    @property
    def has_max_pool(self) -> bool:
        return any(self.nodes[i].op == "maxpool" for i in self._acts)

    def fingerprint(self) -> str:
        """SHA-256 of the graph and its parameters (stable across runs)."""
        h = hashlib.sha256()
        for n in self.nodes:
            h.update(repr((n.op, n.inputs, n.shape)).encode())
            for k in sorted(n.params):
                v = n.params[k]
                if isinstance(v, tuple) and v and isinstance(v[0], np.ndarray):
                    for a in v:
                        h.update(np.ascontiguousarray(a).tobytes())
                elif isinstance(v, np.ndarray):
                    h.update(np.ascontiguousarray(v).tobytes())
                else:
                    h.update(repr((k, v)).encode())
        h.update(str(self.output).encode())
        return h.hexdigest()

    def __repr__(self):
        ops = [n.op for n in self.nodes[1:]]
        return (f"PLNetwork(input_shape={self.input_shape}, nodes={len(ops)}, "
                f"activations={[self.nodes[i].op for i in self._acts]}, widths={list(self.widths)}, "
                f"output_dim={self.output_dim})")

    def summary(self):
        """One line per node: index, op, inputs, output shape and source name."""
        return "\n".join(f"{i:3d} {n.op:8s} {list(n.inputs)!s:10s} {n.shape!s:16s} {n.name}"
                         for i, n in enumerate(self.nodes))

    # --------------------------------------------------------------- kernels
    def _affine(self, n, vals, offset_rows):
        """Apply affine node ``n``; the bias goes to the rows flagged in ``offset_rows``."""
        p = n.params
        if n.op == "add":
            return vals[n.inputs[0]] + vals[n.inputs[1]]
        Z = vals[n.inputs[0]]
        in_shape = self.nodes[n.inputs[0]].shape
        if n.op == "reshape":
            return Z
        if n.op == "dense":
            rows = Z.shape[0]
            Y = (Z.reshape(rows, -1, in_shape[-1]) @ p["W"].T)
            Y[offset_rows] += p["b"]
            return Y.reshape(rows, -1)
        if n.op == "conv":
            Y = _layers.conv(Z, in_shape, p["W"], p["stride"], p["pads"], p["dilation"], p["groups"])
            Y = Y.reshape((Z.shape[0],) + n.shape)
            Y[offset_rows] += p["b"].reshape((-1,) + (1,) * (len(n.shape) - 1))
            return Y.reshape(Z.shape[0], -1)
        if n.op == "pool":
            return _layers.separable(Z, in_shape, p["mats"])
        if n.op == "scale":
            Y = Z.reshape((Z.shape[0],) + in_shape) * p["scale"]
            Y[offset_rows] += p["shift"]
            return Y.reshape(Z.shape[0], -1)
        if n.op == "shift":
            Y = Z.copy()
            Y[offset_rows] += p["c"].ravel()
            return Y
        raise AssertionError(n.op)  # pragma: no cover

    def _run(self, Z0, offset_rows, decide):
        """Propagate rows ``Z0`` through the graph; ``decide(l, node, Zin)`` gives each activation's output."""
        vals = {0: Z0}
        last_use = {}
        for i, n in enumerate(self.nodes):
            for j in n.inputs:
                last_use[j] = i
        l = 0
        for i, n in enumerate(self.nodes[1:], start=1):
            if n.op in _ACTIVATIONS:
                vals[i] = decide(l, n, vals[n.inputs[0]])
                l += 1
            else:
                vals[i] = self._affine(n, vals, offset_rows)
            for j in n.inputs:
                if last_use.get(j) == i and j != self.output:
                    del vals[j]
        return vals[self.output]

    # --------------------------------------------------------------- forward
    def check_points(self, X, name="X"):
        """``X`` as float64 ``(n, input_dim)``; also accepts ``(n, *input_shape)`` or one point."""
        return check_points(X, self.input_dim, name, input_shape=self.input_shape)

    def _forward(self, X, collect):
        X = self.check_points(X)
        pats = []

        def decide(l, n, Z):
            if n.op == "relu":
                if collect:
                    pats.append(Z > 0)
                return np.where(Z > 0, Z, n.params["alpha"] * Z)
            idx, valid = n.params["idx"], n.params["valid"]
            W = np.where(valid, Z[:, idx], -np.inf)
            c = np.argmax(W, axis=2)  # first maximum: the canonical tie rule
            if collect:
                k = idx.shape[1]
                pats.append((np.arange(k) <= c[:, :, None]).reshape(len(Z), -1))
            return np.take_along_axis(W, c[:, :, None], axis=2)[:, :, 0]

        out = self._run(X, slice(None), decide)
        return out, pats

    def forward(self, X):
        """Network output for points ``X``; returns ``(n, output_dim)``."""
        return self._forward(X, False)[0]

    def activation_patterns(self, X):
        """Boolean patterns (ReLU signs, max-pool argmax in thermometer code), shape ``(n, N)``."""
        X = self.check_points(X)
        _, pats = self._forward(X, True)
        if not pats:
            return np.zeros((len(X), 0), dtype=bool)
        return np.concatenate(pats, axis=1)

    # ------------------------------------------------------- region algebra
    def _choices(self, n, bits):
        """Argmax position per window from thermometer bits; raise on a malformed code."""
        k = n.params["idx"].shape[1]
        B = bits.reshape(-1, k)
        c = B.sum(axis=1) - 1
        if np.any(c < 0) or np.any(B != (np.arange(k) <= c[:, None])) or np.any(
                ~n.params["valid"][np.arange(len(c)), c]):
            raise ValueError(
                f"pattern bits of max-pool node {n.name!r} are not an argmax in thermometer code "
                "(bits 0..c set, the rest clear, c a real window position)."
            )
        return c

    def _propagate(self, pattern, in_map, want_rows):
        p = check_pattern(pattern, self.n_neurons)
        if in_map is None:
            M, m = np.eye(self.input_dim), np.zeros(self.input_dim)
        else:
            M, m = in_map
        Z0 = np.vstack([np.asarray(M, dtype=np.float64).T, np.asarray(m, dtype=np.float64)[None]])
        d = Z0.shape[0] - 1
        G = np.empty((self.n_neurons, d)) if want_rows else None
        g = np.empty(self.n_neurons) if want_rows else None
        starts = self._starts

        def decide(l, n, Z):
            bits = p[starts[l]:starts[l + 1]]
            if n.op == "relu":
                if want_rows:
                    G[starts[l]:starts[l + 1]] = Z[:-1].T
                    g[starts[l]:starts[l + 1]] = Z[-1]
                return Z * np.where(bits, 1.0, n.params["alpha"])[None, :]
            idx, valid = n.params["idx"], n.params["valid"]
            c = self._choices(n, bits)
            w = np.arange(len(c))
            if want_rows:
                Zw = Z[:, idx]  # (d+1, windows, k)
                Q = Zw - Zw[:, w, c][:, :, None]  # z_j - z_c
                k = idx.shape[1]
                before = np.arange(k)[None, :] < c[:, None]
                Q = np.where(before[None], -Q, Q)
                const = np.where(~valid, -1.0, 0.0)
                const[w, c] = 1.0
                fixed = ~valid
                fixed[w, c] = True
                Q[:-1][:, fixed] = 0.0
                Q[-1][fixed] = const[fixed]
                G[starts[l]:starts[l + 1]] = Q[:-1].reshape(d, -1).T
                g[starts[l]:starts[l + 1]] = Q[-1].reshape(-1)
            return Z[:, idx[w, c]]

        offset_rows = np.zeros(d + 1, dtype=bool)
        offset_rows[-1] = True
        out = self._run(Z0, offset_rows, decide)
        return G, g, out[:-1].T, out[-1]

    def affine_preactivations(self, pattern, in_map=None):
        """Each pattern bit's affine quantity ``q = G x + g`` on the pattern's region.

        For ReLU bits ``q`` is the pre-activation; for max-pool bits it is the
        comparison described in the module docstring. The region is
        ``{x : q_i(x) >= 0 for set bits, <= 0 for clear bits}``.

        Returns
        -------
        G : ndarray, shape (N, d)
        g : ndarray, shape (N,)
        """
        G, g, _, _ = self._propagate(pattern, in_map, True)
        return G, g

    def affine_output(self, pattern, in_map=None):
        """The network's output map ``y = A x + c`` on a pattern's region."""
        _, _, A, c = self._propagate(pattern, in_map, False)
        return A, c

    # -------------------------------------------------- crossing a facet
    def settle(self, q, ks, G, normal, zero_row):
        """Set the bits ``ks`` (all in one activation layer) just across a facet.

        ``G`` holds the bits' gradients computed with ``q`` (earlier layers
        already updated) and ``normal`` is the facet's outward normal. A ReLU
        bit becomes the sign of its derivative along the normal. In a max-pool
        window, the open positions tie with the current maximum on the facet,
        so the new argmax is the tied position whose value grows fastest along
        the normal (first position on a tie, the canonical rule).
        """
        q = q.copy()
        ks = np.asarray(ks, dtype=np.intp)
        l = int(self._layer_of[ks[0]])
        n = self.nodes[self._acts[l]]
        nrm = np.sqrt(np.einsum("ij,ij->i", G[ks], G[ks]))
        if n.op == "relu":
            q[ks] = G[ks] @ normal > zero_row * np.maximum(nrm, 1e-300)
            return q
        s0 = self._starts[l]
        k = n.params["idx"].shape[1]
        bits = q[s0:self._starts[l + 1]].copy()
        c_all = self._choices(n, bits)
        local = ks - s0
        thr = zero_row * max(float(nrm.max(initial=0.0)), 1e-300)
        for wdw in np.unique(local // k):
            c = int(c_all[wdw])
            pos = local[local // k == wdw] % k
            cand = np.union1d(pos, [c])
            rows = s0 + wdw * k + cand
            r = G[rows] @ normal
            r = np.where(cand < c, -r, r)  # derivative of z_j - z_c
            r[cand == c] = 0.0
            new = int(cand[np.flatnonzero(r >= r.max() - thr)[0]])
            bits[wdw * k:(wdw + 1) * k] = np.arange(k) <= new
        q[s0:self._starts[l + 1]] = bits
        return q

    # ------------------------------------------------------------ plain data
    def to_dict(self) -> dict:
        """The graph as JSON-ready data; :meth:`from_dict` rebuilds it bit for bit.

        >>> b = GraphBuilder((1, 3))
        >>> net = b.build(b.max_pool(b.relu(b.conv(b.input, [[[1.0, -1.0]]])), 2))
        >>> PLNetwork.from_dict(net.to_dict()).fingerprint() == net.fingerprint()
        True
        """
        return {"type": "PLNetwork", "output": self.output,
                "nodes": [{"op": n.op, "inputs": list(n.inputs), "shape": list(n.shape),
                           "name": n.name, "params": {k: _encode(v) for k, v in n.params.items()}}
                          for n in self.nodes],
                "sha256": self.fingerprint()}

    @classmethod
    def from_dict(cls, d):
        """Inverse of :meth:`to_dict`; ``sha256``, when present, must match."""
        if not isinstance(d, dict) or d.get("type") != "PLNetwork":
            raise ValueError("not a PLNetwork description (no type: PLNetwork).")
        nodes = []
        for k, n in enumerate(d["nodes"]):
            op = n["op"]
            if (k == 0) != (op == "input") or (op not in _AFFINE + _ACTIVATIONS and op != "input"):
                raise ValueError(f"node {k} has op {op!r}; not a valid PLNetwork node here.")
            if any(not (0 <= int(i) < k) for i in n["inputs"]):
                raise ValueError(f"node {k} reads a node that does not come before it.")
            nodes.append(Node(op, tuple(int(i) for i in n["inputs"]), tuple(int(s) for s in n["shape"]),
                              {key: _decode(v) for key, v in n["params"].items()}, n.get("name", "")))
        try:
            net = cls(tuple(nodes), int(d["output"]))
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed PLNetwork description: {exc!r}.") from None
        if d.get("sha256") is not None and net.fingerprint() != d["sha256"]:
            raise ValueError("the stored network does not match its sha256 fingerprint: it was "
                             "edited or corrupted.")
        return net

    # ------------------------------------------------------------ dense form
    def is_chain(self) -> bool:
        """True if the graph is a chain of affine nodes and (leaky) ReLUs (no branch, no max-pool)."""
        for i, n in enumerate(self.nodes[1:], start=1):
            if n.op in ("add", "maxpool") or n.inputs != (i - 1,):
                return False
        return self.output == len(self.nodes) - 1

    def dense_equivalent(self, max_entries=4_000_000):
        """:meth:`to_relu_network` (computed once), or ``None`` if not a chain or too big.

        Engines that read dense weights (the subdivision) run a chain on it:
        same bits, same regions. ``None`` when the dense matrices would hold
        more than ``max_entries`` numbers, where convolutions stay convolutions.
        """
        if not self.is_chain() or not self.widths:
            return None
        sizes = [n.size for n in self.nodes]
        stops = [0] + list(self._acts) + [len(self.nodes) - 1]
        if sum(sizes[a] * sizes[b] for a, b in zip(stops[:-1], stops[1:])) > max_entries:
            return None
        cached = self.__dict__.get("_dense")
        if cached is None:
            cached = self.to_relu_network()
            object.__setattr__(self, "_dense", cached)
        return cached

    def to_relu_network(self):
        """The equivalent :class:`ReLUNetwork`, every affine stretch materialised as a matrix.

        Only for chains (:meth:`is_chain`): a residual addition or a max-pool
        has no dense (leaky-)ReLU equivalent with the same regions.

        >>> b = GraphBuilder((1, 3))
        >>> h = b.relu(b.conv(b.input, [[[1.0, -1.0]]], [0.5]))
        >>> b.build(b.dense(b.reshape(h, (2,)), [[1.0, 1.0]])).to_relu_network().widths
        (2,)
        """
        if not self.is_chain():
            raise ValueError(
                "only a chain of affine layers and (leaky) ReLUs has a dense ReLUNetwork "
                "equivalent; this graph has a branch (residual addition) or a max-pool. Enumerate "
                "the PLNetwork itself."
            )
        Ws, bs, slopes = [], [], []
        start = 0
        nodes = self.nodes
        for i in list(self._acts) + [len(nodes)]:
            # Affine stretch from node `start` (its output) to the input of node i.
            sub = PLNetwork(tuple(_renumber(nodes, start, i)), i - start - 1) if i > start + 1 else None
            n_in = nodes[start].size
            if sub is None:
                Ws.append(np.eye(n_in))
                bs.append(np.zeros(n_in))
            else:
                A, c = sub.affine_output(np.zeros(0, bool))
                Ws.append(A)
                bs.append(c)
            if i < len(nodes):
                slopes.append(nodes[i].params["alpha"])
            start = i
        return ReLUNetwork.from_weights(Ws, bs, negative_slope=slopes)


def _renumber(nodes, start, stop):
    """Nodes ``start+1 .. stop-1`` of a chain as a graph whose input is node ``start``'s output."""
    out = [Node("input", (), nodes[start].shape, {}, nodes[start].name)]
    for i in range(start + 1, stop):
        n = nodes[i]
        out.append(Node(n.op, tuple(j - start for j in n.inputs), n.shape, n.params, n.name))
    return out


def _encode(v):
    if isinstance(v, np.ndarray):
        return {"array": v.tolist(), "dtype": str(v.dtype), "shape": list(v.shape)}
    if isinstance(v, tuple):
        return {"tuple": [_encode(x) for x in v]}
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    return v


def _decode(v):
    if isinstance(v, dict) and "array" in v:
        a = np.array(v["array"], dtype=np.dtype(v["dtype"])).reshape(v["shape"])
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ValueError("a stored parameter contains NaN or infinite values.")
        a.setflags(write=False)
        return a
    if isinstance(v, dict) and "tuple" in v:
        return tuple(_decode(x) for x in v["tuple"])
    return v
