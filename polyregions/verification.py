"""Self-checks of a region set that need no second enumerator.

:func:`verify` runs three independent checks on a
:class:`~polyregions.RegionSet`:

* every interior point reproduces its pattern by a forward pass;
* the region volumes add up to the domain's volume (the regions of a
  complete run tile the domain up to sets of measure zero);
* in 2-D polygonal domains the regions form a planar subdivision of the
  domain with Euler characteristic ``V - E + F = 1``, every edge shared by
  two regions or lying on the domain's boundary.

Layering. This module sits *below* :mod:`polyregions.results`: it imports
only the polytope kernel and reads a region set through its attributes and
methods (``network``, ``domain``, ``patterns``, ``interior_points``,
``halfspaces(i)``, ``check_patterns()``), so :meth:`RegionSet.verify` can
call it without an upward import. Per-region geometry for users (diameters,
facets, tables) is :mod:`polyregions.geometry`, above results.

Long checks. ``time_limit`` bounds the wall time; a check that did not
finish is named in :attr:`VerificationReport.cut_short` and the report is
never ``ok`` then (``status == "incomplete"``). ``progress=True`` shows a
tqdm bar over the regions.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box, enumerate_regions
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> report = verify(enumerate_regions(net, Box([-1, -1], [1, 1])))
>>> report.ok, report.status, report.euler.chi
(True, 'passed', 1)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ._validation import check_random_state, check_real, check_time_limit
from .polytope import merge_points, polytope_vertices, region_volume
from .scaling import first_layer_offset_scale

__all__ = [
    "VolumeCheck",
    "EulerCheck",
    "VerificationReport",
    "CHECKS",
    "check_volumes",
    "euler_characteristic_2d",
    "region_rows",
    "check_certificate",
    "region_volume_estimates",
    "verify",
]

#: Names of the checks, as they appear in :attr:`VerificationReport.cut_short`.
CHECKS = ("patterns", "volume", "euler")


# ----------------------------------------------------------------- results
@dataclass(frozen=True)
class VolumeCheck:
    """Sum of region volumes against the domain's volume (see :func:`check_volumes`).

    Attributes
    ----------
    total : float
    expected : float
    rel_error : float
        ``|total - expected| / expected``.
    stderr : float
        Standard error of ``total`` (non-zero only with Monte Carlo terms).
    rtol : float
        Relative tolerance used by :attr:`ok`.
    """

    total: float
    expected: float
    rel_error: float
    stderr: float
    rtol: float

    @property
    def ok(self) -> bool:
        """``True`` when the error is within ``rtol`` plus four standard errors."""
        return abs(self.total - self.expected) <= self.rtol * self.expected + 4.0 * self.stderr


@dataclass(frozen=True)
class EulerCheck:
    """The regions as a planar subdivision (see :func:`euler_characteristic_2d`).

    Attributes
    ----------
    n_vertices, n_edges, n_faces : int
        Counts of the subdivision, boundary included (faces = regions).
    chi : int
        ``n_vertices - n_edges + n_faces``; ``1`` for a subdivision of a disc.
    bad_edges : int
        Edges not shared by exactly two regions (one on the domain boundary):
        ``0`` when regions neither overlap nor leave gaps.
    """

    n_vertices: int
    n_edges: int
    n_faces: int
    chi: int
    bad_edges: int

    @property
    def ok(self) -> bool:
        return self.chi == 1 and self.bad_edges == 0


@dataclass(frozen=True)
class VerificationReport:
    """What :func:`verify` found.

    Attributes
    ----------
    n_regions : int
    complete : bool
        Whether the enumeration finished; the volume check of an incomplete
        run is expected to fail (regions are missing).
    pattern_mismatches : tuple of int
        Regions whose interior point does not reproduce the stored pattern.
    volume : VolumeCheck or None
        ``None`` for the whole space, or when the check was cut short.
    euler : EulerCheck or None
        ``None`` unless the domain is 2-D and polygonal (or when cut short).
    errors : tuple of str
        Checks that could not run, with the reason (e.g. a region whose
        certificate is not inside its own constraints).
    cut_short : tuple of str
        Checks (names from :data:`CHECKS`) that ``time_limit`` stopped before
        they finished. Any makes the report not :attr:`ok`.
    """

    n_regions: int
    complete: bool
    pattern_mismatches: tuple
    volume: VolumeCheck | None
    euler: EulerCheck | None
    errors: tuple = ()
    cut_short: tuple = ()

    @property
    def ok(self) -> bool:
        """Every check ran to the end and passed."""
        return (
            not self.cut_short
            and not self.pattern_mismatches
            and not self.errors
            and (self.volume is None or self.volume.ok)
            and (self.euler is None or self.euler.ok)
        )

    @property
    def status(self) -> str:
        """``"passed"``, ``"failed"`` (a check ran and failed) or ``"incomplete"`` (cut short)."""
        if self.ok:
            return "passed"
        failed = (self.pattern_mismatches or self.errors
                  or (self.volume is not None and not self.volume.ok)
                  or (self.euler is not None and not self.euler.ok))
        return "failed" if failed else "incomplete"


class _Budget:
    """Deadline and progress bar shared by the checks of one :func:`verify` call."""

    def __init__(self, time_limit, total, progress):
        self.deadline = None if time_limit is None else time.perf_counter() + time_limit
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit=" regions", desc="verifying", dynamic_ncols=True)

    def expired(self):
        return self.deadline is not None and time.perf_counter() > self.deadline

    def step(self, what):
        if self.bar is not None:
            self.bar.set_postfix_str(what, refresh=False)
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class _CutShort(Exception):
    """The deadline passed inside a check."""


# --------------------------------------------------------------- helpers
def region_rows(rs, i):
    """``(A, b, x0)`` of region ``i``, after checking that its certificate is strictly inside.

    Raises
    ------
    ValueError
        If the interior point is not strictly inside the region its pattern
        defines (a modified or corrupted region set).
    """
    A, b = rs.halfspaces(i)
    x0 = rs.interior_points[i]
    check_certificate(A, b, x0, i)
    return A, b, x0


def check_certificate(A, b, x0, i):
    """Raise a ``ValueError`` unless ``x0`` (region ``i``'s interior point) is strictly inside."""
    if len(b) and np.min(b - A @ x0) <= 0:
        raise ValueError(
            f"the interior point of region {i} is not strictly inside the region its pattern "
            "defines: the RegionSet was modified or corrupted (verify(rs) reports which)."
        )


def region_volume_estimates(rs, *, n_samples=20_000, random_state=0, budget=None):
    """Volume of every region (``{A u <= b}`` ∩ the domain's ball, if any).

    Exact where :func:`~polyregions.polytope.region_volume` is (polytopes up
    to :data:`~polyregions.polytope.MAX_EXACT_DIM` dimensions, balls up to
    2-D), Monte Carlo with ``n_samples`` points otherwise; one generator is
    shared by all regions so the estimates are independent.

    Returns
    -------
    values, stderrs : ndarray, shape (R,)
    """
    rng = check_random_state(random_state)
    values, stderrs = np.zeros(rs.n_regions), np.zeros(rs.n_regions)
    ball = rs.domain.ball
    for i in range(rs.n_regions):
        if budget is not None and budget.expired():
            raise _CutShort
        A, b, x0 = region_rows(rs, i)
        v = region_volume(A, b, x0, ball=ball, n_samples=n_samples, random_state=rng)
        values[i], stderrs[i] = v.value, v.stderr
        if budget is not None:
            budget.step("volume")
    return values, stderrs


# ----------------------------------------------------------------- checks
def check_volumes(rs, *, rtol=1e-9, n_samples=20_000, random_state=0, table=None, _budget=None):
    """Compare the sum of the region volumes with the domain's volume.

    The regions of a complete run tile the domain up to sets of measure zero,
    so the two must agree: to rounding error where volumes are exact, within
    a few standard errors where they are Monte Carlo estimates.

    Parameters
    ----------
    rs : RegionSet
        On a bounded domain (for a slice, volumes are in ``u`` coordinates).
    rtol : float, default 1e-9
        Tolerance recorded in the result and used by :attr:`VolumeCheck.ok`.
    n_samples : int, default 20000
        Monte Carlo points per region (balls in 3-D and up, boxes above
        :data:`~polyregions.polytope.MAX_EXACT_DIM` dimensions).
    random_state : None, int or numpy Generator, default 0
    table : dict, optional
        A :func:`~polyregions.geometry.geometry_table` of ``rs`` already
        computed (its ``volume`` and ``volume_stderr`` columns are used).

    Returns
    -------
    VolumeCheck

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Ball, enumerate_regions
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> c = check_volumes(enumerate_regions(net, Ball([0.1, 0.0], 1.0)))
    >>> c.rel_error < 1e-12, c.ok
    (True, True)
    """
    expected = float(rs.domain.volume())
    if not np.isfinite(expected):
        raise ValueError(
            "the domain (the whole space) has infinite volume; enumerate in a Box or Ball to "
            "check volumes."
        )
    if table is None:
        values, stderrs = region_volume_estimates(rs, n_samples=n_samples,
                                                  random_state=random_state, budget=_budget)
    else:
        values, stderrs = table["volume"], table["volume_stderr"]
    total = float(np.sum(values))
    stderr = float(np.sqrt(np.sum(np.asarray(stderrs) ** 2)))
    return VolumeCheck(total, expected, abs(total - expected) / expected, stderr, float(rtol))


def _on_domain_boundary(dom, pts, tol):
    A, b = dom.halfspaces
    if len(b) == 0:
        return np.zeros(len(pts), dtype=bool)
    norms = np.linalg.norm(A, axis=1)
    return np.any(np.abs((pts @ A.T - b) / norms) <= np.reshape(tol, (-1, 1)), axis=1)


def _vertex_tolerances(polys, tol, scale, lam):
    """Per-vertex merge distances for :func:`euler_characteristic_2d`.

    ``tol`` times the vertex's local scale ``max(|p|_inf, lam)`` (``lam``: the
    network's own length, the first layer's offset scale), capped at the
    domain's scale, plus a thousand float64 epsilons of the larger of
    ``|p|_inf`` and its polygon's extent (a vertex computed from a region's
    rows carries about that much rounding). Not ``tol`` times the domain's
    scale everywhere: in a box 1e6 wide the regions around the origin have
    edges far shorter than 1e-9 of it.
    """
    P = np.vstack(polys)
    mag = np.abs(P).max(axis=1, initial=0.0)
    ext = np.repeat([float(np.ptp(V, axis=0).max(initial=0.0)) for V in polys],
                    [len(V) for V in polys])
    return (tol * np.minimum(scale, np.maximum(mag, lam))
            + 1e3 * np.finfo(float).eps * np.maximum(mag, ext))


def _require_polygonal_2d(rs, what):
    dom = rs.domain
    if dom.dim != 2:
        raise ValueError(
            f"{what} needs a 2-D domain; this run is {dom.dim}-D. Enumerate a 2-D slice "
            "instead, e.g. Slice.plane(origin, d1, d2) or Slice.through_points(p0, p1, p2)."
        )
    if dom.ball is not None or not dom.bounded:
        raise ValueError(
            f"{what} needs a polygonal bounded domain (Box, Polytope or Slice); got {dom!r}."
        )


def _split_edges(polys, ids, pts, tree, tol):
    """How many region polygons use each edge of the complex (edges split at touching vertices).

    ``tol``: each merged vertex's merge distance."""
    sizes = [len(p) for p in polys]
    starts = np.cumsum([0] + sizes[:-1])
    edge_faces = {}
    for start, k in zip(starts, sizes):
        cyc = ids[start:start + k]
        for a, c in zip(cyc, np.roll(cyc, -1)):
            if a == c:
                continue  # an edge shorter than tol collapsed into one vertex
            p, q = pts[a], pts[c]
            d = q - p
            L2 = float(d @ d)
            te = max(tol[a], tol[c])
            near = tree.query_ball_point((p + q) / 2, math.sqrt(L2) / 2 + te)
            chain = [(0.0, a)]
            for v in near:
                if v in (a, c):
                    continue
                t = float((pts[v] - p) @ d) / L2
                if 0.0 < t < 1.0 and np.linalg.norm(p + t * d - pts[v]) <= max(te, tol[v]):
                    chain.append((t, v))
            chain.sort()
            chain.append((1.0, c))
            for (_, u), (_, w) in zip(chain[:-1], chain[1:]):
                key = (min(u, w), max(u, w))
                edge_faces[key] = edge_faces.get(key, 0) + 1
    return edge_faces


def euler_characteristic_2d(rs, *, tol=1e-9, _budget=None):
    """Euler characteristic of the planar subdivision formed by the regions of a 2-D run.

    The complex is built from the region polygons: vertices closer than
    ``tol`` times their local scale are merged (their magnitude or the
    network's first-layer offset scale, at most ``domain.scale``, plus
    float64 rounding), and each
    polygon edge is split at every
    vertex of the complex lying on it (where a neighbour's corner touches the
    edge's interior), so two regions share identical edges. For a complete
    run on a polygonal domain the result is a subdivision of a disc:
    ``V - E + F = 1`` and every edge borders two regions, or one on the
    domain's boundary. A gap or an overlap between regions breaks both.

    Parameters
    ----------
    rs : RegionSet
        On a 2-D box, polytope or slice (not a ball: its regions have arcs).
    tol : float, default 1e-9
        Relative to each vertex's local scale (above).

    Returns
    -------
    EulerCheck

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> e = euler_characteristic_2d(enumerate_regions(net, Box([-1, -1], [1, 1])))
    >>> (e.n_vertices, e.n_edges, e.n_faces, e.chi)
    (9, 12, 4, 1)
    """
    from scipy.spatial import cKDTree

    _require_polygonal_2d(rs, "euler_characteristic_2d")
    dom = rs.domain
    tol = check_real(tol, "tol", low=0.0, low_open=True)
    polys = []
    for i in range(rs.n_regions):
        if _budget is not None and _budget.expired():
            raise _CutShort
        polys.append(polytope_vertices(*region_rows(rs, i)))
        if _budget is not None:
            _budget.step("Euler")
    if not polys:
        return EulerCheck(0, 0, 0, 0, 0)
    try:
        lam = first_layer_offset_scale(rs.network, dom.input_map)
    except (AttributeError, TypeError, ValueError):  # a network without a dense first layer
        lam = 0.0
    # (no intrinsic length, lam = 0: every hyperplane through the origin, whose vertex there
    # carries the rounding of regions of every size; the domain's scale then, as before)
    tol_p = _vertex_tolerances(polys, tol, dom.scale, lam if lam > 0 else dom.scale)
    pts, ids = merge_points(np.vstack(polys), tol_p)
    tol_v = np.zeros(len(pts))
    np.maximum.at(tol_v, ids, tol_p)  # a merged vertex's distance: its largest member's
    edge_faces = _split_edges(polys, ids, pts, cKDTree(pts), tol_v)
    keys = np.array(list(edge_faces), dtype=np.intp)
    mult = np.array(list(edge_faces.values()))
    mid = (pts[keys[:, 0]] + pts[keys[:, 1]]) / 2
    on_boundary = _on_domain_boundary(dom, mid, np.maximum(tol_v[keys[:, 0]], tol_v[keys[:, 1]]))
    bad = int(np.sum(np.where(on_boundary, mult != 1, mult != 2)))
    n_v = len(np.unique(keys))
    n_e = len(keys)
    n_f = rs.n_regions
    return EulerCheck(n_v, n_e, n_f, n_v - n_e + n_f, bad)


def verify(rs, *, volume_rtol=1e-9, n_samples=20_000, random_state=0, time_limit=None,
           progress=False):
    """Self-check a :class:`~polyregions.RegionSet` without a second enumerator.

    Runs three independent checks: every interior point reproduces its
    pattern by a forward pass (:meth:`RegionSet.check_patterns`); the region
    volumes add up to the domain's (:func:`check_volumes`, skipped for the
    whole space); and in 2-D polygonal domains the regions form a planar
    subdivision with ``V - E + F = 1`` (:func:`euler_characteristic_2d`).

    Parameters
    ----------
    rs : RegionSet
    volume_rtol : float, default 1e-9
    n_samples : int, default 20000
        Monte Carlo points per region where volumes are estimated (balls in
        3-D and up, boxes above
        :data:`~polyregions.polytope.MAX_EXACT_DIM` dimensions).
    random_state : None, int or numpy Generator, default 0
        Seeds those Monte Carlo volumes (fixed by default so that a report
        can be reproduced).
    time_limit : float, optional
        Wall-clock budget in seconds. A check still running when it passes is
        stopped and named in ``cut_short``; the report is then not ``ok``
        (``status == "incomplete"``), whatever the finished checks found.
    progress : bool, default False
        Show a progress bar (tqdm) over the regions of each check.

    Returns
    -------
    VerificationReport

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> rng = np.random.default_rng(1)
    >>> net = ReLUNetwork.from_weights([rng.normal(size=(6, 2)), rng.normal(size=(1, 6))],
    ...                                [rng.normal(size=6), np.zeros(1)])
    >>> verify(enumerate_regions(net, Box([-1, -1], [1, 1]))).ok
    True
    """
    time_limit = check_time_limit(time_limit)
    dom = rs.domain
    want_volume = bool(np.isfinite(dom.volume()) and rs.n_regions)
    want_euler = dom.dim == 2 and dom.ball is None and dom.bounded
    budget = _Budget(time_limit, rs.n_regions * (want_volume + want_euler), progress)
    volume = euler = None
    errors, cut = [], []
    try:
        mismatches = tuple(int(k) for k in rs.check_patterns())
        # A corrupted certificate makes the geometry of its region undefined;
        # report that instead of failing the whole verification.
        if want_volume:
            try:
                volume = check_volumes(rs, rtol=volume_rtol, n_samples=n_samples,
                                       random_state=random_state, _budget=budget)
            except ValueError as exc:
                errors.append(f"volume check: {exc}")
            except _CutShort:
                cut.append("volume")
        if want_euler:
            if cut:
                cut.append("euler")  # no time left for it
            else:
                try:
                    euler = euler_characteristic_2d(rs, _budget=budget)
                except ValueError as exc:
                    errors.append(f"Euler check: {exc}")
                except _CutShort:
                    cut.append("euler")
    finally:
        budget.close()
    return VerificationReport(rs.n_regions, rs.complete, mismatches, volume, euler, tuple(errors),
                              tuple(cut))
