"""Each study in examples/ runs in --quick mode and its table holds what the study checks."""

import importlib
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name, tmp_path):
    sys.path.insert(0, str(EXAMPLES))
    try:
        mod = importlib.import_module(name)
        out = mod.main(["--quick", "--out", str(tmp_path)])
    finally:
        sys.path.remove(str(EXAMPLES))
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    return out


def test_montufar2014(tmp_path):
    rows = run("montufar2014", tmp_path)
    assert [r["depth"] for r in rows] == [1, 2, 3]
    for r in rows:
        assert r["construction (exact)"] == r["formula"] == r["Montufar14 lower"]
        assert r["random max (R^2)"] <= r["Serra upper"] <= r["Montufar17 upper"]


def test_hanin_rolnick2019(tmp_path):
    out = run("hanin_rolnick2019", tmp_path)
    assert len(out["rows"]) == 4  # 2 depths x 2 checkpoints
    for r in out["rows"]:
        assert 0 < r["through: crossings/len/N"] < 1 and 0 < r["median distance x N"] < math.inf
    for s in out["scaling"]:
        # The one-layer mean over 5 nets against its exact expectation.
        assert s["1 layer: measured regions/line"] == pytest.approx(
            s["1 layer: exact expectation"], rel=0.3)


def test_qi_wei2023(tmp_path):
    out = run("qi_wei2023", tmp_path)
    for r in out["sawtooth"]:
        assert r["1 layer: exact regions"] == r["tent: exact regions"] == r["pieces 2k"]
        assert r["1 layer: max error"] < 1e-9 and r["tent: max error"] < 1e-9
        assert r["1 layer: neurons"] == r["pieces 2k"]
        assert r["fewest by prod(n+1) >= 2k"] <= r["tent composition: neurons"]
    assert all(f["its regions in [0,1]"] <= f["width"] + 1 for f in out["fits"])
    rows = out["rows"]
    assert len(rows) == 6
    assert all(r["crossed by decision boundary"] <= r["regions in box"] for r in rows)
    assert all(r["regions holding data"] <= r["regions in box"] for r in rows)


def test_zhu_lin_tang2020(tmp_path):
    rows = run("zhu_lin_tang2020", tmp_path)
    assert len(rows) == 8  # 4 data sets x 2 checkpoints
    for r in rows:
        assert r["regions near data"] >= 1 and r["regions near random"] >= 1
        assert r["exact fraction"] == 1.0
        if "balls" in r["data set"]:
            assert r["bound / count (data)"] >= 1
