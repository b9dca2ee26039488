"""The naming table (README, "Names used across the API"): every renamed name of the 0.1 API
still works under its old spelling, warns with the new one, and gives the same result."""

import numpy as np
import pytest

from polyregions import (Box, Slice, boundary_distance_statistics, compare_data_vs_random,
                         count_regions_on_segment, line_statistics, local_region_counts,
                         neighbourhoods, random_network, sample_patterns, segment_breakpoints)
from polyregions.tracking import distance_metric, line_metric, local_count_metric


@pytest.fixture(scope="module")
def net():
    return random_network(2, [6, 6], bias_std=0.3, random_state=0)


X = np.array([[0.1, 0.2], [-0.4, 0.3], [0.5, -0.5], [0.0, 0.9]])


def same(a, b):
    """Two results of the same call, compared field by field (arrays by value)."""
    for k, v in vars(a).items():
        w = vars(b)[k]
        if k == "seconds":
            continue
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(v, w)
        elif k not in ("domain", "seconds"):
            assert v == w, k


@pytest.mark.parametrize("call, old, new", [
    (lambda net, **kw: line_statistics(net, random_state=0, **kw),
     {"points": X, "length": 0.5}, {"X": X, "line_length": 0.5}),
    (lambda net, **kw: boundary_distance_statistics(net, **kw), {"points": X}, {"X": X}),
    (lambda net, **kw: sample_patterns(net, **kw), {"points": X}, {"X": X}),
    (lambda net, **kw: local_region_counts(net, radius=0.2, **kw), {"points": X}, {"X": X}),
    (lambda net, **kw: compare_data_vs_random(net, domain=Box([-1, -1], [1, 1]), radius=0.2,
                                              n_random=3, random_state=0, **kw),
     {"data_points": X}, {"X": X}),
])
def test_renamed_keywords_warn_and_agree(net, call, old, new):
    with pytest.warns(DeprecationWarning) as rec:
        a = call(net, **old)
    for name in old:
        assert any(f"({name}=...) is deprecated" in str(w.message) for w in rec)
    assert all(f"{new_name}=" in "".join(str(w.message) for w in rec) for new_name in new)
    b = call(net, **new)
    if hasattr(a, "data"):      # DataVsRandom: two LocalRegionCounts
        same(a.data, b.data)
        same(a.random, b.random)
    else:
        same(a, b)


def test_segment_ends_are_start_and_end(net):
    start, end = [-1.0, -0.5], [1.0, 0.7]
    with pytest.warns(DeprecationWarning) as caught:
        old = segment_breakpoints(net, a=start, b=end)
    assert sorted(str(w.message).split("use ")[1] for w in caught) == [
        "segment_breakpoints(end=...).", "segment_breakpoints(start=...)."]
    np.testing.assert_array_equal(old, segment_breakpoints(net, start=start, end=end))
    with pytest.warns(DeprecationWarning, match="end="):
        assert count_regions_on_segment(net, start, b=end) == count_regions_on_segment(
            net, start, end) == 1 + old.size
    with pytest.warns(DeprecationWarning) as caught:
        s = Slice.segment(a=start, b=end)
    assert sorted(str(w.message).split("use ")[1] for w in caught) == [
        "segment(end=...).", "segment(start=...)."]
    np.testing.assert_array_equal(s.to_input([[0.0], [1.0]]), [start, end])
    assert Slice.segment(start=start, end=end).to_dict() == s.to_dict()


def test_old_and_new_spelling_together_is_an_error(net):
    with pytest.raises(TypeError, match="not both"):
        segment_breakpoints(net, [0, 0], [1, 1], a=[0, 0])
    with pytest.raises(TypeError, match="not both"):
        line_statistics(net, X=X, points=X)
    with pytest.raises(TypeError, match="not both"):
        boundary_distance_statistics(net, Box([0, 0], [1, 1]), 5, n_points=5)


def test_tracking_metrics_and_neighbourhoods_take_X(net):
    with pytest.warns(DeprecationWarning, match="line_length="):
        a = line_metric(X, length=1.0, random_state=2)(net)
    assert a == line_metric(X, line_length=1.0, random_state=2)(net)
    with pytest.warns(DeprecationWarning, match=r"distance_metric\(X=\.\.\.\)"):
        assert distance_metric(points=X)(net) == distance_metric(X)(net)
    with pytest.warns(DeprecationWarning, match="X="):
        assert (local_count_metric(points=X, radius=0.1, kind="box")(net)
                == local_count_metric(X, 0.1, kind="box")(net))
    with pytest.warns(DeprecationWarning, match="X="):
        old = neighbourhoods(points=X, radius=0.1, kind="box")
    assert [d.to_dict() for d in old] == [d.to_dict() for d in neighbourhoods(X, 0.1, "box")]


def test_pattern_sample_abundances(net):
    s = sample_patterns(net, X=X)
    with pytest.warns(DeprecationWarning, match=r"abundances\(\)"):
        assert s.as_dict() == s.abundances()
    assert sum(s.abundances().values()) == len(X)


def test_bounds_for_is_a_frozen_object_and_the_dict_access_still_works():
    import dataclasses
    import json

    from polyregions import ArchitectureBounds, bounds_for

    b = bounds_for(random_network(2, [3, 3], random_state=0))
    assert isinstance(b, ArchitectureBounds)
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.upper = {}
    with pytest.raises(TypeError):
        b.upper["trivial"] = 0                      # read-only mapping
    assert json.loads(json.dumps(b.to_dict())) == b.to_dict()
    with pytest.warns(DeprecationWarning, match=r"bounds_for\(net\)\.upper"):
        assert b["upper"] == dict(b.upper)
    with pytest.warns(DeprecationWarning, match=r"to_dict\(\) =="):
        assert b == b.to_dict()


def test_compare_estimators_takes_sample_sizes():
    from polyregions import compare_estimators

    net = random_network(2, [4], random_state=0)
    kw = dict(n_lines=0, n_distance_points=0, exact=False, random_state=0)
    with pytest.warns(DeprecationWarning, match="sample_sizes="):
        old = compare_estimators(net, Box([-1, -1], [1, 1]), n_samples=(50, 100), **kw)
    new = compare_estimators(net, Box([-1, -1], [1, 1]), sample_sizes=(50, 100), **kw)
    assert [r.estimate for r in old.rows] == [r.estimate for r in new.rows]
    assert new.settings["sample_sizes"] == [50, 100]


def test_region_geometry_is_row_0_of_geometry_table():
    import inspect

    from polyregions import Ball, enumerate_regions, geometry_table, region_geometry

    # Same defaults (a deterministic report), so a region's geometry reads the same either way.
    defaults = [{k: p.default for k, p in inspect.signature(f).parameters.items()
                 if k in ("n_samples", "random_state")} for f in (region_geometry, geometry_table)]
    assert defaults[0] == defaults[1] == {"n_samples": 20_000, "random_state": 0}
    rs = enumerate_regions(random_network(3, [4], random_state=1), Ball([0, 0, 0], 1.0))
    g = region_geometry(rs, 0, n_samples=500)
    assert g.volume_method == "monte_carlo"      # a 3-D ball: the volume is an estimate
    assert g.volume == geometry_table(rs, n_samples=500)["volume"][0]


def test_milp_count_reads_like_a_region_set():
    pytest.importorskip("pulp")
    from polyregions import count_regions, enumerate_regions
    from polyregions.milp import count_regions_milp

    net = random_network(2, [4], random_state=3)
    box = Box([-1, -1], [1, 1])
    full, part = count_regions_milp(net, box), count_regions_milp(net, box, max_regions=2)
    rs = enumerate_regions(net, box)
    assert (full.status, full.n_regions, full.count) == (rs.status, rs.n_regions, count_regions(net, box))
    assert (part.status, part.n_regions, part.count) == ("lower_bound", 2, None)


def test_neighbourhood_shape_is_kind_everywhere(net):
    from polyregions.density import neighbourhood

    with pytest.warns(DeprecationWarning, match="kind='box'"):
        old = local_region_counts(net, X, 0.2, norm="linf")
    new = local_region_counts(net, X, 0.2, kind="box")
    same(old, new)
    assert new.kind == "box" and new.summary()["kind"] == "box"
    with pytest.warns(DeprecationWarning, match="kind"):
        assert new.norm == "linf"
    with pytest.warns(DeprecationWarning, match="kind='ball'"):
        assert neighbourhood([0, 0], 1.0, norm="l2").to_dict() == neighbourhood([0, 0], 1.0).to_dict()
    assert neighbourhood([0, 0], 1.0, "box").to_dict() == neighbourhoods([[0, 0]], 1.0, "box")[0].to_dict()
    with pytest.raises(TypeError, match="not both"):
        local_region_counts(net, X, 0.2, kind="box", norm="linf")
    with pytest.warns(DeprecationWarning, match="kind="):
        old = Slice.around([0.0, 0.0, 1.0], 0.5, shape="disc", random_state=3)
    assert old.to_dict() == Slice.around([0.0, 0.0, 1.0], 0.5, kind="disc", random_state=3).to_dict()


def test_chao1_flags_are_keyword_only_in_one_order(net):
    from polyregions import richness

    c = [1, 1, 1, 1, 2, 2, 3, 5, 8]
    with pytest.warns(DeprecationWarning, match="bias_corrected=..., small_sample=..."):
        assert richness.chao1(c, True, False) == richness.chao1(c, bias_corrected=True)
    # 0.1's chao1_variance took small_sample first: a positional flag keeps that meaning.
    with pytest.warns(DeprecationWarning, match="small_sample=..."):
        assert richness.chao1_variance(c, True) == richness.chao1_variance(c, small_sample=True)
    assert richness.chao1_variance(c, small_sample=True) != richness.chao1_variance(c)
    s = sample_patterns(net, Box([-1, -1], [1, 1]), 300, random_state=0)
    with pytest.warns(DeprecationWarning):
        assert s.chao1(True) == s.chao1(bias_corrected=True)


def test_local_bound_neuron_counts():
    from polyregions import local_bound

    lb = local_bound(random_network(2, [4, 3], random_state=0), Box([-0.2, -0.2], [0.2, 0.2]))
    assert [sum(c) for c in lb.neuron_counts] == [4, 3]      # every neuron is of one kind
    with pytest.warns(DeprecationWarning, match="neuron_counts"):
        assert lb.counts == lb.neuron_counts
