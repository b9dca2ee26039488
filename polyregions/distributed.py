"""Scale-out: one enumeration split into coarse parts and run on a dask cluster.

The domain is cut into convex *parts* (:mod:`polyregions.partition`: grid
boxes, or the cells of a few first-layer hyperplanes), each part is a dask
task that runs the ordinary engine on it, and the parts' pieces are merged
by pattern in numpy arrays (:mod:`polyregions.merge`): a region met by
several parts appears once, with any part's certificate; edges are the
union. Box cuts need nothing more (every facet meets some part's
interior); cells of the first layer need the edges across their walls, most
certified by a point, the rest by one LP each (on the workers). Regions come
out sorted by packed pattern, so the result does not depend on which worker
finished first and equals the serial one.

Faults: a part is a pure function of its inputs, so when a worker dies dask
reruns the part elsewhere (up to ``distributed.scheduler.allowed-failures``
times) and the merged result is unchanged. With ``resume=path`` the partial
result (an ordinary :func:`~polyregions.export.to_json` file whose stats
record the plan and the finished parts) is written as parts finish and at
the end, and a rerun with the same ``resume=path`` enumerates only the parts
not yet finished.

Example
-------
>>> from polyregions import Box, random_network
>>> net = random_network(2, [6], random_state=0)
>>> len(plan_parts(net, Box([-1, -1], [1, 1]), 4))
4
"""

from __future__ import annotations

import math
import os
import time
import uuid
from pathlib import Path

import numpy as np

from .domain import as_domain
from .export import from_json, to_json
from .merge import PieceMerge, part_arrays
from .network import as_network
from .partition import (SPLITS, check_cross_edges, cross_candidates, make_plan, parts_from_plan,
                        plan_parts, resolve_split)
from .results import RegionSet
from .serial import enumerate_serial
from ._validation import check_int, check_run_options

__all__ = ["plan_parts", "enumerate_distributed", "map_batch", "local_cluster", "SPLITS"]

#: Seconds between two progress files written during a run with ``resume=``.
CHECKPOINT_EVERY = 30.0


def default_n_parts(n_workers, split="boxes"):
    """Parts when ``n_parts`` is not given: per worker thread, two boxes or eight cells.

    Boxes: enough for dask to hand a part to a worker that runs idle, and
    few, because every cut enumerates the regions it crosses twice (and the
    subdivision's cost per region grows with the part, so fewer larger parts
    cost less in all). Cells of the first layer duplicate nothing (only the
    edge checks across their walls grow, and a point certifies most), but
    they are uneven: more of them balance the workers.
    ``benchmarks/bench_distributed.py`` measures both.

    >>> default_n_parts(1), default_n_parts(8), default_n_parts(2, "first_layer")
    (1, 16, 16)
    """
    if n_workers <= 1:
        return 1
    return (2 if split == "boxes" else 8) * n_workers


# ------------------------------------------------------------- on a worker
def _run_part(net, part, kwargs):
    """Enumerate one part (this runs on a worker); return plain arrays."""
    t_cpu = time.thread_time()
    rs = enumerate_serial(net, part, **kwargs)
    return {
        "index": part.index,
        "arrays": part_arrays(rs),
        "finished": rs.stop_reason is None or rs.stop_reason == "undecided",
        "stop_reason": rs.stop_reason,
        "n_thin": rs.n_thin,
        "n_merged": getattr(rs, "n_merged", 0),
        "n_undecided": getattr(rs, "n_undecided", 0),
        "lp_calls": rs.stats.get("lp_calls", 0),
        "cpu_seconds": time.thread_time() - t_cpu,
        "worker": os.getpid(),
        "fallback": rs.stats.get("fallback"),
        "undecided_edges": int(rs.stats.get("undecided_edges", 0) or 0),
    }


def _check_cross_edges_timed(net, domain, tol, pairs):
    t = time.thread_time()
    ok, n_lp = check_cross_edges(net, domain, tol, pairs)
    return ok, n_lp, time.thread_time() - t, os.getpid()


# ----------------------------------------------------------------- the run
class _Run:
    """Counters of one distributed run next to its :class:`~polyregions.merge.PieceMerge`."""

    def __init__(self, net, domain, tol, parts, plan):
        self.net, self.domain, self.tol = net, domain, tol
        self.parts, self.plan = parts, plan
        self.merge = PieceMerge(net.n_neurons, domain.dim)
        self.n_thin = int(plan.get("thin_cells", 0))
        self.n_merged = self.n_undecided = self.lp_calls = self.undecided_edges = 0
        self.done, self.cpu, self.part_cpu, self.cross = set(), {}, {}, {}
        self.fallbacks = {}
        self.merge_seconds = 0.0
        self.extra = None  # edges between cells, in the merged numbering

    def absorb(self, out):
        """Merge a finished part; return its stop reason if a budget stopped it."""
        t = time.perf_counter()
        self.merge.add(out["index"], out["arrays"])
        self.merge_seconds += time.perf_counter() - t
        self.n_thin += out["n_thin"]
        self.n_merged += out["n_merged"]
        self.n_undecided += out["n_undecided"]
        self.lp_calls += out["lp_calls"]
        # Facets no certificate decided: the graph may lack those edges (the count is exact).
        self.undecided_edges += out.get("undecided_edges", 0)
        self.cpu[out["worker"]] = self.cpu.get(out["worker"], 0.0) + out["cpu_seconds"]
        self.part_cpu[out["index"]] = out["cpu_seconds"]
        if out.get("fallback"):
            # The subdivision handed this part to the LP search (a cut met a degenerate spot).
            self.fallbacks[out["index"]] = out["fallback"]
        if out["finished"]:
            self.done.add(out["index"])
            return None
        return out["stop_reason"]

    def result(self, complete, stop_reason, stats):
        t = time.perf_counter()
        m = self.merge.merged(*(self.extra or (None, None)))
        # 0/1 bytes viewed as bool: no second R x N copy.
        patterns = np.unpackbits(m["packed"], axis=1, count=self.net.n_neurons).view(bool)
        self.merge_seconds += time.perf_counter() - t
        stats = dict(stats)
        stats["distributed"] = dict(stats.get("distributed", {}),
                                    merge_seconds=self.merge_seconds, pieces=self.merge.pieces,
                                    duplicated_pieces=self.merge.pieces - len(m["radii"]))
        return RegionSet(self.net, self.domain, patterns, m["points"], m["radii"], m["edges"],
                         m["neurons"], complete, stop_reason, self.n_thin, self.tol, stats,
                         n_merged=self.n_merged, n_undecided=self.n_undecided)

    def resume_from(self, saved, info):
        self.merge.add(-1, part_arrays(saved))
        self.merge.pieces = int(info.get("pieces", self.merge.pieces))
        self.n_thin = saved.n_thin
        self.n_merged = int(info.get("n_merged", 0))
        self.n_undecided = int(info.get("n_undecided", 0))
        self.lp_calls = int(saved.stats.get("lp_calls") or 0)
        self.undecided_edges = saved.n_undecided_edges
        self.cpu = {int(k): v for k, v in info.get("cpu_seconds", {}).items()}
        self.done = set(info["done"])

    def cross_edges(self, client, n_workers, run_id):
        """The edges across the cut neurons' hyperplanes (cells of the first layer)."""
        t = time.perf_counter()
        m = self.merge.merged()
        I, J, K = cross_candidates(m["packed"], self.net.n_neurons, self.plan["neurons"])
        R = len(m["radii"])
        lo, hi = np.minimum(I, J), np.maximum(I, J)
        known = np.isin(lo.astype(np.int64) * R + hi,
                        m["edges"][:, 0].astype(np.int64) * R + m["edges"][:, 1])
        I, J, K = I[~known], J[~known], K[~known]  # a resumed file holds some already
        pairs = [(m["packed"][i], k, m["points"][i], m["points"][j]) for i, j, k in zip(I, J, K)]
        chunks = max(1, min(4 * n_workers, len(pairs) // 64))
        futures = [client.submit(_check_cross_edges_timed, self.net, self.domain, self.tol,
                                 pairs[c::chunks], pure=False,
                                 key=f"polyregions-edges-{run_id}-{c}")
                   for c in range(chunks) if pairs[c::chunks]]
        yes = np.zeros(len(pairs), dtype=bool)
        n_lp = 0
        for c, fut in enumerate(futures):
            ok, lps, seconds, worker = fut.result()
            yes[c::chunks] = ok
            n_lp += lps
            self.cpu[worker] = self.cpu.get(worker, 0.0) + seconds
        self.extra = (np.stack([I[yes], J[yes]], axis=1), K[yes][:, None])
        self.cross = {"cross_candidates": len(pairs), "cross_edges": int(yes.sum()),
                      "cross_lps": n_lp, "cross_seconds": time.perf_counter() - t}


def enumerate_distributed(net, domain=None, *, client=None, n_jobs=1, n_parts=None,
                          max_regions=None, time_limit=None, progress=False, random_state=0,
                          tolerances=None, resume=None, split="auto", **engine_kwargs):
    """Enumerate the regions of ``net`` in ``domain`` on a dask cluster, part by part.

    This is what ``enumerate_regions(..., client=...)`` (or ``resume=...``) runs.

    Parameters
    ----------
    net, domain, max_regions, time_limit, progress, random_state, tolerances
        As in :func:`~polyregions.enumeration.enumerate_regions`. Budgets hold
        across the cluster: parts are handed out while the budget lasts, each
        with what is left of it, and the run stops when the merged count or
        the time is spent (the result is then a lower bound).
    client : None, dask.distributed.Client or str
        A client, or a scheduler address (``"tcp://host:8786"``). ``None``
        starts a ``LocalCluster`` of ``n_jobs`` single-threaded worker
        processes for this call.
    n_jobs : int, default 1
        Workers of the ``LocalCluster`` when ``client`` is ``None``.
    n_parts : int, optional
        Parts to split the domain into; default :func:`default_n_parts` (two
        boxes or eight first-layer cells per worker thread).
    split : {"auto", "first_layer", "boxes"}, default "auto"
        How to cut the domain (:func:`~polyregions.partition.plan_parts`).
        ``"auto"``: boxes where the subdivision engine runs (a box domain)
        or a hidden bias after the first layer is exactly zero, else the
        cells of first-layer hyperplanes.
    resume : str or Path, optional
        Progress file. If it exists, the parts it records as finished are
        not run again; the merged partial result is written to it as parts
        finish (every :data:`CHECKPOINT_EVERY` seconds) and at the end, so an
        interrupted run can be resumed with the same call.
    **engine_kwargs
        Passed to ``enumerate_regions`` for each part (e.g. ``method=``).

    Returns
    -------
    RegionSet
        Regions sorted by packed pattern; ``stats["distributed"]`` holds the
        plan, ``n_parts``, ``pieces``, ``duplicated_pieces``, the merge time,
        the edges between cells (candidates, edges, LPs) and the CPU seconds
        of each worker and each part.
    """
    net = as_network(net)
    domain = as_domain(domain, net)
    tol, n_jobs = check_run_options(tolerances, max_regions, time_limit, n_jobs)
    check_int(n_parts, "n_parts", allow_none=True, integral_float=True)
    if engine_kwargs.pop("seed_point", None) is not None:
        raise ValueError("seed_point does not apply to a distributed run (each part draws its "
                         "own seed); drop it or run without client=/resume=.")
    t_start = time.perf_counter()
    base_seed = int(np.random.default_rng(random_state).integers(2**31))

    client, owned = _connect(client, int(n_jobs))
    try:
        n_workers = _n_workers(client)
        saved = _load_checkpoint(resume, net, domain, tol) if resume is not None else None
        if saved is not None:
            rs_saved, info = saved
            parts = parts_from_plan(net, domain, info, tol)
            if len(parts) != info.get("n_parts"):
                raise ValueError(f"{resume} records {info.get('n_parts')} parts but its plan "
                                 f"gives {len(parts)}: the file was edited.")
            plan = {k: info[k] for k in ("split", "cuts", "neurons", "cells", "thin_cells")
                    if k in info}
            run = _Run(net, domain, tol, parts, plan)
            run.resume_from(rs_saved, info)
        else:
            method = engine_kwargs.get("method", "auto")
            split = resolve_split(net, domain, split, method)
            if n_parts is None:
                n_parts = default_n_parts(n_workers, split)
            parts, plan = make_plan(net, domain, int(n_parts), split, base_seed, tol, method)
            run = _Run(net, domain, tol, parts, plan)
        return _drive(client, run, n_workers, engine_kwargs, base_seed, max_regions, time_limit,
                      progress, resume, t_start)
    finally:
        for obj in owned:
            obj.close()


def _drive(client, run, n_workers, engine_kwargs, base_seed, max_regions, time_limit, progress,
           resume, t_start):
    """Hand the parts out, merge them as they finish, then the edges between cells."""
    parts, done = run.parts, run.done
    todo = [p for p in parts if p.index not in done]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(parts), initial=len(done), unit=" parts", desc="enumerating",
                   dynamic_ncols=True)
    parts_run = 0
    stop_reason = None

    def stats_now():
        return {
            "seconds": time.perf_counter() - t_start,
            "frontier": len(parts) - len(done),
            "lp_calls": run.lp_calls,
            "undecided_edges": run.undecided_edges,
            "distributed": {
                **run.plan, "n_parts": len(parts), "done": sorted(done), "parts_run": parts_run,
                "n_workers": n_workers, "n_merged": run.n_merged,
                "n_undecided": run.n_undecided,
                "cpu_seconds": {str(k): v for k, v in sorted(run.cpu.items())},
                "part_cpu_seconds": {str(k): v for k, v in sorted(run.part_cpu.items())},
                **run.cross,
                **({"fallbacks": {str(k): v for k, v in run.fallbacks.items()}}
                   if run.fallbacks else {}),
            },
        }

    def absorb(fut):
        pending.pop(fut)
        reason = run.absorb(fut.result())  # re-raises a part's exception here
        if bar is not None:
            bar.update(1)
        return reason

    run_id = uuid.uuid4().hex[:8]
    pending = {}
    last_save = time.perf_counter()
    error = None
    try:
        queue = list(todo)
        # Without a budget every part can be queued at once; with one, parts are handed
        # out two per worker so that each starts with what is left of the budget.
        in_flight = len(queue) if max_regions is None and time_limit is None else 2 * n_workers
        while queue or pending:
            found = run.merge.n_regions if max_regions is not None else 0
            stop_reason = _budget_spent(max_regions, found, time_limit, t_start)
            if stop_reason:
                break
            while queue and len(pending) < in_flight:
                part = queue.pop(0)
                kw = dict(engine_kwargs, tolerances=run.tol, random_state=base_seed + part.index)
                if max_regions is not None:
                    kw["max_regions"] = max(1, max_regions - found)
                if time_limit is not None:
                    kw["time_limit"] = max(1e-3, time_limit - (time.perf_counter() - t_start))
                fut = client.submit(_run_part, run.net, part, kw, pure=False,
                                    key=f"polyregions-part-{run_id}-{part.index}")
                pending[fut] = part
                parts_run += 1
            _wait(pending, 0.25)
            for fut in [f for f in pending if f.done()]:
                stop_reason = absorb(fut) or stop_reason
            if resume is not None and time.perf_counter() - last_save > CHECKPOINT_EVERY:
                _save_checkpoint(resume, run.result(False, stop_reason or "interrupted",
                                                    stats_now()))
                last_save = time.perf_counter()
            if stop_reason:
                break
        if stop_reason == "time_limit" and pending:
            # Parts started with what was left of the time stop about now: keep their regions.
            _wait(pending, min(5.0, 0.1 * time_limit), all_=True)
            for fut in [f for f in pending if f.done()]:
                absorb(fut)
        if len(done) == len(parts) and run.plan.get("neurons"):
            run.cross_edges(client, n_workers, run_id)
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    except BaseException as exc:  # a part failed: keep what finished, then re-raise
        error = exc
        stop_reason = "solver_error"
    finally:
        for fut in pending:
            fut.cancel()
        if bar is not None:
            bar.close()
    complete = len(done) == len(parts)
    if complete:
        stop_reason = None
    elif stop_reason is None:
        stop_reason = "interrupted"
    rs = run.result(complete, stop_reason, stats_now())
    if resume is not None:
        _save_checkpoint(resume, rs)
    if error is not None:
        raise error
    return rs


def _connect(client, n_jobs):
    """``(client, owned_objects)``: a Client for ``client``, starting a LocalCluster for ``None``."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(
            "client= needs dask.distributed: pip install 'polyregions[distributed]'."
        ) from None
    if isinstance(client, Client):
        return client, []
    if isinstance(client, str):
        c = Client(client)
        return c, [c]
    if client is None:
        cluster = local_cluster(n_jobs)
        c = Client(cluster)
        return c, [c, cluster]
    raise TypeError(
        f"client must be None, a dask.distributed.Client or a scheduler address like "
        f"'tcp://host:8786'; got {type(client).__name__}."
    )


def local_cluster(n_workers):
    """A ``LocalCluster`` of ``n_workers`` single-threaded processes, tuned for this work.

    dask starts worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``, which
    also freezes glibc's mmap threshold at 128 KB: every large numpy array is
    then mapped and unmapped afresh, and the engines spent about 30 % more
    CPU in a worker than in a plain process (4-[24,24], subdivision: 4.2-4.3
    s against 3.2-3.4 s, side by side). These workers start without it. Give
    the same setting to the workers of a real cluster
    (``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null``).
    """
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                            dashboard_address=None)


def _n_workers(client):
    info = client.scheduler_info()
    return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))


def _load_checkpoint(path, net, domain, tol):
    """The saved partial result and its plan, or ``None`` if ``path`` does not exist yet."""
    if not Path(path).exists():
        return None
    saved = from_json(path, network=net)
    plan = saved.stats.get("distributed")
    if not isinstance(plan, dict) or plan.get("split") not in ("boxes", "first_layer"):
        raise ValueError(
            f"{path} is not a progress file of a distributed run (no plan in its stats); "
            "resume needs the file a run with resume= wrote."
        )
    if saved.domain.to_dict() != domain.to_dict():
        raise ValueError(f"{path} was written for the domain {saved.domain!r}, not {domain!r}.")
    if saved.tolerances.to_dict() != tol.to_dict():
        raise ValueError(f"{path} was written with other tolerances ({saved.tolerances}).")
    return saved, plan


def _save_checkpoint(path, rs):
    tmp = Path(str(path) + ".tmp")
    to_json(rs, tmp)
    os.replace(tmp, path)


def map_batch(fn, tasks, client, progress=False):
    """``[fn(*t) for t in tasks]`` as dask tasks, in order; a task that raises gives a failed row.

    The backend of ``count_regions_batch(..., client=...)``: ``fn`` is
    :func:`~polyregions.batch.count_one_domain`, which never raises itself,
    so an exception here means the task was lost (dask gives up on a task
    after ``distributed.scheduler.allowed-failures`` worker deaths).

    >>> map_batch(max, [(1, 2)], client=3)
    Traceback (most recent call last):
    ...
    TypeError: client must be None, a dask.distributed.Client or a scheduler address like 'tcp://host:8786'; got int.
    """
    client, owned = _connect(client, 1)
    bar = None
    try:
        from distributed import as_completed

        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(tasks), desc="domains", unit="domain")
        run_id = uuid.uuid4().hex[:8]
        futures = [client.submit(fn, *t, pure=False, key=f"polyregions-batch-{run_id}-{i}")
                   for i, t in enumerate(tasks)]
        where = {f.key: i for i, f in enumerate(futures)}
        results = [None] * len(tasks)
        for fut in as_completed(futures):
            try:
                results[where[fut.key]] = fut.result()
            except Exception as exc:  # the task was lost (workers kept dying) or raised
                results[where[fut.key]] = (0, "failed", f"{type(exc).__name__}: {exc}", None,
                                           math.nan)
            if bar is not None:
                bar.update()
        return results
    finally:
        if bar is not None:
            bar.close()
        for obj in owned:
            obj.close()


def _budget_spent(max_regions, n_found, time_limit, t_start):
    if max_regions is not None and n_found >= max_regions:
        return "max_regions"
    if time_limit is not None and time.perf_counter() - t_start > time_limit:
        return "time_limit"
    return None


def _wait(pending, timeout, all_=False):
    from distributed import wait

    if pending:
        try:
            wait(list(pending), timeout=timeout,
                 return_when="ALL_COMPLETED" if all_ else "FIRST_COMPLETED")
        except Exception:  # dask raises its own TimeoutError class
            pass
