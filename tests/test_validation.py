"""The same mistake gets the same exception at every public entry point.

Each kind of mistake has one class in ``polyregions.errors``; every
entry point that can make the mistake is called with it, and the test asserts
the exact class (not just ``ValueError``), so a module that checks by hand
again, or wraps the error into a plain ``ValueError``, fails here. The
classes still derive from ``ValueError`` (and, for a value of the wrong kind,
``TypeError``), which the last tests pin down.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyregions as pr
from polyregions._validation import check_int
from polyregions.errors import (DimensionMismatchError, InvalidArrayError, InvalidLevelError,
                                InvalidPointsError, NotAnIntegerError, NotADomainError,
                                NotANetworkError, OutOfRangeError)
from polyregions.loading import network_from_arrays, network_from_state_dict
from polyregions.milp import count_regions_milp

NET = pr.random_network(2, [3], random_state=0)
BOX = pr.Box([-1, -1], [1, 1])
BOX3 = pr.Box([-1, -1, -1], [1, 1, 1])
CENTRES = np.zeros((1, 2))


def _pl_network():
    b = pr.GraphBuilder((2,))
    return b.build(b.dense(b.relu(b.dense(b.input, np.eye(2), np.zeros(2))), [[1.0, 1.0]], [0.0]))


def _nan_layers():
    W = [np.array([[1.0, np.nan]]), np.ones((1, 1))]
    B = [np.zeros(1), np.zeros(1)]
    return W, B


def _graph_with_nan():
    b = pr.GraphBuilder((2,))
    return b.dense(b.input, [[1.0, np.nan]], [0.0])


NAN_WEIGHTS = {
    "ReLUNetwork.from_weights": lambda: pr.ReLUNetwork.from_weights(*_nan_layers()),
    "ReLUNetwork.from_dict": lambda: pr.ReLUNetwork.from_dict(
        {"weights": [w.tolist() for w in _nan_layers()[0]],
         "biases": [b.tolist() for b in _nan_layers()[1]]}),
    "GraphBuilder.dense": _graph_with_nan,
    "network_from_arrays": lambda: network_from_arrays(
        dict(zip(["W0", "W1"], _nan_layers()[0])) | dict(zip(["b0", "b1"], _nan_layers()[1]))),
    "network_from_state_dict": lambda: network_from_state_dict(
        {"0.weight": _nan_layers()[0][0], "0.bias": _nan_layers()[1][0],
         "2.weight": _nan_layers()[0][1], "2.bias": _nan_layers()[1][1]}),
}

X3 = np.zeros((2, 3))  # points of dimension 3 for a network taking 2
POINTS_OF_WRONG_DIMENSION = {
    "ReLUNetwork.forward": lambda: NET.forward(X3),
    "ReLUNetwork.activation_patterns": lambda: NET.activation_patterns(X3),
    "PLNetwork.forward": lambda: _pl_network().forward(X3),
    "distance_to_boundary": lambda: pr.distance_to_boundary(NET, X3),
    "boundary_distance_statistics": lambda: pr.boundary_distance_statistics(NET, X=X3),
    "local_region_counts": lambda: pr.local_region_counts(NET, X3, 0.1),
    "sample_patterns": lambda: pr.sample_patterns(NET, X=X3),
    "segment_breakpoints": lambda: pr.segment_breakpoints(NET, X3[0], X3[1] + 1),
    "count_regions_on_segments": lambda: pr.count_regions_on_segments(NET, X3, X3 + 1),
}

DOMAIN_OF_WRONG_DIMENSION = {
    "enumerate_regions": lambda: pr.enumerate_regions(NET, BOX3),
    "count_regions_milp": lambda: count_regions_milp(NET, BOX3),
    "count_regions_batch": lambda: pr.count_regions_batch(NET, [BOX3]),
    "sample_patterns": lambda: pr.sample_patterns(NET, BOX3, n_samples=10),
    "line_statistics": lambda: pr.line_statistics(NET, BOX3, n_lines=2),
    "boundary_distance_statistics": lambda: pr.boundary_distance_statistics(NET, BOX3,
                                                                            n_samples=10),
    "local_bound": lambda: pr.local_bound(NET, BOX3),
    "compare_estimators": lambda: pr.compare_estimators(NET, BOX3),
}


def non_integer_count(x):
    """Entry points given the count ``x`` (not an integer) where a count is expected."""
    return {
        "enumerate_regions(max_regions)": lambda: pr.enumerate_regions(NET, BOX, max_regions=x),
        "enumerate_regions(n_jobs)": lambda: pr.enumerate_regions(NET, BOX, n_jobs=x),
        "count_regions_milp(max_regions)": lambda: count_regions_milp(NET, BOX, max_regions=x),
        "count_regions_batch(max_regions)": lambda: pr.count_regions_batch(NET, [BOX],
                                                                           max_regions=x),
        "local_region_counts(max_regions)": lambda: pr.local_region_counts(NET, CENTRES, 0.1,
                                                                           max_regions=x),
        "sample_patterns(n_samples)": lambda: pr.sample_patterns(NET, BOX, n_samples=x),
        "boundary_distance_statistics(n_samples)": lambda: pr.boundary_distance_statistics(
            NET, BOX, n_samples=x),
        "compare_estimators(sample_sizes)": lambda: pr.compare_estimators(NET, BOX, sample_sizes=x),
        "line_statistics(n_lines)": lambda: pr.line_statistics(NET, BOX, n_lines=x),
        "random_network(widths)": lambda: pr.random_network(2, [x]),
        "Box.sample": lambda: BOX.sample(x),
    }


def bad_time_limit(t):
    return {
        "enumerate_regions": lambda: pr.enumerate_regions(NET, BOX, time_limit=t),
        "count_regions_milp": lambda: count_regions_milp(NET, BOX, time_limit=t),
        "count_regions_batch": lambda: pr.count_regions_batch(NET, [BOX], time_limit=t),
        "local_region_counts": lambda: pr.local_region_counts(NET, CENTRES, 0.1, time_limit=t),
        "verify": lambda: pr.verify(pr.enumerate_regions(NET, BOX), time_limit=t),
    }


ZERO_MAX_REGIONS = {
    "enumerate_regions": lambda: pr.enumerate_regions(NET, BOX, max_regions=0),
    "count_regions_milp": lambda: count_regions_milp(NET, BOX, max_regions=0),
    "count_regions_batch": lambda: pr.count_regions_batch(NET, [BOX], max_regions=0),
    "local_region_counts": lambda: pr.local_region_counts(NET, CENTRES, 0.1, max_regions=0),
}

BAD_LEVEL = {
    "segment_statistics": lambda: pr.segment_statistics(NET, X3[:, :2], X3[:, :2] + 1,
                                                        level=1.5),
    "boundary_distance_statistics": lambda: pr.boundary_distance_statistics(
        NET, X=CENTRES, level=1.5),
    "compare_estimators": lambda: pr.compare_estimators(NET, BOX, level=1.5),
}

NOT_A_NETWORK = {
    "enumerate_regions": lambda: pr.enumerate_regions("net.npz", BOX),
    "count_regions_milp": lambda: count_regions_milp("net.npz", BOX),
    "count_regions_batch": lambda: pr.count_regions_batch("net.npz", [BOX]),
    "sample_patterns": lambda: pr.sample_patterns("net.npz", BOX, n_samples=3),
    "distance_to_boundary": lambda: pr.distance_to_boundary("net.npz", CENTRES),
    "line_statistics": lambda: pr.line_statistics("net.npz", BOX, n_lines=2),
    "local_region_counts": lambda: pr.local_region_counts("net.npz", CENTRES, 0.1),
    "local_bound": lambda: pr.local_bound("net.npz", BOX),
    "compare_estimators": lambda: pr.compare_estimators("net.npz", BOX),
}

NOT_A_DOMAIN = {
    "enumerate_regions": lambda: pr.enumerate_regions(NET, "box"),
    "count_regions_milp": lambda: count_regions_milp(NET, "box"),
    "count_regions_batch": lambda: pr.count_regions_batch(NET, ["box"]),
    "sample_patterns": lambda: pr.sample_patterns(NET, "box", n_samples=3),
    "line_statistics": lambda: pr.line_statistics(NET, "box", n_lines=2),
    "boundary_distance_statistics": lambda: pr.boundary_distance_statistics(NET, "box",
                                                                            n_samples=3),
    "compare_data_vs_random": lambda: pr.compare_data_vs_random(NET, CENTRES, "box", 0.1),
    "local_bound": lambda: pr.local_bound(NET, "box"),
    "compare_estimators": lambda: pr.compare_estimators(NET, "box"),
}

CASES = [(NAN_WEIGHTS, InvalidArrayError, "NaN"),
         (POINTS_OF_WRONG_DIMENSION, InvalidPointsError, "dimension 2"),
         (DOMAIN_OF_WRONG_DIMENSION, DimensionMismatchError, "dimension 3"),
         (non_integer_count(2.5), NotAnIntegerError, "integer"),
         (bad_time_limit(-1.0), OutOfRangeError, "time_limit"),
         (ZERO_MAX_REGIONS, OutOfRangeError, "max_regions"),
         (BAD_LEVEL, InvalidLevelError, "level"),
         (NOT_A_NETWORK, NotANetworkError, "ReLUNetwork.from_weights"),
         (NOT_A_DOMAIN, NotADomainError, "Box")]


def raised(calls):
    """``{name: the exception}`` of each call, each of which must raise a ValueError or TypeError."""
    out = {}
    for name, call in calls.items():
        with pytest.raises((ValueError, TypeError)) as info:
            call()
        out[name] = info.value
    return out


@pytest.mark.parametrize("calls, exc, match", CASES,
                         ids=[c[1].__name__ + ":" + c[2] for c in CASES])
def test_every_entry_point_raises_the_same_class(calls, exc, match):
    errors = raised(calls)
    assert {name: type(e) for name, e in errors.items()} == {name: exc for name in calls}
    for name, e in errors.items():
        assert match in str(e), (name, str(e))


@settings(max_examples=15, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()))
def test_any_fractional_count_is_not_an_integer_everywhere(x):
    assert {type(e) for e in raised(non_integer_count(x)).values()} == {NotAnIntegerError}


@settings(max_examples=10, deadline=None)
@given(st.one_of(st.floats(max_value=0.0), st.just(math.nan)))
def test_any_non_positive_or_nan_time_limit_is_out_of_range_everywhere(t):
    assert {type(e) for e in raised(bad_time_limit(t)).values()} == {OutOfRangeError}


def test_classes_keep_the_builtin_bases():
    # Code written against the builtins keeps working: a value of the wrong kind is both.
    assert issubclass(NotAnIntegerError, TypeError) and issubclass(NotAnIntegerError, ValueError)
    assert issubclass(InvalidPointsError, TypeError) and issubclass(InvalidArrayError, TypeError)
    for cls in (OutOfRangeError, DimensionMismatchError, InvalidLevelError):
        assert issubclass(cls, ValueError)
    assert issubclass(NotANetworkError, TypeError) and issubclass(NotADomainError, TypeError)
    with pytest.raises(TypeError, match="integer"):
        check_int(True, "n_samples")  # a bool is never a count


def test_messages_say_what_to_pass():
    with pytest.raises(OutOfRangeError, match=r"max_regions must be >= 1 \(a positive integer\); "
                                              r"got 0\."):
        pr.enumerate_regions(NET, BOX, max_regions=0)
    with pytest.raises(DimensionMismatchError, match="build the domain with 2 coordinates"):
        pr.enumerate_regions(NET, BOX3)
    with pytest.raises(InvalidPointsError, match=r"contains NaN or infinite values"):
        NET.forward([[np.nan, 0.0]])
