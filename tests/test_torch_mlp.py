"""to_torch / from_torch round trips and fx-traced custom MLPs, checked by forward passes."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from polyregions import ReLUNetwork, UnsupportedLayerError, random_network


class Plain(nn.Module):
    def __init__(self, out_act=None):
        super().__init__()
        self.fc1 = nn.Linear(3, 7)
        self.fc2 = nn.Linear(7, 5)
        self.head = nn.Linear(5, 4)
        self.out_act = out_act

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = F.leaky_relu(self.fc2(x), 0.2)
        x = self.head(x)
        if self.out_act == "softmax":
            x = F.softmax(x, dim=1)
        elif self.out_act == "sigmoid":
            x = torch.sigmoid(x)
        return x


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 3)
        self.fc2 = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)) + x)


def test_to_torch_round_trip_and_forward():
    net = random_network(4, [6, 5], output_dim=3, bias_std=0.2, negative_slope=0.0,
                         random_state=0)
    m = net.to_torch(torch.float64)
    X = np.random.default_rng(0).normal(size=(50, 4))
    with torch.no_grad():
        np.testing.assert_allclose(m(torch.as_tensor(X)).numpy(), net.forward(X), atol=1e-12)
    back = ReLUNetwork.from_torch(m)
    for a, b in zip(back.weights + back.biases, net.weights + net.biases):
        np.testing.assert_array_equal(a, b)
    leaky = random_network(2, [3], negative_slope=0.1, random_state=1)
    assert ReLUNetwork.from_torch(leaky.to_torch()).negative_slopes == (pytest.approx(0.1),)
    assert leaky.to_torch()[0].weight.dtype == torch.float32


def test_fx_traced_custom_mlp_matches_forward_pass():
    torch.manual_seed(0)
    m = Plain()
    net = ReLUNetwork.from_torch(m)
    assert net.widths == (7, 5) and net.negative_slopes == (0.0, pytest.approx(0.2))
    X = np.random.default_rng(1).normal(size=(100, 3))
    with torch.no_grad():
        ref = m(torch.as_tensor(X, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(net.forward(X), ref, atol=1e-5)


@pytest.mark.parametrize("act", ["softmax", "sigmoid"])
def test_drop_output_activation(act):
    torch.manual_seed(1)
    m = Plain(act)
    with pytest.raises(UnsupportedLayerError, match="drop_output_activation=True"):
        ReLUNetwork.from_torch(m)
    net = ReLUNetwork.from_torch(m, drop_output_activation=True)
    X = np.random.default_rng(2).normal(size=(20, 3))
    with torch.no_grad():
        logits = m.head(F.leaky_relu(m.fc2(torch.relu(m.fc1(torch.as_tensor(
            X, dtype=torch.float32)))), 0.2)).double().numpy()
    np.testing.assert_allclose(net.forward(X), logits, atol=1e-5)
    seq = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.Softmax(dim=1))
    assert ReLUNetwork.from_torch(seq, drop_output_activation=True).output_dim == 3


def test_branching_module_is_refused():
    with pytest.raises(UnsupportedLayerError, match="plain feed-forward chain"):
        ReLUNetwork.from_torch(Residual())
    mid = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    with pytest.raises(UnsupportedLayerError, match="Sigmoid"):
        ReLUNetwork.from_torch(mid, drop_output_activation=True)
