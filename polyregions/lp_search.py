"""Breadth-first search over activation patterns, one LP engine call per pattern.

Starting from the pattern of a random (hence generic) point, the search asks
:class:`~polyregions.lp_engine.LPEngine` what each queued pattern is (a
region, thin, empty, undecided) and which patterns lie across its facets,
and queues the unseen ones. The facet-adjacency graph of the full-dimensional
regions of a convex domain is connected, so the search finds them all
(docs/math.md §1). With ``n_jobs > 1`` each level of the search is solved by
a process pool while this process keeps the frontier; the result is the
serial one, regions sorted by packed pattern.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, WholeSpace
>>> from polyregions.tolerances import Tolerances
>>> rng = np.random.default_rng(0)
>>> net = ReLUNetwork.from_weights([rng.normal(size=(5, 2)), rng.normal(size=(1, 5))],
...                                [rng.normal(size=5), np.zeros(1)])
>>> search_lp(net, WholeSpace(2), Tolerances()).n_regions  # 1 + 5 + C(5, 2) in R^2
16
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from .lp import LPError, chebyshev_lp, inscribed_radius
from .lp_engine import LPEngine
from .results import RegionSet, key_to_pattern, pattern_key

__all__ = ["LPSearch", "search_lp"]


def search_lp(net, domain, tol, *, max_regions=None, time_limit=None, progress=False,
              random_state=0, seed_point=None, n_jobs=1):
    """Run the breadth-first LP search on checked inputs; return its :class:`RegionSet`.

    ``net``, ``domain`` and ``tol`` are the objects
    :func:`~polyregions.enumeration.enumerate_regions` has already checked;
    the keywords are its own.

    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box
    >>> from polyregions.tolerances import Tolerances
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> search_lp(net, Box([-1, -1], [1, 1]), Tolerances()).n_regions
    4
    """
    search = LPSearch(net, domain, tol, max_regions=max_regions, time_limit=time_limit,
                      progress=progress, random_state=random_state, seed_point=seed_point,
                      n_jobs=n_jobs)
    if search.net.n_neurons == 0:
        return search.affine_result()
    search.run()
    return search.finish()


class LPSearch:
    """One breadth-first search: named steps seed, step/register, budget, finish.

    The frontier holds ``(key, pattern, xc, L)``: a pattern still to process,
    with the interior point and radius of the region it was reached from
    (its LP is solved in coordinates centred there). The search runs level
    by level, each level in packed-pattern order, so the region a pattern
    is first reached from -- hence its LP and its interior point -- is the
    same whatever ``n_jobs``.
    """

    def __init__(self, net, domain, tol, *, max_regions, time_limit, progress, random_state,
                 seed_point, n_jobs):
        self.net, self.domain, self.tol = net, domain, tol
        self.max_regions, self.time_limit, self.n_jobs = max_regions, time_limit, n_jobs
        self.rng = np.random.default_rng(random_state)
        self.seed_point = seed_point
        self.eng = LPEngine(net, domain, tol)
        self.t_start = time.perf_counter()
        self.seen = {}  # key -> index into the region lists, -1 for non-regions, None if queued
        self.patterns, self.points, self.radii = [], [], []
        self.edges = {}
        self.merged = set()
        self.undecided_pairs = set()  # region pairs whose shared facet no test decided
        self.frontier = []  # the next level
        self.level = deque()  # the level being processed
        self.n_thin = 0
        self.n_undecided = 0
        self.seed_tries = 0
        self.stop_reason = None
        self.in_flight = 0
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(unit=" regions", desc="enumerating", dynamic_ncols=True)

    # ------------------------------------------------------------ steps
    def seed(self):
        """Process the pattern of a generic point; ``False`` if 50 points gave no region.

        A random point is off every hyperplane with probability 1, so its
        pattern is full-dimensional; a point on (or within rounding of) a
        boundary is simply replaced. A thin seed pattern is traversed like
        any thin pattern.
        """
        dom = self.domain
        failures = {"empty": 0, "undecided": 0, "flat": 0}
        while self.seed_tries < 50:
            if self.seed_point is not None and self.seed_tries == 0:
                u = np.asarray(self.seed_point, dtype=np.float64).reshape(dom.dim)
            else:
                u = dom.seed_point(self.rng)
            self.seed_tries += 1
            p = self.eng.net.activation_patterns(dom.to_input(u))[0]
            L = dom.scale if dom.bounded else self.eng.local_scale(u, 0.0) or 1.0
            outcome = self.eng.process(p, u, L)
            if outcome[0] in ("region", "thin"):
                key = pattern_key(p)
                self.seen[key] = None
                self.register(key, p, outcome)
                return True
            failures[outcome[0]] += 1
        self.seed_failures = failures
        return False

    def register(self, key, p, outcome):
        """Record one processed pattern; queue its unseen neighbours."""
        status, x0, r, neighbours = outcome
        # Only regions are counted; thin and undecided patterns with neighbours are
        # traversed, as regions may be reachable only through them.
        if status != "region":
            self.seen[key] = -1
            self.n_undecided += status == "undecided"
            self.n_thin += status in ("thin", "flat")
        else:
            self.seen[key] = len(self.radii)
            self.patterns.append(p)
            self.points.append(x0)
            self.radii.append(r)
            if self.bar is not None:
                self.bar.update(1)
                if len(self.radii) % 64 == 0:
                    self.bar.set_postfix(frontier=self.queued(), refresh=False)
        for q, neurons, merged in neighbours:
            if q is None:
                self.merged.add((key, neurons))
                continue
            # Serial runs pass patterns; the parallel search passes packed keys.
            qk = q if isinstance(q, bytes) else pattern_key(q)
            if merged:
                self.merged.add(frozenset((key, qk)))
            if status == "region":
                if neurons is not None:
                    self.edges.setdefault(frozenset((key, qk)), neurons)
                else:  # a ball facet neither certified to meet nor to miss the ball
                    self.undecided_pairs.add(frozenset((key, qk)))
            if qk not in self.seen:
                self.seen[qk] = None
                self.frontier.append((qk, q, x0, self.unit_from(x0, r)))

    def unit_from(self, x0, r):
        """The length unit for a child's LP: the parent's radius, or a floor if it has none."""
        if x0 is None:
            return None  # the ball path does not use it
        if r is not None and r > 0:
            return r
        return self.tol.radius * self.eng.local_scale(x0, 0.0) or 1.0

    def next_level(self):
        """The queued patterns in packed-pattern order; the frontier starts anew."""
        level = sorted(self.frontier, key=lambda e: e[0])
        self.frontier = []
        return level

    def queued(self):
        return len(self.level) + len(self.frontier) + self.in_flight

    def budget(self):
        """The stop reason once a budget is used up, else ``None``."""
        if self.max_regions is not None and len(self.radii) >= self.max_regions:
            return "max_regions"
        if self.time_limit is not None and time.perf_counter() - self.t_start > self.time_limit:
            return "time_limit"
        return None

    def run(self):
        try:
            if not self.seed():
                self.stop_reason = "solver_error"
                return
            if self.n_jobs == 1:
                while self.frontier and not self.stop_reason:
                    self.level = deque(self.next_level())
                    while self.level:
                        self.stop_reason = self.budget()
                        if self.stop_reason:
                            break
                        key, p, xc, L = self.level.popleft()
                        self.register(key, p, self.eng.process(p, xc, L))
            else:
                self.stop_reason = _parallel_search(self)
        except KeyboardInterrupt:
            self.stop_reason = "interrupted"
        finally:
            if self.bar is not None:
                self.bar.set_postfix(frontier=self.queued())
                self.bar.close()

    def finish(self):
        """The :class:`RegionSet`: regions in canonical order, edges between counted regions."""
        complete = self.stop_reason is None and not self.queued()
        if not complete and self.stop_reason is None:
            self.stop_reason = "max_regions"
        # One canonical order whatever n_jobs (workers finish in any order, BFS
        # order depends on the seed): regions sorted by packed pattern.
        keys = [pattern_key(p) for p in self.patterns]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        rank = {old: new for new, old in enumerate(order)}
        index = {keys[i]: rank[i] for i in range(len(keys))}
        e_list, e_neurons = [], []
        for pair, neurons in self.edges.items():
            if len(pair) != 2:
                continue
            a, c = tuple(pair)
            if a in index and c in index:
                ia, ic = index[a], index[c]
                e_list.append((min(ia, ic), max(ia, ic)))
                e_neurons.append(neurons)
        eorder = np.lexsort(np.array(e_list).T[::-1]) if e_list else []
        # Edges possibly missing from the graph: an undecided facet between two counted
        # regions that the test from the other side did not certify either.
        undecided_edges = sum(1 for pair in self.undecided_pairs
                              if pair not in self.edges and all(k in index for k in pair))
        stats = {
            "seconds": time.perf_counter() - self.t_start,
            **self.eng.counters(),
            "undecided_edges": undecided_edges,
            "frontier": self.queued(),
            "patterns_tested": len([v for v in self.seen.values() if v is not None]),
            "seed_tries": self.seed_tries,
            "radius_cap": float(self.eng.radius_cap),
        }
        if getattr(self, "seed_failures", None):
            stats["seed_failures"] = self.seed_failures
        net, dom = self.net, self.domain
        return RegionSet(
            net, dom,
            np.array([self.patterns[i] for i in order], dtype=bool).reshape(-1, net.n_neurons),
            np.array([self.points[i] for i in order]).reshape(-1, dom.dim),
            np.array([self.radii[i] for i in order]),
            [e_list[i] for i in eorder], [e_neurons[i] for i in eorder],
            complete, None if complete else self.stop_reason, self.n_thin, self.tol, stats,
            n_merged=len(self.merged), n_undecided=self.n_undecided,
        )

    def affine_result(self):
        """An affine network has a single region: the domain itself."""
        eng = self.eng
        st, x0, t = chebyshev_lp(eng.Ad, eng.bd, radius_cap=eng.radius_cap)
        eng.lp_calls += 1
        if st != "optimal":
            raise LPError(f"HiGHS returned {st} for the domain's own Chebyshev LP.")
        r = inscribed_radius(eng.Ad, eng.bd, x0, eng.ball) if len(eng.bd) else t
        return RegionSet(self.net, self.domain, np.zeros((1, 0), bool), [x0], [r], [], [], True,
                         None, 0, self.tol,
                         {"seconds": time.perf_counter() - self.t_start, "lp_calls": eng.lp_calls})


# ------------------------------------------------------------ parallel search
_WORKER = None


def _worker_init(net, domain, tol):
    import signal

    global _WORKER
    # Ctrl-C is the parent's to handle: it stops the search and keeps the partial result.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = LPEngine(net, domain, tol)


def _worker_batch(batch):
    """Process a batch of ``(key, xc, L)``; return outcomes with neighbours packed."""
    eng = _WORKER
    before = eng.counters()
    n = eng.net.n_neurons
    out = []
    for key, xc, L in batch:
        p = key_to_pattern(key, n)
        status, x0, r, neighbours = eng.process(p, xc, L)
        out.append((key, status, x0, r,
                    [(None if q is None else pattern_key(q), nr, mg) for q, nr, mg in neighbours]))
    after = eng.counters()
    return out, {k: after[k] - before[k] for k in after}


def _parallel_search(search):
    """Process the search level by level with a process pool; return the stop reason.

    Each level's patterns go to the workers in batches; their outcomes are
    registered in packed-pattern order once the whole level is back, exactly
    as the serial search registers them.
    """
    import concurrent.futures as cf
    import multiprocessing as mp

    n_jobs, n = search.n_jobs, search.net.n_neurons
    eng = search.eng
    # spawn, not fork: a forked child would inherit HiGHS' thread scheduler without its threads.
    ex = cf.ProcessPoolExecutor(n_jobs, mp_context=mp.get_context("spawn"), initializer=_worker_init,
                                initargs=(search.net, search.domain, search.tol))
    stop_reason = None
    try:
        while search.frontier and not stop_reason:
            level = search.next_level()
            size = max(1, min(256, -(-len(level) // (2 * n_jobs))))
            pending = {}
            for i in range(0, len(level), size):
                batch = [(key, xc, L) for key, _, xc, L in level[i:i + size]]
                pending[ex.submit(_worker_batch, batch)] = len(batch)
            search.in_flight = len(level)
            results = {}
            while pending:
                stop_reason = search.budget()
                if stop_reason:
                    break
                done, _ = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    search.in_flight -= pending.pop(fut)
                    out, delta = fut.result()
                    for k, v in delta.items():
                        setattr(eng, k, getattr(eng, k) + v)
                    for item in out:
                        results[item[0]] = item
            for key in sorted(results):
                _, status, x0, r, neighbours = results[key]
                p = key_to_pattern(key, n)
                search.register(key, p, (status, x0, r, neighbours))
    finally:
        ex.shutdown(wait=stop_reason is None, cancel_futures=True)
    return stop_reason
