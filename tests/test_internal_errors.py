"""An engine's internal failure is never reported as the user's bad input (issue 8 leftover)."""

import numpy as np
import pytest

from polyregions import Ball, Box, enumerate_regions, lp_engine, random_network
from polyregions.errors import InternalError
from polyregions.cli import EXIT_BAD_INPUT, EXIT_FAILED, main


def _broken_engine(monkeypatch):
    def process(self, *args, **kwargs):
        raise ValueError("operands could not be broadcast together with shapes (3,) (2,)")

    monkeypatch.setattr(lp_engine.LPEngine, "process", process)


def test_engine_value_error_is_an_internal_error(monkeypatch):
    _broken_engine(monkeypatch)
    with pytest.raises(InternalError, match="a bug, not a problem with your input") as info:
        enumerate_regions(random_network(2, [4], random_state=0), Box([-1, -1], [1, 1]), method="lp")
    assert isinstance(info.value.__cause__, ValueError) and "report it" in str(info.value)
    assert not isinstance(info.value, ValueError)


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "fastest"}, "method must be one of"),
    ({"method": "subdivision", "domain": Ball([0.0, 0.0], 1.0)}, "subdivision engine handles"),
    ({"seed_point": [0.0, 0.0, 0.0]}, "seed_point must be 2 finite numbers"),
    ({"seed_point": [np.nan, 0.0]}, "seed_point must be 2 finite numbers"),
])
def test_bad_engine_options_stay_value_errors(kwargs, match):
    # Checked at the boundary, before any engine runs: still the user's ValueError.
    domain = kwargs.pop("domain", Box([-1, -1], [1, 1]))
    with pytest.raises(ValueError, match=match):
        enumerate_regions(random_network(2, [4], random_state=0), domain, **kwargs)


def test_cli_exits_failed_and_asks_for_a_report(tmp_path, monkeypatch, capsys):
    net = random_network(2, [4], random_state=0)
    path = tmp_path / "net.npz"
    np.savez(path, **{f"{k}{i}": a for i, (W, b) in enumerate(zip(net.weights, net.biases))
                      for k, a in (("W", W), ("b", b))})
    assert main(["count", str(path), "--box", "-1", "1", "--method", "lp"]) == 0
    capsys.readouterr()
    _broken_engine(monkeypatch)
    code = main(["count", str(path), "--box", "-1", "1", "--method", "lp"])
    err = capsys.readouterr().err
    assert code == EXIT_FAILED != EXIT_BAD_INPUT
    assert "Traceback" in err and "error: polyregions failed internally" in err and "report it" in err
    # Bad input is still bad input.
    assert main(["count", str(path), "--box", "-1", "1", "--method", "fastest"]) == EXIT_BAD_INPUT
