"""Import of torch modules and ONNX files into the network types the engine accepts.

:func:`from_torch` returns a :class:`~polyregions.network.ReLUNetwork` for a
plain ``nn.Sequential`` of dense layers (the fast path, unchanged) and a
:class:`~polyregions.plnetwork.PLNetwork` for anything else it supports:
convolutions, pooling, batch norm, residual blocks traced with ``torch.fx``.
:func:`from_onnx` reads an ONNX file, which is data, so loading it runs no
code. Every conversion checks itself by a forward pass against its source.

>>> import numpy as np
>>> from polyregions.plnetwork import GraphBuilder
>>> GraphBuilder((2,)).build().input_dim
2
"""

from __future__ import annotations

import numpy as np

from .network import ReLUNetwork

__all__ = ["from_torch", "from_onnx"]

_DENSE_LAYERS = ("Linear", "ReLU", "LeakyReLU", "BatchNorm1d", "Dropout", "Flatten", "Identity")


def _dense_sequential(module, input_shape):
    """True if ``module`` is what :meth:`ReLUNetwork.from_torch` converts, on flat inputs."""
    import torch.nn as nn

    if input_shape is not None and len(tuple(np.atleast_1d(input_shape))) != 1:
        return False
    if isinstance(module, nn.Linear):
        return True
    if type(module) is not nn.Sequential:
        return False
    leaves = [m for m in module.modules() if not isinstance(m, nn.Sequential)]
    return bool(leaves) and all(type(m).__name__ in _DENSE_LAYERS for m in leaves) and isinstance(
        leaves[0], nn.Linear)


def from_torch(module, input_shape=None, *, check=True, random_state=0):
    """Convert a torch module to a network the exact engine accepts.

    Parameters
    ----------
    module : torch.nn.Module
        An ``nn.Sequential`` or a module with a custom ``forward`` that
        ``torch.fx`` can trace, built from ``Linear``, ``Conv1d``, ``Conv2d``,
        ``AvgPool1d/2d``, ``MaxPool1d/2d``, ``AdaptiveAvgPool1d/2d``,
        ``BatchNorm1d/2d`` (eval: folded), ``Flatten``, ``Identity``,
        ``Dropout`` (eval), ``ReLU``, ``LeakyReLU``, ``torch.relu``,
        ``F.relu``, ``F.leaky_relu``, additions (``x + f(x)``) and
        ``view``/``reshape``/``flatten`` that keep the batch axis.
    input_shape : tuple of int, optional
        One input's shape without the batch axis, e.g. ``(1, 28, 28)``.
        Needed unless the module starts with ``nn.Linear``.
    check : bool, default True
        Compare a forward pass of the result with the module's (in eval mode)
        on random inputs; raise ``ValueError`` if they differ.
    random_state : int, default 0
        Seed of the check's inputs.

    Returns
    -------
    ReLUNetwork or PLNetwork
        A ``ReLUNetwork`` for a ``Sequential`` of dense layers on flat inputs
        (the fast path); a ``PLNetwork`` otherwise.

    Raises
    ------
    UnsupportedLayerError
        Naming the first unsupported operation and its position in the traced graph.

    Examples
    --------
    >>> import torch.nn as nn
    >>> from_torch(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))).widths
    (3,)
    >>> net = from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten()), (1, 4, 4))
    >>> type(net).__name__, net.widths
    ('PLNetwork', (8,))
    """
    from ._torch import import_torch
    from ._torch_graph import check_graph_against_torch, graph_from_torch

    import_torch()
    if _dense_sequential(module, input_shape):
        net = ReLUNetwork.from_torch(module, check=check, random_state=random_state)
        if input_shape is not None and net.input_dim != int(np.prod(input_shape)):
            raise ValueError(f"input_shape {tuple(input_shape)} does not match the module's "
                             f"{net.input_dim} inputs.")
        return net
    net = graph_from_torch(module, input_shape)
    if check:
        check_graph_against_torch(net, module, random_state)
    return net


def from_onnx(path, *, check=True, random_state=0):
    """Read an ONNX model (a path or an ``onnx.ModelProto``) as a :class:`PLNetwork`.

    Supported operators: Gemm, MatMul (constant weights), Add (two branches,
    or a constant), Conv, Relu, LeakyRelu, MaxPool, AveragePool,
    GlobalAveragePool, Flatten, Reshape (batch axis first), BatchNormalization
    (inference), Identity, Dropout (inference) and Constant. The input must
    have fixed sizes apart from the batch axis.

    Loading an ONNX file parses data and runs no code, so it is safe for
    files from anywhere (unlike unpickling a torch model).

    Parameters
    ----------
    path : str, Path or onnx.ModelProto
    check : bool, default True
        Compare the result's forward pass on random inputs with onnxruntime's
        (or, where onnxruntime is missing or lacks a kernel, with the
        reference evaluator of the onnx package); raise ``ValueError`` if they
        differ, warn if neither can run the model.
    random_state : int, default 0

    Raises
    ------
    UnsupportedLayerError
        Naming the first unsupported operator, its node name and position.

    Examples
    --------
    >>> from onnx import helper, TensorProto, numpy_helper
    >>> import numpy as np
    >>> W = numpy_helper.from_array(np.eye(2), "W")
    >>> g = helper.make_graph(
    ...     [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
    ...     "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 2])],
    ...     [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", 2])], [W])
    >>> from_onnx(helper.make_model(g)).widths
    (2,)
    """
    from ._onnx import check_against_source, graph_from_onnx, load_onnx_model

    model = load_onnx_model(path)
    net = graph_from_onnx(model)
    if check:
        check_against_source(net, model, random_state)
    return net
