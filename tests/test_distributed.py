"""Distributed enumeration on a real LocalCluster against the serial engine.

One cluster (2 worker processes, 1 thread each) serves the whole module.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from polyregions import (  # noqa: E402
    Ball, Box, IncompleteEnumerationError, Slice, WholeSpace, count_regions, enumerate_regions,
    from_json, random_network,
)
from polyregions.distributed import enumerate_distributed, local_cluster, plan_parts  # noqa: E402
from polyregions.merge import PieceMerge  # noqa: E402
from polyregions.lp import inscribed_radius  # noqa: E402
from polyregions.results import region_halfspaces  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = local_cluster(2)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def keyset(rs):
    return {np.packbits(p).tobytes() for p in rs.patterns}


def edgeset(rs):
    """Edges as pairs of patterns with their neurons (independent of region order)."""
    k = [np.packbits(p).tobytes() for p in rs.patterns]
    return {(frozenset((k[i], k[j])), n) for (i, j), n in zip(rs.edges.tolist(), rs.edge_neurons)}


def assert_same_as_serial(dist, serial):
    assert dist.status == serial.status == "exact"
    assert dist.n_regions == serial.n_regions
    assert keyset(dist) == keyset(serial)
    assert edgeset(dist) == edgeset(serial)
    # Canonical order: sorted by packed pattern.
    k = [np.packbits(p).tobytes() for p in dist.patterns]
    assert k == sorted(k)
    # Certificates: a forward pass at each interior point gives its pattern, and the
    # certified ball lies inside region ∩ domain (checked against the whole domain's rows).
    assert len(dist.check_patterns()) == 0
    for i in range(dist.n_regions):
        A, b, _ = region_halfspaces(dist.network, dist.domain, dist.patterns[i])
        r = inscribed_radius(A, b, dist.interior_points[i], dist.domain.ball)
        assert r >= dist.radii[i] * (1 - 1e-9) - 1e-15
        assert dist.radii[i] > 0


CASES = [
    (2, "box", [7, 7], "auto"),  # a box: grid cells, each a Box for the subdivision engine
    (2, "ball", [7, 7], "boxes"),
    (3, "box", [6, 6], "first_layer"),
    (3, "ball", [6, 6], "auto"),  # a ball: cells of first-layer hyperplanes, LP search
    (4, "box", [5, 5], "first_layer"),
    (4, "ball", [6], "boxes"),
]


@pytest.mark.parametrize("d, kind, widths, split", CASES)
def test_distributed_equals_serial(client, d, kind, widths, split):
    net = random_network(d, widths, bias_std=0.3, random_state=10 * d + len(kind))
    rng = np.random.default_rng(d)
    if kind == "box":
        dom = Box(-np.ones(d) + 0.1 * rng.random(d), np.ones(d))
    else:
        dom = Ball(0.1 * rng.normal(size=d), 0.9)
    serial = enumerate_regions(net, dom)
    if split == "auto":  # the public entry point; a generic net is cut along first-layer cells
        dist = enumerate_regions(net, dom, client=client)
        assert count_regions(net, dom, client=client) == serial.n_regions
    else:
        dist = enumerate_distributed(net, dom, client=client, split=split)
    assert_same_as_serial(dist, serial)
    info = dist.stats["distributed"]
    assert info["n_parts"] > 1 and info["pieces"] == dist.n_regions + info["duplicated_pieces"]
    if split == "auto":
        assert info["split"] == ("boxes" if kind == "box" else "first_layer")
    if info["split"] == "first_layer":
        assert info["duplicated_pieces"] == 0
        assert info["cross_edges"] > 0  # some edges join two cells
        # Most are certified by a point on the segment between the interior points, not an LP.
        assert info["cross_lps"] < info["cross_candidates"] / 2


@pytest.mark.parametrize("split", ["boxes", "first_layer"])
def test_slice_and_whole_space(client, split):
    net = random_network(3, [6, 6], bias_std=0.5, random_state=3)
    sl = Slice.plane(np.zeros(3), [1.0, 0.2, 0.0], [0.0, 1.0, -0.3], lo=(-1, -1), hi=(1, 1))
    assert_same_as_serial(enumerate_distributed(net, sl, client=client, n_parts=5, split=split),
                          enumerate_regions(net, sl))
    disc = Slice.around(np.ones(3), 0.8, kind="disc", random_state=1)
    assert_same_as_serial(enumerate_distributed(net, disc, client=client, n_parts=4, split=split),
                          enumerate_regions(net, disc))
    net2 = random_network(2, [5, 5], bias_std=0.5, random_state=4)
    whole = enumerate_distributed(net2, WholeSpace(2), client=client, n_parts=6, split=split)
    assert_same_as_serial(whole, enumerate_regions(net2))


def test_degenerate_net_is_cut_along_axes(client):
    """Zero biases: a neuron can vanish on a whole region, so auto falls back to axis cuts."""
    from polyregions import ReLUNetwork

    net = ReLUNetwork.from_weights(
        [[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0, -1.0, 0.5], [0.3, 1.0, -1.0]], [[1.0, 1.0]]],
        [[0.0, 0.0, -0.5], [0.0, 0.0], [0.0]])
    box = Box([-1, -1], [1, 1])
    rs = enumerate_regions(net, box, client=client)
    serial = enumerate_regions(net, box)
    assert rs.stats["distributed"]["split"] == "boxes"
    assert keyset(rs) == keyset(serial) and rs.status == serial.status
    # Several neurons vanish on some facets, and which of them an edge names depends on the
    # side the search reached it from (in the serial engine too): compare the edges only.
    assert {pair for pair, _ in edgeset(rs)} == {pair for pair, _ in edgeset(serial)}


def test_plan_covers_domain_once():
    """Random points of the domain fall in exactly one part (cuts are measure zero)."""
    net = random_network(3, [4], random_state=0)
    for dom in (Box([-1, 0, 2], [1, 3, 2.5]), Ball([0.2, 0, 0], 1.5)):
        parts = plan_parts(net, dom, 7, random_state=1)
        assert 7 <= len(parts) <= 14
        U = dom.sample(2000, random_state=2)
        inside = np.array([p.contains(U) for p in parts])
        assert np.all(inside.sum(axis=0) == 1)
        assert all(p.scale == dom.scale for p in parts)


def test_cuts_avoid_axis_aligned_neurons():
    """A hand-built net whose hyperplanes sit exactly on the regular grid's cuts."""
    W = np.vstack([np.eye(2), np.eye(2)])
    net = random_network(2, [4], random_state=0)
    from polyregions import ReLUNetwork

    net = ReLUNetwork.from_weights([W, np.ones((1, 4))], [[0.0, 0.0, -0.5, -0.5], [0.0]])
    for seed in range(20):
        parts = plan_parts(net, Box([-1, -1], [1, 1]), 16, random_state=seed)
        for c in parts[0].cuts:
            assert np.min(np.abs(c[:, None] - np.array([0.0, 0.5])[None, :])) > 1e-6


def test_bad_client(client):
    net = random_network(2, [3], random_state=0)
    with pytest.raises(TypeError, match="client must be"):
        enumerate_regions(net, Box([-1, -1], [1, 1]), client=3)
    with pytest.raises(ValueError, match="seed_point"):
        enumerate_regions(net, Box([-1, -1], [1, 1]), client=client, seed_point=[0, 0])
    with pytest.raises(ValueError, match="n_parts"):
        plan_parts(net, Box([-1, -1], [1, 1]), 0)


def test_budgets_hold_across_the_cluster(client):
    net = random_network(3, [8, 8], bias_std=0.3, random_state=1)
    box = Box(-np.ones(3), np.ones(3))
    rs = enumerate_distributed(net, box, client=client, max_regions=20, n_parts=8, method="lp")
    assert rs.status == "lower_bound" and rs.stop_reason == "max_regions"
    assert rs.n_regions >= 20
    assert len(rs.check_patterns()) == 0
    with pytest.raises(IncompleteEnumerationError):
        rs.count()


def test_resume_after_interrupt_gives_serial_result(client, tmp_path):
    net = random_network(3, [7, 7], bias_std=0.3, random_state=2)
    box = Box(-np.ones(3), np.ones(3))
    serial = enumerate_regions(net, box)
    path = tmp_path / "progress.json"
    # A budget of half the regions stops the run after some parts finished, others not.
    first = enumerate_distributed(net, box, client=client, n_parts=8, method="lp",
                                  max_regions=serial.n_regions // 2, resume=path)
    assert first.status == "lower_bound"
    done = first.stats["distributed"]["done"]
    assert 0 < len(done) < 8
    saved = from_json(path)  # the progress file is an ordinary saved (partial) result
    assert saved.n_regions == first.n_regions and not saved.complete
    second = enumerate_regions(net, box, client=client, resume=path, method="lp")
    assert_same_as_serial(second, serial)
    assert second.stats["distributed"]["parts_run"] == 8 - len(done)
    assert from_json(path).complete
    # A finished file resumes to the same result without running anything.
    third = enumerate_regions(net, box, client=client, resume=path)
    assert third.stats["distributed"]["parts_run"] == 0
    assert keyset(third) == keyset(serial) and edgeset(third) == edgeset(serial)


def test_resume_refuses_another_domain(client, tmp_path):
    net = random_network(2, [4], random_state=0)
    path = tmp_path / "p.json"
    enumerate_regions(net, Box([-1, -1], [1, 1]), client=client, resume=path)
    with pytest.raises(ValueError, match="domain"):
        enumerate_regions(net, Box([-2, -1], [1, 1]), client=client, resume=path)


def test_worker_killed_mid_run_still_gives_serial_result(client):
    net = random_network(3, [8, 8], bias_std=0.3, random_state=7)
    box = Box(-np.ones(3), np.ones(3))
    serial = enumerate_regions(net, box)
    out = {}
    run = threading.Thread(target=lambda: out.setdefault(
        "rs", enumerate_distributed(net, box, client=client, n_parts=6, method="lp")))
    run.start()
    busy, deadline = [], time.monotonic() + 60
    while not busy and time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items()
                if any("polyregions-part" in str(k) for k in keys)]
        time.sleep(0.02)
    assert busy, "no part ever ran"
    pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
    os.kill(pid, signal.SIGKILL)  # the part it was running is lost with it
    assert "rs" not in out  # the kill happened mid-run
    run.join(300)
    assert_same_as_serial(out["rs"], serial)
    client.wait_for_workers(2, timeout=60)
    assert pid not in client.run(os.getpid).values()


def test_cli_scheduler_and_resume(client, tmp_path, capsys):
    import json

    from polyregions.cli import main

    net = random_network(2, [6, 6], bias_std=0.3, random_state=4)
    path = tmp_path / "net.npz"
    net.save_npz(path)
    progress = tmp_path / "progress.json"
    serial = count_regions(net, Box([-1, -1], [1, 1]))
    address = client.scheduler.address
    assert main(["count", str(path), "--box", "-1", "1", "--scheduler", address,
                 "--resume", str(progress), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_regions"] == serial and out["status"] == "exact"
    assert out["stats"]["distributed"]["parts_run"] > 0
    # Resuming the finished run runs no part and prints the same count.
    assert main(["count", str(path), "--box", "-1", "1", "--scheduler", address,
                 "--resume", str(progress), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_regions"] == serial and out["stats"]["distributed"]["parts_run"] == 0


def test_batch_on_the_cluster_equals_local(client):
    from polyregions.batch import count_regions_batch, neighbourhoods

    net = random_network(3, [5, 5], bias_std=0.3, random_state=5)
    doms = neighbourhoods(np.random.default_rng(0).normal(size=(3, 3)), 0.6, kind="ball")
    dist = count_regions_batch(net, doms, client=client, progress=False)
    assert dist.counts.tolist() == [count_regions(net, d) for d in doms]
    assert dist.statuses == ("exact",) * len(doms)


def test_time_limit_gives_a_certified_lower_bound(client):
    net = random_network(3, [10, 10], bias_std=0.3, random_state=1)
    box = Box(-np.ones(3), np.ones(3))
    # About 1,500 regions by the LP search: more than 0.2 s.
    rs = enumerate_regions(net, box, client=client, time_limit=0.2, method="lp")
    assert rs.status == "lower_bound" and rs.stop_reason == "time_limit"
    assert len(rs.check_patterns()) == 0
    assert rs.stats["seconds"] < 0.2 + 5.5  # the deadline, plus at most the grace for parts


def test_own_cluster_keeps_glibc_mmap_threshold(client):
    # dask's MALLOC_TRIM_THRESHOLD_ made the engines ~30% slower in a worker than serially.
    assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}


def test_box_cuts_follow_the_regions():
    """An arrangement crowded off-centre: the cut goes through the crowd, not the box's middle."""
    net = random_network(2, [12, 12], bias_std=0.01, random_state=3)
    net = net.__class__.from_weights(net.weights, [net.biases[0] - net.weights[0] @ [0.6, 0.5]]
                                     + list(net.biases[1:]))  # every first-layer line near (0.6, 0.5)
    box = Box([-1, -1], [1, 1])
    serial = enumerate_regions(net, box)
    parts = plan_parts(net, box, 2, random_state=0)
    share = [p.contains(serial.interior_points).mean() for p in parts]
    assert len(parts) == 2 and min(share) > 0.3, share  # a regular grid gives 0.06


def test_merge_is_the_union_in_any_order():
    """Pieces of random patterns in random parts: one region per pattern, its largest radius,
    the union of the edges, whatever order the parts come in."""
    rng = np.random.default_rng(0)
    n, R = 70, 300  # two 64-bit words per pattern
    P = np.unique(rng.random((R, n)) < 0.5, axis=0)
    R = len(P)
    radii = rng.random((3, R))
    E = np.array(sorted({tuple(sorted(e)) for e in rng.integers(0, R, (400, 2)) if e[0] != e[1]}))
    arrays = []
    for k in range(3):
        own = np.flatnonzero(rng.random(R) < 0.5)  # this part's pieces, in its own order
        own = rng.permutation(own)
        local = {g: i for i, g in enumerate(own)}
        e = np.array([[local[a], local[b]] for a, b in E if a in local and b in local]).reshape(-1, 2)
        arrays.append(dict(packed=np.packbits(P[own], axis=1), points=rng.random((len(own), 2)),
                           radii=radii[k, own], edges=e, neurons=np.full((len(e), 1), k)))
    outs = []
    for order in ([0, 1, 2], [2, 0, 1]):
        m = PieceMerge(n, 2)
        for k in order:
            m.add(k, arrays[k])
        outs.append(m.merged())
    a, b = outs
    for key in ("packed", "points", "radii", "edges"):
        assert np.array_equal(a[key], b[key])
    assert a["neurons"] == b["neurons"]  # parts named different neurons: their union
    seen = np.zeros((3, R), bool)
    for k in range(3):
        rows = [np.flatnonzero(np.all(np.packbits(P, axis=1) == q, axis=1))[0]
                for q in arrays[k]["packed"]]
        seen[k, rows] = True
    keep = seen.any(axis=0)
    assert np.array_equal(a["packed"], np.packbits(P[keep], axis=1))  # sorted, one per pattern
    best = np.where(seen, radii, -1).max(axis=0)[keep]
    assert np.array_equal(a["radii"], best)
    assert m.pieces == seen.sum() and m.n_regions == keep.sum()
    new = np.cumsum(keep) - 1
    expect = {(new[i], new[j]): tuple(k for k in range(3) if seen[k, i] and seen[k, j])
              for i, j in E}
    expect = {e: ks for e, ks in expect.items() if ks}
    assert dict(zip(map(tuple, a["edges"].tolist()), a["neurons"])) == expect
