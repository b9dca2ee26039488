"""Region counts in many domains at once: balls, boxes or 2-D slices around many points.

:func:`count_regions_batch` runs the exact engine once per domain and
returns one row per domain -- the count, its status in the package's
vocabulary (``"exact"``, ``"exact_at_resolution"``, ``"lower_bound"``,
``"failed"``), why, an optional local upper bound and the time taken -- as a
small frozen :class:`BatchCounts`. A domain whose run raises is recorded as
``"failed"`` with the error; it does not abort the batch.

The work is a plain top-level function (:func:`count_one_domain`) mapped over
the domains, serially or in worker processes (``n_jobs``), so another
parallel backend can map the same function. Each domain gets its own seed
stream spawned from ``random_state``, so results do not depend on ``n_jobs``
or on the order in which workers finish.

:func:`neighbourhoods` builds the usual domains around points: Euclidean
balls, boxes, or 2-D squares or discs through each point in a random plane
(:meth:`~polyregions.Slice.around`), the affordable option in high dimension.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> res = count_regions_batch(net, neighbourhoods([[0.0, 0.0], [1.0, 1.0]], 0.5, kind="box"),
...                           bound="ibp")
>>> res.counts.tolist(), res.statuses, res.upper_bounds
([4, 1], ('exact', 'exact'), (4, 1))
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .errors import NotADomainError
from ._validation import (check_choice, check_max_regions, check_n_jobs, check_points, check_real,
                          check_time_limit)
from ._deprecation import renamed_parameters
from .domain import Ball, Box, Domain, Slice, as_domain
from .network import as_network

__all__ = ["BatchCounts", "count_regions_batch", "count_one_domain", "neighbourhoods", "KINDS"]

#: Accepted ``kind`` values of :func:`neighbourhoods`.
KINDS = ("ball", "box", "square", "disc")
_BOUNDS = (None, "ibp", "lp")


@renamed_parameters(points="X")
def neighbourhoods(X, radius, kind="ball", *, random_state=None):
    """One domain of radius ``radius`` around each point.

    Parameters
    ----------
    X : array_like, shape (n, n0)
        The centres (network inputs). (``points=`` is its deprecated name.)
    radius : float
        Euclidean radius (``"ball"``, ``"disc"``) or half-side (``"box"``,
        ``"square"``), in input units.
    kind : {"ball", "box", "square", "disc"}, default "ball"
        ``"square"`` and ``"disc"`` are 2-D slices through the point in a
        random plane (:meth:`Slice.around`), one plane per point.
    random_state : int, numpy Generator or None
        Draws the planes of the slices.

    Returns
    -------
    list of Domain

    Examples
    --------
    >>> neighbourhoods([[0.0, 1.0]], 0.5, kind="box")
    [Box(lo=[-0.5, 0.5], hi=[0.5, 1.5])]
    >>> [d.dim for d in neighbourhoods(np.zeros((2, 5)), 0.1, kind="disc", random_state=0)]
    [2, 2]
    """
    check_choice(kind, "kind", KINDS)
    X = check_points(X, None, "X", min_points=1)
    r = check_real(radius, "radius", low=0.0, low_open=True)
    if kind == "ball":
        return [Ball(c, r) for c in X]
    if kind == "box":
        return [Box(c - r, c + r) for c in X]
    rng = np.random.default_rng(random_state)
    return [Slice.around(c, r, kind=kind, random_state=rng) for c in X]


@dataclass(frozen=True, eq=False)
class BatchCounts:
    """Region counts in many domains; built by :func:`count_regions_batch`.

    Attributes
    ----------
    domains : tuple of Domain
    counts : ndarray of int64, shape (n,)
        Regions found in each domain: the exact count where the status is
        ``"exact"``, a lower bound otherwise (0 for a failed domain).
    statuses : tuple of str
        Per domain, one of ``"exact"``, ``"exact_at_resolution"``,
        ``"lower_bound"``, ``"failed"``.
    details : tuple of str
        Why (the run's ``status_detail``, or the error of a failed domain).
    upper_bounds : tuple of (int or None)
        Local upper bound (:func:`~polyregions.local_bound`) per domain when
        ``bound`` was given and the domain is a Box or Ball, else ``None``.
    seconds : ndarray of float64, shape (n,)
        Wall time per domain.
    bound : str or None
        The local bound's method.

    Examples
    --------
    >>> b = BatchCounts((None, None), np.array([3, 5]), ("exact", "lower_bound"),
    ...                 ("exact", "lower bound"), (None, None), np.zeros(2), None)
    >>> b.exact.tolist(), b.n_failed, b.rows()[1]["status"]
    ([True, False], 0, 'lower_bound')
    """

    domains: tuple
    counts: np.ndarray
    statuses: tuple
    details: tuple
    upper_bounds: tuple
    seconds: np.ndarray
    bound: str | None = None

    def __len__(self):
        return int(self.counts.size)

    @property
    def n_domains(self) -> int:
        return len(self)

    @property
    def exact(self) -> np.ndarray:
        """Boolean mask of the domains whose count is exact (``"exact"`` status)."""
        return np.array([s == "exact" for s in self.statuses], dtype=bool)

    @property
    def lower_bound(self) -> np.ndarray:
        """Boolean mask of the domains whose count is only a lower bound (or failed)."""
        return np.array([s in ("lower_bound", "failed") for s in self.statuses], dtype=bool)

    @property
    def n_failed(self) -> int:
        return sum(s == "failed" for s in self.statuses)

    @property
    def bound_ratios(self) -> np.ndarray:
        """``upper_bound / count`` per domain (``nan`` without a bound or a count)."""
        return np.array([u / c if u is not None and c > 0 else math.nan
                         for u, c in zip(self.upper_bounds, self.counts.tolist())])

    def rows(self) -> list:
        """The table as a list of dicts, one per domain."""
        return [
            {"domain": repr(d), "count": int(c), "status": s, "detail": det, "upper_bound": u,
             "seconds": float(t)}
            for d, c, s, det, u, t in zip(self.domains, self.counts, self.statuses, self.details,
                                          self.upper_bounds, self.seconds)
        ]

    def summary(self) -> dict:
        by = {s: sum(x == s for x in self.statuses) for s in sorted(set(self.statuses))}
        return {"n_domains": self.n_domains, "statuses": by,
                "mean_count": float(np.mean(self.counts)) if len(self) else math.nan,
                "seconds": float(np.sum(self.seconds))}

    def __repr__(self):
        s = self.summary()
        return (f"BatchCounts(n_domains={s['n_domains']}, mean_count={s['mean_count']:.4g}, "
                f"statuses={s['statuses']})")


def count_one_domain(net, domain, options, seed):
    """Count the regions of ``net`` in one domain; never raises.

    The unit of work of :func:`count_regions_batch`, a plain top-level
    function so that any parallel map (a process pool, a cluster client) can
    run it.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Domain
    options : dict
        ``max_regions``, ``time_limit``, ``tolerances``, ``bound``.
    seed : int or numpy SeedSequence
        Seeds the engine's start point.

    Returns
    -------
    tuple
        ``(count, status, detail, upper_bound or None, seconds)``.

    Examples
    --------
    >>> from polyregions import ReLUNetwork, Box
    >>> net = ReLUNetwork.from_weights([[[1.0]], [[1.0]]], [[0.0], [0.0]])
    >>> count_one_domain(net, Box([-1.0], [1.0]), {}, 0)[:3]
    (2, 'exact', 'exact')
    >>> count_one_domain(net, Box([-1.0, 0.0], [1.0, 1.0]), {}, 0)[1]
    'failed'
    """
    from .enumeration import enumerate_regions

    t0 = time.perf_counter()
    upper = None
    try:
        rs = enumerate_regions(net, domain, max_regions=options.get("max_regions"),
                               time_limit=options.get("time_limit"),
                               tolerances=options.get("tolerances"),
                               random_state=np.random.default_rng(seed))
        if options.get("bound") is not None and isinstance(domain, (Box, Ball)):
            from .local_bounds import local_bound

            upper = int(local_bound(net, domain, method=options["bound"]).value)
        out = (int(rs.n_regions), rs.status, rs.status_detail, upper)
    except Exception as exc:  # one failing domain must not abort the batch
        out = (0, "failed", f"{type(exc).__name__}: {exc}", None)
    return out + (time.perf_counter() - t0,)


def _star(args):
    return count_one_domain(*args)


def _run(tasks, n_jobs, progress):
    """Map :func:`count_one_domain` over ``tasks``, in order, serially or in processes."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="domains", unit="domain")
    results = [None] * len(tasks)
    try:
        if n_jobs == 1 or len(tasks) <= 1:
            for i, t in enumerate(tasks):
                results[i] = _star(t)
                if bar is not None:
                    bar.update()
            return results
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn, as the engine's parallel search: no fork of a process holding HiGHS/torch state.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(tasks)), mp_context=ctx) as pool:
            futures = {pool.submit(_star, t): i for i, t in enumerate(tasks)}
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except Exception as exc:  # a worker died (e.g. out of memory)
                    results[i] = (0, "failed", f"{type(exc).__name__}: {exc}", None, math.nan)
                if bar is not None:
                    bar.update()
        return results
    finally:
        if bar is not None:
            bar.close()


def count_regions_batch(net, domains, *, max_regions=None, time_limit=None, bound=None,
                        n_jobs=1, progress=False, random_state=0, tolerances=None, client=None):
    """Count the regions of ``net`` in each of many domains, in parallel if asked.

    Parameters
    ----------
    net : ReLUNetwork
    domains : sequence of Domain
        Boxes, balls, slices, ... (:func:`neighbourhoods` builds them around
        points).
    max_regions, time_limit : optional
        Budgets *per domain*; a stopped domain gets a ``"lower_bound"``
        status and its count is a lower bound.
    bound : {None, "ibp", "lp"}, default None
        Also compute the local upper bound
        (:func:`~polyregions.local_bound`) of every Box or Ball domain with
        this method (``"lp"`` is tighter and slower).
    n_jobs : int, default 1
        Worker processes (``-1``: one per CPU). Each worker starts a Python
        (about 0.7 s), so it pays off for batches of a few seconds or more.
    progress : bool, default False
        A progress bar over domains (tqdm).
    random_state : int, numpy Generator or SeedSequence, default 0
        One independent seed stream per domain is spawned from it.
    tolerances : Tolerances, optional
    client : dask.distributed.Client or str, optional
        Run the domains as tasks on a dask cluster (a client or a scheduler
        address) instead of local processes; needs the ``distributed``
        extra. A domain lost with its worker is rerun by dask.

    Returns
    -------
    BatchCounts

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> res = count_regions_batch(net, [Box([-1, -1], [1, 1]), Box([0.5, 0.5], [1, 1])])
    >>> res.counts.tolist(), res.statuses
    ([4, 1], ('exact', 'exact'))
    """
    as_network(net)
    domains = list(domains)
    for k, d in enumerate(domains):
        if not isinstance(d, Domain):
            raise NotADomainError(f"domains[{k}] is a {type(d).__name__}, not a polyregions "
                                  "Domain (Box, Ball, Slice, ...); neighbourhoods(X, radius) "
                                  "builds them.")
        as_domain(d, net)
    check_choice(bound, "bound", _BOUNDS)
    n_jobs = check_n_jobs(n_jobs)
    check_max_regions(max_regions)
    check_time_limit(time_limit)
    if isinstance(random_state, np.random.SeedSequence):
        ss = random_state
    elif isinstance(random_state, np.random.Generator):
        ss = np.random.SeedSequence(int(random_state.integers(2**63)))
    else:
        ss = np.random.SeedSequence(random_state)
    seeds = ss.spawn(len(domains))
    options = {"max_regions": max_regions, "time_limit": time_limit, "tolerances": tolerances,
               "bound": bound}
    tasks = [(net, d, options, s) for d, s in zip(domains, seeds)]
    if client is not None:
        from .distributed import map_batch  # lazily: dask is an optional extra

        results = map_batch(_star, [(t,) for t in tasks], client, progress)
    else:
        results = _run(tasks, int(n_jobs), progress)
    counts = np.array([r[0] for r in results], dtype=np.int64)
    seconds = np.array([r[4] for r in results], dtype=np.float64)
    counts.setflags(write=False)
    seconds.setflags(write=False)
    return BatchCounts(tuple(domains), counts, tuple(r[1] for r in results),
                       tuple(r[2] for r in results), tuple(r[3] for r in results), seconds, bound)
