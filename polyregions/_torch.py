"""Conversion of torch ``nn.Sequential`` modules to plain float64 arrays.

Kept apart from :mod:`polyregions.network` so that torch stays an optional
dependency: this module is imported only by ``ReLUNetwork.from_torch``.
"""

from __future__ import annotations

import numpy as np

from ._errors import UnsupportedLayerError


def _import_torch():
    try:
        import torch
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


def network_arrays_from_torch(module):
    """Return ``(weights, biases, negative_slopes)`` of a torch module.

    Affine layers (Linear, eval BatchNorm1d, Identity, Dropout, Flatten) are
    composed into one map until an activation closes a hidden layer.
    """
    torch = _import_torch()
    nn = torch.nn
    if not isinstance(module, nn.Module):
        raise TypeError(f"expected a torch.nn.Module; got {type(module).__name__}.")
    if not isinstance(module, (nn.Sequential, nn.Linear)):
        raise UnsupportedLayerError(
            f"only nn.Sequential (or a single nn.Linear) can be converted; got "
            f"{type(module).__name__}. A module with a custom forward (e.g. a residual block) "
            "is not a plain feed-forward chain: rewrite it as nn.Sequential or pass its "
            "weights to ReLUNetwork.from_weights."
        )
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

    for name, layer in _flatten_modules(module, nn):
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


def check_against_torch(net, module, random_state=0, n_points=64, rtol=1e-6, atol=1e-6):
    """Raise ``ValueError`` if ``net`` and ``module`` disagree on random inputs."""
    torch = _import_torch()
    rng = np.random.default_rng(random_state)
    X = rng.normal(size=(n_points, net.input_dim))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            param = next(module.parameters(), None)
            dtype = param.dtype if param is not None else torch.float32
            Y_torch = module(torch.as_tensor(X, dtype=dtype)).double().numpy()
    finally:
        module.train(was_training)
    Y = net.forward(X)
    Y_torch = Y_torch.reshape(Y.shape)
    scale = max(1.0, float(np.abs(Y_torch).max()))
    tol = rtol * scale if dtype == torch.float64 else 1e-4 * scale
    err = float(np.abs(Y - Y_torch).max())
    if err > max(tol, atol):
        raise ValueError(
            f"the converted network differs from the torch module by {err:.3g} on random "
            "inputs; the module probably does something the converter does not see (a custom "
            "forward or hooks). Use ReLUNetwork.from_weights with the weights instead."
        )
