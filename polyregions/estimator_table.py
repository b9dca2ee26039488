"""The table :func:`~polyregions.compare.compare_estimators` returns: one row per estimate.

:class:`EstimatorRow` holds one estimate with its reference value and how
that reference was obtained (exact, a lower bound, a Monte Carlo hold-out);
:class:`EstimatorComparison` holds the rows and renders them as markdown
(:meth:`~EstimatorComparison.to_markdown`) or JSON-ready data
(:meth:`~EstimatorComparison.to_dict`), never claiming a relative error
against a lower bound.

Example
-------
>>> r = EstimatorRow("S_obs", "regions", 9.0, 10, "exact", -0.1, 100, 0.01)
>>> EstimatorComparison((r,), {}, {}, 10, True, None, None, None, None).row("S_obs").estimate
9.0
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ._jsonsafe import to_plain

__all__ = ["EstimatorRow", "EstimatorComparison"]


@dataclass(frozen=True)
class EstimatorRow:
    """One estimate in an :class:`EstimatorComparison`.

    Attributes
    ----------
    name : str
        ``"exact engine"``, ``"S_obs"``, ``"Chao1"``, ``"Chao1-bc"``, ``"ACE"``,
        ``"Good-Turing coverage"``, ``"Chao-Jost coverage"``,
        ``"regions per line"`` or ``"distance to boundary"``.
    target : str
        What it estimates: ``"regions"``, ``"coverage"``, ``"regions per line"``
        or ``"distance"``.
    estimate : float
    exact : float or None
        The reference value; ``None`` when there is none.
    exact_kind : str
        ``"exact"``, ``"lower bound"`` (a stopped engine run),
        ``"monte carlo"`` (hold-out coverage, see ``exact_stderr``) or
        ``"none"``.
    relative_error : float or None
        ``(estimate - exact) / exact``; ``None`` unless the reference is
        exact or a Monte Carlo estimate.
    n_samples : int or None
        Sample size (points, segments or distance points) behind the estimate.
    seconds : float
        Wall time to produce it; the rows of one pattern sample all include
        the time to draw that sample.
    ci : (float, float) or None
        Confidence interval of the estimate, when it has one.
    expected : float or None
        Exact expectation of the estimator under the sampling law (from exact
        region volumes), when known.
    exact_stderr : float
        Standard error of ``exact`` (hold-out coverage only).
    note : str
    """

    name: str
    target: str
    estimate: float
    exact: float | None
    exact_kind: str
    relative_error: float | None
    n_samples: int | None
    seconds: float
    ci: tuple | None = None
    expected: float | None = None
    exact_stderr: float = 0.0
    note: str = ""


def _fmt(x, kind="float"):
    if x is None:
        return "—"
    if isinstance(x, (int, np.integer)) or (kind == "count" and float(x).is_integer()):
        return f"{int(x)}"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.4g}" if kind != "coverage" else f"{x:.4f}"


@dataclass(frozen=True, eq=False)
class EstimatorComparison:
    """Estimators against the exact engine on one network and domain.

    Built by :func:`compare_estimators`.

    Attributes
    ----------
    rows : tuple of EstimatorRow
    network : dict
        ``input_dim``, ``widths``, ``n_neurons``, ``sha256``.
    domain : dict
        ``Domain.to_dict()``.
    exact_count : int or None
        Regions found by the engine (``None`` if it was not run).
    exact_complete : bool or None
        ``False`` when a budget stopped the engine: ``exact_count`` is then a
        lower bound.
    stop_reason : str or None
    coverage_reference : str or None
        ``"volumes"`` (exact) or ``"holdout"`` (Monte Carlo): how the true
        covered fraction was obtained.
    line_mismatches : int or None
        Segments on which the 1-D traversal and the engine disagree
        (``0`` expected; ``None`` without the engine).
    volume_total : float or None
        Sum of the exact region volumes divided by the domain's volume
        (``1`` up to rounding for a complete run), when computed.
    engine_missed : int or None
        Distinct sampled patterns that are *not* among the regions of a
        complete enumeration. ``0`` expected: a positive value means the
        engine missed regions (its count is then too low) or a sample point
        fell in a region thinner than the engine's resolution. ``None``
        without a complete engine run.
    settings : dict
        The arguments of the run.
    exact_status : str or None
        The engine's :attr:`RegionSet.status` (``"exact"``,
        ``"exact_at_resolution"``, ``"lower_bound"`` or ``"failed"``);
        ``None`` if it was not run.

    Examples
    --------
    >>> r = EstimatorRow("S_obs", "regions", 9.0, 10, "exact", -0.1, 100, 0.01)
    >>> c = EstimatorComparison((r,), {}, {}, 10, True, None, None, None, None)
    >>> c.row("S_obs").relative_error
    -0.1
    """

    rows: tuple
    network: dict
    domain: dict
    exact_count: int | None
    exact_complete: bool | None
    stop_reason: str | None
    coverage_reference: str | None
    line_mismatches: int | None
    volume_total: float | None
    engine_missed: int | None = None
    settings: dict = field(default_factory=dict)
    exact_status: str | None = None

    def row(self, name, n_samples=None):
        """The row called ``name`` (for sample-based rows, the one with ``n_samples``).

        Without ``n_samples`` the first matching row is returned.
        """
        for r in self.rows:
            if r.name == name and (n_samples is None or r.n_samples == n_samples):
                return r
        names = sorted({r.name for r in self.rows})
        raise KeyError(f"no row {name!r} with n_samples={n_samples!r}; rows are {names}.")

    def _exact_cell(self, r):
        kind = "coverage" if r.target == "coverage" else "count"
        if r.exact is None:
            return "—"
        if r.exact_kind == "lower bound":
            return f"≥ {_fmt(r.exact, kind)} (lower bound)"
        if r.exact_kind == "monte carlo":
            return f"{_fmt(r.exact, kind)} ± {r.exact_stderr:.1g} (hold-out MC)"
        return _fmt(r.exact, kind)

    def to_markdown(self) -> str:
        """The table as GitHub markdown, with a caption line and footnotes."""
        net = self.network
        if self.exact_count is None:
            status = "exact engine not run"
        elif self.exact_complete:
            status = f"exact count {self.exact_count}"
        else:
            status = (f"exact engine stopped ({self.stop_reason}): ≥ {self.exact_count} regions, "
                      "a lower bound")
        lines = [
            f"Estimators vs exact — net {net.get('input_dim')}-{list(net.get('widths', ()))}, "
            f"domain {self.domain.get('type')}; {status}.",
            "",
            "| estimator | n | estimate | exact | rel. error | E[estimate] | seconds |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            kind = "coverage" if r.target == "coverage" else "count"
            est = _fmt(r.estimate, kind)
            if r.ci is not None:
                est += f" [{_fmt(r.ci[0], kind)}, {_fmt(r.ci[1], kind)}]"
            rel = "n/a" if r.relative_error is None else f"{100 * r.relative_error:+.2f}%"
            exp = "—" if r.expected is None else _fmt(r.expected, kind)
            n = "—" if r.n_samples is None else str(r.n_samples)
            lines.append(f"| {r.name} | {n} | {est} | {self._exact_cell(r)} | {rel} | {exp} | "
                         f"{r.seconds:.3g} |")
        notes = []
        if self.coverage_reference == "volumes":
            notes.append("coverage reference: exact volume fraction of the observed regions")
        elif self.coverage_reference == "holdout":
            notes.append("coverage reference: fraction of an independent uniform hold-out sample "
                         "falling in observed regions (Monte Carlo)")
        if self.line_mismatches is not None:
            notes.append(f"line counts: 1-D traversal vs engine on the same segments, "
                         f"{self.line_mismatches} mismatches")
        if self.engine_missed:
            notes.append(f"**engine inconsistency**: {self.engine_missed} sampled patterns are not "
                         "among the regions of the complete enumeration, so the exact count is "
                         "too low (or a point fell in a region thinner than the engine's "
                         "resolution)")
        if self.volume_total is not None:
            found = "" if self.exact_complete else " (regions found before the engine stopped)"
            notes.append(f"sum of exact region volumes{found} / domain volume = "
                         f"{self.volume_total:.12g}")
        if notes:
            lines.append("")
            lines.extend(f"* {s}" for s in notes)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict (non-finite floats become ``None``)."""
        return to_plain({
            "network": self.network,
            "domain": self.domain,
            "exact": {
                "count": self.exact_count,
                "complete": self.exact_complete,
                "count_is": (None if self.exact_count is None
                             else "exact" if self.exact_complete else "lower bound"),
                "stop_reason": self.stop_reason,
                "status": self.exact_status,
            },
            "coverage_reference": self.coverage_reference,
            "line_mismatches": self.line_mismatches,
            "volume_total": self.volume_total,
            "engine_missed": self.engine_missed,
            "settings": self.settings,
            "rows": [asdict(r) for r in self.rows],
        }, nonfinite="null")

    def __repr__(self):
        state = ("no exact run" if self.exact_count is None
                 else f"exact={self.exact_count}" if self.exact_complete
                 else f"exact>={self.exact_count} (lower bound)")
        return f"EstimatorComparison({len(self.rows)} rows, {state})"


