"""General piecewise-linear networks: convolutions, pooling, residual blocks, max-pool, ONNX.

Oracles: dense ``Linear`` nets built by hand from the torch layers (a conv's
matrix is the torch conv applied to basis images), brute force over all
patterns with a hand-written H-representation and scipy's LP, dense
sampling, torch / onnxruntime forward passes.
"""

import io
import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn
from scipy.optimize import linprog

import polyregions as pr
from polyregions import Box, Slice, UnsupportedLayerError, enumerate_regions, from_onnx, from_torch
from polyregions.plnetwork import GraphBuilder


def keys(P):
    return {bytes(r) for r in np.packbits(np.asarray(P, bool), axis=1)}


def torch_matrix(layer, in_shape):
    """The dense matrix and offset of an affine torch layer, by applying it to basis inputs."""
    n = int(np.prod(in_shape))
    with torch.no_grad():
        E = torch.eye(n, dtype=torch.float64).reshape((n,) + tuple(in_shape))
        zero = torch.zeros((1,) + tuple(in_shape), dtype=torch.float64)
        c = layer(zero).reshape(-1)
        A = (layer(E).reshape(n, -1) - c).T
    return A.numpy(), c.numpy()


def dense_linear(A, c):
    lin = nn.Linear(A.shape[1], A.shape[0]).double()
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(A))
        lin.bias.copy_(torch.as_tensor(c))
    return lin


def chebyshev_radius(A, b):
    """Radius of the largest ball in {A u <= b} (scipy HiGHS), 0 if empty."""
    norms = np.linalg.norm(A, axis=1)
    res = linprog(np.r_[np.zeros(A.shape[1]), -1.0], A_ub=np.c_[A, norms], b_ub=b,
                  bounds=[(None, None)] * A.shape[1] + [(0, 10)], method="highs")
    return res.x[-1] if res.status == 0 else 0.0


def sampled_patterns(net, domain, n, seed=0):
    U = domain.sample(n, np.random.default_rng(seed))
    return keys(net.activation_patterns(domain.to_input(U)))


# ------------------------------------------------------------- conv nets
@pytest.fixture(scope="module")
def conv_net():
    torch.manual_seed(3)
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3), nn.ReLU(), nn.Flatten(),
                      nn.Linear(8, 1)).double().eval()
    # Hand conversion: each conv becomes the Linear layer with its matrix.
    A1, c1 = torch_matrix(m[0], (1, 6, 6))
    A2, c2 = torch_matrix(m[2], (2, 4, 4))
    dense = nn.Sequential(nn.Flatten(), dense_linear(A1, c1), nn.ReLU(), dense_linear(A2, c2),
                          nn.ReLU(), m[5]).double()
    return m, from_torch(m, (1, 6, 6)), pr.ReLUNetwork.from_torch(dense)


def test_conv_net_is_a_general_network_matching_torch(conv_net):
    m, net, dense = conv_net
    assert isinstance(net, pr.PLNetwork) and net.widths == (32, 8)
    X = np.random.default_rng(0).normal(size=(20, 1, 6, 6))
    with torch.no_grad():
        y = m(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(net.forward(X.reshape(20, -1)), y, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(net.activation_patterns(X.reshape(20, -1)),
                                  dense.activation_patterns(X.reshape(20, -1)))


def test_conv_net_slice_through_three_images_equals_dense_equivalent(conv_net):
    _, net, dense = conv_net
    imgs = np.random.default_rng(1).normal(size=(3, 36))
    dom = Slice.through_points(*imgs)
    rs = enumerate_regions(net, dom, method="lp")  # the graph network's own layers
    ref = enumerate_regions(dense, dom)  # the hand-converted dense net, by the subdivision
    assert rs.status == "exact" and rs.n_regions == ref.n_regions > 100
    assert keys(rs.patterns) == keys(ref.patterns)
    assert rs.graph.number_of_edges() == ref.graph.number_of_edges()
    assert sampled_patterns(net, dom, 20000) <= keys(rs.patterns)
    assert pr.verify(rs).ok
    auto = enumerate_regions(net, dom)  # a small chain runs as its dense equivalent
    assert auto.network is net and auto.stats["dense_equivalent"]
    assert keys(auto.patterns) == keys(rs.patterns)
    # The output map of each region is the dense net's.
    A, c = net.affine_output(rs.patterns[0], dom.input_map)
    A2, c2 = dense.affine_output(rs.patterns[0], dom.input_map)
    np.testing.assert_allclose(A, A2, atol=1e-12)
    np.testing.assert_allclose(c, c2, atol=1e-12)


def test_conv_net_small_box_equals_dense_equivalent(conv_net):
    _, net, dense = conv_net
    x0 = np.random.default_rng(2).normal(size=36)
    box = Box(x0 - 0.06, x0 + 0.06)
    rs = enumerate_regions(net, box)
    ref = enumerate_regions(dense, box)
    assert rs.status == "exact" and rs.n_regions == ref.n_regions > 3
    assert keys(rs.patterns) == keys(ref.patterns)
    assert sampled_patterns(net, box, 5000) <= keys(rs.patterns)


def test_conv1d_avg_pools_batchnorm_and_leaky_match_torch_and_dense():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv1d(2, 3, 3, stride=2, padding=1), nn.BatchNorm1d(3), nn.LeakyReLU(0.2),
                      nn.AvgPool1d(2, padding=1, count_include_pad=False), nn.Conv1d(3, 2, 2),
                      nn.ReLU(), nn.AdaptiveAvgPool1d(2), nn.Flatten(), nn.Linear(4, 1)).double()
    m[1].running_mean.normal_()
    m[1].running_var.uniform_(0.5, 2.0)
    m.eval()
    net = from_torch(m, (2, 7))
    A1, c1 = torch_matrix(m[:2], (2, 7))
    A2, c2 = torch_matrix(m[3:5], (3, 4))
    A3, c3 = torch_matrix(m[6:], (2, 2))
    dense = pr.ReLUNetwork.from_weights([A1, A2, A3], [c1, c2, c3], negative_slope=[0.2, 0.0])
    np.testing.assert_allclose(net.to_relu_network().weights[1], A2, atol=1e-12)
    dom = Slice.through_points(*np.random.default_rng(4).normal(size=(3, 14)))
    rs, ref = enumerate_regions(net, dom, method="lp"), enumerate_regions(dense, dom)
    assert rs.n_regions == ref.n_regions and keys(rs.patterns) == keys(ref.patterns)


def test_conv2d_stride_padding_dilation_groups_and_adaptive_pool_match_torch():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, padding=2, dilation=2, groups=2), nn.ReLU(),
                      nn.AvgPool2d(2, stride=1, padding=1), nn.BatchNorm2d(4),
                      nn.Conv2d(4, 2, (1, 2), padding="same"), nn.ReLU(),
                      nn.AdaptiveAvgPool2d((2, 3)), nn.Flatten(), nn.Linear(12, 2)).double()
    m[3].running_mean.normal_()
    m[3].running_var.uniform_(0.5, 2.0)
    net = from_torch(m.eval(), (2, 7, 6))  # from_torch checks itself against torch
    assert net.output_dim == 2
    dense = net.to_relu_network()
    X = np.random.default_rng(0).normal(size=(10, 84))
    np.testing.assert_allclose(dense.forward(X), net.forward(X), atol=1e-12)


# --------------------------------------------------------- residual nets
class ResidualMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c, self.out = (nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 4),
                                            nn.Linear(4, 1))

    def forward(self, x):
        x = x + self.b(torch.relu(self.a(x)))
        return self.out(nn.functional.relu(self.c(x)))


def test_residual_mlp_equals_dense_passthrough_net_and_brute_force():
    torch.manual_seed(2)
    m = ResidualMLP().double()
    net = from_torch(m)
    assert isinstance(net, pr.PLNetwork) and net.widths == (3, 3 + 1)[:1] + (4,)
    W1, b1 = m.a.weight.detach().numpy(), m.a.bias.detach().numpy()
    W2, b2 = m.b.weight.detach().numpy(), m.b.bias.detach().numpy()
    W3, b3 = m.c.weight.detach().numpy(), m.c.bias.detach().numpy()
    Wo, bo = m.out.weight.detach().numpy(), m.out.bias.detach().numpy()
    # Dense reference: carry x through the first ReLU layer as relu(x) = x, exact on a box in
    # the positive orthant, where the three carrier neurons are always active.
    box = Box([0.05] * 3, [1.5] * 3)
    dense = pr.ReLUNetwork.from_weights(
        [np.vstack([W1, np.eye(3)]), np.hstack([W3 @ W2, W3]), Wo],
        [np.r_[b1, np.zeros(3)], W3 @ b2 + b3, bo])
    rs, ref = enumerate_regions(net, box), enumerate_regions(dense, box)
    drop = np.r_[0:3, 6:10]
    assert rs.n_regions == ref.n_regions
    assert keys(rs.patterns) == keys(ref.patterns[:, drop])
    # Brute force: every pattern's region written by hand, kept if it holds a ball.
    Ad, bd = box.halfspaces
    count = 0
    for p in itertools.product([0, 1], repeat=7):
        s1, s2 = np.array(p[:3]), np.array(p[3:])
        D1 = np.diag(s1.astype(float))
        # x2 = x + W2 relu(W1 x + b1) + b2 = (I + W2 D1 W1) x + W2 D1 b1 + b2
        M2, m2 = np.eye(3) + W2 @ D1 @ W1, W2 @ D1 @ b1 + b2
        G = np.vstack([W1, W3 @ M2])
        g = np.r_[b1, W3 @ m2 + b3]
        sign = np.where(np.r_[s1, s2] == 1, -1.0, 1.0)
        A = np.vstack([sign[:, None] * G, Ad])
        b = np.r_[-sign * g, bd]
        count += chebyshev_radius(A, b) > 1e-9
    assert rs.n_regions == count
    assert sampled_patterns(net, box, 20000) <= keys(rs.patterns)


# --------------------------------------------------------------- max-pool
def maxpool_tiny(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 1, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(1, 1)).double().eval()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_pool_tiny_equals_hand_expanded_brute_force(seed):
    m = maxpool_tiny(seed)
    net = from_torch(m, (1, 3, 3))
    assert net.widths == (4, 4)
    dom = Slice.through_points(*np.random.default_rng(seed).normal(size=(3, 9)), margin=1.0)
    rs = enumerate_regions(net, dom)
    # Hand expansion: conv as a 4x9 matrix, ReLU signs, then the argmax c of the 4 outputs:
    # h_c >= h_j for j after c, h_c > h_j for j before c (the first maximum wins a tie).
    C, c0 = torch_matrix(m[0], (1, 3, 3))
    M, mvec = dom.input_map
    Z, z = C @ M, C @ mvec + c0
    Ad, bd = dom.halfspaces
    count = 0
    for p in itertools.product([0, 1], repeat=4):
        s = np.array(p, float)
        H, h = s[:, None] * Z, s * z  # the ReLU outputs as affine maps of u
        sign = np.where(s == 1, -1.0, 1.0)
        for c in range(4):
            rows, rhs, empty = [sign[:, None] * Z], [-sign * z], False
            for j in range(4):
                if j == c:
                    continue
                dG, dg = H[j] - H[c], h[j] - h[c]  # need h_j - h_c <= 0 (< 0 before c)
                if j < c and not np.any(dG) and dg >= 0:
                    empty = True  # tied everywhere: the first position wins
                rows.append(dG[None])
                rhs.append([-dg])
            if not empty:
                count += chebyshev_radius(np.vstack(rows + [Ad]), np.concatenate(rhs + [bd])) > 1e-9
    assert rs.status == "exact" and rs.n_regions == count
    assert sampled_patterns(net, dom, 20000) <= keys(rs.patterns)
    assert pr.verify(rs).ok


def test_max_pool_net_against_dense_sampling_and_volumes():
    torch.manual_seed(5)
    m = nn.Sequential(nn.Conv2d(1, 2, 2), nn.LeakyReLU(0.1), nn.MaxPool2d(2, stride=1, padding=1),
                      nn.Flatten(), nn.Linear(32, 4), nn.ReLU(), nn.Linear(4, 1)).double().eval()
    net = from_torch(m, (1, 4, 4))
    assert net.has_max_pool and not net.is_chain()
    dom = Slice.through_points(*np.random.default_rng(7).normal(size=(3, 16)))
    rs = enumerate_regions(net, dom)
    found = keys(rs.patterns)
    sampled = sampled_patterns(net, dom, 40000)
    assert rs.status == "exact" and sampled <= found and len(found) == rs.n_regions
    assert pr.verify(rs).ok  # interior points reproduce patterns; areas add up; Euler
    from polyregions.recertify import recertify

    assert recertify(rs) == ()  # radii, forward-pass patterns, edges, connectivity, a sample
    # Every region's interior point has its pattern, and the output map is exact there.
    X = dom.to_input(rs.interior_points)
    for i in range(0, rs.n_regions, max(1, rs.n_regions // 10)):
        A, c = net.affine_output(rs.patterns[i], dom.input_map)
        np.testing.assert_allclose(A @ rs.interior_points[i] + c, net.forward(X[i])[0], atol=1e-10)


def test_max_pool_ties_between_dead_inputs_go_to_the_first_position():
    # All pool inputs are ReLUs that die on the same half-plane: there they tie at 0.
    b = GraphBuilder((2,))
    h = b.relu(b.dense(b.input, [[1.0, 0.0], [1.0, 0.0], [2.0, 0.0]], [0.0, 0.0, 0.0]))
    y = b.max_pool(b.reshape(h, (1, 3)), 3)
    net = b.build(b.dense(b.reshape(y, (1,)), [[1.0]]))
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    # x1 < 0: all dead, argmax = first; x1 > 0: the third (2 x1) wins.
    assert rs.n_regions == 2
    assert keys(rs.patterns) == keys([[0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    with pytest.raises(ValueError, match="thermometer"):
        net.affine_preactivations(np.array([0, 0, 0, 1, 0, 1], bool))


# ------------------------------------------------------------------- ONNX
def export_onnx(m, shape):
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m, torch.zeros((1,) + shape, dtype=next(m.parameters()).dtype), f, dynamo=False,
                          input_names=["x"], dynamic_axes={"x": {0: "N"}})
    import onnx

    return onnx.load_from_string(f.getvalue())


def test_onnx_round_trip_gives_the_same_regions(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")  # noqa: F841 - installed by the test extra
    from polyregions._onnx import check_against_onnxruntime

    torch.manual_seed(6)
    m = nn.Sequential(nn.Conv2d(1, 2, 2, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
                      nn.AvgPool2d(2, 1), nn.Flatten(), nn.Linear(2, 1)).double()
    m[1].running_mean.normal_()
    m[1].running_var.uniform_(0.5, 2.0)
    m.eval()
    m = m.float()  # onnxruntime has no float64 convolution
    model = export_onnx(m, (1, 4, 4))
    path = tmp_path / "net.onnx"
    path.write_bytes(model.SerializeToString())
    net_o, net_t = from_onnx(path), from_torch(m, (1, 4, 4))
    check_against_onnxruntime(net_o, model)
    dom = Slice.through_points(*np.random.default_rng(8).normal(size=(3, 16)))
    a, b = enumerate_regions(net_o, dom), enumerate_regions(net_t, dom)
    assert a.n_regions == b.n_regions > 10 and keys(a.patterns) == keys(b.patterns)


def test_onnx_residual_round_trip():
    torch.manual_seed(2)
    m = ResidualMLP().double().eval()
    net_o, net_t = from_onnx(export_onnx(m, (3,))), from_torch(m)
    box = Box([-1] * 3, [1] * 3)
    a, b = enumerate_regions(net_o, box), enumerate_regions(net_t, box)
    assert a.n_regions == b.n_regions and keys(a.patterns) == keys(b.patterns)


def hand_onnx(nodes, inits, in_shape, out_name="y"):
    from onnx import TensorProto, helper, numpy_helper

    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"] + list(in_shape))],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.asarray(v, np.float32) if k != "shape" else np.asarray(v, np.int64), k)
         for k, v in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_onnx_hand_built_operators_match_onnxruntime():
    from onnx import helper

    from polyregions._onnx import check_against_onnxruntime

    rng = np.random.default_rng(0)
    inits = {"w": rng.normal(size=(2, 1, 2, 2)), "cb": rng.normal(size=2), "sc": [1.5, 0.5],
             "bb": [0.1, -0.2], "mu": [0.3, -0.1], "var": [2.0, 0.5], "shape": [-1, 8],
             "W": rng.normal(size=(8, 3)), "B": rng.normal(size=3), "G": rng.normal(size=(3, 2)),
             "gb": rng.normal(size=2)}
    nodes = [
        helper.make_node("Conv", ["x", "w", "cb"], ["c"], pads=[1, 0, 0, 1]),
        helper.make_node("BatchNormalization", ["c", "sc", "bb", "mu", "var"], ["n"], epsilon=1e-3),
        helper.make_node("LeakyRelu", ["n"], ["r"], alpha=0.3),
        helper.make_node("AveragePool", ["r"], ["p"], kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("GlobalAveragePool", ["r"], ["gp"]),
        helper.make_node("MaxPool", ["p"], ["q"], kernel_shape=[2, 2], pads=[0, 0, 1, 1]),
        helper.make_node("Reshape", ["q", "shape"], ["f"]),
        helper.make_node("MatMul", ["f", "W"], ["h"]),
        helper.make_node("Add", ["h", "B"], ["h2"]),
        helper.make_node("Relu", ["h2"], ["h3"]),
        helper.make_node("Gemm", ["h3", "G", "gb"], ["o"], alpha=0.5),
        helper.make_node("Flatten", ["gp"], ["gf"]),
        helper.make_node("Add", ["o", "gf"], ["y"]),
    ]
    model = hand_onnx(nodes, inits, (1, 3, 3))
    net = from_onnx(model)
    check_against_onnxruntime(net, model)
    assert net.widths == (18, 32, 3)


# ------------------------------------------------------------------ errors
class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(x) * torch.sigmoid(x)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        if x.sum() > 0:
            return self.lin(x)
        return x


@pytest.mark.parametrize("module, shape, match", [
    (nn.Sequential(nn.Conv2d(1, 1, 2), nn.Sigmoid()), (1, 3, 3), r"traced node 2 \(module '1', Sigmoid\)"),
    (nn.Sequential(nn.Conv3d(1, 1, 2)), (1, 3, 3, 3), r"node 1 \(module '0', Conv3d\)"),
    (nn.Sequential(nn.Conv2d(1, 1, 2), nn.MaxPool2d(2, ceil_mode=True)), (1, 5, 5), "ceil_mode"),
    (nn.Sequential(nn.Conv2d(1, 1, 2), nn.AvgPool2d(2, divisor_override=3)), (1, 5, 5), "divisor_override"),
    (nn.Sequential(nn.Conv2d(1, 1, 2, padding=1, padding_mode="circular")), (1, 3, 3), "circular"),
    (nn.Sequential(nn.Linear(2, 2), nn.Tanh()), (2,), "Tanh"),
    (Gate(), (2,), r"node \d+ \('sigmoid'.*function sigmoid"),
    (Branchy(), (2,), "could not trace"),
    (nn.Sequential(nn.Flatten(0)), (2,), "batch axis"),
])
def test_unsupported_torch_operations_are_named_with_their_position(module, shape, match):
    with pytest.raises(UnsupportedLayerError, match=match):
        from_torch(module, shape)


@pytest.mark.parametrize("node, match", [
    (("Sigmoid", ["x"], ["y"], {}), r"ONNX node 0 \(Sigmoid 'bad'\)"),
    (("Mul", ["x", "x"], ["y"], {}), r"ONNX node 0 \(Mul 'bad'\)"),
    (("Conv", ["x", "w"], ["y"], {"auto_pad": "SAME_UPPER"}), "auto_pad"),
    (("MaxPool", ["x"], ["y"], {"kernel_shape": [2, 2], "ceil_mode": 1}), "ceil_mode"),
    (("Reshape", ["x", "shape"], ["y"], {}), "batch axis"),
    (("MatMul", ["x", "x"], ["y"], {}), "must be a constant"),
])
def test_unsupported_onnx_operations_are_named_with_their_position(node, match):
    from onnx import helper

    op, ins, outs, attrs = node
    nodes = [helper.make_node(op, ins, outs, name="bad", **attrs)]
    model = hand_onnx(nodes, {"w": np.ones((1, 1, 2, 2)), "shape": [3, 3]}, (1, 3, 3))
    with pytest.raises(UnsupportedLayerError, match=match):
        from_onnx(model)


def test_onnx_file_errors(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf")
    with pytest.raises(ValueError, match="not a readable ONNX model"):
        from_onnx(bad)


def test_dense_only_analyses_refuse_general_networks_clearly():
    m = nn.Sequential(nn.Conv1d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(4, 1))
    net = from_torch(m, (1, 3))
    with pytest.raises(TypeError, match="to_relu_network"):
        pr.line_statistics(net, np.zeros(3), np.ones(3))
    m = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(from_torch(m), pr.ReLUNetwork)  # dense Sequentials keep the fast path


def test_bounds_for_general_networks():
    torch.manual_seed(0)
    chain = from_torch(nn.Sequential(nn.Conv1d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(4, 1)),
                       (1, 3))
    assert pr.bounds_for(chain) == pr.bounds_for(chain.to_relu_network())
    res = from_torch(ResidualMLP())
    b = pr.bounds_for(res)
    assert b.upper["trivial"] == 2 ** 7 and "serra" not in b.upper
    rs = enumerate_regions(res)
    assert rs.n_regions <= min(b.upper.values()) == b.best_upper
    mp = from_torch(maxpool_tiny(0), (1, 3, 3))
    b = pr.bounds_for(mp)
    assert b.upper["trivial"] == 2 ** 4 * 4 and b.lower_on_max == {}


def test_json_round_trip_of_a_general_network_result():
    net = from_torch(maxpool_tiny(0), (1, 3, 3))
    dom = Slice.through_points(*np.random.default_rng(0).normal(size=(3, 9)), margin=1.0)
    rs = enumerate_regions(net, dom)
    assert rs.n_regions > 5
    back = pr.from_json(pr.to_json(rs))
    assert isinstance(back.network, pr.PLNetwork)
    assert back.network.fingerprint() == net.fingerprint()
    assert pr.equal_results(rs, back)
    assert back.check_patterns().size == 0
    from polyregions.recertify import certified_radii, recertify

    assert recertify(rs) == ()
    r, _ = certified_radii(rs)
    assert np.all(r >= rs.radii * (1 - 1e-9))
    doc = __import__("json").loads(pr.to_json(rs))
    doc["radii"][0] *= 10
    with pytest.raises(ValueError, match="radii"):
        pr.from_json(__import__("json").dumps(doc))


def test_onnx_files_load_as_data_and_count_from_the_cli(tmp_path, capsys):
    from polyregions.cli import main

    m = maxpool_tiny(0).float()
    path = tmp_path / "tiny.onnx"
    path.write_bytes(export_onnx(m, (1, 3, 3)).SerializeToString())
    net = pr.load_network(path)
    assert isinstance(net, pr.PLNetwork) and net.fingerprint() == from_onnx(path).fingerprint()
    box = Box([-1] * 9, [1] * 9)
    expected = pr.count_regions(from_torch(m, (1, 3, 3)), box)
    assert main(["count", str(path), "--box", "-1", "1"]) == 0
    assert capsys.readouterr().out.startswith(f"{expected} regions (exact)")
    (tmp_path / "net.json").write_text(__import__("json").dumps(net.to_dict()))
    assert pr.load_network(tmp_path / "net.json").fingerprint() == net.fingerprint()
    bad = tmp_path / "sig.onnx"
    from onnx import helper

    bad.write_bytes(hand_onnx([helper.make_node("Sigmoid", ["x"], ["y"], name="s")], {},
                              (2,)).SerializeToString())
    with pytest.raises(ValueError, match=r"ONNX node 0 \(Sigmoid 's'\)"):
        pr.load_network(bad)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.integers(1, 2), st.booleans(), st.integers(0, 10_000))
def test_property_conv_and_pool_layers_match_torch(cin, cout, k, stride, pad, dil, one_d, seed):
    """Random conv / max-pool / avg-pool configurations: forward pass and patterns against torch."""
    torch.manual_seed(seed)
    size = 7
    conv = (nn.Conv1d if one_d else nn.Conv2d)(cin, cout, k, stride=stride, padding=pad, dilation=dil)
    pool_k = 2
    mp = (nn.MaxPool1d if one_d else nn.MaxPool2d)(pool_k, stride=1, padding=min(pad, 1))
    ap = (nn.AvgPool1d if one_d else nn.AvgPool2d)(2, stride=1, padding=1, count_include_pad=bool(seed % 2))
    m = nn.Sequential(conv, nn.ReLU(), mp, ap, nn.Flatten()).double().eval()
    shape = (cin, size) if one_d else (cin, size, size)
    net = from_torch(m, shape)  # raises if the forward pass differs from torch's
    X = np.random.default_rng(seed).normal(size=(8,) + shape)
    with torch.no_grad():
        z = conv(torch.as_tensor(X)).reshape(8, -1).numpy()
    np.testing.assert_array_equal(net.activation_patterns(X.reshape(8, -1))[:, :z.shape[1]], z > 0)
