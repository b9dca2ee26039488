"""Region geometry: vertices, volumes, facets, and the volume/Euler self-checks."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyregions import Ball, Box, Polytope, ReLUNetwork, RegionSet, Slice, enumerate_regions
from polyregions.network import random_network
from polyregions.geometry import (
    UnboundedRegionError,
    check_volumes,
    euler_characteristic_2d,
    geometry_table,
    region_geometry,
    region_polygon,
    region_vertices,
    region_volume,
    verify,
)


def subset(rs, keep):
    """The same run with only the regions in ``keep`` (a broken tiling, for negative tests)."""
    keep = np.asarray(keep)
    index = -np.ones(rs.n_regions, dtype=int)
    index[keep] = np.arange(len(keep))
    e = [(index[i], index[j]) for i, j in rs.edges if index[i] >= 0 and index[j] >= 0]
    return RegionSet(rs.network, rs.domain, rs.patterns[keep], rs.interior_points[keep],
                     rs.radii[keep], e, [(0,)] * len(e), True, None, 0, rs.tolerances, {})


# ------------------------------------------------------------ polytope kernels
def test_vertices_of_triangle_and_interval():
    A = np.array([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    V = region_vertices(A, [0.0, 0.0, 1.0], [0.2, 0.2])
    assert sorted(map(tuple, V.round(12).tolist())) == [(0, 0), (0, 1), (1, 0)]
    # counter-clockwise: positive shoelace area
    area = 0.5 * np.sum(V[:, 0] * np.roll(V[:, 1], -1) - V[:, 1] * np.roll(V[:, 0], -1))
    assert area == pytest.approx(0.5)
    assert region_vertices([[1.0], [-1.0]], [2.0, 1.0], [0.0]).tolist() == [[-1.0], [2.0]]


def test_degenerate_vertex_is_reported_once():
    # Four lines through (0, 0) plus a box: the apex of each wedge is one vertex.
    A = np.array([[-1.0, 0.0], [0.0, -1.0], [-1.0, 1e-17 - 1.0], [1.0, 0.0], [0.0, 1.0]])
    b = np.array([0.0, 0.0, 0.0, 1.0, 1.0])
    assert len(region_vertices(A, b, [0.5, 0.5])) == 4


def test_unbounded_region_raises():
    with pytest.raises(UnboundedRegionError, match="unbounded"):
        region_vertices([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], [-1.0, -1.0])
    with pytest.raises(UnboundedRegionError):
        region_vertices([[1.0]], [0.0], [-1.0])
    with pytest.raises(ValueError, match="strictly inside"):
        region_vertices(np.vstack([np.eye(2), -np.eye(2)]), np.ones(4), [1.0, 0.0])


def circular_cap(R, h):
    """Area of the part of a disc of radius R beyond the chord at distance h from the centre."""
    return R * R * math.acos(h / R) - h * math.sqrt(R * R - h * h)


@pytest.mark.parametrize("h", [-0.9, -0.3, 0.0, 0.25, 0.8])
def test_disc_area_exact_against_circular_segments(h):
    R, c = 1.3, np.array([0.4, -0.2])
    # The half-plane x <= c_x + h as a (big) box; the disc minus the cap beyond x = c_x + h.
    A = np.vstack([np.eye(2), -np.eye(2)])
    b = np.array([c[0] + h, 10, 10, 10])
    x0 = np.array([c[0] + h - 0.05, c[1]])
    v = region_volume(A, b, x0, ball=(c, R))
    assert v.method == "disc_exact" and v.stderr == 0.0
    assert v.value == pytest.approx(math.pi * R * R - circular_cap(R, h), rel=1e-13)


def test_disc_area_special_cases():
    A = np.vstack([np.eye(2), -np.eye(2)])
    # square well inside the disc: the square's area
    square = region_volume(A, 0.5 * np.ones(4), [0, 0], ball=([0, 0], 5.0))
    assert square.value == pytest.approx(1.0)
    # disc well inside the square: the disc's area
    assert region_volume(A, 9 * np.ones(4), [0, 0], ball=([0, 0], 2.0)).value == pytest.approx(
        4 * math.pi, rel=1e-14)
    # square [0,1]^2 with a disc of radius 1 at its corner: a quarter disc
    v = region_volume(A, [1, 1, 0, 0], [0.5, 0.5], ball=([0, 0], 1.0)).value
    assert v == pytest.approx(math.pi / 4, rel=1e-14)


def test_monte_carlo_agrees_with_exact_within_standard_errors():
    A = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -1.0], [0.0, 1.0]])
    b = np.array([1.0, 1.0, 1.0, 0.7])
    exact = region_volume(A, b, [0, 0])
    mc = region_volume(A, b, [0, 0], method="monte_carlo", n_samples=200_000, random_state=3)
    assert mc.method == "monte_carlo" and mc.stderr > 0
    assert abs(mc.value - exact.value) < 5 * mc.stderr
    assert mc.stderr < 0.01 * exact.value
    disc = region_volume(A, b, [0, 0], ball=([0.1, 0.1], 0.8))
    mc = region_volume(A, b, [0, 0], ball=([0.1, 0.1], 0.8), method="monte_carlo",
                       n_samples=200_000, random_state=4)
    assert abs(mc.value - disc.value) < 5 * mc.stderr


def test_high_dimension_uses_monte_carlo_with_stderr():
    d = 7
    A = np.vstack([np.eye(d), -np.eye(d)])
    b = np.ones(2 * d)
    b[0] = 0.5  # [-1, 0.5] x [-1, 1]^6: volume 1.5 * 2**6 = 96
    v = region_volume(A, b, np.zeros(d), n_samples=50_000, random_state=0)
    assert v.method == "monte_carlo"
    assert abs(v.value - 96.0) < 5 * v.stderr
    assert region_volume(A, b, np.zeros(d), method="exact").value == pytest.approx(96.0)
    with pytest.raises(ValueError, match="monte_carlo"):
        region_volume(A, b, np.zeros(d), ball=(np.zeros(d), 1.0), method="exact")


# --------------------------------------------------------------- region sets
@pytest.fixture(scope="module")
def box_run(he_net):
    return enumerate_regions(he_net(2, [12, 12], 0), Box([-1, -1], [1, 1]))


def test_areas_sum_to_box_and_euler(box_run):
    rs = box_run
    t = geometry_table(rs)
    assert abs(t["volume"].sum() - 4.0) / 4.0 < 1e-9
    assert np.all(t["volume"] > 0) and np.all(t["bounded"])
    assert np.array_equal(t["inradius"], rs.radii)
    # a polygon has as many edges as vertices, and holds its inscribed disc
    assert np.array_equal(t["n_facets"], t["n_vertices"])
    assert np.all(t["diameter"] >= 2 * t["inradius"] * (1 - 1e-12))
    assert np.all(t["diameter"] <= math.sqrt(8) * (1 + 1e-12))
    assert np.all(t["volume"] >= math.pi * t["inradius"] ** 2 * (1 - 1e-12))
    e = euler_characteristic_2d(rs)
    assert e.ok and e.chi == 1 and e.n_faces == rs.n_regions
    c = check_volumes(rs, table=t)
    assert c.ok and c.rel_error < 1e-9 and c.stderr == 0.0


@pytest.mark.parametrize("seed, bias, half", [(0, 0.5, 1e4), (0, 0.5, 1e6)])
def test_euler_check_in_a_huge_box(seed, bias, half):
    # In a box 2e6 wide the regions around the origin have edges far shorter than 1e-9 of
    # the box; merging vertices within 1e-9 of the box's width glued them (chi 11 and 11 bad
    # edges on the first net at 1e6). The oracle: the same complex in a box 2e3 wide
    # (every vertex and edge there lies inside it; the outer ones only move).
    net = random_network(2, [16, 16], bias_std=bias, random_state=seed)
    rs = enumerate_regions(net, Box([-half, -half], [half, half]))
    ref = euler_characteristic_2d(enumerate_regions(net, Box([-1e3, -1e3], [1e3, 1e3])))
    e = euler_characteristic_2d(rs)
    assert e.ok and (e.n_vertices, e.n_edges, e.n_faces) == (ref.n_vertices, ref.n_edges, ref.n_faces)


def test_euler_check_on_a_784_input_slice_with_tiny_cells():
    # directions x1e6: every cell sits within about 1e-5 of the slice's origin, many far
    # smaller than 1e-9 of the parameter box
    rng = np.random.default_rng(0)
    net = random_network(784, [16, 16], bias_std=0.5, random_state=1)
    rng.uniform(0, 1, 784), rng.normal(size=(2, 784))  # (skip the draws of the first slice tried)
    sl = Slice(rng.uniform(0, 1, 784), rng.normal(size=(2, 784)) * 1e6, [-1, -1], [1, 1])
    rs = enumerate_regions(net, sl)
    assert rs.status == "exact" and euler_characteristic_2d(rs).ok


def test_region_geometry_matches_table_and_polygon(box_run):
    rs = box_run
    t = geometry_table(rs)
    for i in (0, rs.n_regions // 2, rs.n_regions - 1):
        g = region_geometry(rs, i)
        assert g.volume == t["volume"][i] and g.n_vertices == t["n_vertices"][i]
        assert g.volume_method == "exact" and g.bounded
        assert not g.vertices.flags.writeable
        assert len(region_polygon(rs, i)) == g.n_vertices
        A, b = rs.halfspaces(i)
        assert np.all(g.vertices @ A.T <= b + 1e-9)
    with pytest.raises(IndexError):
        region_geometry(rs, rs.n_regions)


def test_ball_2d_areas_sum_to_disc(he_net):
    rs = enumerate_regions(he_net(2, [10, 10], 1), Ball([0.2, -0.1], 0.9))
    t = geometry_table(rs)
    assert abs(t["volume"].sum() - math.pi * 0.81) / (math.pi * 0.81) < 1e-9
    assert np.all(t["diameter"] <= 1.8 + 1e-12)
    # regions touching the circle have more corners than flat facets
    assert np.any(t["n_vertices"] > t["n_facets"])
    assert check_volumes(rs).ok
    with pytest.raises(ValueError, match="polygonal"):
        euler_characteristic_2d(rs)
    poly = region_polygon(rs, int(np.argmax(t["volume"])))
    assert np.all(np.linalg.norm(poly - [0.2, -0.1], axis=1) <= 0.9 * (1 + 1e-12))


def test_ball_2d_facets_agree_with_the_engine_kernel(he_net):
    # In 2-D the flat facets of P ∩ disc are counted from the polygon; the
    # engine's test (ball.facet_meets_ball, a cutting-plane LP per facet) must agree.
    from polyregions.ball import facet_meets_ball
    from polyregions.lp import facet_rows

    rs = enumerate_regions(he_net(2, [7, 5], 8), Ball([0.0, 0.3], 0.7))
    t = geometry_table(rs)
    for i in range(rs.n_regions):
        A, b = rs.halfspaces(i)
        A = np.vstack([A, np.eye(2), -np.eye(2)])
        b = np.concatenate([b, [2.0, 2.0, 2.0, 2.0]])
        rows = facet_rows(A, b, rs.interior_points[i])
        qp = sum(facet_meets_ball(A, b, j, [0.0, 0.3], 0.7) for j in rows if j < len(b) - 4)
        assert t["n_facets"][i] == qp


def test_ball_inside_one_region():
    net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    rs = enumerate_regions(net, Ball([0.5, 0.5], 0.2))
    g = region_geometry(rs, 0)
    assert g.volume == pytest.approx(math.pi * 0.04, rel=1e-14)
    assert (g.n_vertices, g.n_facets) == (0, 0)
    assert g.diameter == pytest.approx(0.4, rel=1e-6)


def test_3d_box_volumes_sum_exactly(he_net):
    rs = enumerate_regions(he_net(3, [7, 5], 2), Box([-1, -1, -1], [1, 1, 2]))
    t = geometry_table(rs)
    assert abs(t["volume"].sum() - 12.0) / 12.0 < 1e-9
    assert np.all(t["n_vertices"] >= 4) and np.all(t["n_facets"] >= 4)
    assert verify(rs).ok


def test_3d_ball_monte_carlo_sum_within_stderr(he_net):
    rs = enumerate_regions(he_net(3, [6], 3), Ball([0, 0, 0], 1.0))
    c = check_volumes(rs, n_samples=20_000, random_state=1)
    assert c.stderr > 0
    assert abs(c.total - 4 / 3 * math.pi) < 5 * c.stderr
    g = region_geometry(rs, 0, n_samples=5000)
    assert g.volume_method == "monte_carlo" and math.isnan(g.diameter) and g.n_vertices == -1
    assert g.vertices is None and g.n_facets >= 1


def test_1d_lengths_and_ball_interval(he_net):
    net = he_net(1, [8, 6], 4)
    for dom, length in [(Box([-2], [1]), 3.0), (Ball([0.3], 1.1), 2.2)]:
        rs = enumerate_regions(net, dom)
        t = geometry_table(rs)
        assert abs(t["volume"].sum() - length) < 1e-12
        assert np.all(t["n_vertices"] == 2) and np.all(t["n_facets"] == 2)
        assert np.allclose(t["diameter"], t["volume"])


def test_whole_plane_bounded_regions_of_a_line_arrangement():
    # One layer of k lines in general position: C(k-1, 2) bounded regions,
    # C(k, 2) vertices each on 4 regions, every region a polygon with
    # vertices + 1 edges if unbounded, as many as vertices if bounded.
    k = 6
    rng = np.random.default_rng(5)
    net = ReLUNetwork.from_weights([rng.normal(size=(k, 2)), np.ones((1, k))],
                                   [rng.normal(size=k), [0.0]])
    rs = enumerate_regions(net)
    assert rs.n_regions == 1 + k + math.comb(k, 2)
    t = geometry_table(rs)
    assert t["bounded"].sum() == math.comb(k - 1, 2)
    assert np.all(np.isinf(t["volume"][~t["bounded"]]))
    assert np.all(np.isfinite(t["volume"][t["bounded"]]))
    assert t["n_vertices"].sum() == 4 * math.comb(k, 2)
    assert np.array_equal(t["n_facets"], t["n_vertices"] + ~t["bounded"])
    with pytest.raises(ValueError, match="infinite volume"):
        check_volumes(rs)
    i = int(np.flatnonzero(~t["bounded"])[0])
    with pytest.raises(UnboundedRegionError, match="clip"):
        region_polygon(rs, i)
    assert len(region_polygon(rs, i, clip=([-50, -50], [50, 50]))) >= 3
    assert verify(rs).volume is None


def test_slice_and_polytope_domains(he_net):
    net = he_net(5, [8, 6], 6)
    rng = np.random.default_rng(6)
    sl = Slice.through_points(*rng.random((3, 5)))
    rs = enumerate_regions(net, sl)
    c = check_volumes(rs)
    assert c.expected == pytest.approx(1.5 ** 2) and c.rel_error < 1e-9
    assert euler_characteristic_2d(rs).ok
    tri = Polytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [1.0, 1.0, 1.0])
    rs = enumerate_regions(he_net(2, [6, 6], 7), tri)
    report = verify(rs)
    assert report.ok and report.volume.expected == pytest.approx(4.5)
    assert report.euler.ok


def test_checks_catch_a_missing_region(box_run):
    rs = box_run
    broken = subset(rs, np.arange(1, rs.n_regions))
    assert not check_volumes(broken).ok
    assert not euler_characteristic_2d(broken).ok
    report = verify(broken)
    assert not report.ok and report.pattern_mismatches == ()


def test_verify_reports_pattern_mismatches(box_run):
    rs = box_run
    pats = rs.patterns.copy()
    pats[3, 0] = ~pats[3, 0]
    bad = RegionSet(rs.network, rs.domain, pats, rs.interior_points, rs.radii, rs.edges,
                    rs.edge_neurons, True, None, 0, rs.tolerances, {})
    report = verify(bad)
    assert report.pattern_mismatches == (3,) and not report.ok
    assert report.errors  # region 3's certificate is outside its (corrupted) constraints


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), w1=st.integers(1, 6), w2=st.integers(0, 5),
       bias=st.sampled_from([0.0, 0.3, 1.0]))
def test_property_random_nets_tile_the_box(he_net, seed, w1, w2, bias):
    widths = [w1] + ([w2] if w2 else [])
    rs = enumerate_regions(he_net(2, widths, seed, bias_std=bias), Box([-1, -0.5], [2, 1]))
    t = geometry_table(rs)
    assert abs(t["volume"].sum() - 4.5) / 4.5 < 1e-9
    assert euler_characteristic_2d(rs).ok


def test_1d_ball_volume_is_the_interval_not_its_box(he_net):
    # A 1-D ball [c - R, c + R]: region_volume used to clip to the helper box
    # [c - 2R, c + 2R] instead, doubling lengths (and compare.region_probabilities).
    A, b = [[1.0], [-1.0]], [10.0, 10.0]
    for method in ("auto", "exact"):
        v = region_volume(A, b, [0.0], ball=([0.0], 1.0), method=method)
        assert (v.value, v.method) == (2.0, "exact")
    mc = region_volume(A, b, [0.0], ball=([0.0], 1.0), method="monte_carlo", random_state=0)
    assert mc.value == pytest.approx(2.0)
    assert region_volume([[1.0], [-1.0]], [0.5, 10.0], [0.0], ball=([0.0], 1.0)).value == 1.5
    from polyregions.compare import region_probabilities, region_volumes

    rs = enumerate_regions(he_net(1, [5], 9), Ball([0.3], 1.1))
    assert rs.n_regions > 1
    assert region_volumes(rs).sum() == pytest.approx(2.2, abs=1e-12)
    assert np.allclose(region_volumes(rs), geometry_table(rs)["volume"], rtol=0, atol=1e-12)
    assert region_probabilities(rs).sum() == pytest.approx(1.0, abs=1e-12)


def test_zero_row_with_negative_offset_means_empty_and_is_refused():
    A = np.vstack([[0.0, 0.0], np.eye(2), -np.eye(2)])
    with pytest.raises(ValueError, match="empty"):
        region_volume(A, [-1.0, 1, 1, 1, 1], [0.0, 0.0])
    # a zero row that holds everywhere is harmless
    assert region_volume(A, [0.0, 1, 1, 1, 1], [0.0, 0.0]).value == pytest.approx(4.0)


def test_n_samples_must_be_a_positive_integer():
    A, b = np.vstack([np.eye(2), -np.eye(2)]), np.ones(4)
    for bad in (0, -5, 2.5):
        with pytest.raises(ValueError, match="n_samples"):
            region_volume(A, b, [0, 0], method="monte_carlo", n_samples=bad)


def test_whole_space_inradius_is_not_the_engine_cap():
    # Two parallel lines 3000 apart: a strip of inradius 1500 between two half-planes
    # (inradius inf). The engine caps radii at radius_cap times the arrangement's
    # spread (1500 here), reported in stats["radius_cap"].
    net = ReLUNetwork.from_weights([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 1.0]]],
                                   [[0.0, -3000.0], [0.0]])
    rs = enumerate_regions(net)
    cap = rs.stats["radius_cap"]
    assert cap == pytest.approx(1.5e6)
    assert sorted(rs.radii.tolist()) == [pytest.approx(1500.0), cap, cap]
    t = geometry_table(rs)
    assert not t["bounded"].any()
    assert sorted(t["inradius"].tolist()) == [pytest.approx(1500.0), math.inf, math.inf]
