"""Check a region-count bound against exact counts: a certified zoo, a harness, strategies.

A bound is any function ``f(net, domain) -> int``. An *upper* bound must be
``>= `` the exact number of activation regions of ``net`` in ``domain``; a
*lower* bound ``<=``. :func:`check_bound` evaluates it on every network of
the zoo -- random He-initialised nets of several shapes, the extremal
constructions and deliberately degenerate nets -- whose exact counts ship
with the package (``polyregions/data/zoo.json``, certified by the engine), so
a check takes seconds and needs no enumeration. A bound that does not apply
to a zoo entry raises :class:`NotApplicable` (or ``ValueError``) and the
entry is skipped and reported.

In pytest::

    from polyregions.testing import assert_upper_bound
    def test_my_bound():
        assert_upper_bound(my_bound)          # raises AssertionError listing violations

With hypothesis, :func:`networks`, :func:`boxes` and :func:`balls` draw
random small nets and domains.

Example
-------
>>> from polyregions.bounds import serra_upper
>>> report = check_bound(lambda net, dom: serra_upper(net.input_dim, net.widths), "upper")
>>> report.ok, report.n_checked == len(load_zoo())
(True, True)
>>> check_bound(lambda net, dom: net.n_neurons, "upper").ok     # "one region per neuron"
False
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ._validation import check_choice
from . import bounds, constructions
from ._version import __version__
from .domain import Ball, Box, WholeSpace, domain_from_dict
from .local_bounds import local_bound
from .network import ReLUNetwork, random_network

__all__ = [
    "NotApplicable",
    "ZooEntry",
    "Violation",
    "BoundCheckReport",
    "zoo_definitions",
    "load_zoo",
    "regenerate_zoo",
    "check_bound",
    "assert_upper_bound",
    "assert_lower_bound",
    "networks",
    "boxes",
    "balls",
    "SHIPPED_UPPER_BOUNDS",
]

ZOO_FILE = "zoo.json"
ZOO_FORMAT = 1


class NotApplicable(Exception):
    """Raised by a bound function for a network or domain outside its assumptions."""


@dataclass(frozen=True, eq=False)
class ZooEntry:
    """A network, a domain and the certified exact number of regions in it."""

    name: str
    kind: str  # "random", "construction" or "degenerate"
    network: ReLUNetwork
    domain: object
    exact_count: int
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Violation:
    """One zoo entry where a bound fails."""

    name: str
    bound_value: int
    exact_count: int
    network: ReLUNetwork
    domain: object

    def __str__(self):
        return (f"{self.name}: bound {self.bound_value} vs exact {self.exact_count} "
                f"({self.network!r} in {self.domain!r})")


@dataclass(frozen=True)
class BoundCheckReport:
    """Outcome of :func:`check_bound`."""

    kind: str
    n_checked: int
    violations: tuple
    skipped: tuple  # (name, reason)
    tightest: tuple  # (name, bound_value, exact_count) with the smallest slack
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.violations

    def __str__(self):
        lines = [
            f"{self.kind} bound: {self.n_checked} zoo entries checked, "
            f"{len(self.violations)} violations, {len(self.skipped)} not applicable"
        ]
        lines += [f"  VIOLATION {v}" for v in self.violations]
        if self.tightest:
            name, val, exact = self.tightest
            lines.append(f"  tightest: {name}: bound {val} vs exact {exact}")
        return "\n".join(lines)


# ----------------------------------------------------------------- the zoo
def _degenerate_nets():
    """Nets built to hit the engine's hard cases (docs/math.md §10)."""
    rng = np.random.default_rng(2024)
    out = []
    W = rng.normal(size=(5, 2))
    b = rng.normal(size=5)
    out.append(("duplicate-neurons", ReLUNetwork.from_weights(
        [np.vstack([W, W[:2], 2 * W[:1]]), np.ones((1, 8))], [np.concatenate([b, b[:2], 2 * b[:1]]), [0.0]])))
    ang = np.pi * np.arange(7) / 7 + 0.1
    Wc = np.c_[np.cos(ang), np.sin(ang)]
    out.append(("seven-lines-through-a-point", ReLUNetwork.from_weights(
        [Wc, np.ones((1, 7))], [-Wc @ [0.1, -0.2], [0.0]])))
    out.append(("zero-rows-and-dead-units", ReLUNetwork.from_weights(
        [np.vstack([rng.normal(size=(4, 2)), np.zeros((2, 2))]), rng.normal(size=(4, 6)), np.ones((1, 4))],
        [np.r_[rng.normal(size=4), 1.0, -1.0], rng.normal(size=4), [0.0]])))
    out.append(("relu-copy-downstream", ReLUNetwork.from_weights(
        [[[1.0, 0.5], [0.3, -1.0]], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.ones((1, 3))],
        [[0.1, 0.0], [0.0, 0.0, -0.2], [0.0]])))
    out.append(("zero-biases", random_network(2, [6, 6], bias_std=0.0, random_state=3)))
    return out


def zoo_definitions():
    """The zoo's networks and domains, without counts: ``[(name, kind, net, domain, meta)]``.

    Deterministic (fixed seeds), so :func:`regenerate_zoo` rebuilds the same
    networks; their SHA-256 fingerprints are stored with the counts.
    """
    defs = []
    for n0, widths in [(1, [8, 8]), (1, [4, 4, 4]), (2, [4]), (2, [3, 3]), (2, [6, 6]), (2, [10, 10]),
                       (2, [4, 4, 4]), (2, [8, 8, 8]), (2, [2, 8]), (2, [8, 2]), (3, [6, 6]),
                       (3, [4, 4, 4]), (4, [5, 5])]:
        for bias_std in (0.5, 0.01):
            for seed in (0, 1):
                net = random_network(n0, widths, bias_std=bias_std, random_state=seed)
                name = f"he-{n0}-{widths}-b{bias_std:g}-s{seed}".replace(" ", "")
                defs.append((name + "-box", "random", net, Box(-np.ones(n0), np.ones(n0)), {}))
                if bias_std == 0.5 and sum(widths) <= 16:
                    defs.append((name + "-whole", "random", net, WholeSpace(n0), {}))
    unit = lambda n0: Box(np.zeros(n0), np.ones(n0))  # noqa: E731
    for kind, n0, widths in [("montufar", 1, [3, 3]), ("montufar", 1, [2, 2, 2]), ("montufar", 2, [4, 4]),
                             ("montufar", 2, [6, 6]), ("serra", 1, [3, 3]), ("serra", 1, [4, 4]),
                             ("serra", 1, [3, 3, 3]), ("serra", 1, [5, 2]), ("serra", 2, [6, 4]),
                             ("serra", 2, [6, 6])]:
        net = getattr(constructions, kind)(n0, widths)
        meta = {"construction": kind, "formula": constructions.construction_count(kind, n0, widths)}
        defs.append((f"{kind}-{n0}-{widths}-unit-cube".replace(" ", ""), "construction", net, unit(n0), meta))
    for name, net in _degenerate_nets():
        defs.append((name + "-box", "degenerate", net, Box(-np.ones(2), np.ones(2)), {}))
        defs.append((name + "-whole", "degenerate", net, WholeSpace(2), {}))
    for c, r in [((0.2, -0.1), 0.3), ((0.0, 0.0), 0.8)]:
        net = random_network(2, [8, 8], bias_std=0.5, random_state=5)
        defs.append((f"he-2-[8,8]-ball-{c}-{r}".replace(" ", ""), "random", net, Ball(c, r), {}))
    return defs


_NETWORK_KEYS = ("weights", "biases", "negative_slopes", "sha256")


def _entry_to_json(name, kind, net, domain, count, meta, certificate):
    return {
        "name": name,
        "kind": kind,
        **net.to_dict(),  # weights, biases, negative_slopes, sha256
        "domain": domain.to_dict(),
        "exact_count": int(count),
        "meta": meta,
        "certificate": certificate,
    }


def regenerate_zoo(path=None, *, names=None, progress=False):
    """Enumerate every zoo entry with the engine and write the certified counts.

    An entry is certified only if the run is complete, has no thin patterns
    and every interior point re-evaluates to its pattern; otherwise this
    raises. Returns the list of JSON records (also written to ``path``,
    default the packaged ``zoo.json``, unless ``path`` is ``False``).
    """
    from .enumeration import enumerate_regions

    records = []
    for name, kind, net, domain, meta in zoo_definitions():
        if names is not None and name not in names:
            continue
        rs = enumerate_regions(net, domain)
        bad = rs.check_patterns()
        if not rs.complete or rs.n_thin or len(bad):
            raise RuntimeError(f"zoo entry {name} could not be certified: {rs!r}, "
                               f"n_thin={rs.n_thin}, pattern mismatches={len(bad)}")
        if "formula" in meta and meta["formula"] != rs.n_regions:
            raise RuntimeError(f"construction {name}: engine counts {rs.n_regions}, formula says "
                               f"{meta['formula']}")
        cert = {"polyregions": __version__, "complete": True, "n_thin": 0, "pattern_mismatches": 0,
                "min_radius": float(rs.radii.min()), "seconds": round(rs.stats["seconds"], 3)}
        records.append(_entry_to_json(name, kind, net, domain, rs.n_regions, meta, cert))
        if progress:
            print(f"{name}: {rs.n_regions} regions ({rs.stats['seconds']:.2f} s)", flush=True)
    if path is not False:
        out = Path(path) if path else Path(__file__).parent / "data" / ZOO_FILE
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"format": ZOO_FORMAT, "entries": records}, indent=1) + "\n")
    return records


_ZOO_CACHE = None


def load_zoo():
    """The certified zoo as a tuple of :class:`ZooEntry` (read once, fingerprints verified)."""
    global _ZOO_CACHE
    if _ZOO_CACHE is None:
        text = resources.files("polyregions").joinpath("data", ZOO_FILE).read_text()
        data = json.loads(text)
        if data.get("format") != ZOO_FORMAT:
            raise RuntimeError("zoo.json has an unknown format; run `polyregions zoo --regenerate`.")
        entries = []
        for rec in data["entries"]:
            try:
                net = ReLUNetwork.from_dict({k: rec[k] for k in _NETWORK_KEYS if k in rec})
            except ValueError as exc:
                raise RuntimeError(f"zoo entry {rec['name']}: {exc}") from None
            entries.append(ZooEntry(rec["name"], rec["kind"], net, domain_from_dict(rec["domain"]),
                                    int(rec["exact_count"]), rec.get("meta", {})))
        _ZOO_CACHE = tuple(entries)
    return _ZOO_CACHE


# ------------------------------------------------------------------ harness
def check_bound(bound, kind="upper", zoo=None):
    """Evaluate ``bound(net, domain)`` on every zoo entry and collect violations.

    Parameters
    ----------
    bound : callable
        ``bound(net, domain) -> int``; may raise :class:`NotApplicable` or
        ``ValueError`` for entries outside its assumptions (skipped).
    kind : {"upper", "lower"}
    zoo : sequence of ZooEntry, optional
        Default :func:`load_zoo`.

    Returns
    -------
    BoundCheckReport
    """
    check_choice(kind, "kind", ("upper", "lower"))
    if not callable(bound):
        raise TypeError("bound must be a function f(net, domain) -> int.")
    zoo = load_zoo() if zoo is None else zoo
    t0 = time.perf_counter()
    violations, skipped, checked = [], [], 0
    tightest, best_slack = (), math.inf
    for e in zoo:
        try:
            value = bound(e.network, e.domain)
        except (NotApplicable, ValueError) as exc:
            skipped.append((e.name, str(exc)))
            continue
        if value is None or isinstance(value, bool) or not isinstance(value, (int, np.integer, float)):
            raise TypeError(f"the bound returned {value!r} for {e.name}; it must return a number.")
        if value != value:  # NaN compares False with every count, so it would always "hold"
            raise TypeError(f"the bound returned NaN for {e.name}; return a number, or raise "
                            "NotApplicable where the bound does not apply.")
        checked += 1
        slack = (value - e.exact_count) if kind == "upper" else (e.exact_count - value)
        if slack < 0:
            violations.append(Violation(e.name, value, e.exact_count, e.network, e.domain))
        elif slack < best_slack:
            best_slack, tightest = slack, (e.name, value, e.exact_count)
    return BoundCheckReport(kind, checked, tuple(violations), tuple(skipped), tightest,
                            time.perf_counter() - t0)


def _assert(bound, kind, zoo):
    report = check_bound(bound, kind, zoo)
    if not report.ok:
        raise AssertionError(str(report))
    if report.n_checked == 0:
        raise AssertionError(f"the {kind} bound applied to no zoo entry: nothing was checked.")
    return report


def assert_upper_bound(bound, zoo=None):
    """Raise ``AssertionError`` listing every zoo entry whose exact count exceeds ``bound``."""
    return _assert(bound, "upper", zoo)


def assert_lower_bound(bound, zoo=None):
    """Raise ``AssertionError`` listing every zoo entry whose exact count is below ``bound``."""
    return _assert(bound, "lower", zoo)


def _global(fn):
    def bound(net, domain):
        return fn(net.input_dim, net.widths)
    bound.__name__ = fn.__name__
    return bound


def _serra(net, domain):
    if any(float(a) != 0.0 for a in net.negative_slopes):
        # Serra et al.'s proof needs inactive units to output 0; with a negative slope
        # of -1, relu(|x| - 1) already has 4 regions where the bound says 3.
        raise NotApplicable("Serra et al.'s bound holds for plain ReLU only; this net is leaky "
                            "(use 'montufar2017', which holds for any slope)")
    return bounds.serra_upper(net.input_dim, net.widths)


def _local_bound(net, domain):
    if not isinstance(domain, (Box, Ball)):
        raise NotApplicable("the local bound needs a Box or Ball domain")
    return local_bound(net, domain).value


#: The upper bounds polyregions ships, as ``f(net, domain)`` functions.
SHIPPED_UPPER_BOUNDS = {
    "trivial": lambda net, domain: bounds.trivial_bound(net.widths),
    "product": _global(bounds.product_bound),
    "montufar2017": _global(bounds.montufar2017_upper),
    "serra": _serra,
    "local": _local_bound,
}


# -------------------------------------------------------------- strategies
def networks(input_dims=(1, 3), widths=(1, 6), depths=(1, 3), bias_stds=(0.0, 0.01, 0.5)):
    """Hypothesis strategy of small random He-initialised :class:`ReLUNetwork` s.

    Parameters are inclusive ``(min, max)`` ranges, and a tuple of bias
    standard deviations to choose from.
    """
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        n0 = draw(st.integers(*input_dims))
        ws = draw(st.lists(st.integers(*widths), min_size=depths[0], max_size=depths[1]))
        bias_std = draw(st.sampled_from(bias_stds))
        seed = draw(st.integers(0, 2**32 - 1))
        return random_network(n0, ws, bias_std=bias_std, random_state=seed)

    return build()


def boxes(dim, bound=2.0, min_side=0.05):
    """Hypothesis strategy of boxes inside ``[-bound, bound]^dim``."""
    from hypothesis import strategies as st

    coord = st.floats(-bound, bound - min_side, allow_nan=False)

    @st.composite
    def build(draw):
        lo = np.array([draw(coord) for _ in range(dim)])
        side = np.array([draw(st.floats(min_side, 2 * bound)) for _ in range(dim)])
        return Box(lo, lo + side)

    return build()


def balls(dim, bound=1.0, min_radius=0.01, max_radius=1.0):
    """Hypothesis strategy of Euclidean balls with centres in ``[-bound, bound]^dim``."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        c = [draw(st.floats(-bound, bound, allow_nan=False)) for _ in range(dim)]
        return Ball(c, draw(st.floats(min_radius, max_radius)))

    return build()
