"""Conversion of ONNX models to a :class:`~polyregions.plnetwork.PLNetwork`.

An ONNX file is data (a protobuf graph and its weights): reading it runs no
code, unlike unpickling a torch model. Only the ``onnx`` package is needed
(the optional extra ``polyregions[onnx]``).
"""

from __future__ import annotations

import numpy as np

from ._validation import check_conversion
from .network import UnsupportedLayerError
from .plnetwork import GraphBuilder

SUPPORTED_OPS = ("Gemm", "MatMul", "Add", "Conv", "Relu", "LeakyRelu", "MaxPool", "AveragePool",
                 "GlobalAveragePool", "Flatten", "Reshape", "BatchNormalization", "Identity",
                 "Dropout", "Constant")


def _import_onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ImportError("from_onnx needs the onnx package: pip install 'polyregions[onnx]'.") from None
    return onnx, numpy_helper


def _attrs(node, onnx):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def load_onnx_model(path):
    onnx, _ = _import_onnx()
    if isinstance(path, onnx.ModelProto):
        return path
    try:
        return onnx.load(str(path))
    except Exception as exc:  # protobuf raises DecodeError and friends
        raise ValueError(f"{path} is not a readable ONNX model: {exc}") from None


def graph_from_onnx(model):
    """Lower an ``onnx.ModelProto`` to a :class:`PLNetwork`.

    The graph must have one input whose first axis is the batch (symbolic or
    1) and fixed other axes. Raises :class:`UnsupportedLayerError` naming the
    first unsupported operation, its node name and its position.
    """
    onnx, numpy_helper = _import_onnx()
    g = model.graph
    consts = {t.name: numpy_helper.to_array(t).astype(np.float64) if t.data_type in (1, 10, 11)
              else numpy_helper.to_array(t) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in consts]
    if len(inputs) != 1:
        raise UnsupportedLayerError(
            f"the ONNX graph has {len(inputs)} inputs ({[i.name for i in inputs]}); a network "
            "must take one tensor."
        )
    dims = inputs[0].type.tensor_type.shape.dim
    shape = []
    for k, d in enumerate(dims):
        if d.HasField("dim_value"):
            shape.append(int(d.dim_value))
        elif k == 0:
            shape.append(1)
        else:
            raise UnsupportedLayerError(
                f"input {inputs[0].name!r} has a symbolic size {d.dim_param!r} on axis {k}; only "
                "the batch axis may be symbolic (export with a fixed input size)."
            )
    if len(shape) < 2:
        raise UnsupportedLayerError(
            f"input {inputs[0].name!r} has shape {shape}; expected a batch axis first."
        )
    b = GraphBuilder(tuple(shape[1:]), inputs[0].name)
    env = {inputs[0].name: b.input}
    for pos, node in enumerate(g.node):
        op = node.op_type
        a = _attrs(node, onnx)
        label = f"ONNX node {pos} ({op} {node.name!r})"

        def unsupported(why):
            raise UnsupportedLayerError(
                f"{label} is not supported: {why}. polyregions converts {', '.join(SUPPORTED_OPS)}."
            )

        def tensor(name):
            v = env.get(name)
            if not isinstance(v, int):
                unsupported(f"its input {name!r} is not computed from the network input")
            return v

        def const(name):
            if name in consts:
                return consts[name]
            unsupported(f"its input {name!r} must be a constant (an initializer)")

        try:
            _lower_onnx_node(b, env, consts, node, op, a, pos, unsupported, tensor, const,
                             numpy_helper)
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
    if len(g.output) != 1 or g.output[0].name not in env or not isinstance(env[g.output[0].name], int):
        raise UnsupportedLayerError("the ONNX graph must have one output computed from its input.")
    return b.build(env[g.output[0].name])


def _lower_onnx_node(b, env, consts, node, op, a, pos, unsupported, tensor, const, numpy_helper):
    """Lower one ONNX node into the builder; record its output in ``env`` (or ``consts``)."""
    ins = list(node.input)
    if node.domain not in ("", "ai.onnx"):
        unsupported(f"operator domain {node.domain!r}")
    if op == "Constant":
        if "value" not in a:
            unsupported("only Constant with a tensor 'value'")
        consts[node.output[0]] = numpy_helper.to_array(a["value"])
        return
    if op in ("Identity", "Dropout"):
        env[node.output[0]] = env[ins[0]] if ins[0] in env else None
        if ins[0] in consts:
            consts[node.output[0]] = consts[ins[0]]
        return
    if op == "Gemm":
        x = tensor(ins[0])
        if a.get("transA", 0):
            unsupported("transA=1")
        B = const(ins[1])
        W = B.T if not a.get("transB", 0) else B  # (out, in)
        W = W * a.get("alpha", 1.0)
        bias = None
        if len(ins) > 2 and ins[2]:
            c = np.broadcast_to(const(ins[2]) * a.get("beta", 1.0), (W.shape[0],))
            bias = np.array(c, dtype=np.float64)
        if len(b.shape(x)) != 1:
            unsupported(f"input of shape {b.shape(x)}; Gemm takes a (batch, n) matrix")
        out = b.dense(x, W, bias, node.name or f"Gemm_{pos}")
    elif op == "MatMul":
        x = tensor(ins[0])
        B = const(ins[1])
        if B.ndim != 2:
            unsupported(f"a constant operand of shape {B.shape}; only 2-D weights")
        out = b.dense(x, B.T, None, node.name or f"MatMul_{pos}")
    elif op == "Add":
        v0, v1 = env.get(ins[0]), env.get(ins[1])
        if isinstance(v0, int) and isinstance(v1, int):
            out = b.add(v0, v1, node.name or f"Add_{pos}")
        else:
            x, c = (v0, ins[1]) if isinstance(v0, int) else (tensor(ins[1]), ins[0])
            cv = const(c)
            sh = b.shape(x)
            # A constant broadcasts against (batch, *shape): drop a leading batch axis of 1.
            if cv.ndim == len(sh) + 1:
                if cv.shape[0] != 1:
                    unsupported(f"a constant of shape {cv.shape} varies along the batch axis")
                cv = cv[0]
            out = b.shift(x, cv, node.name or f"Add_{pos}")
    elif op == "Conv":
        x = tensor(ins[0])
        W = const(ins[1])
        nd = W.ndim - 2
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            unsupported(f"auto_pad={a['auto_pad']!r}; export with explicit pads")
        bias = const(ins[2]) if len(ins) > 2 and ins[2] else None
        out = b.conv(x, W, bias, a.get("strides", 1), a.get("pads", [0] * 2 * nd),
                     a.get("dilations", 1), a.get("group", 1), node.name or f"Conv_{pos}")
    elif op in ("Relu", "LeakyRelu"):
        slope = a.get("alpha", 0.01) if op == "LeakyRelu" else 0.0
        out = b.relu(tensor(ins[0]), slope, node.name or f"{op}_{pos}")
    elif op in ("MaxPool", "AveragePool"):
        x = tensor(ins[0])
        if a.get("ceil_mode", 0):
            unsupported("ceil_mode=1")
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            unsupported(f"auto_pad={a['auto_pad']!r}; export with explicit pads")
        if op == "MaxPool" and len(node.output) > 1 and node.output[1]:
            unsupported("the Indices output")
        if a.get("storage_order", 0):
            unsupported("storage_order=1")
        k = a["kernel_shape"]
        nd = len(k)
        pads = a.get("pads", [0] * 2 * nd)
        strides = a.get("strides", 1)
        if op == "MaxPool":
            out = b.max_pool(x, k, strides, pads, a.get("dilations", 1), node.name or f"MaxPool_{pos}")
        else:
            if any(d != 1 for d in a.get("dilations", [1])):
                unsupported("dilations")
            p = [int(v) for v in pads]
            if (a.get("count_include_pad", 0) and len(p) == 2 * nd
                    and any(p[i] != p[nd + i] for i in range(nd))):
                unsupported("asymmetric pads with count_include_pad=1")
            out = b.avg_pool(x, k, strides, p, bool(a.get("count_include_pad", 0)),
                             node.name or f"AveragePool_{pos}")
    elif op == "GlobalAveragePool":
        out = b.adaptive_avg_pool(tensor(ins[0]), 1, node.name or f"GlobalAveragePool_{pos}")
    elif op == "Flatten":
        x = tensor(ins[0])
        axis = a.get("axis", 1)
        full = (1,) + b.shape(x)
        axis = axis % len(full) if axis < 0 else axis
        if axis == 0:
            unsupported("axis=0 flattens the batch axis")
        out = b.reshape(x, (int(np.prod(full[axis:])),) if axis == 1 else
                        full[1:axis] + (int(np.prod(full[axis:])),), node.name or f"Flatten_{pos}")
    elif op == "Reshape":
        x = tensor(ins[0])
        target = [int(s) for s in const(ins[1])]
        if a.get("allowzero", 0):
            unsupported("allowzero=1")
        if not target or target[0] not in (-1, 0, 1):
            unsupported(f"target shape {target}; the batch axis must stay first (-1, 0 or 1)")
        rest = [b.shape(x)[i - 1] if s == 0 else s for i, s in enumerate(target)][1:]
        out = b.reshape(x, rest, node.name or f"Reshape_{pos}")
    elif op == "BatchNormalization":
        x = tensor(ins[0])
        if a.get("training_mode", 0):
            unsupported("training_mode=1")
        scale, bias, mean, var = (const(n) for n in ins[1:5])
        out = b.batch_norm(x, mean, var, a.get("epsilon", 1e-5), scale, bias,
                           node.name or f"BatchNormalization_{pos}")
    else:
        unsupported("this operator is not piecewise linear or not handled")
    env[node.output[0]] = out


def _run_onnxruntime(model, X):
    import onnxruntime as ort

    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    dtype = np.float64 if "double" in inp.type else np.float32
    if isinstance(inp.shape[0], int):
        return np.concatenate([sess.run(None, {inp.name: X[i:i + 1].astype(dtype)})[0]
                               for i in range(len(X))]), dtype
    return sess.run(None, {inp.name: X.astype(dtype)})[0], dtype


def _run_reference(model, X):
    onnx, _ = _import_onnx()
    from onnx.reference import ReferenceEvaluator

    ev = ReferenceEvaluator(model)
    inp = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}][0]
    elem = inp.type.tensor_type.elem_type
    dtype = np.float64 if elem == onnx.TensorProto.DOUBLE else np.float32
    if inp.type.tensor_type.shape.dim[0].HasField("dim_value"):
        return np.concatenate([ev.run(None, {inp.name: X[i:i + 1].astype(dtype)})[0]
                               for i in range(len(X))]), dtype
    return ev.run(None, {inp.name: X.astype(dtype)})[0], dtype


def _compare(net, X, Y, dtype, source):
    check_conversion(net.forward(X.reshape(len(X), -1)), Y, source=source,
                     float64=dtype == np.float64,
                     hint="the model uses something the converter does not read")


def check_against_onnxruntime(net, model, random_state=0, n_points=16):
    """Raise ``ValueError`` if ``net`` and onnxruntime disagree on random inputs (needs onnxruntime)."""
    X = np.random.default_rng(random_state).normal(size=(n_points,) + tuple(net.input_shape))
    Y, dtype = _run_onnxruntime(model, X)
    _compare(net, X, Y, dtype, "onnxruntime")


def check_against_source(net, model, random_state=0, n_points=8):
    """Compare ``net`` with a forward pass of the ONNX graph on random inputs.

    The forward pass is onnxruntime's when it is installed and has kernels for
    the model's types (it has no float64 convolution), otherwise the
    pure-Python reference evaluator shipped with onnx. A mismatch raises
    ``ValueError``; if neither evaluator can run the model, a
    ``RuntimeWarning`` says the conversion is unchecked.
    """
    import warnings

    X = np.random.default_rng(random_state).normal(size=(n_points,) + tuple(net.input_shape))
    failures = []
    for source, run in (("onnxruntime", _run_onnxruntime), ("the ONNX reference evaluator",
                                                            _run_reference)):
        try:
            Y, dtype = run(model, X)
        except Exception as exc:  # ImportError, or an evaluator without this kernel
            failures.append(f"{source}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        _compare(net, X, Y, dtype, source)
        return source
    warnings.warn("the ONNX conversion could not be checked by a forward pass ("
                  + "; ".join(failures) + ")", RuntimeWarning, stacklevel=3)
    return None
