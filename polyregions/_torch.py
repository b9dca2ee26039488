"""Conversion between torch modules and plain float64 arrays.

Kept apart from :mod:`polyregions.network` so that torch stays an optional
dependency: this module is imported only by ``ReLUNetwork.from_torch``.
"""

from __future__ import annotations

import numpy as np

from .errors import UnsupportedLayerError
from ._validation import check_conversion


def import_torch():
    """torch (with ``torch.fx``, which the tracers use), or an ``ImportError`` saying how to install it."""
    try:
        import torch
        import torch.fx  # noqa: F401
    except ImportError:
        raise ImportError(
            "from_torch needs torch: pip install 'polyregions[torch]' "
            "(CPU build: pip install torch==2.13.0)."
        ) from None
    return torch


def _flatten_modules(module, nn, prefix=""):
    """Yield ``(name, layer)`` in execution order, descending into nested Sequentials."""
    if isinstance(module, nn.Sequential):
        for name, child in module.named_children():
            yield from _flatten_modules(child, nn, f"{prefix}{name}.")
    else:
        yield prefix.rstrip(".") or type(module).__name__, module


def _functional_layer(node, torch):
    """The ``nn`` module equivalent to a traced function/method call, or ``None``."""
    nn, F = torch.nn, torch.nn.functional
    kw = dict(node.kwargs)
    extra = list(node.args[1:])
    if node.op == "call_function":
        fn = node.target
        if fn in (torch.relu, F.relu):
            return nn.ReLU()
        if fn is F.leaky_relu:
            slope = extra[0] if extra else kw.get("negative_slope", 0.01)
            return nn.LeakyReLU(float(slope))
        if fn is torch.flatten:
            start = extra[0] if extra else kw.get("start_dim", 0)
            return nn.Flatten(start_dim=start, end_dim=kw.get("end_dim", -1))
        if fn in (torch.sigmoid, F.sigmoid):
            return nn.Sigmoid()
        if fn in (torch.softmax, F.softmax):
            return nn.Softmax(dim=extra[0] if extra else kw.get("dim"))
        if fn in (torch.log_softmax, F.log_softmax):
            return nn.LogSoftmax(dim=extra[0] if extra else kw.get("dim"))
        return None
    name = node.target  # call_method on a tensor
    if name == "relu":
        return nn.ReLU()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name in ("softmax", "log_softmax"):
        dim = extra[0] if extra else kw.get("dim")
        return nn.Softmax(dim=dim) if name == "softmax" else nn.LogSoftmax(dim=dim)
    if name == "flatten":
        return nn.Flatten(start_dim=extra[0] if extra else kw.get("start_dim", 0))
    return None


def trace_layers(module):
    """The layers of a plain feed-forward module as ``[(name, nn.Module), ...]`` in order.

    ``nn.Sequential`` (nested or not) is read directly. Any other module is
    traced with ``torch.fx`` and must be a single chain: every operation takes
    the previous one's output as its only tensor input. Functional calls
    (``torch.relu``, ``F.relu``, ``F.leaky_relu``, ``torch.flatten``,
    ``torch.sigmoid``, ``F.softmax``, ...) are returned as their ``nn``
    modules. This is the one place that decides what "a plain MLP" is;
    branching graphs (residual blocks, concatenations) are refused here.
    """
    torch = import_torch()
    nn = torch.nn
    if not isinstance(module, nn.Module):
        raise TypeError(f"expected a torch.nn.Module; got {type(module).__name__}.")
    if isinstance(module, (nn.Sequential, nn.Linear)):
        return list(_flatten_modules(module, nn))
    import torch.fx

    try:
        graph = torch.fx.symbolic_trace(module).graph
    except Exception as exc:
        raise UnsupportedLayerError(
            f"{type(module).__name__} could not be traced with torch.fx ({type(exc).__name__}: "
            f"{exc}); data-dependent control flow cannot be converted. Rewrite it as "
            "nn.Sequential or pass its weights to ReLUNetwork.from_weights."
        ) from None
    layers, prev = [], None
    for node in graph.nodes:
        if node.op == "placeholder":
            if prev is not None:
                raise UnsupportedLayerError(
                    f"{type(module).__name__}.forward takes several inputs; only a single-input "
                    "feed-forward chain can be converted.")
            prev = node
            continue
        if node.op == "get_attr":
            raise UnsupportedLayerError(
                f"{type(module).__name__}.forward uses the parameter {node.target!r} directly; "
                "only calls of submodules and activation functions can be converted.")
        inputs = list(node.all_input_nodes)
        if node.op == "output":
            if inputs != [prev]:
                raise UnsupportedLayerError(
                    f"{type(module).__name__}.forward does not return its last operation's "
                    "output (a branching graph); it is not a plain chain.")
            break
        if inputs != [prev] or len(prev.users) != 1:
            raise UnsupportedLayerError(
                f"operation {node.name!r} of {type(module).__name__} does not simply follow the "
                "previous one (a residual connection, a concatenation or a reused value); only "
                "plain feed-forward chains can be converted.")
        if node.op == "call_module":
            sub = module.get_submodule(node.target)
            layers.extend(_flatten_modules(sub, nn, f"{node.target}."))
        else:
            layer = _functional_layer(node, torch)
            if layer is None:
                raise UnsupportedLayerError(
                    f"operation {node.name!r} ({node.op} {getattr(node.target, '__name__', node.target)!s}) "
                    f"of {type(module).__name__} is not supported; use nn layers or torch.relu, "
                    "F.relu, F.leaky_relu, torch.flatten.")
            layers.append((node.name, layer))
        prev = node
    return layers


#: Output activations that ``drop_output_activation=True`` removes: each is
#: applied after the last affine layer, so it changes no activation region.
def _output_activations(nn):
    return (nn.Softmax, nn.Sigmoid, nn.LogSoftmax)


def split_output_activation(layers, drop=False):
    """``(layers, dropped)``: trailing Softmax/Sigmoid/LogSoftmax removed when ``drop``."""
    torch = import_torch()
    nn = torch.nn
    layers = list(layers)
    dropped = []
    while drop and layers and isinstance(layers[-1][1], _output_activations(nn) + (
            nn.Identity, nn.Dropout)):
        dropped.insert(0, layers.pop()[1])
    if not any(isinstance(m, _output_activations(nn)) for m in dropped):
        layers.extend((f"_{i}", m) for i, m in enumerate(dropped))
        dropped = []
    for name, layer in layers:
        if isinstance(layer, _output_activations(nn)):
            raise UnsupportedLayerError(
                f"layer {name!r} ({type(layer).__name__}) is not piecewise linear. If it is the "
                "network's output activation, from_torch(..., drop_output_activation=True) drops "
                "it (it does not change the regions)."
            )
    return layers, dropped


def network_arrays_from_torch(module, drop_output_activation=False, *, layers=None):
    """Return ``(weights, biases, negative_slopes)`` of a torch module.

    Affine layers (Linear, eval BatchNorm1d, Identity, Dropout, Flatten) are
    composed into one map until an activation closes a hidden layer. The
    module is read by :func:`trace_layers` (``layers`` skips that step).
    """
    torch = import_torch()
    nn = torch.nn
    if layers is None:
        layers, _ = split_output_activation(trace_layers(module), drop_output_activation)
    weights, biases, slopes = [], [], []
    cur = None  # current affine map (M, m) as numpy, or None for the identity
    in_dim = None

    def compose(A, a):
        nonlocal cur
        if cur is None:
            cur = (A, a)
        else:
            M, m = cur
            if A.shape[1] != M.shape[0]:
                raise ValueError(
                    f"layer shapes do not chain: a layer expects {A.shape[1]} inputs but the "
                    f"previous one gives {M.shape[0]}."
                )
            cur = (A @ M, A @ m + a)

    for name, layer in layers:
        if isinstance(layer, nn.Linear):
            W = layer.weight.detach().cpu().double().numpy()
            b = (
                layer.bias.detach().cpu().double().numpy()
                if layer.bias is not None
                else np.zeros(W.shape[0])
            )
            if in_dim is None and cur is None:
                in_dim = W.shape[1]
            compose(W, b)
        elif isinstance(layer, nn.BatchNorm1d):
            if layer.running_mean is None or layer.running_var is None:
                raise UnsupportedLayerError(
                    f"layer {name!r} (BatchNorm1d) has no running statistics "
                    "(track_running_stats=False), so it is not an affine map; it cannot be folded."
                )
            mean = layer.running_mean.detach().cpu().double().numpy()
            var = layer.running_var.detach().cpu().double().numpy()
            scale = 1.0 / np.sqrt(var + layer.eps)
            if layer.affine:
                scale = scale * layer.weight.detach().cpu().double().numpy()
                shift = layer.bias.detach().cpu().double().numpy() - mean * scale
            else:
                shift = -mean * scale
            if in_dim is None and cur is None:
                in_dim = len(mean)
            compose(np.diag(scale), shift)
        elif isinstance(layer, (nn.Identity, nn.Dropout, nn.Flatten)):
            if isinstance(layer, nn.Flatten) and (layer.start_dim != 1 or layer.end_dim != -1):
                raise UnsupportedLayerError(
                    f"layer {name!r} is Flatten(start_dim={layer.start_dim}, "
                    f"end_dim={layer.end_dim}); only the default Flatten() is supported."
                )
            continue
        elif isinstance(layer, (nn.ReLU, nn.LeakyReLU)):
            slope = float(layer.negative_slope) if isinstance(layer, nn.LeakyReLU) else 0.0
            if cur is None:
                if in_dim is None and not weights:
                    raise UnsupportedLayerError(
                        f"layer {name!r} ({type(layer).__name__}) comes before any Linear layer, "
                        "so the input dimension is unknown; start the Sequential with nn.Linear."
                    )
                d = in_dim if not weights else weights[-1].shape[0]
                cur = (np.eye(d), np.zeros(d))
            weights.append(cur[0])
            biases.append(cur[1])
            slopes.append(slope)
            cur = None
        else:
            raise UnsupportedLayerError(
                f"layer {name!r} ({type(layer).__name__}) is not supported. polyregions handles "
                "Sequential chains of Linear, ReLU, LeakyReLU, BatchNorm1d (eval), Dropout (eval), "
                "Flatten and Identity; other activations (Sigmoid, Tanh, ...) are not piecewise "
                "linear."
            )
    if cur is None:
        # The module ends with an activation: the output is that layer's activations.
        if not weights:
            raise UnsupportedLayerError("the module has no Linear layer.")
        d = weights[-1].shape[0]
        cur = (np.eye(d), np.zeros(d))
    weights.append(cur[0])
    biases.append(cur[1])
    return weights, biases, slopes


def torch_forward(module, X):
    """``module``'s output on ``X`` in eval mode and its parameters' dtype: ``(Y, is_float64)``.

    The module's training flag is restored afterwards.
    """
    torch = import_torch()
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            param = next(module.parameters(), None)
            dtype = param.dtype if param is not None else torch.float32
            Y = module(torch.as_tensor(X, dtype=dtype)).double().numpy()
    finally:
        module.train(was_training)
    return Y, dtype == torch.float64


def check_against_torch(net, module, random_state=0, n_points=64, rtol=1e-6, atol=1e-6,
                        output_activation=(), hint=None):
    """Raise ``ValueError`` if ``net`` and ``module`` disagree on random inputs.

    ``output_activation``: torch modules applied to ``net``'s output before
    comparing (the activations ``drop_output_activation`` removed). Inputs
    have the shape of one example of ``net`` (``net.input_shape`` for a
    :class:`~polyregions.plnetwork.PLNetwork`).
    """
    shape = tuple(getattr(net, "input_shape", (net.input_dim,)))
    X = np.random.default_rng(random_state).normal(size=(n_points,) + shape)
    Y_torch, float64 = torch_forward(module, X)
    Y = net.forward(X.reshape(n_points, -1))
    if output_activation:
        torch = import_torch()
        with torch.no_grad():
            T = torch.as_tensor(Y)
            for layer in output_activation:
                T = layer(T)
        Y = T.numpy()
    check_conversion(Y, Y_torch, source="the torch module", float64=float64, rtol=rtol, atol=atol,
                     hint=hint or (
                         "the module probably does something the converter does not see (a "
                         "custom forward or hooks). Use ReLUNetwork.from_weights with the weights "
                         "instead"))


def to_torch_module(net, dtype=None):
    """An ``nn.Sequential`` of ``Linear`` and ``ReLU``/``LeakyReLU`` computing ``net``."""
    torch = import_torch()
    nn = torch.nn
    dtype = torch.float32 if dtype is None else dtype
    layers = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        lin = nn.Linear(W.shape[1], W.shape[0], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(np.array(W), dtype=dtype))
            lin.bias.copy_(torch.tensor(np.array(b), dtype=dtype))
        layers.append(lin)
        if l < net.depth:
            a = net.negative_slopes[l]
            layers.append(nn.ReLU() if a == 0.0 else nn.LeakyReLU(a))
    return nn.Sequential(*layers)
