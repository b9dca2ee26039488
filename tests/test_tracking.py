"""The training tracker against the same quantities computed directly on each snapshot."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch import nn

from polyregions import Box, ReLUNetwork, enumerate_regions, local_bound
from polyregions.batch import count_regions_batch, neighbourhoods
from polyregions.distance import distance_to_boundary
from polyregions.tracking import (RegionTracker, bound_metric, count_metric, decision_metric,
                                  distance_metric, line_metric, local_count_metric)


def test_tracker_records_what_direct_calls_give(tmp_path):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2),
                          nn.Softmax(dim=1))
    box = Box([-1, -1], [1, 1])
    tr = RegionTracker({
        "box": count_metric(box), "lines": line_metric(X[:10], line_length=1.0),
        "dist": distance_metric(X), "local": local_count_metric(X[:3], 0.2, bound="ibp"),
        "ub": bound_metric(box, method="ibp"), "dec": decision_metric(box),
    }, drop_output_activation=True)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    snapshots = []
    for step in range(3):
        tr.update(model, step * 5)
        snapshots.append(ReLUNetwork.from_torch(model, drop_output_activation=True))
        for _ in range(5):
            opt.zero_grad()
            nn.functional.nll_loss(torch.log(model(Xt)), yt).backward()
            opt.step()
    tab = tr.table()
    assert tab["step"].tolist() == [0, 5, 10] and len(tab) == 3
    for k, net in enumerate(snapshots):
        assert tab["box.count"][k] == enumerate_regions(net, box).count()
        assert tab["dist.mean"][k] == pytest.approx(distance_to_boundary(net, X).mean())
        assert tab["ub"][k] == local_bound(net, box, method="ibp").value
        loc = count_regions_batch(net, neighbourhoods(X[:3], 0.2))
        assert tab["local.mean"][k] == pytest.approx(loc.counts.mean())
        assert tab["dec.crossed"][k] <= tab["dec.regions"][k] == tab["box.count"][k]
    fig = tr.plot(["box.count", "lines.breakpoints_per_unit_length_per_neuron"],
                  path=tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 0 and len(fig.axes) >= 2
    assert "| step |" in tab.to_markdown()


def test_line_metric_measures_the_same_segments_each_step():
    X = np.random.default_rng(1).normal(size=(20, 3))
    m = line_metric(X, line_length=2.0, random_state=3)
    from polyregions import random_network
    from polyregions.lines import line_statistics

    a, b = random_network(3, [6], random_state=0), random_network(3, [6], random_state=1)
    m(a)
    ref = line_statistics(b, X=X, line_length=2.0, random_state=3)  # same draws as step 0
    assert m(b)["mean_regions"] == ref.mean_regions


def test_tracker_input_checks():
    with pytest.raises(TypeError, match="non-empty dict"):
        RegionTracker([])
    tr = RegionTracker({"d": distance_metric([[0.0]])})
    net = ReLUNetwork.from_weights([[[1.0]], [[1.0]]], [[0.5], [0.0]])
    tr.update(net, 1)
    with pytest.raises(ValueError, match="increase"):
        tr.update(net, 1)
    with pytest.raises(KeyError, match="no column"):
        tr.table()["nope"]
