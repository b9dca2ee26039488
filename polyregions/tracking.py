"""Region statistics over training: a tracker and the metrics it records.

A :class:`RegionTracker` holds named *metrics*, each a function of a
:class:`~polyregions.ReLUNetwork` returning a number or a dict of numbers.
Call :meth:`RegionTracker.update` with the model (a torch module, converted
with :meth:`~polyregions.ReLUNetwork.from_torch`, or a network) and the
training step; :meth:`RegionTracker.table` returns everything recorded as a
frozen :class:`TrackingTable` and :meth:`RegionTracker.plot` draws each
column against the step.

The ``*_metric`` factories cover the quantities the region papers track:
exact counts in a domain, exact counts along lines through data, distances
to the boundary at data points, counts in neighbourhoods of points, local
upper bounds, and regions crossed by the decision boundary. Their random
choices (line directions, random planes) are drawn once, when the metric is
made, so every step measures the same lines and neighbourhoods.

Example
-------
>>> import numpy as np
>>> from polyregions import Box, random_network
>>> tr = RegionTracker({"box": count_metric(Box([-1, -1], [1, 1])),
...                     "dist": distance_metric(np.zeros((1, 2)))})
>>> for step in (0, 10):
...     _ = tr.update(random_network(2, [4], random_state=step), step)
>>> tab = tr.table()
>>> tab.columns
('step', 'box.count', 'box.exact', 'dist.mean', 'dist.median', 'dist.mean_scaled')
>>> tab["step"].tolist(), bool(np.all(tab["box.count"] >= 1))
([0, 10], True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_int
from ._deprecation import renamed_parameters
from .network import ReLUNetwork

__all__ = [
    "RegionTracker",
    "TrackingTable",
    "count_metric",
    "line_metric",
    "distance_metric",
    "local_count_metric",
    "bound_metric",
    "decision_metric",
]


# ------------------------------------------------------------------ metrics
def count_metric(domain, *, max_regions=None, time_limit=None):
    """Exact region count in ``domain``: ``{"count", "exact"}`` (``exact`` is 1.0 or 0.0).

    A run stopped by a budget records its lower bound with ``exact = 0``.

    Examples
    --------
    >>> from polyregions import Box, random_network
    >>> count_metric(Box([-1.0], [1.0]))(random_network(1, [3], random_state=0))["exact"]
    1.0
    """
    from .enumeration import enumerate_regions

    def metric(net):
        rs = enumerate_regions(net, domain, max_regions=max_regions, time_limit=time_limit)
        return {"count": float(rs.n_regions), "exact": float(rs.status == "exact")}

    return metric


@renamed_parameters(points="X", length="line_length")
def line_metric(X, *, n_lines=None, line_length=None, pairs=False, random_state=None):
    """Exact counts along lines through (or between pairs of) the points ``X``.

    Records ``mean_regions``, ``breakpoints_per_neuron``,
    ``breakpoints_per_unit_length`` and
    ``breakpoints_per_unit_length_per_neuron`` (Hanin & Rolnick's normalised
    density). The segments are drawn once, so every step measures the same.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import random_network
    >>> m = line_metric(np.eye(2), line_length=2.0)
    >>> sorted(m(random_network(2, [4], random_state=0)))[:2]
    ['breakpoints_per_neuron', 'breakpoints_per_unit_length']
    """
    from .lines import line_statistics, segment_statistics

    X = np.array(X, dtype=np.float64)
    segments = {}

    def metric(net):
        if "ab" not in segments:
            st = line_statistics(net, X=X, n_lines=n_lines, line_length=line_length, pairs=pairs,
                                 random_state=random_state)
            segments["ab"] = (st.starts, st.ends)
        else:
            st = segment_statistics(net, *segments["ab"])
        return {
            "mean_regions": st.mean_regions,
            "breakpoints_per_neuron": st.breakpoints_per_neuron,
            "breakpoints_per_unit_length": st.breakpoints_per_unit_length,
            "breakpoints_per_unit_length_per_neuron": st.breakpoints_per_unit_length_per_neuron,
        }

    return metric


@renamed_parameters(points="X")
def distance_metric(X):
    """Distance to the region boundary at the points ``X``: ``{"mean", "median", "mean_scaled"}``.

    ``mean_scaled`` is the mean times the number of neurons (Hanin & Rolnick).

    Examples
    --------
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0]], [[1.0]]], [[0.0], [0.0]])
    >>> distance_metric([[0.5], [-0.25]])(net)["mean"]
    0.375
    """
    from .distance import boundary_distance_statistics

    X = np.array(X, dtype=np.float64)

    def metric(net):
        st = boundary_distance_statistics(net, X=X)
        return {"mean": st.mean, "median": st.median, "mean_scaled": st.mean_scaled}

    return metric


@renamed_parameters(points="X")
def local_count_metric(X, radius, *, kind="ball", bound=None, max_regions=None,
                       time_limit=None, n_jobs=1, random_state=None):
    """Regions in a neighbourhood of each point (:func:`~polyregions.count_regions_batch`).

    Records ``mean`` (mean count), ``exact`` (fraction of exact counts) and,
    with ``bound``, ``mean_bound`` and ``bound_ratio`` (mean of local upper
    bound / count). The slices of ``kind="square"``/``"disc"`` are drawn once.

    Examples
    --------
    >>> from polyregions import ReLUNetwork
    >>> import numpy as np
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> local_count_metric([[0.0, 0.0], [1.0, 1.0]], 0.5, kind="box", bound="ibp")(net)
    {'mean': 2.5, 'exact': 1.0, 'mean_bound': 2.5, 'bound_ratio': 1.0}
    """
    from .batch import count_regions_batch, neighbourhoods

    doms = neighbourhoods(X, radius, kind=kind, random_state=random_state)

    def metric(net):
        res = count_regions_batch(net, doms, bound=bound, max_regions=max_regions,
                                  time_limit=time_limit, n_jobs=n_jobs)
        out = {"mean": float(np.mean(res.counts)), "exact": float(np.mean(res.exact))}
        if bound is not None:
            ub = [u for u in res.upper_bounds if u is not None]
            out["mean_bound"] = float(np.mean(ub)) if ub else math.nan
            out["bound_ratio"] = float(np.nanmean(res.bound_ratios))
        return out

    return metric


def bound_metric(domain, method="lp"):
    """Local upper bound (:func:`~polyregions.local_bound`) on the regions in a Box or Ball.

    Examples
    --------
    >>> from polyregions import Box, random_network
    >>> bound_metric(Box([-1.0], [1.0]))(random_network(1, [3], random_state=0)) <= 4
    True
    """
    from .local_bounds import local_bound

    def metric(net):
        return float(local_bound(net, domain, method=method).value)

    return metric


def decision_metric(domain):
    """Regions in ``domain`` and how many the decision boundary crosses.

    Records ``regions``, ``crossed``, ``undecided`` (class cells no solver
    decided: when non-zero, ``crossed`` is only a lower bound; see
    :attr:`~polyregions.decision.DecisionBoundary.status`) and, in 2-D,
    ``length`` (of the boundary inside the domain).

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import Box, ReLUNetwork
    >>> net = ReLUNetwork.from_weights([np.eye(2), [[1.0, 0.0]]], [np.zeros(2), [-0.25]])
    >>> decision_metric(Box([-1, -1], [1, 1]))(net)
    {'regions': 4.0, 'crossed': 2.0, 'undecided': 0.0, 'length': 2.0}
    """
    from .decision import decision_boundary
    from .enumeration import enumerate_regions

    def metric(net):
        rs = enumerate_regions(net, domain)
        db = decision_boundary(rs)
        out = {"regions": float(rs.n_regions), "crossed": float(db.n_crossed),
               "undecided": float(db.n_undecided)}
        if db.segments is not None:
            out["length"] = db.length
        return out

    return metric


# ------------------------------------------------------------------ tracker
@dataclass(frozen=True, eq=False)
class TrackingTable:
    """Metrics recorded over training; built by :meth:`RegionTracker.table`.

    Attributes
    ----------
    columns : tuple of str
        ``"step"`` first, then ``"<metric>"`` or ``"<metric>.<key>"``.
    data : dict of str -> ndarray
        One read-only float array per column (``nan`` where a step lacks it).

    Examples
    --------
    >>> t = TrackingTable(("step", "a"), {"step": np.array([0, 1]), "a": np.array([2.0, 3.0])})
    >>> t["a"].tolist(), len(t), t.rows()[1]
    ([2.0, 3.0], 2, {'step': 1, 'a': 3.0})
    """

    columns: tuple
    data: dict

    def __getitem__(self, column):
        try:
            return self.data[column]
        except KeyError:
            raise KeyError(f"no column {column!r}; the columns are {self.columns}.") from None

    def __len__(self):
        return len(self.data["step"]) if "step" in self.data else 0

    def rows(self) -> list:
        """One dict per recorded step."""
        out = []
        for k in range(len(self)):
            row = {}
            for c in self.columns:
                v = self.data[c][k]
                row[c] = int(v) if c == "step" else float(v)
            out.append(row)
        return out

    def to_markdown(self, digits=4) -> str:
        """The table as GitHub markdown."""
        head = "| " + " | ".join(self.columns) + " |"
        sep = "|" + "---|" * len(self.columns)
        body = ["| " + " | ".join(f"{r[c]:.{digits}g}" if isinstance(r[c], float) else str(r[c])
                                  for c in self.columns) + " |" for r in self.rows()]
        return "\n".join([head, sep] + body)


class RegionTracker:
    """Record region metrics of a model at each training step.

    Parameters
    ----------
    metrics : dict of str -> callable
        ``name -> metric(net)``; a metric returns a number or a dict of
        numbers (columns ``name.key``). See the ``*_metric`` factories.
    drop_output_activation : bool, default False
        Passed to :meth:`ReLUNetwork.from_torch` when ``update`` gets a
        torch module ending in a softmax or sigmoid.

    Examples
    --------
    >>> from polyregions import Box, random_network
    >>> tr = RegionTracker({"n": count_metric(Box([-1.0], [1.0]))})
    >>> tr.update(random_network(1, [5], random_state=0), step=0)["n.exact"]
    1.0
    """

    def __init__(self, metrics, *, drop_output_activation=False):
        if not isinstance(metrics, dict) or not metrics:
            raise TypeError("metrics must be a non-empty dict of name -> callable(net); e.g. "
                            "{'regions': count_metric(Box(lo, hi))}.")
        for name, fn in metrics.items():
            if not isinstance(name, str) or not callable(fn):
                raise TypeError(f"metric {name!r} must map a string to a callable(net).")
            if name == "step" or "." in name:
                raise ValueError(f"metric name {name!r} is reserved or contains '.'.")
        self.metrics = dict(metrics)
        self.drop_output_activation = bool(drop_output_activation)
        self._rows = []

    def _network(self, model):
        if isinstance(model, ReLUNetwork):
            return model
        return ReLUNetwork.from_torch(model, drop_output_activation=self.drop_output_activation)

    def update(self, model, step):
        """Evaluate every metric on ``model`` and record the row for ``step``.

        Parameters
        ----------
        model : ReLUNetwork or torch.nn.Module
        step : int
            Training step or epoch; steps must increase.

        Returns
        -------
        dict
            The row just recorded.
        """
        step = check_int(step, "step", minimum=None)
        if self._rows and step <= self._rows[-1]["step"]:
            raise ValueError(f"steps must increase; got {step} after {self._rows[-1]['step']}.")
        net = self._network(model)
        row = {"step": int(step)}
        for name, fn in self.metrics.items():
            value = fn(net)
            if isinstance(value, dict):
                for k, v in value.items():
                    row[f"{name}.{k}"] = float(v)
            else:
                row[name] = float(value)
        self._rows.append(row)
        return dict(row)

    def table(self) -> TrackingTable:
        """Everything recorded so far."""
        cols = ["step"]
        for r in self._rows:
            cols.extend(c for c in r if c not in cols)
        data = {}
        for c in cols:
            arr = np.array([r.get(c, math.nan) for r in self._rows],
                           dtype=np.int64 if c == "step" else np.float64)
            arr.setflags(write=False)
            data[c] = arr
        return TrackingTable(tuple(cols), data)

    def plot(self, columns=None, *, path=None, axes=None, dpi=150):
        """One panel per column against the step; returns the matplotlib Figure.

        Parameters
        ----------
        columns : sequence of str, optional
            Default: every recorded column.
        path : str or Path, optional
            Save the figure there.
        axes : sequence of Axes, optional
            Draw into these (one per column).
        """
        from .plotting import require_matplotlib

        require_matplotlib()
        import matplotlib.pyplot as plt

        tab = self.table()
        cols = [c for c in tab.columns if c != "step"] if columns is None else list(columns)
        for c in cols:
            tab[c]  # noqa: B018 - a clear KeyError for an unknown column
        if axes is None:
            n = len(cols)
            ncol = min(n, 3)
            fig, axs = plt.subplots((n + ncol - 1) // ncol, ncol, figsize=(4 * ncol, 3 * ((n + ncol - 1) // ncol)),
                                    squeeze=False)
            axes = axs.ravel()
            for ax in axes[n:]:
                ax.set_visible(False)
        fig = axes[0].figure
        for ax, c in zip(axes, cols):
            ax.plot(tab["step"], tab[c], marker="o", ms=3)
            ax.set_title(c, fontsize=9)
            ax.set_xlabel("step")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=dpi, bbox_inches="tight")
        return fig
