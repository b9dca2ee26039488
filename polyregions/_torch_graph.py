"""Conversion of torch modules with convolutions, pooling and residual blocks to a PLNetwork.

The module is traced with ``torch.fx`` (so a custom ``forward`` computing
``x + f(x)`` is seen as an addition of two branches) and every traced node is
lowered to a :class:`~polyregions.plnetwork.GraphBuilder` node. Kept apart
from :mod:`polyregions.network` so that torch stays optional.
"""

from __future__ import annotations

import operator

import numpy as np

from ._torch import check_against_torch, import_torch
from .network import UnsupportedLayerError
from .plnetwork import GraphBuilder

_SUPPORTED = (
    "Linear, Conv1d, Conv2d, AvgPool1d/2d, MaxPool1d/2d, AdaptiveAvgPool1d/2d, BatchNorm1d/2d "
    "(eval), Flatten, Identity, Dropout (eval), ReLU, LeakyReLU, additions of branches (x + f(x)) "
    "and view/reshape/flatten"
)


def _np(t):
    return t.detach().cpu().double().numpy()


def _first_input_shape(module, gm, torch):
    """Input shape (without batch) when the first layer fixes it (Linear, BatchNorm1d)."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        return None
    for user in placeholders[0].users:
        if user.op == "call_module" and isinstance(gm.get_submodule(user.target), torch.nn.Linear):
            return (gm.get_submodule(user.target).in_features,)
    return None


def graph_from_torch(module, input_shape=None):
    """Trace ``module`` with torch.fx and lower it to a :class:`PLNetwork`.

    Parameters
    ----------
    module : torch.nn.Module
    input_shape : tuple of int, optional
        Shape of one input without the batch axis, e.g. ``(1, 28, 28)``;
        required unless the module starts with ``nn.Linear``.

    Raises
    ------
    UnsupportedLayerError
        Naming the first unsupported operation and its position in the traced graph.
    """
    torch = import_torch()
    nn = torch.nn
    F = torch.nn.functional
    if not isinstance(module, nn.Module):
        raise TypeError(f"expected a torch.nn.Module; got {type(module).__name__}.")
    try:
        gm = torch.fx.symbolic_trace(module)
    except Exception as exc:  # fx raises many kinds (TraceError, TypeError, ...)
        raise UnsupportedLayerError(
            f"torch.fx could not trace {type(module).__name__}: {exc}. Data-dependent control flow "
            "(if/for on tensor values) is not a fixed piecewise-linear graph; rewrite forward "
            "without it."
        ) from None
    if input_shape is None:
        input_shape = _first_input_shape(module, gm, torch)
        if input_shape is None:
            raise ValueError(
                "input_shape is needed (the shape of one input without the batch axis, e.g. "
                "(1, 28, 28)) unless the input goes into an nn.Linear."
            )
    b = GraphBuilder(input_shape)
    env = {}
    out = None
    for pos, node in enumerate(gm.graph.nodes):
        where = f"traced node {pos} ({node.name!r}"

        def unsupported(what, why=""):
            raise UnsupportedLayerError(
                f"{where}, {what}) is not supported{': ' + why if why else ''}. polyregions "
                f"converts {_SUPPORTED}."
            )

        if node.op == "placeholder":
            if env:
                unsupported("a second input", "the network must take one tensor")
            env[node] = b.input
            continue
        if node.op == "output":
            arg = node.args[0]
            if not hasattr(arg, "op") or arg not in env:
                unsupported("an output that is not one tensor")
            out = env[arg]
            break
        if node.op == "get_attr":
            env[node] = ("const", _np(getattr_path(gm, node.target)))
            continue
        args = node.args
        try:
            if node.op == "call_module":
                layer = gm.get_submodule(node.target)
                kind = type(layer).__name__
                where = f"traced node {pos} (module {node.target!r}"
                x = _tensor_arg(env, args[0], unsupported, kind)
                env[node] = _lower_module(b, x, layer, kind, node.target, nn, unsupported)
            elif node.op == "call_function":
                env[node] = _lower_function(b, env, node, torch, F, unsupported)
            elif node.op == "call_method":
                env[node] = _lower_method(b, env, node, unsupported)
            else:  # pragma: no cover - fx has no other node kinds
                unsupported(node.op)
        except ValueError as exc:  # shapes that do not chain, bad parameters
            raise ValueError(f"{where}): {exc}") from None
    return b.build(out)


def getattr_path(obj, target):
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def _tensor_arg(env, a, unsupported, what):
    v = env.get(a) if hasattr(a, "op") else None
    if not isinstance(v, int):
        unsupported(what, "its input is not a tensor computed from the network input")
    return v


def _lower_module(b, x, layer, kind, name, nn, unsupported):
    if isinstance(layer, nn.Linear):
        return b.dense(x, _np(layer.weight), None if layer.bias is None else _np(layer.bias), name)
    if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
        if layer.padding_mode != "zeros":
            unsupported(kind, f"padding_mode={layer.padding_mode!r}; only zero padding is")
        pad = layer.padding
        if isinstance(pad, str):
            if pad == "valid":
                pad = 0
            else:  # 'same': torch puts the extra element at the end
                pads = []
                for k, d in zip(layer.kernel_size, layer.dilation):
                    tot = d * (k - 1)
                    pads.append((tot // 2, tot - tot // 2))
                pad = [p[0] for p in pads] + [p[1] for p in pads]
        return b.conv(x, _np(layer.weight), None if layer.bias is None else _np(layer.bias),
                      layer.stride, pad, layer.dilation, layer.groups, name)
    if isinstance(layer, (nn.AvgPool1d, nn.AvgPool2d)):
        if layer.ceil_mode:
            unsupported(kind, "ceil_mode=True")
        if getattr(layer, "divisor_override", None):
            unsupported(kind, "divisor_override")
        return b.avg_pool(x, layer.kernel_size, layer.stride, layer.padding,
                          layer.count_include_pad, name)
    if isinstance(layer, (nn.MaxPool1d, nn.MaxPool2d)):
        if layer.ceil_mode:
            unsupported(kind, "ceil_mode=True")
        if layer.return_indices:
            unsupported(kind, "return_indices=True")
        return b.max_pool(x, layer.kernel_size, layer.stride, layer.padding, layer.dilation, name)
    if isinstance(layer, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
        return b.adaptive_avg_pool(x, layer.output_size, name)
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if layer.running_mean is None or layer.running_var is None:
            unsupported(kind, "no running statistics (track_running_stats=False), so it is not "
                              "an affine map")
        if isinstance(layer, nn.BatchNorm1d) and len(b.shape(x)) == 1:
            pass  # (N, C) input: one channel per feature
        return b.batch_norm(x, _np(layer.running_mean), _np(layer.running_var), layer.eps,
                            _np(layer.weight) if layer.affine else None,
                            _np(layer.bias) if layer.affine else None, name)
    if isinstance(layer, nn.Flatten):
        return _flatten(b, x, layer.start_dim, layer.end_dim, name, unsupported)
    if isinstance(layer, (nn.Identity, nn.Dropout)):
        return x
    if isinstance(layer, nn.ReLU):
        return b.relu(x, 0.0, name)
    if isinstance(layer, nn.LeakyReLU):
        return b.relu(x, float(layer.negative_slope), name)
    unsupported(kind, "it is not piecewise linear or not handled" if not isinstance(
        layer, (nn.Sigmoid, nn.Tanh, nn.GELU, nn.Softmax)) else "it is not piecewise linear")


def _flatten(b, x, start_dim, end_dim, name, unsupported):
    sh = b.shape(x)
    full = (None,) + sh  # with the batch axis
    nd = len(full)
    s = start_dim % nd
    e = end_dim % nd
    if s == 0:
        unsupported("flatten", "flattening the batch axis")
    new = full[1:s] + (int(np.prod(full[s:e + 1])),) + full[e + 1:]
    return b.reshape(x, new, name)


def _lower_function(b, env, node, torch, F, unsupported):
    f = node.target
    args = node.args
    kw = node.kwargs
    fname = getattr(f, "__name__", str(f))
    if f in (operator.add, operator.iadd, torch.add):
        if kw.get("alpha", 1) != 1:
            unsupported(f"add with alpha={kw['alpha']}")
        return _add(b, env, args[0], args[1], node.name, unsupported)
    if f in (torch.relu, F.relu):
        return b.relu(_tensor_arg(env, args[0], unsupported, fname), 0.0, node.name)
    if f is F.leaky_relu:
        slope = args[1] if len(args) > 1 else kw.get("negative_slope", 0.01)
        return b.relu(_tensor_arg(env, args[0], unsupported, fname), float(slope), node.name)
    if f is torch.flatten:
        start = args[1] if len(args) > 1 else kw.get("start_dim", 0)
        end = args[2] if len(args) > 2 else kw.get("end_dim", -1)
        return _flatten(b, _tensor_arg(env, args[0], unsupported, fname), start, end, node.name,
                        unsupported)
    unsupported(f"function {fname}")


def _add(b, env, a1, a2, name, unsupported):
    v1 = env.get(a1) if hasattr(a1, "op") else ("const", a1)
    v2 = env.get(a2) if hasattr(a2, "op") else ("const", a2)
    if isinstance(v1, int) and isinstance(v2, int):
        return b.add(v1, v2, name)
    if isinstance(v1, int) and isinstance(v2, tuple):
        return b.shift(v1, np.asarray(v2[1], dtype=np.float64), name)
    if isinstance(v2, int) and isinstance(v1, tuple):
        return b.shift(v2, np.asarray(v1[1], dtype=np.float64), name)
    unsupported("add", "neither operand is computed from the network input")


def _lower_method(b, env, node, unsupported):
    m = node.target
    args = node.args
    if m == "size":
        return ("size", None)
    x = _tensor_arg(env, args[0], unsupported, f"method .{m}()")
    if m == "relu":
        return b.relu(x, 0.0, node.name)
    if m in ("view", "reshape"):
        dims = args[1:]
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        first = dims[0] if dims else None
        batch_ok = (isinstance(env.get(first), tuple) and env[first][0] == "size") or first == -1
        rest = dims[1:]
        if not batch_ok or not all(isinstance(d, int) for d in rest):
            unsupported(f"method .{m}{tuple(dims)}", "only reshapes that keep the batch axis "
                        "first (x.view(x.size(0), ...) or x.view(-1, ...)) with constant sizes are")
        return b.reshape(x, rest, node.name)
    if m == "flatten":
        start = args[1] if len(args) > 1 else node.kwargs.get("start_dim", 0)
        end = args[2] if len(args) > 2 else node.kwargs.get("end_dim", -1)
        return _flatten(b, x, start, end, node.name, unsupported)
    if m in ("add", "add_", "__add__"):
        return _add(b, env, args[0], args[1], node.name, unsupported)
    unsupported(f"method .{m}()")


def check_graph_against_torch(net, module, random_state=0, n_points=32):
    """Raise ``ValueError`` if ``net`` and ``module`` disagree on random inputs."""
    check_against_torch(net, module, random_state, n_points, rtol=1e-9, atol=0.0,
                        hint="the module does something the converter does not see (hooks, or "
                             "an operation outside the traced graph)")
