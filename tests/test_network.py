import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from polyregions import ReLUNetwork, UnsupportedLayerError, load_network, random_network

torch = pytest.importorskip("torch")
nn = torch.nn


def test_forward_by_hand():
    net = ReLUNetwork.from_weights([[[1.0, -1.0], [2.0, 0.0]], [[1.0, 1.0]]], [[0.5, -1.0], [0.25]])
    x = np.array([[1.0, 2.0]])  # z = (-0.5, 1.0) -> h = (0, 1) -> y = 1.25
    assert net.forward(x).tolist() == [[1.25]]
    assert net.activation_patterns(x).tolist() == [[False, True]]
    assert [z.tolist() for z in net.preactivations(x)] == [[[-0.5, 1.0]]]


def test_leaky_forward_by_hand():
    net = ReLUNetwork.from_weights([[[1.0]], [[2.0]]], [[0.0], [0.0]], negative_slope=0.1)
    assert net.forward([[-3.0], [3.0]]).ravel().tolist() == pytest.approx([-0.6, 6.0])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), slope=st.sampled_from([0.0, 0.2]))
def test_affine_maps_agree_with_forward(seed, slope):
    rng = np.random.default_rng(seed)
    base = random_network(3, [5, 4, 3], output_dim=2, bias_std=0.5, random_state=seed)
    net = ReLUNetwork.from_weights(base.weights, base.biases, negative_slope=slope)
    X = rng.normal(size=(20, 3))
    pats = net.activation_patterns(X)
    Z = np.concatenate(net.preactivations(X), axis=1)
    Y = net.forward(X)
    for x, p, z, y in zip(X, pats, Z, Y):
        G, g = net.affine_preactivations(p)
        np.testing.assert_allclose(G @ x + g, z, atol=1e-12)
        A, c = net.affine_output(p)
        np.testing.assert_allclose(A @ x + c, y, atol=1e-12)


@pytest.mark.parametrize(
    "weights,biases,msg",
    [
        ([[[np.nan]]], [[0.0]], "NaN"),
        ([[[np.inf]]], [[0.0]], "infinite"),
        ([[[1.0, 2.0]]], [[0.0, 1.0]], "expected shape"),
        ([np.ones((3, 2)), np.ones((1, 4))], [np.zeros(3), np.zeros(1)], "expects 4 inputs"),
        ([np.ones((3, 2))], [], "bias vectors"),
        ([], [], "at least one"),
        ([np.ones(3)], [np.zeros(1)], "2-D"),
    ],
)
def test_from_weights_rejects_bad_input(weights, biases, msg):
    with pytest.raises(ValueError, match=msg):
        ReLUNetwork.from_weights(weights, biases)


def test_arrays_are_immutable_and_copied():
    W = np.ones((2, 2))
    net = ReLUNetwork.from_weights([W, np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    W[0, 0] = 5.0
    assert net.weights[0][0, 0] == 1.0
    with pytest.raises(ValueError):
        net.weights[0][0, 0] = 2.0


def test_from_torch_all_supported_layers():
    torch.manual_seed(0)
    bn = nn.BatchNorm1d(6)
    bn.running_mean.copy_(torch.randn(6))
    bn.running_var.copy_(torch.rand(6) + 0.5)
    bn.weight.data.copy_(torch.randn(6))
    bn.bias.data.copy_(torch.randn(6))
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(3, 6), bn, nn.ReLU(), nn.Dropout(0.3), nn.Identity(),
        nn.Linear(6, 5), nn.LeakyReLU(0.05), nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 4)),
        nn.ReLU(), nn.Linear(4, 2),
    ).double()
    model.train()  # conversion must use eval semantics and restore the mode
    net = ReLUNetwork.from_torch(model)
    assert model.training
    assert net.widths == (6, 5, 4) and net.negative_slopes == (0.0, 0.05, 0.0)
    X = np.random.default_rng(1).normal(size=(50, 3))
    model.eval()
    with torch.no_grad():
        ref = model(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(net.forward(X), ref, rtol=1e-10, atol=1e-10)


def test_from_torch_trailing_relu_and_float32():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    net = ReLUNetwork.from_torch(model)
    assert net.widths == (3,) and net.output_dim == 3


def test_from_torch_unsupported_layers_are_named():
    with pytest.raises(UnsupportedLayerError, match=r"'1' \(Sigmoid\)"):
        ReLUNetwork.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1)))

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return x + torch.relu(self.lin(x))

    with pytest.raises(UnsupportedLayerError, match="Residual"):
        ReLUNetwork.from_torch(Residual())
    with pytest.raises(UnsupportedLayerError, match="Residual"):
        ReLUNetwork.from_torch(nn.Sequential(nn.Linear(2, 2), Residual()))
    with pytest.raises(UnsupportedLayerError, match="Conv1d"):
        ReLUNetwork.from_torch(nn.Sequential(nn.Conv1d(1, 1, 2)))


def test_from_torch_self_check_catches_hooks():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model.register_forward_hook(lambda m, i, o: o * 2)
    with pytest.raises(ValueError, match="differs from the torch module"):
        ReLUNetwork.from_torch(model)


def test_save_and_load_npz_and_torch(tmp_path):
    net = random_network(3, [4, 4], output_dim=2, random_state=0)
    net.save_npz(tmp_path / "n.npz")
    back = load_network(tmp_path / "n.npz")
    assert back.fingerprint() == net.fingerprint()
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    torch.save(model, tmp_path / "m.pt")
    # a whole pickled module needs the explicit opt-in (see test_loading.py)
    with pytest.raises(ValueError, match="trust=True"):
        load_network(tmp_path / "m.pt")
    assert load_network(tmp_path / "m.pt", trust=True).widths == (4,)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    assert load_network(tmp_path / "sd.pt").widths == (4,)
    with pytest.raises(FileNotFoundError):
        load_network(tmp_path / "missing.npz")
    np.savez(tmp_path / "bad.npz", A=np.ones(2))
    with pytest.raises(ValueError, match="W0, b0"):
        load_network(tmp_path / "bad.npz")


def test_wrong_point_dimension():
    net = random_network(2, [3], random_state=0)
    with pytest.raises(ValueError, match="dimension 2"):
        net.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        net.activation_patterns([[0.0, np.nan]])
    with pytest.raises(ValueError, match="3 entries"):
        net.affine_preactivations([True, False])
