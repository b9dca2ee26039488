import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

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
    assert "max_regions must be >= 1 (a positive integer)" in capsys.readouterr().err
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
    broken = tmp_path / "broken.py"
    broken.write_text("def f(net, domain:\n")
    assert main(["check", f"{broken}:f"]) == 2
    assert "SyntaxError" in capsys.readouterr().err
    assert main(["check", f"{bad}:nothere"]) == 2
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
    assert out["settings"]["sample_sizes"] == [200, 2000]
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


# ------------------------------------------------------- --box / --ball forms
from polyregions.cli import build_parser, domain_from_args  # noqa: E402
from polyregions.cli_args import join_domain_values  # noqa: E402


def _domain(argv, dim=2):
    args = build_parser().parse_args(join_domain_values(["count", "m.npz", *argv]))
    return domain_from_args(args, dim)


@pytest.mark.parametrize("argv, lo, hi", [
    (["--box", "-1,-1", "1,1"], [-1, -1], [1, 1]),
    (["--box", "-1", "1"], [-1, -1], [1, 1]),
    (["--box", "-1e12", "1e12"], [-1e12, -1e12], [1e12, 1e12]),
    (["--box", "-2,-.5", "+1,3E-1"], [-2, -0.5], [1, 0.3]),
    (["--box=-1,-1,1,1"], [-1, -1], [1, 1]),
    (["--box=-1,2"], [-1, -1], [2, 2]),
    (["--box=-1 1"], [-1, -1], [1, 1]),
    (["--box", "0", "1", "--json"], [0, 0], [1, 1]),
])
def test_box_forms(argv, lo, hi):
    dom = _domain(argv)
    assert dom.to_dict()["lo"] == lo and dom.to_dict()["hi"] == hi


@pytest.mark.parametrize("argv, center, radius", [
    (["--ball", "-0.5,0", "1"], [-0.5, 0], 1.0),
    (["--ball", "-0.5", "2"], [-0.5, -0.5], 2.0),
    (["--ball=-0.5,0,1"], [-0.5, 0], 1.0),
    (["--ball=-3,0.25"], [-3, -3], 0.25),
])
def test_ball_forms(argv, center, radius):
    d = _domain(argv).to_dict()
    assert d["center"] == center and d["radius"] == radius


@pytest.mark.parametrize("argv, message", [
    (["--box", "-1"], "LO HI"),
    (["--ball", "0.5"], "CENTER RADIUS"),
    (["--box=-1,2,3"], "3 numbers"),
    (["--box", "nan", "1"], "finite"),
    (["--box", "-1", "inf"], "finite"),
    (["--box", "1", "-1"], "not greater than"),
    (["--box", "0,0,0", "1"], "3 entries"),
    (["--ball", "0,0", "1,2"], "RADIUS must be one number"),
    (["--ball", "0", "-1"], "radius must be positive"),
    (["--ball=1,2,3,4"], "4 numbers"),
    (["--box", "-1", "1", "--ball", "0", "1"], "not both"),
])
def test_domain_form_errors(model, argv, message, capsys):
    _, path = model
    assert main(["count", str(path), *argv]) == 2
    assert message in capsys.readouterr().err


def test_forms_end_to_end(small_model, capsys):
    net, path = small_model
    n = count_regions(net, Box([-1, -1], [1, 1]))
    for argv in (["--box", "-1,-1", "1,1", str(path)], [str(path), "--box=-1,-1,1,1"],
                 [str(path), "--box", "-1", "1"]):
        assert main(["count", *argv]) == 0
        assert capsys.readouterr().out.startswith(f"{n} regions (exact)")
    assert main(["count", str(path), "--ball", "-0.5,0", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_regions"] == count_regions(net, Ball([-0.5, 0], 1.0))
    assert out["domain"]["center"] == [-0.5, 0.0]
    # a huge box is parsed (its count is the numerics' business): check the domain only
    assert main(["count", str(path), "--box", "-1e12", "1e12", "--max-regions", "1",
                 "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["domain"]["hi"] == [1e12, 1e12]


# ------------------------------------------------ paths and dependencies early
@pytest.fixture
def no_enumeration(monkeypatch):
    import polyregions.enumeration

    def refuse(*args, **kwargs):
        raise AssertionError("enumeration started before the input was checked")

    monkeypatch.setattr(polyregions.enumeration, "enumerate_regions", refuse)


def test_output_paths_checked_before_enumeration(model, tmp_path, capsys, no_enumeration):
    _, path = model
    cases = [
        (["count", str(path), "--save", str(tmp_path / "missing" / "r.json")], "does not exist"),
        (["count", str(path), "--save", str(tmp_path)], "is a directory"),
        (["plot", str(path), "--box", "-1", "1", "-o", str(tmp_path / "nope" / "x.png")],
         "does not exist"),
        (["plot", str(path), "--box", "-1", "1", "-o", str(tmp_path / "x.xyz")],
         "cannot write .xyz"),
    ]
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err


def test_missing_optional_dependencies(model, tmp_path, capsys, monkeypatch, no_enumeration):
    _, path = model
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backend_bases", None)
    assert main(["plot", str(path), "--box", "-1", "1", "-o", str(tmp_path / "x.png")]) == 2
    assert "plot needs matplotlib" in capsys.readouterr().err
    (tmp_path / "m.pt").write_bytes(b"anything")
    monkeypatch.setitem(sys.modules, "torch", None)
    assert main(["count", str(tmp_path / "m.pt")]) == 2
    assert "needs torch" in capsys.readouterr().err


# ------------------------------------------------------ the exit-status table
from polyregions import RegionSet, enumerate_regions  # noqa: E402
from polyregions.cli import (EXIT_AT_RESOLUTION, EXIT_BAD_INPUT, EXIT_CHECK_FAILED,  # noqa: E402
                             EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOWER_BOUND, EXIT_OK)


@pytest.fixture
def small_model(tmp_path):
    net = random_network(2, [5], bias_std=0.3, random_state=4)
    path = tmp_path / "small.npz"
    net.save_npz(path)
    return net, path


def _engine_returns(monkeypatch, *, finished=None, stop_reason="keep", flip=False, **counts):
    """Make the engine's real result carry another status (thin, merged, undecided, failed)."""
    import polyregions.enumeration

    real = polyregions.enumeration.enumerate_regions

    def fake(*args, **kwargs):
        rs = real(*args, **kwargs)
        patterns = rs.patterns.copy()
        if flip:
            patterns[0, 0] = ~patterns[0, 0]  # a wrong region for --verify to find
        return RegionSet(
            rs.network, rs.domain, patterns, rs.interior_points, rs.radii, rs.edges,
            rs.edge_neurons, rs.complete if finished is None else finished,
            rs.stop_reason if stop_reason == "keep" else stop_reason,
            counts.get("n_thin", rs.n_thin), rs.tolerances, rs.stats,
            n_merged=counts.get("n_merged", 0), n_undecided=counts.get("n_undecided", 0))

    monkeypatch.setattr(polyregions.enumeration, "enumerate_regions", fake)


@pytest.mark.parametrize("change, extra, code, first_line", [
    ({}, [], EXIT_OK, "{n} regions (exact)"),
    ({"n_thin": 2}, [], EXIT_AT_RESOLUTION, "{n} regions (exact at resolution: 2 patterns"),
    ({"n_merged": 1}, [], EXIT_AT_RESOLUTION, "{n} regions (exact at resolution: 1 facets"),
    ({"n_undecided": 3}, [], EXIT_LOWER_BOUND,
     "{n} regions at least (LOWER BOUND: 3 patterns undecided)"),
    ({"finished": False, "stop_reason": "solver_error"}, [], EXIT_FAILED,
     "{n} regions at least (FAILED: stopped: solver_error)"),
    ({"finished": False, "stop_reason": "solver_error"}, ["--verify"], EXIT_FAILED,
     "{n} regions at least (FAILED"),
    ({"n_thin": 1}, ["--verify"], EXIT_AT_RESOLUTION, "{n} regions (exact at resolution"),
    ({"flip": True}, ["--verify"], EXIT_CHECK_FAILED, "{n} regions (exact)"),
    ({"flip": True, "n_undecided": 1}, ["--verify"], EXIT_CHECK_FAILED,
     "{n} regions at least (LOWER BOUND"),
    ({"flip": True}, [], EXIT_OK, "{n} regions (exact)"),  # no --verify, no check
    ({"finished": False, "stop_reason": "interrupted"}, ["--verify"], EXIT_LOWER_BOUND,
     "{n} regions at least (LOWER BOUND: stopped: interrupted)"),
])
def test_exit_status_table(small_model, monkeypatch, capsys, change, extra, code, first_line):
    net, path = small_model
    n = count_regions(net, Box([-1, -1], [1, 1]))
    _engine_returns(monkeypatch, **change)
    assert main(["count", str(path), "--box", "-1", "1", *extra]) == code
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(first_line.format(n=n))
    assert main(["count", str(path), "--box", "-1", "1", "--json", *extra]) == code
    data = json.loads(capsys.readouterr().out)
    assert data["exit_status"] == code
    assert data["status"] in ("exact", "exact_at_resolution", "lower_bound", "failed")
    assert data["status"] == {0: "exact", 4: "exact_at_resolution", 3: "lower_bound",
                              5: "failed"}.get(code, data["status"])


def test_budget_with_verify_is_3_not_1(small_model, capsys):
    _, path = small_model
    for budget in (["--max-regions", "3"], ["--time-limit", "1e-9"]):
        assert main(["count", str(path), "--box", "-1", "1", "--verify", *budget]) == 3
        out = capsys.readouterr().out
        assert "LOWER BOUND" in out and "verify    ok: 0 pattern mismatches" in out
        assert "skipped: the count is a lower bound" in out


def test_verify_gets_the_remaining_time_and_progress(small_model, monkeypatch, capsys):
    import types

    import polyregions.cli as cli

    _, path = small_model
    seen = {}

    def fake_verify(rs, *, random_state=0, time_limit=None, progress=False):
        seen.update(time_limit=time_limit, progress=progress)
        return types.SimpleNamespace(pattern_mismatches=(), volume=None, euler=None, errors=(),
                                     ok=False, cut_short=("volume",), status="incomplete")

    monkeypatch.setattr(cli, "_verify_function", lambda: fake_verify)
    assert main(["count", str(path), "--box", "-1", "1", "--verify", "--time-limit", "50",
                 "--progress"]) == EXIT_LOWER_BOUND
    out = capsys.readouterr().out
    assert out.startswith(f"{count_regions(*_net_box(path))} regions (exact)")
    assert "cut short by --time-limit (volume not finished)" in out
    assert 0 < seen["time_limit"] < 50 and seen["progress"] is True
    assert main(["count", str(path), "--box", "-1", "1", "--verify", "--time-limit", "50",
                 "--json"]) == EXIT_LOWER_BOUND
    assert json.loads(capsys.readouterr().out)["verification"]["status"] == "incomplete"


def test_real_verify_cut_short_exits_3(small_model, monkeypatch, capsys):
    import polyregions.cli as cli
    from polyregions.verification import verify

    _, path = small_model
    # The real checks, given almost no time: the report says which were cut short.
    monkeypatch.setattr(cli, "_verify_function",
                        lambda: lambda rs, **kw: verify(rs, **{**kw, "time_limit": 1e-9}))
    assert main(["count", str(path), "--box", "-1", "1", "--verify", "--json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "exact" and data["verification"]["status"] == "incomplete"
    assert data["verification"]["cut_short"]


def _net_box(path):
    from polyregions import load_network

    return load_network(path), Box([-1, -1], [1, 1])


def test_ctrl_c_during_verify_keeps_the_count(small_model, monkeypatch, capsys):
    import polyregions.cli as cli

    net, path = small_model

    def interrupted(rs, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_verify_function", lambda: interrupted)
    assert main(["count", str(path), "--box", "-1", "1", "--verify"]) == EXIT_LOWER_BOUND
    out = capsys.readouterr().out
    assert out.startswith(f"{count_regions(net, Box([-1, -1], [1, 1]))} regions (exact)")
    assert "verify    interrupted" in out


def test_real_sigint_during_verify(small_model, tmp_path):
    # A real signal, delivered while the checks run, in a fresh interpreter.
    net, path = small_model
    script = tmp_path / "run.py"
    script.write_text(
        "import os, signal, sys, time\n"
        "import polyregions.cli as cli\n"
        "def slow_verify(rs, **kw):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(30)\n"
        "    raise AssertionError('the signal did not arrive')\n"
        "cli._verify_function = lambda: slow_verify\n"
        "sys.exit(cli.main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, str(script), "count", str(path), "--box", "-1", "1",
                           "--verify"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == EXIT_LOWER_BOUND, proc.stderr
    n = count_regions(net, Box([-1, -1], [1, 1]))
    assert proc.stdout.startswith(f"{n} regions (exact)")
    assert "verify    interrupted" in proc.stdout


def test_ctrl_c_before_any_count(model, monkeypatch):
    import polyregions.loading

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(polyregions.loading, "load_network", interrupted)
    assert main(["count", str(model[1])]) == EXIT_INTERRUPTED


def test_plot_and_estimate_follow_the_table(small_model, monkeypatch, tmp_path, capsys):
    _, path = small_model
    with pytest.warns(RuntimeWarning, match="incomplete"):
        assert main(["plot", str(path), "--box", "-1", "1", "--max-regions", "3",
                     "-o", str(tmp_path / "p.png")]) == EXIT_LOWER_BOUND
    assert "LOWER BOUND" in capsys.readouterr().out
    _engine_returns(monkeypatch, n_thin=1)
    assert main(["plot", str(path), "--box", "-1", "1", "-o", str(tmp_path / "p.png")]) == 4
    assert main(["estimate", str(path), "--box", "-1", "1", "--samples", "100", "--lines", "0",
                 "--exact"]) == EXIT_AT_RESOLUTION
    _engine_returns(monkeypatch, finished=False, stop_reason="solver_error")
    assert main(["estimate", str(path), "--box", "-1", "1", "--samples", "100", "--lines", "0",
                 "--exact", "--json"]) == EXIT_FAILED
    capsys.readouterr()
    assert main(["count", str(path), "--bogus"]) == EXIT_BAD_INPUT
    assert main(["--help"]) == EXIT_OK


def test_count_method_flag(model, capsys):
    net, path = model
    counts = {}
    for method in ("lp", "subdivision", "auto"):
        assert main(["count", str(path), "--box", "-1", "1", "--json", "--method", method]) == 0
        out = json.loads(capsys.readouterr().out)
        counts[method] = out["n_regions"]
        assert out["stats"].get("engine", "lp") == ("lp" if method == "lp" else "subdivision")
    assert counts["lp"] == counts["subdivision"] == counts["auto"] == count_regions(
        net, Box([-1, -1], [1, 1]), method="lp")


def test_a_crash_is_a_failure_not_a_violation(small_model, monkeypatch, capsys):
    import polyregions.enumeration

    def crash(*args, **kwargs):
        raise RuntimeError("HiGHS returned kError")

    monkeypatch.setattr(polyregions.enumeration, "enumerate_regions", crash)
    assert main(["count", str(small_model[1]), "--box", "-1", "1"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "Traceback" in err and "error: the run failed: RuntimeError: HiGHS" in err


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dim=st.integers(1, 4))
def test_property_box_and_ball_forms_parse_exactly(data, dim):
    # Any finite numbers, in any float spelling Python writes, parse back bit for bit.
    fin = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)
    lo = np.array(data.draw(st.lists(fin, min_size=dim, max_size=dim)))
    width = np.array(data.draw(st.lists(st.floats(1e-3, 1e3), min_size=dim, max_size=dim)))
    hi = lo + width  # widths of at least 1e-3 register at |lo| <= 1e12
    spell = data.draw(st.sampled_from([repr, lambda v: f"{v:.17e}", lambda v: f"{v:+.17g}"]))
    L, H = (",".join(spell(float(v)) for v in x) for x in (lo, hi))
    for argv in (["--box", L, H], [f"--box={L},{H}"]):
        d = _domain(argv, dim).to_dict()
        assert d["lo"] == lo.tolist() and d["hi"] == hi.tolist()
    radius = float(width[0])
    d = _domain(["--ball", L, spell(radius)], dim).to_dict()
    assert d["center"] == lo.tolist() and d["radius"] == radius
