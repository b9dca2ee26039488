"""The bound-checking harness, the certified zoo and the shipped bounds on it."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from polyregions import count_regions, enumerate_regions
from polyregions import bounds as B
from polyregions.constructions import construction_count
from polyregions.testing import (
    SHIPPED_UPPER_BOUNDS, NotApplicable, assert_lower_bound, assert_upper_bound, balls, boxes,
    check_bound, load_zoo, networks, regenerate_zoo, zoo_definitions,
)


def test_zoo_loads_and_matches_its_definitions():
    zoo = load_zoo()
    defs = zoo_definitions()
    assert [e.name for e in zoo] == [d[0] for d in defs]
    for e, (name, kind, net, domain, meta) in zip(zoo, defs):
        assert e.network.fingerprint() == net.fingerprint(), name
        assert e.domain.to_dict() == domain.to_dict()
    kinds = {e.kind for e in zoo}
    assert kinds == {"random", "construction", "degenerate"}


def test_zoo_counts_recertify():
    # a cheap, representative subset is re-enumerated on every run
    names = ["he-2-[3,3]-b0.5-s0-box", "he-2-[3,3]-b0.5-s0-whole", "montufar-2-[4,4]-unit-cube",
             "duplicate-neurons-whole", "relu-copy-downstream-box", "he-2-[8,8]-ball-(0.2,-0.1)-0.3"]
    fresh = {r["name"]: r["exact_count"] for r in regenerate_zoo(False, names=names)}
    stored = {e.name: e.exact_count for e in load_zoo()}
    assert len(fresh) == len(names)
    assert all(fresh[n] == stored[n] for n in names)


def test_constructions_in_zoo_equal_their_formulas():
    for e in load_zoo():
        if e.kind == "construction":
            kind = e.meta["construction"]
            assert e.exact_count == construction_count(kind, e.network.input_dim, e.network.widths)


@pytest.mark.parametrize("name", ["trivial", "product", "montufar2017", "serra", "local"])
def test_every_shipped_upper_bound_holds_on_the_zoo(name):
    report = assert_upper_bound(SHIPPED_UPPER_BOUNDS[name])
    assert report.n_checked >= (60 if name != "local" else 40)


def test_serra_is_tight_somewhere_in_the_zoo():
    report = check_bound(lambda net, dom: B.serra_upper(net.input_dim, net.widths), "upper")
    name, value, exact = report.tightest
    assert value == exact  # e.g. the 1-D Serra construction attains Π(n_l + 1)


def test_lower_bounds_hold_where_they_apply():
    def montufar_lower(net, domain):
        if not np.allclose(getattr(domain, "lo", [np.nan]), 0) or not np.allclose(domain.hi, 1):
            raise NotApplicable("Montúfar's bound is attained in the unit cube by the construction")
        return B.montufar2014_lower(net.input_dim, net.widths)

    zoo = [e for e in load_zoo() if e.meta.get("construction") == "montufar"]
    report = assert_lower_bound(montufar_lower, zoo=zoo)
    assert report.n_checked == len(zoo) == 4


def test_harness_catches_wrong_bounds():
    off_by_one = check_bound(lambda net, dom: B.serra_upper(net.input_dim, net.widths) - 1, "upper")
    assert not off_by_one.ok
    assert any(v.name.startswith("serra-1-") for v in off_by_one.violations)
    with pytest.raises(AssertionError, match="VIOLATION"):
        assert_upper_bound(lambda net, dom: net.n_neurons + 1)
    # a "lower bound" that is really an upper bound fails as a lower bound
    with pytest.raises(AssertionError, match="VIOLATION"):
        assert_lower_bound(lambda net, dom: B.trivial_bound(net.widths))


def test_harness_input_errors():
    with pytest.raises(ValueError, match="upper"):
        check_bound(lambda n, d: 1, kind="both")
    with pytest.raises(TypeError, match="must return a number"):
        check_bound(lambda n, d: "many")
    with pytest.raises(AssertionError, match="no zoo entry"):
        assert_upper_bound(lambda n, d: (_ for _ in ()).throw(NotApplicable("never")))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(input_dims=(2, 2), widths=(1, 5), depths=(1, 2)), box=boxes(2))
def test_property_serra_bounds_any_box(net, box):
    # A thin box can leave patterns below the radius tolerance (status
    # "exact_at_resolution"): the regions counted are still real, so the bound
    # must hold for them too; a lower bound from a cut-short run would not do.
    rs = enumerate_regions(net, box)
    assert rs.complete, rs.status_detail
    assert rs.n_regions <= B.serra_upper(net.input_dim, net.widths)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(input_dims=(2, 3), widths=(2, 6), depths=(1, 3)), ball=balls(2))
def test_property_local_bound_holds_on_random_balls(net, ball):
    from polyregions import Ball
    from polyregions.local_bounds import local_bound

    ball = Ball(np.r_[ball.center, np.zeros(net.input_dim - 2)], ball.radius)
    rs = enumerate_regions(net, ball)
    assert rs.complete, rs.status_detail
    assert rs.n_regions <= local_bound(net, ball).value


def test_shipped_serra_bound_is_not_applied_to_leaky_nets():
    # |x| then relu(|x| - 1): slope -1 folds the line, so 4 regions, but Serra's
    # Thm 1 for n0 = 1, widths [1, 1] is 3 (its proof needs inactive units to be 0).
    from polyregions import ReLUNetwork, WholeSpace
    from polyregions.testing import ZooEntry

    net = ReLUNetwork.from_weights([[[1.0]], [[1.0]], [[1.0]]], [[0.0], [-1.0], [0.0]],
                                   negative_slope=[-1.0, 0.0])
    assert count_regions(net) == 4 > B.serra_upper(1, [1, 1]) == 3
    zoo = [ZooEntry("abs-fold", "degenerate", net, WholeSpace(1), 4)]
    report = check_bound(SHIPPED_UPPER_BOUNDS["serra"], "upper", zoo=zoo)
    assert report.ok and report.n_checked == 0 and len(report.skipped) == 1
    assert "leaky" in report.skipped[0][1]
    # The bounds that do not need inactive units to vanish still apply, and hold.
    for name in ("trivial", "product", "montufar2017"):
        report = check_bound(SHIPPED_UPPER_BOUNDS[name], "upper", zoo=zoo)
        assert report.ok and report.n_checked == 1, name


def test_nan_bound_is_an_error_not_a_pass():
    # NaN compares False with everything, so it used to pass as any bound.
    for kind in ("upper", "lower"):
        with pytest.raises(TypeError, match="NaN"):
            check_bound(lambda n, d: float("nan"), kind)
