"""Parts of a distributed run at extreme scales against the serial engine, without a cluster.

Every part is enumerated in-process by the serial engine; the union of their
patterns (and, for first-layer cells, their edges plus the edges decided
across the cell walls) must be the serial run's, and equal at every width.
"""

import numpy as np
import pytest

from polyregions import Ball, Box, ReLUNetwork, random_network
from polyregions.partition import check_cross_edges, cross_candidates, make_plan
from polyregions.serial import enumerate_serial
from polyregions.tolerances import Tolerances

BASE = random_network(2, [6, 6], bias_std=0.3, random_state=7)


def _scaled(s):
    """BASE read at input scale ``s``: the same regions, ``s`` times larger."""
    W = [np.asarray(w, float) for w in BASE.weights]
    W[0] = W[0] / s
    return ReLUNetwork.from_weights(W, [np.asarray(b, float) for b in BASE.biases])


def _key(p):
    return np.packbits(p).tobytes()


def _edges(rs, keys=None):
    k = [_key(p) for p in rs.patterns] if keys is None else keys
    return {frozenset((k[i], k[j])) for i, j in rs.edges.tolist()}


def _split_run(net, dom, split):
    tol = Tolerances()
    parts, plan = make_plan(net, dom, 6, split, 0, tol)
    points, edges = {}, set()
    for part in parts:
        rs = enumerate_serial(net, part, tolerances=tol)
        assert rs.status == "exact", rs.status_detail
        points.update(zip([_key(p) for p in rs.patterns], rs.interior_points))
        edges |= _edges(rs)
    if split == "first_layer":
        keys = sorted(points)
        packed = np.array([np.frombuffer(k, dtype=np.uint8) for k in keys])
        I, J, K = cross_candidates(packed, net.n_neurons, plan["neurons"])
        pairs = [(packed[i], k, points[keys[i]], points[keys[j]]) for i, j, k in zip(I, J, K)]
        ok, _ = check_cross_edges(net, dom, tol, pairs)
        edges |= {frozenset((keys[i], keys[j])) for i, j, y in zip(I, J, ok) if y}
    return set(points), edges, len(parts)


@pytest.mark.parametrize("s", [1e-6, 1e8])
@pytest.mark.parametrize("where", ["ball", "box", "far_ball"])
def test_split_at_extreme_scales_equals_serial(s, where):
    dom = {"ball": Ball([0.3 * s, 0.0], s), "box": Box([-s, -0.5 * s], [s, 0.5 * s]),
           "far_ball": Ball([3 * s, 0.0], s)}[where]
    unit = {"ball": (35, 57), "box": (31, 51), "far_ball": (9, 10)}[where]  # serial at s = 1
    net = _scaled(s)
    serial = enumerate_serial(net, dom)
    assert serial.status == "exact" and (serial.n_regions, len(serial.edges)) == unit
    for split in ("boxes", "first_layer"):
        keys, edges, n_parts = _split_run(net, dom, split)
        assert n_parts > 1
        assert keys == {_key(p) for p in serial.patterns}
        if split == "first_layer":  # box parts duplicate pieces; their edges are the merge's job
            assert edges == _edges(serial)
