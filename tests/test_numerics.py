"""Scale-robust numerics of the exact engine (issue 8): degenerate shapes, order,
weight and domain scale, translation, coincident hyperplanes, undecided cases."""

import numpy as np
import pytest

from polyregions import (
    Box, ReLUNetwork, WholeSpace, count_regions, enumerate_regions, random_network,
)
from polyregions.export import equal_results


# ------------------------------------------------------- degenerate shapes
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_all_zero_hidden_weights_give_one_region(dim):
    # every neuron is constant (here 0, so inactive): one region, the whole space
    net = ReLUNetwork.from_weights([np.zeros((3, dim)), np.ones((1, 3))], [np.zeros(3), [0.0]])
    rs = enumerate_regions(net, WholeSpace(dim))
    assert rs.count() == 1 and not rs.patterns.any()
    assert count_regions(net, Box(-np.ones(dim), np.ones(dim))) == 1


def test_zero_rows_and_columns_mixed():
    # a zero input column and a constant-on neuron in a 2-layer net: the 1-D arrangement
    # of x0 alone (3 lines x0 = 0, x0 = 1, x0 = -1 in layer 1) gives 4 strips
    W0 = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    b0 = np.array([0.0, -1.0, 1.0, 2.0])
    W1 = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    net = ReLUNetwork.from_weights([W0, W1, np.ones((1, 2))], [b0, [0.5, -1.0], [0.0]])
    rs = enumerate_regions(net, WholeSpace(2))
    assert rs.count() == 4
    assert np.all(rs.patterns[:, 3]) and np.all(rs.patterns[:, 4]) and not rs.patterns[:, 5].any()


def test_one_dimensional_single_neuron():
    net = ReLUNetwork.from_weights([[[2.0]], [[1.0]]], [[-1.0], [0.0]])
    assert count_regions(net) == 2
    assert count_regions(net, Box([0.6], [3.0])) == 1


# ------------------------------------------------------------------- order
def test_region_order_is_canonical_whatever_n_jobs():
    net = random_network(2, [6, 6], random_state=3)
    box = Box([-1, -1], [1, 1])
    serial = enumerate_regions(net, box)
    keys = [np.packbits(p).tobytes() for p in serial.patterns]
    assert keys == sorted(keys)
    other_seed = enumerate_regions(net, box, random_state=5)
    assert equal_results(serial, other_seed, compare_stats=False)
    par = enumerate_regions(net, box, n_jobs=2)
    assert equal_results(serial, par, compare_stats=False)
    assert np.array_equal(serial[3].pattern, par[3].pattern)
