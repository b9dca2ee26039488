"""The subdivision engine against the LP engine and closed formulas (docs/math.md §2, §4.2)."""

from math import comb

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from polyregions import (
    Ball, Box, Polytope, ReLUNetwork, Slice, count_regions, enumerate_regions, random_network,
)
from polyregions.constructions import construction_count, montufar, serra
from polyregions.lp import inscribed_radius
from polyregions.results import region_halfspaces
from polyregions.inscribed_radii import inscribed_radii
from polyregions import skeleton, subdivision
from polyregions.skeleton import Skeleton, SubdivisionFallback, box_skeleton
from polyregions.subdivision import _effective_layers, choose_method, enumerate_subdivision


def canonical(rs):
    """Pattern set and labelled edge set, independent of region order."""
    keys = [np.packbits(p).tobytes() for p in rs.patterns]
    edges = {(frozenset((keys[i], keys[j])), lab)
             for (i, j), lab in zip(rs.edges.tolist(), rs.edge_neurons)}
    return set(keys), edges


def check_certificates(rs):
    """Forward pass at every interior point, radius > 0 recomputed from the H-representation."""
    assert len(rs.check_patterns()) == 0
    for i in range(rs.n_regions):
        A, b, _ = region_halfspaces(rs.network, rs.domain, rs.patterns[i], rs.tolerances.zero_row)
        r = inscribed_radius(A, b, rs.interior_points[i])
        assert r > rs.tolerances.radius * rs.domain.scale
        assert r == pytest.approx(rs.radii[i], rel=1e-9, abs=1e-15)


def same_as_lp(net, domain, expect_engine="subdivision", **kw):
    sub = enumerate_regions(net, domain, method="subdivision", **kw)
    ref = enumerate_regions(net, domain, method="lp", **kw)
    assert sub.stats["engine"] == expect_engine, sub.stats.get("fallback")
    assert sub.status == ref.status
    assert canonical(sub) == canonical(ref)
    # canonical order: sorted by packed pattern, like the LP engine
    assert np.array_equal(sub.patterns, ref.patterns)
    check_certificates(sub)
    assert sub.verify().ok
    return sub


def one_layer(n, N, seed, center=False):
    rng = np.random.default_rng(seed)
    b = np.zeros(N) if center else rng.normal(size=N)
    return ReLUNetwork.from_weights([rng.normal(size=(N, n)), rng.normal(size=(1, N))], [b, [0.0]])


# ---------------------------------------------------------------- Zaslavsky
@pytest.mark.parametrize("n, N", [(2, 4), (2, 5), (2, 8), (3, 5), (1, 6)])
def test_zaslavsky_general_position(n, N):
    net = one_layer(n, N, seed=0)
    box = Box(-1000 * np.ones(n), 1000 * np.ones(n))   # every vertex inside (docs/math.md §2)
    rs = same_as_lp(net, box)
    assert rs.count() == sum(comb(N, j) for j in range(n + 1))


@pytest.mark.parametrize("n, N, expected", [(2, 4, 8), (2, 5, 10), (3, 5, 22)])
def test_central_arrangement_falls_back(n, N, expected):
    # every hyperplane through the origin: a vertex on each new hyperplane, which the complex
    # refuses; the dispatch runs such a (bias-free) net on the box's far facets instead
    # (polyregions.cones, tests/test_cones.py)
    net = one_layer(n, N, seed=3, center=True)
    box = Box(-np.ones(n), np.ones(n))
    with pytest.raises(SubdivisionFallback, match="coincidence tolerance"):
        enumerate_subdivision(net, box)
    rs = same_as_lp(net, box)
    assert rs.stats["cones"] is True
    assert rs.count() == expected


# ------------------------------------------------------------ constructions
@pytest.mark.parametrize("kind, n0, widths", [
    ("montufar", 2, [4, 4]), ("serra", 2, [6, 4]), ("serra", 1, [3, 3]), ("montufar", 3, [3, 3]),
])
def test_constructions_in_the_unit_cube(kind, n0, widths):
    net = (montufar if kind == "montufar" else serra)(n0, widths)
    cube = Box(np.zeros(n0), np.ones(n0))
    sub = enumerate_regions(net, cube, method="subdivision")
    ref = enumerate_regions(net, cube, method="lp")
    assert canonical(sub) == canonical(ref)
    assert sub.count() == construction_count(kind, n0, widths)
    assert sub.verify().ok


# ---------------------------------------------------------------- degenerate
@pytest.fixture(params=["eager", "lazy"])
def cut_mode(request, monkeypatch):
    """Run the test with the skeleton's eager cut (small complexes) and with its lazy one."""
    if request.param == "lazy":
        monkeypatch.setattr(skeleton, "LAZY_MIN_EDGES", 0)
    return request.param


def test_duplicate_neurons_fall_back(cut_mode):
    W = np.array([[1.0, 0.3], [1.0, 0.3], [-0.2, 1.0]])
    net = ReLUNetwork.from_weights([W, np.ones((1, 3))], [[0.1, 0.1, 0.2], [0.0]])
    rs = same_as_lp(net, Box([-1, -1], [1, 1]), expect_engine="lp")
    assert rs.count() == 4


def test_concurrent_lines_fall_back(cut_mode):
    # three lines through (0.2, 0.1)
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    net = ReLUNetwork.from_weights([W, np.ones((1, 3))], [-W @ [0.2, 0.1], [0.0]])
    rs = same_as_lp(net, Box([-1, -1], [1, 1]), expect_engine="lp")
    assert rs.count() == 6


def test_vertex_exactly_on_a_later_hyperplane_falls_back(cut_mode):
    # layer 2 neuron z = h1 - h2 vanishes where the two layer-1 lines cross
    W0 = np.array([[1.0, 0.5], [-0.3, 1.0]])
    net = ReLUNetwork.from_weights([W0, [[1.0, -1.0]], [[1.0]]], [[0.1, -0.2], [0.0], [0.0]])
    rs = same_as_lp(net, Box([-1, -1], [1, 1]), expect_engine="lp")
    assert rs.stats["fallback"]


def test_zero_row_with_bias_is_exact_and_without_falls_back(cut_mode):
    W0 = np.array([[0.0, 0.0], [1.0, 0.4], [-0.5, 1.0]])
    for b0, engine in (([0.3, 0.1, 0.2], "subdivision"), ([0.0, 0.1, 0.2], "lp")):
        net = ReLUNetwork.from_weights([W0, np.ones((1, 3))], [b0, [0.0]])
        rs = same_as_lp(net, Box([-1, -1], [1, 1]), expect_engine=engine)
        assert rs.count() == 4
        assert rs.patterns[:, 0].all() == (b0[0] > 0)


def test_dead_paths(cut_mode):
    # layer 2 neuron 0 reads only neuron 0 of layer 1: constant -0.3 where it is off;
    # layer 2 neuron 1 reads nothing at all (a dead neuron, constant +0.2)
    W0 = np.array([[1.0, 0.2], [0.3, -1.0]])
    W1 = np.array([[2.0, 0.0], [0.0, 0.0]])
    net = ReLUNetwork.from_weights([W0, W1, np.ones((1, 2))], [[0.1, 0.05], [-0.3, 0.2], [0.0]])
    rs = same_as_lp(net, Box([-1, -1], [1, 1]))
    assert rs.patterns[:, 3].all()
    assert rs.count() == 6   # 4 quadrants; z = 2 h0 - 0.3 splits the two where h0 > 0


def test_parallel_hyperplanes_closer_than_the_tolerance_fall_back(cut_mode):
    W = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    net = ReLUNetwork.from_weights([W, np.ones((1, 3))], [[0.0, 1e-12, 0.3], [0.0]])
    sub = enumerate_regions(net, Box([-1, -1], [1, 1]), method="subdivision")
    assert sub.stats["engine"] == "lp"


# --------------------------------------------------------------- random nets
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=st.integers(1, 5), w1=st.integers(1, 7), w2=st.integers(0, 5),
       seed=st.integers(0, 10**6), bias=st.sampled_from([0.01, 0.5]))
def test_random_nets_match_the_lp_engine(d, w1, w2, seed, bias):
    widths = [w1] + ([w2] if w2 else [])
    if d >= 3:  # keep the LP reference fast
        widths = [min(w, 8 - d) for w in widths]
    net = random_network(d, widths, bias_std=bias, random_state=seed)
    box = Box(-np.ones(d), np.ones(d))
    sub = enumerate_regions(net, box, method="subdivision")
    ref = enumerate_regions(net, box, method="lp")
    assert sub.status == ref.status
    assert canonical(sub) == canonical(ref)
    if d <= 4:  # qhull volumes of thin 5-D cells can fail inside verify (geometry.check_volumes)
        assert sub.verify().ok
    if sub.stats["engine"] == "subdivision":
        check_certificates(sub)


def test_leaky_relu_and_deeper_net(cut_mode):
    net = random_network(2, [6, 6, 6], bias_std=0.5, negative_slope=0.1, random_state=4)
    same_as_lp(net, Box([-1, -1], [1, 1]))


# ---------------------------------------------------------------- domains
def test_slice_and_polygon_domains(cut_mode):
    net = random_network(5, [6, 6], bias_std=0.5, random_state=2)
    rng = np.random.default_rng(0)
    sl = Slice(rng.normal(size=5), rng.normal(size=(2, 5)), [-1, -1], [1, 1])
    same_as_lp(net, sl)
    net2 = random_network(2, [6, 6], bias_std=0.5, random_state=3)
    tri = Polytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [1.0, 1.0, 0.5])
    same_as_lp(net2, tri)


def test_auto_picks_lp_for_balls_and_the_whole_space():
    net = random_network(2, [4], random_state=0)
    assert choose_method(net, Ball([0, 0], 1.0)) == "lp"
    assert choose_method(net, None if False else Box([-1, -1], [1, 1])) == "subdivision"
    rs = enumerate_regions(net, Ball([0, 0], 1.0))
    assert "engine" not in rs.stats
    with pytest.raises(ValueError, match="subdivision engine handles"):
        enumerate_regions(net, Ball([0, 0], 1.0), method="subdivision")
    with pytest.raises(ValueError, match="method must be one of"):
        enumerate_regions(net, Box([-1, -1], [1, 1]), method="fast")
    assert count_regions(net, Box([-1, -1], [1, 1]), method="subdivision") == \
        count_regions(net, Box([-1, -1], [1, 1]), method="lp")


# ----------------------------------------------------------- budgets, memory
def test_budgets_give_lower_bounds():
    net = random_network(2, [16, 16], random_state=0)
    box = Box([-1, -1], [1, 1])
    rs = enumerate_regions(net, box, method="subdivision", max_regions=10)
    assert rs.status == "lower_bound" and rs.n_regions == 10
    assert rs.stop_reason == "max_regions"
    full = enumerate_regions(net, box, method="subdivision")
    assert set(canonical(rs)[0]) <= canonical(full)[0]
    rs = enumerate_regions(net, box, method="subdivision", time_limit=1e-9)
    assert rs.status == "lower_bound" and rs.stop_reason == "time_limit"


def test_memory_budget_stops_or_falls_back(monkeypatch):
    from polyregions import subdivision
    from polyregions import Tolerances

    net = random_network(3, [8, 8], random_state=0)
    box = Box(-np.ones(3), np.ones(3))
    with pytest.raises(MemoryError, match="GiB"):
        subdivision.dispatch(net, box, "subdivision", Tolerances(), max_memory=10_000)
    # under "auto" the subdivision hands the run over and enumerate_regions runs the LP search
    monkeypatch.setattr(subdivision, "_memory_budget", lambda max_memory: 10_000)
    monkeypatch.setattr(subdivision, "_MEMORY_FLOOR", 0)  # measured from the first byte
    rs = enumerate_regions(net, box, method="auto")
    monkeypatch.undo()
    assert rs.stats["engine"] == "lp" and rs.stats["fallback"].startswith("memory")
    assert rs.count() == enumerate_regions(net, box, method="subdivision").count()


def _zero_row_net():
    # neuron 0 of layer 2 reads only neuron 0 of layer 1: constant (no row) where that one is off
    rng = np.random.default_rng(3)
    W2 = rng.normal(size=(3, 4))
    W2[0] = [1.0, 0.0, 0.0, 0.0]
    return ReLUNetwork.from_weights([rng.normal(size=(4, 2)), W2, np.ones((1, 3))],
                                    [rng.normal(size=4), rng.normal(size=3), [0.0]])


@pytest.mark.parametrize("maps_min_width", [10**9, 0], ids=["forward", "maps"])
@pytest.mark.parametrize("net, chunk_bytes", [
    (random_network(3, [5, 4], bias_std=0.5, random_state=1), 2**23),
    # blocks of one to three regions: prefix runs split across blocks
    (random_network(2, [6, 6, 6], bias_std=0.5, negative_slope=0.1, random_state=4), 500),
    (_zero_row_net(), 300),
    # many groups per parent with 1..MAX_FLIPS flips and some above (the maps' rank-k path)
    (random_network(2, [24, 24, 24], bias_std=0.3, negative_slope=0.2, random_state=2), 2**23),
], ids=["3-[5,4]", "leaky-2-[6,6,6]-tiny-blocks", "zero-rows", "leaky-2-[24,24,24]"])
def test_vectorised_radii_equal_the_per_region_rows(net, chunk_bytes, maps_min_width, monkeypatch):
    # both paths of inscribed_radii (forward pass; affine maps with rank-k corrections)
    import polyregions.inscribed_radii as ir

    monkeypatch.setattr(ir, "MAPS_MIN_WIDTH", maps_min_width)
    d = net.input_dim
    box = Box(-np.ones(d), np.ones(d))
    rs = enumerate_regions(net, box, method="subdivision")
    Ws, bs, slopes = _effective_layers(net, box)
    A_dom, b_dom = box.halfspaces
    rng = np.random.default_rng(0)
    step = np.minimum(rs.radii, 0.01)[:, None]  # about half the points leave their region
    pts = rs.interior_points + step * rng.normal(size=rs.interior_points.shape)
    r, same = inscribed_radii(Ws, bs, slopes, rs.patterns, pts, A_dom, b_dom, rs.tolerances.zero_row,
                              chunk_bytes=chunk_bytes)
    assert np.array_equal(same, (net.activation_patterns(pts) == rs.patterns).all(axis=1))
    assert same.sum() > rs.n_regions // 2  # the radius is the region's only where its point re-derives it
    for i in np.flatnonzero(same):
        A, b, _ = region_halfspaces(net, box, rs.patterns[i])
        assert r[i] == pytest.approx(inscribed_radius(A, b, pts[i]), rel=1e-12, abs=1e-14)


def test_interrupt_and_progress(monkeypatch, capsys):
    net = random_network(2, [8, 8], random_state=0)
    box = Box([-1, -1], [1, 1])
    rs = enumerate_regions(net, box, method="subdivision", progress=True)
    assert rs.complete and "enumerating (layer 2/2)" in capsys.readouterr().err
    real = Skeleton.cut_layer

    def cut_layer(self):
        if self.layer[0] == 8:  # layer 2 (each layer of [8, 8] is cut at once)
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(Skeleton, "cut_layer", cut_layer)
    rs = enumerate_regions(net, box, method="subdivision")
    assert rs.status == "lower_bound" and rs.stop_reason == "interrupted"
    # stopped on the first layer's complex: its cells (the LP engine's count) bound the count
    first = ReLUNetwork.from_weights([net.weights[0], np.ones((1, 8))], [net.biases[0], [0.0]])
    assert rs.stats["cells_lower_bound"] == enumerate_regions(first, box, method="lp").n_regions


def test_lookup_survives_colliding_truncated_hash_words():
    # Two cells whose first hash words differ only in the low bits the sort overwrites with
    # row numbers: the full 128-bit sort must still tell them apart (it once handed 5-[32,32]
    # to the LP engine).
    from polyregions.subdivision import _lookup

    hc = np.array([[0xABC0, 7], [0xABC5, 9], [0x1230, 1]], dtype=np.uint64)
    fa = hc[[1, 0, 2, 1]]
    fb = hc[[0, 2, 1, 1]]
    pa, pb = _lookup(hc, fa, fb)
    assert pa.tolist() == [1, 0, 2, 1] and pb.tolist() == [0, 2, 1, 1]
    with pytest.raises(Exception, match="not among the cells"):
        _lookup(hc, np.array([[0xABC0, 8]], dtype=np.uint64))


def _build(net, box, lazy, monkeypatch):
    """Every array of the skeleton after each layer, or the fallback's message.

    The lazy build also sorts the 2-face keys the big-cut way (positions in the low bits),
    the eager one by argsort.
    """
    monkeypatch.setattr(skeleton, "LAZY_MIN_EDGES", 0 if lazy else 2**62)
    monkeypatch.setattr(skeleton, "FEW_KEYS", 0 if lazy else 2**62)
    Ws, bs, slopes = _effective_layers(net, box)
    sk = Skeleton(*box_skeleton(box.lo, box.hi), 2 * box.dim, net.n_neurons, 1e-12)
    out, kg = [], 0
    try:
        for l, (W, b) in enumerate(zip(Ws, bs)):
            sk.start_layer(W, b, slopes[l - 1] if l else None)
            for k in range(len(W)):
                try:
                    sk.cut(k, kg)
                except skeleton.SubdivisionFallback:
                    sk.end_layer(upto=k + 1)
                    raise
                kg += 1
            sk.end_layer()
            nV, nE = sk.n_vertices, sk.n_edges
            out.append([a.copy() for a in (sk.XZ[:nV], sk.Zv[:nV], sk.bits[:nV], sk.Ea[:nE],
                                            sk.Eb[:nE], sk.Ze[:nE, : box.dim - 1])])
            # the last layer's hashes are read by nothing; the edges' exits J are made then
            out[-1].append(sk.H[:nE].copy() if l + 1 < len(Ws) else sk.J[:nE].copy())
    except skeleton.SubdivisionFallback as exc:
        out.append(str(exc))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(d=st.integers(1, 4), widths=st.lists(st.integers(1, 19), min_size=1, max_size=3),
       seed=st.integers(0, 10**6), bias=st.sampled_from([0.0, 0.01, 0.5]),
       slope=st.sampled_from([0.0, 0.1]))
def test_lazy_cut_builds_the_eager_cuts_complex_bit_for_bit(monkeypatch, d, widths, seed, bias,
                                                           slope):
    # The lazy cut (blocks of 8 neurons, hashes brought up to date per block, degeneracy
    # kept as values are made) against the eager one, array by array, fallbacks included
    # (bias 0: concurrent hyperplanes). Widths not multiples of 8 leave partial blocks.
    if d >= 3:
        widths = [min(w, 9) for w in widths[:2]]
    net = random_network(d, widths, bias_std=bias, negative_slope=slope, random_state=seed)
    box = Box(-np.ones(d), np.ones(d))
    eager, lazy = _build(net, box, False, monkeypatch), _build(net, box, True, monkeypatch)
    assert len(eager) == len(lazy)
    for a, b in zip(eager, lazy):
        if isinstance(a, str):
            assert a == b
        else:
            assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_lazy_cut_on_a_net_with_many_blocks_matches_the_lp_engine(monkeypatch):
    # 20 neurons a layer: blocks of 8, 8 and 4; the 128-bit hash sort and Euler's relation
    # check the lazily updated hashes, the LP engine checks the regions
    monkeypatch.setattr(skeleton, "LAZY_MIN_EDGES", 0)
    net = random_network(2, [20, 12], bias_std=0.3, random_state=5)
    same_as_lp(net, Box([-1, -1], [1, 1]))


# ------------------------------------------------ layers cut at once (2-D)
def _both_ways(net, domain, monkeypatch):
    """The subdivision with small layers cut at once and by one cut per neuron."""
    out = []
    for at_once in ((4, 64), (10**9, 10**9)):
        monkeypatch.setattr(subdivision, "LAYER_AT_ONCE", at_once)
        monkeypatch.setattr(subdivision, "AT_ONCE_MAX_EDGES", 10**9)  # any complex the eager cut takes
        out.append(enumerate_regions(net, domain, method="subdivision"))
    return out


def _edges(rs):
    return sorted(tuple(sorted(e)) for e in rs.graph.edges())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n1=st.integers(4, 30), rest=st.lists(st.integers(1, 12), max_size=2),
       bias=st.sampled_from([0.0, 0.01, 0.3, 2.0]), slope=st.sampled_from([0.0, 0.1]),
       seed=st.integers(0, 10**6), triangle=st.booleans())
def test_layers_at_once_are_the_cut_complex(n1, rest, bias, slope, seed, triangle, monkeypatch):
    # same patterns, graph, status and engine (hand-over included) as the per-neuron cuts;
    # layers of 4 or more neurons are cut at once, the first on the domain, later ones on
    # the cells of the complex so far
    net = random_network(2, [n1] + rest, bias_std=bias, negative_slope=slope, random_state=seed)
    domain = (Polytope(np.array([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]]), np.array([1.0, 1.0, 1.0]))
              if triangle else Box([-1, -1], [1, 1]))
    a, b = _both_ways(net, domain, monkeypatch)
    assert a.stats["engine"] == b.stats["engine"] and a.status == b.status
    assert np.array_equal(a.patterns, b.patterns) and _edges(a) == _edges(b)
    if a.stats["engine"] == "subdivision":
        assert a.verify().ok


@pytest.mark.parametrize("W, b", [
    ([[1, 0], [0, 1], [1, 1], [1, -1]], [0.1, 0.2, -0.3, 0.0]),          # three lines through a point
    ([[1, 0], [0, 1], [1, 2], [1, 2]], [0.1, 0.2, 0.3, 0.3]),            # a duplicated neuron
    ([[1, 1], [0, 1], [1, -2], [2, 1]], [0.0, 0.3, 0.1, -0.2]),          # a line through two corners
    ([[1, 0], [0, 1], [1, 2], [3, 1]], [-1.0, 0.1, 0.2, 0.3]),           # a line on the box's edge x = 1
    ([[0, 0], [0, 1], [1, 2], [3, 1]], [0.0, 0.1, 0.2, 0.3]),            # a zero neuron
    ([[1, 0], [0, 1], [1, 2], [3, 1]], [5.0, -7.0, 9.0, 11.0]),          # no line meets the box
], ids=["concurrent", "duplicate", "corner", "on-edge", "zero-row", "outside"])
def test_first_layer_at_once_degenerate(W, b, monkeypatch):
    W = np.array(W, dtype=float)
    net = ReLUNetwork.from_weights([W, np.ones((1, 4))], [np.array(b, dtype=float), [0.0]])
    box = Box([-1, -1], [1, 1])
    a, c = _both_ways(net, box, monkeypatch)
    ref = enumerate_regions(net, box, method="lp")
    assert a.stats["engine"] == c.stats["engine"] and a.status == c.status == ref.status
    assert np.array_equal(a.patterns, ref.patterns) and np.array_equal(c.patterns, ref.patterns)


def _layer2_case(kind):
    """A 2-[5, 5] net whose second layer is degenerate in the way ``kind`` names."""
    rng = np.random.default_rng(11)
    W1, b1 = rng.normal(size=(5, 2)), rng.normal(scale=0.3, size=5)
    W2, b2 = rng.normal(size=(5, 5)), rng.normal(scale=0.3, size=5)

    def h(x):
        return np.maximum(W1 @ x + b1, 0.0)

    if kind == "duplicate":            # two equal neurons: one bent line twice
        W2[3], b2[3] = W2[1], b2[1]
    elif kind == "zero-row":           # a neuron that is 0 everywhere
        W2[2], b2[2] = 0.0, 0.0
    elif kind == "dead-part":          # reads one neuron of layer 1 only: 0 wherever that is off
        W2[4], b2[4] = 0.0, 0.0
        W2[4, 0] = 1.0
    elif kind == "through-vertex":     # a bent line through a vertex of layer 1's lines
        x = np.linalg.solve(W1[:2], -b1[:2])
        b2[0] = -W2[0] @ h(x)
    elif kind == "concurrent":         # three bent lines through one point inside a cell
        x = np.array([0.13, -0.21])
        b2[:3] = -W2[:3] @ h(x)
    elif kind == "generic":
        pass
    return ReLUNetwork.from_weights([W1, W2, np.ones((1, 5))], [b1, b2, [0.0]])


@pytest.mark.parametrize("kind", ["generic", "duplicate", "zero-row", "dead-part", "through-vertex",
                                  "concurrent"])
def test_later_layer_at_once_degenerate(kind, monkeypatch):
    # degenerate second layers cut at once: the same hand-over as the cuts, and the LP
    # engine's patterns either way
    net = _layer2_case(kind)
    box = Box([-1, -1], [1, 1])
    a, c = _both_ways(net, box, monkeypatch)
    ref = enumerate_regions(net, box, method="lp")
    assert a.stats["engine"] == c.stats["engine"] and a.status == c.status == ref.status
    assert (a.stats["engine"] == "subdivision") == (kind == "generic")
    assert np.array_equal(a.patterns, ref.patterns) and np.array_equal(c.patterns, ref.patterns)
    assert _edges(a) == _edges(ref)
