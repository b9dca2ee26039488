"""Slices of a 784-input network against the same network composed with the slice by hand."""

import numpy as np
import pytest

from polyregions import Box, ReLUNetwork, Slice, enumerate_regions
from polyregions.geometry import check_volumes, euler_characteristic_2d

N_IN = 784


@pytest.fixture(scope="module")
def net784():
    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(16, N_IN)) * np.sqrt(2 / N_IN),
          rng.normal(size=(10, 16)) * np.sqrt(2 / 16),
          rng.normal(size=(1, 10))]
    bs = [rng.normal(size=16) * 0.1, rng.normal(size=10) * 0.1, np.zeros(1)]
    return ReLUNetwork.from_weights(Ws, bs)


def images(n, seed):
    """Stand-ins for MNIST images: pixels in [0, 1]."""
    return np.random.default_rng(seed).random((n, N_IN))


def composed(net, origin, directions):
    """The network of ``u -> net(origin + directions.T @ u)``, built by hand."""
    D = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    W1 = net.weights[0] @ D.T
    b1 = net.weights[0] @ origin + net.biases[0]
    return ReLUNetwork.from_weights([W1, *net.weights[1:]], [b1, *net.biases[1:]])


def test_plane_slice_equals_hand_composed_network(pattern_set, net784):
    rng = np.random.default_rng(1)
    origin = images(1, 2)[0]
    d1, d2 = rng.normal(size=(2, N_IN)) * 0.3
    sl = Slice.plane(origin, d1, d2, lo=(-2.0, -1.0), hi=(2.0, 3.0))
    rs = enumerate_regions(net784, sl)
    small = composed(net784, origin, [d1, d2])
    ref = enumerate_regions(small, Box([-2.0, -1.0], [2.0, 3.0]))
    assert rs.complete and rs.n_regions == ref.n_regions > 20
    assert pattern_set(rs) == pattern_set(ref)
    assert len(rs.edges) == len(ref.edges)
    assert rs.check_patterns().size == 0
    # the certificates are points of the 784-D input space on the plane
    X = rs.input_points
    assert X.shape == (rs.n_regions, N_IN)
    assert np.allclose(X, origin + rs.interior_points @ np.vstack([d1, d2]))
    assert check_volumes(rs).rel_error < 1e-9 and euler_characteristic_2d(rs).ok


def test_segment_count_equals_1d_network(pattern_set, net784):
    a, b = images(2, 3)
    rs = enumerate_regions(net784, Slice.segment(a, b))
    ref = enumerate_regions(composed(net784, a, [b - a]), Box([0.0], [1.0]))
    assert rs.complete and rs.domain.dim == 1
    assert rs.n_regions == ref.n_regions
    assert pattern_set(rs) == pattern_set(ref)
    # the intervals tile [0, 1]
    ends = [np.ravel(_interval_ends(rs, i)) for i in range(rs.n_regions)]
    assert sum(hi - lo for lo, hi in ends) == pytest.approx(1.0, abs=1e-12)
    # A sweep whose step is shorter than every interval sees each region, and
    # each in one run only (convexity: a region is one interval of the segment).
    t = np.linspace(0.0, 1.0, 20_001)
    assert min(hi - lo for lo, hi in ends) > t[1]
    pats = net784.activation_patterns(a + t[:, None] * (b - a))
    seen = pattern_set(pats)
    assert seen == pattern_set(rs)
    changes = np.count_nonzero(np.any(pats[1:] != pats[:-1], axis=1))
    assert changes + 1 == rs.n_regions


def _interval_ends(rs, i):
    from polyregions.geometry import region_vertices

    A, b = rs.halfspaces(i)
    return region_vertices(A, b, rs.interior_points[i])


def test_through_points_three_images(pattern_set, net784):
    p0, p1, p2 = images(3, 4)
    sl = Slice.through_points(p0, p1, p2)
    assert np.allclose(sl.to_input([[0, 0], [1, 0], [0, 1]]), [p0, p1, p2])
    rs = enumerate_regions(net784, sl)
    ref = enumerate_regions(composed(net784, p0, [p1 - p0, p2 - p0]), Box([-0.25] * 2, [1.25] * 2))
    assert rs.n_regions == ref.n_regions
    assert pattern_set(rs) == pattern_set(ref)
    # each image lies in the region carrying its own activation pattern
    where = rs.locate([[0, 0], [1, 0], [0, 1]])
    assert np.all(where >= 0)
    assert np.array_equal(rs.patterns[where], net784.activation_patterns(np.vstack([p0, p1, p2])))
    assert rs.domain.to_dict()["type"] == "Slice"


def test_slice_output_maps_match_the_full_network(net784):
    p0, p1, p2 = images(3, 5)
    rs = enumerate_regions(net784, Slice.through_points(p0, p1, p2))
    A, c = rs.affine_maps()
    U = rs.interior_points
    y_slice = np.einsum("roi,ri->ro", A, U) + c
    y_full = net784.forward(rs.input_points)
    assert np.allclose(y_slice, y_full, rtol=1e-10, atol=1e-10)
