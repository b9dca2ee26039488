import json
import subprocess
import sys

import numpy as np
import pytest

from polyregions import Ball, Box, count_regions, random_network
from polyregions.cli import main


@pytest.fixture
def model(tmp_path):
    net = random_network(2, [8, 8], bias_std=0.3, random_state=4)
    path = tmp_path / "net.npz"
    net.save_npz(path)
    return net, path


def test_count_box_json(model, capsys):
    net, path = model
    assert main(["count", str(path), "--box", "-1", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_regions"] == count_regions(net, Box([-1, -1], [1, 1]))
    assert out["complete"] is True and out["status"] == "exact"
    assert out["pattern_mismatches"] == 0


def test_count_ball_text(model, capsys):
    net, path = model
    assert main(["count", str(path), "--ball", "0.1,0.2", "0.5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{count_regions(net, Ball([0.1, 0.2], 0.5))} regions (exact)")


def test_budget_gives_lower_bound_and_exit_3(model, capsys):
    _, path = model
    assert main(["count", str(path), "--box", "-1", "1", "--max-regions", "3"]) == 3
    assert "LOWER BOUND" in capsys.readouterr().out


def test_bad_input_exit_2(model, tmp_path, capsys):
    _, path = model
    assert main(["count", str(path), "--box", "1", "-1"]) == 2
    assert "not greater than" in capsys.readouterr().err
    assert main(["count", str(path), "--box", "0,0,0", "1"]) == 2
    assert "3 entries" in capsys.readouterr().err
    assert main(["count", str(tmp_path / "nope.npz")]) == 2
    assert "cannot load" in capsys.readouterr().err
    assert main(["count", str(path), "--box", "-1", "1", "--max-regions", "0"]) == 2
    assert "max_regions must be a positive integer" in capsys.readouterr().err
    assert main(["count", str(path), "--ball", "0", "-1"]) == 2
    assert "radius must be positive" in capsys.readouterr().err


def test_module_entry_point(model):
    _, path = model
    out = subprocess.run([sys.executable, "-m", "polyregions", "count", str(path), "--box", "-1", "1"],
                         capture_output=True, text=True, check=True).stdout
    assert "regions (exact)" in out


def test_check_and_zoo_commands(tmp_path, capsys):
    assert main(["check", "serra"]) == 0
    assert "0 violations" in capsys.readouterr().out
    bad = tmp_path / "mybound.py"
    bad.write_text("def linear(net, domain):\n    return net.n_neurons\n")
    assert main(["check", f"{bad}:linear"]) == 1
    assert "VIOLATION" in capsys.readouterr().out
    assert main(["check", "nosuchmodule:f"]) == 2
    assert main(["zoo"]) == 0
    assert "montufar-2-[4,4]-unit-cube" in capsys.readouterr().out


def test_plot_box_and_slice(model, tmp_path, capsys):
    net, path = model
    out = tmp_path / "regions.png"
    assert main(["plot", str(path), "--box", "-1", "1", "-o", str(out)]) == 0
    n = count_regions(net, Box([-1, -1], [1, 1]))
    assert f"{n} regions (exact)" in capsys.readouterr().out
    assert out.stat().st_size > 5000
    # a plane through three points of a 5-input network
    net5 = random_network(5, [6, 6], bias_std=0.3, random_state=1)
    net5.save_npz(tmp_path / "n5.npz")
    pts = np.random.default_rng(0).normal(size=(3, 5))
    np.save(tmp_path / "pts.npy", pts)
    out2 = tmp_path / "slice.svg"
    assert main(["plot", str(tmp_path / "n5.npz"), "--slice", str(tmp_path / "pts.npy"),
                 "-o", str(out2)]) == 0
    assert out2.read_text().startswith("<?xml")
    assert main(["plot", str(tmp_path / "n5.npz"), "--box", "-1", "1", "-o", str(out2)]) == 2
    assert "--slice" in capsys.readouterr().err
    np.save(tmp_path / "bad.npy", pts[:2])
    assert main(["plot", str(tmp_path / "n5.npz"), "--slice", str(tmp_path / "bad.npy"),
                 "-o", str(out2)]) == 2


def test_estimate_command(model, capsys):
    net, path = model
    assert main(["estimate", str(path), "--box", "-1", "1", "--samples", "2000", "--exact",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exact"]["count"] == count_regions(net, Box([-1, -1], [1, 1]))
    assert data["exact"]["count_is"] == "exact"
    assert data["line_mismatches"] == 0 and data["engine_missed"] == 0


def test_count_verify(model, capsys):
    _, path = model
    assert main(["count", str(path), "--box", "-1", "1", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "verify    ok: 0 pattern mismatches" in out and "Euler characteristic 1" in out
    assert main(["count", str(path), "--box", "-1", "1", "--verify", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verification"]["ok"] and data["verification"]["volume_rel_error"] < 1e-9


def test_count_save_round_trips(model, tmp_path, capsys):
    from polyregions import enumerate_regions
    from polyregions.export import equal_results, from_json

    net, path = model
    out = tmp_path / "result.json"
    assert main(["count", str(path), "--box", "-1", "1", "--save", str(out)]) == 0
    back = from_json(out)
    assert equal_results(back, enumerate_regions(net, Box([-1, -1], [1, 1])), compare_stats=False)


# ------------------------------------------------------------- estimate
def test_estimate_json_with_exact(model, capsys):
    net, path = model
    assert main(["estimate", str(path), "--box", "-1", "1", "--samples", "200", "2000",
                 "--lines", "5", "--exact", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exact"]["count"] == count_regions(net, Box([-1, -1], [1, 1]))
    assert out["exact"]["count_is"] == "exact"
    assert out["settings"]["n_samples"] == [200, 2000]
    assert out["line_mismatches"] == 0


def test_estimate_markdown_without_exact(model, capsys):
    _, path = model
    assert main(["estimate", str(path), "--ball", "0,0", "0.5", "--samples", "300",
                 "--lines", "0"]) == 0
    out = capsys.readouterr().out
    assert "| estimator |" in out and "exact engine not run" in out


def test_estimate_budget_exit_3_and_errors(model, capsys):
    _, path = model
    assert main(["estimate", str(path), "--box", "-1", "1", "--samples", "300", "--lines", "0",
                 "--exact", "--max-regions", "3"]) == 3
    assert "≥ 3 (lower bound)" in capsys.readouterr().out
    assert main(["estimate", str(path), "--box", "-1", "1", "--max-regions", "3"]) == 2
    assert "add --exact" in capsys.readouterr().err
    assert main(["estimate", str(path), "--box", "-1", "1", "--samples", "0"]) == 2
    assert ">= 1" in capsys.readouterr().err


def test_estimate_progress_goes_to_stderr(model, capsys):
    _, path = model
    assert main(["estimate", str(path), "--box", "-1", "1", "--samples", "100", "--lines", "2",
                 "--exact", "--progress", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["settings"]["n_lines"] == 2  # stdout stays pure JSON
    assert "estimators" in captured.err and "enumerating" in captured.err
