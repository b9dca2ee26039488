"""verify: time limits that never pass a check they cut short, and the progress bar."""

import numpy as np
import pytest

from polyregions import Ball, Box, enumerate_regions, random_network
from polyregions.verification import CHECKS, verify


@pytest.fixture(scope="module")
def box_run():
    return enumerate_regions(random_network(2, [8, 8], random_state=3), Box([-1, -1], [1, 1]))


def test_time_limit_cuts_short_and_never_passes(box_run):
    report = verify(box_run, time_limit=1e-9)
    assert report.cut_short == ("volume", "euler")
    assert set(report.cut_short) <= set(CHECKS)
    assert not report.ok and report.status == "incomplete"
    assert report.volume is None and report.euler is None
    assert report.pattern_mismatches == ()  # the forward pass always runs


def test_generous_time_limit_changes_nothing(box_run):
    full = verify(box_run)
    timed = verify(box_run, time_limit=600)
    assert full.ok and timed.ok and timed.status == "passed" and timed.cut_short == ()
    assert timed.volume == full.volume and timed.euler == full.euler


def test_time_limit_in_a_monte_carlo_ball():
    # A 3-D ball: volumes are Monte Carlo estimates, the slow case of issue 8 item 12.
    rs = enumerate_regions(random_network(3, [6], random_state=1), Ball(np.zeros(3), 1.0))
    report = rs.verify(time_limit=1e-9, n_samples=1000)
    assert report.cut_short == ("volume",) and report.status == "incomplete"
    assert rs.verify(n_samples=1000).ok


def test_progress_bar_counts_regions(box_run, capsys):
    report = verify(box_run, progress=True)
    err = capsys.readouterr().err
    assert report.ok
    assert "verifying" in err and f"{2 * box_run.n_regions}/{2 * box_run.n_regions}" in err


def test_failed_is_not_incomplete(box_run):
    from polyregions import RegionSet

    rs = box_run
    keep = np.arange(1, rs.n_regions)
    broken = RegionSet(rs.network, rs.domain, rs.patterns[keep], rs.interior_points[keep],
                       rs.radii[keep], [], [], True, None, 0, rs.tolerances, {})
    assert verify(broken).status == "failed"


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "1"])
def test_time_limit_is_validated(box_run, bad):
    with pytest.raises((TypeError, ValueError), match="time_limit"):
        verify(box_run, time_limit=bad)
