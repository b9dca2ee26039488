"""Exact enumeration of activation regions by breadth-first search over patterns.

Each pattern ``s`` defines the polyhedron ``{x : sign_i(s) z_i(x) >= 0}``
(docs/math.md §1). Starting from the pattern of a random (hence generic) point,
the search

1. writes the region as ``A u <= b`` inside the domain,
2. solves one Chebyshev-centre LP (HiGHS): empty, thin or full-dimensional,
   with an interior point and a radius certified in float64,
3. finds the facets with qhull on the polar dual,
4. for each facet carried by neurons, derives the neighbouring pattern across
   it *symbolically* -- no step size, so thin neighbours are never skipped
   (docs/math.md §10.2) -- and queues it.

The facet-adjacency graph of the full-dimensional regions of a convex domain
is connected, so the search finds them all (docs/math.md §1).

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box
>>> rng = np.random.default_rng(0)
>>> net = ReLUNetwork.from_weights([rng.normal(size=(5, 2)), rng.normal(size=(1, 5))],
...                                [rng.normal(size=5), np.zeros(1)])
>>> count_regions(net)   # one layer in general position in R^2: 1 + 5 + C(5, 2)
16
"""

from __future__ import annotations

import os
import time
from collections import deque

import numpy as np

from .domain import as_domain
from .network import as_network
from .ball import facet_in_ball, independent_rows, region_in_ball
from .lp import chebyshev_ball, facet_rows, inscribed_radius
from .results import RegionSet, key_to_pattern, pattern_key, pattern_rows
from .tolerances import Tolerances

__all__ = ["enumerate_regions", "count_regions"]


class _Engine:
    """Per-run state: the network, the domain, tolerances and the LP counters."""

    def __init__(self, net, domain, tol):
        self.net = net
        self.domain = domain
        self.tol = tol
        self.scale = domain.scale
        self.layer_of = np.concatenate(
            [np.full(w, l) for l, w in enumerate(net.widths)] or [np.zeros(0, int)]
        ).astype(np.intp)
        # General networks (PLNetwork) have bits that are not crossed by a
        # single flip (a max-pool's argmax) and say how to settle them.
        self.flippable = getattr(net, "flippable", None)
        self.settle = getattr(net, "settle", None)
        Ad, bd = domain.halfspaces
        self.ball = domain.ball
        if self.ball is not None and len(bd) == 0:
            # The circumscribed box keeps every LP bounded and gives qhull a
            # bounded polytope; its faces touch the open ball nowhere, so the
            # facets they carry are never crossed.
            c, R = self.ball
            I = np.eye(domain.dim)
            Ad, bd = np.vstack([I, -I]), np.concatenate([c + R, -(c - R)])
        self.Ad, self.bd = Ad, bd
        self.radius_cap = np.inf if (domain.bounded and len(bd)) else tol.radius_cap * self.scale
        self.radius_min = tol.radius * self.scale
        self.radius_empty = tol.empty * self.scale
        self.basis = None
        # A ball with rows of its own (a part of a ball in a distributed run, a disc slice's
        # square): the rows count as constraints in the ball path too.
        self.ball_rows = self.ball is not None and len(domain.halfspaces[1]) > 0
        if self.ball is not None and net.n_neurons and not self.ball_rows:
            # Every neuron's gradient is a combination of the first layer's rows, so a
            # region is a cylinder over its trace on their span: the ball's decisions
            # live in that subspace (16-D for a 784-input net with 16 first neurons).
            W1 = net.weights[0] if domain.input_map is None else net.weights[0] @ domain.input_map[0]
            if W1.shape[0] < domain.dim:
                self.basis = np.linalg.qr(W1.T)[0]
        self.lp_calls = 0
        self.qp_calls = 0
        self.qhull_fallbacks = 0
        self.slow_neighbours = 0

    # ------------------------------------------------------------ one region
    def halfspaces(self, p):
        """Rows of the region of pattern ``p``, or ``None`` if a constant neuron contradicts ``p``.

        Returns ``(A, b, owner, G, undetermined)``: ``owner`` is the neuron of
        each row (-1 for the domain), ``G`` the gradients, and
        ``undetermined`` the neurons that are identically zero on the region
        (their bit can change across any facet).
        """
        G, g = self.net.affine_preactivations(p, self.domain.input_map)
        An, bn, nz = pattern_rows(G, g, p, self.tol.zero_row)
        undetermined = np.zeros(0, dtype=np.intp)
        if not nz.all():
            zero = ~nz
            gz = g[zero]
            eps = self.tol.zero_row * max(1.0, float(np.abs(g).max()))
            # A neuron constant on the region must have the bit its constant gives.
            if np.any((gz > eps) != p[zero]):
                return None
            undetermined = np.flatnonzero(zero)[np.abs(gz) <= eps]
        A = np.vstack([An, self.Ad])
        b = np.concatenate([bn, self.bd])
        owner = np.concatenate([np.flatnonzero(nz), np.full(len(self.bd), -1)])
        return A, b, owner, G, undetermined

    def chebyshev(self, A, b):
        self.lp_calls += 1
        return chebyshev_ball(A, b, radius_cap=self.radius_cap, ball=self.ball)

    def ball_region(self, A, b, owner):
        """Classify one pattern's rows in the ball domain (docs/math.md §1, :mod:`polyregions.ball`).

        Works in centred coordinates ``y`` of the first layer's row space
        (``x = c + basis @ y``), with the neuron rows only plus the
        circumscribed box of the ball there, which keeps the LPs bounded and
        cuts the open ball nowhere. Returns ``(kind, x0, r, rows)``:
        ``kind`` is ``"region"`` (radius of region ∩ ball certified above
        ``radius_min`` at ``x0``, recomputed from the original rows),
        ``"thin"`` (its upper bound is at most ``radius_min``), ``"empty"``
        (proved disjoint, or that bound at most ``radius_empty``) or
        ``"undecided"``; ``rows`` is ``(idx, Ay, by, y0, hull, hull_thin)``
        for the facet step: the neuron rows in ``y``, the certified point and
        a point strictly inside the region's own rows.
        """
        c, R = self.ball
        # Without rows of its own, the engine's box (owner -1) is left out: it is rebuilt below.
        idx = np.arange(len(b)) if self.ball_rows else np.flatnonzero(owner >= 0)
        An, bn = A[idx], b[idx]
        Ay = An if self.basis is None else An @ self.basis
        by = bn - An @ c
        k = Ay.shape[1]
        I = np.eye(k)
        fit = region_in_ball(np.vstack([Ay, I, -I]), np.concatenate([by, np.full(2 * k, R)]),
                             np.zeros(k), R, target=self.radius_min)
        self.lp_calls += fit.n_lp
        self.qp_calls += fit.n_qp
        if fit.meets is False or fit.radius_bound <= self.radius_empty or fit.polytope_radius <= self.radius_empty:
            return "empty", None, None, None
        rows = (idx, Ay, by, fit.point, fit.polytope_point, fit.polytope_radius <= self.radius_min)
        x0, r = None, fit.radius
        if fit.point is not None:
            x0 = c + (fit.point if self.basis is None else self.basis @ fit.point)
            r = min(r, inscribed_radius(An, bn, x0, self.ball))  # the certificate in input space
        if r > self.radius_min:
            return "region", x0, r, rows
        return ("thin" if fit.radius_bound <= self.radius_min else "undecided"), x0, r, rows

    def ball_process(self, p, A, b, owner, undetermined):
        """:meth:`process` in a ball domain: only facets certified to meet the ball are edges."""
        kind, x0, r, rows = self.ball_region(A, b, owner)
        if kind == "empty":
            return "empty", None, None, ()
        idx, Ay, by, y0, hull, hull_thin = rows
        if independent_rows(Ay):
            groups = [[k] for k in range(len(idx))]  # each row carries a facet: no LP
        else:
            groups = self.facets(Ay, by, hull, hull_thin)
        zero = np.zeros(Ay.shape[1])
        out = []
        for group in groups:
            if np.any(owner[idx[group]] < 0):
                continue  # the facet lies on the domain's own boundary
            j = group[0]
            meets = facet_in_ball(Ay, by, j, zero, self.ball[1], x0=y0 if kind == "region" else None)
            self.qp_calls += meets.n_qp
            if meets.meets is False:
                continue  # shared facet outside the ball: not an edge in the domain
            neurons = owner[idx[group]]
            normal = A[idx[j]] / np.linalg.norm(A[idx[j]])
            q = self.neighbour(p, neurons, normal, undetermined)
            # Undecided: cross it (the neighbour is tested on its own) but record no edge.
            out.append((q, tuple(sorted(neurons.tolist())) if meets.meets else None))
        return kind, x0, r, out

    def facets(self, A, b, x0, thin):
        """Facet groups: a list of arrays of row indices carrying the same hyperplane."""
        norms = np.sqrt(np.einsum("ij,ij->i", A, A))
        H = np.hstack([A / norms[:, None], (b / norms / self.scale)[:, None]])
        if thin:
            # qhull's polar points blow up as the slack goes to zero; test rows by LP.
            self.qhull_fallbacks += 1
            self.lp_calls += len(b)
            rows = facet_rows(A, b, x0, rel_tol=1e-12, method="lp")
        else:
            rows = facet_rows(A, b, x0)
        groups = []
        for r in rows:
            dist = np.max(np.abs(H - H[r]), axis=1)
            groups.append(np.flatnonzero(dist <= self.tol.coincide))
        return groups

    def process(self, p):
        """Everything the search learns from one pattern.

        Returns ``(status, x0, r, neighbours)`` with status ``"region"``,
        ``"thin"`` or ``"empty"`` and, for the first two, the patterns across
        each facet inside the domain with the neurons carrying that facet.
        """
        data = self.halfspaces(p)
        if data is None:
            return "empty", None, None, ()
        A, b, owner, _, undetermined = data
        if self.ball is not None:
            return self.ball_process(p, A, b, owner, undetermined)
        res = self.chebyshev(A, b)
        if res is None or res[1] <= self.radius_empty:
            return "empty", None, None, ()
        x0, r = res
        thin = r <= self.radius_min
        out = []
        for group in self.facets(A, b, x0, thin):
            if np.any(owner[group] < 0):
                continue  # the facet lies on the domain's boundary
            j = group[0]
            normal = A[j] / np.linalg.norm(A[j])
            q = self.neighbour(p, owner[group], normal, undetermined)
            out.append((q, tuple(sorted(owner[group].tolist()))))
        return ("thin" if thin else "region"), x0, r, out

    def counters(self):
        return {"lp_calls": self.lp_calls, "qp_calls": self.qp_calls, "qhull_fallbacks": self.qhull_fallbacks,
                "slow_neighbours": self.slow_neighbours}

    def neighbour(self, p, neurons, normal, undetermined):
        """Pattern across the facet carried by ``neurons`` (outward unit ``normal``)."""
        if (len(neurons) == 1 and (self.flippable is None or self.flippable[neurons[0]])
                and not np.any(self.layer_of[undetermined] > self.layer_of[neurons[0]])):
            q = p.copy()
            q[neurons[0]] = not q[neurons[0]]
            return q
        # Slow path: several neurons vanish on the facet. Just across it their
        # sign is that of their derivative along the normal, evaluated with the
        # *new* pattern of the earlier layers, so settle them layer by layer.
        self.slow_neighbours += 1
        q = p.copy()
        open_ = np.union1d(neurons, undetermined)
        for l in np.unique(self.layer_of[open_]):
            G, _ = self.net.affine_preactivations(q, self.domain.input_map)
            ks = open_[self.layer_of[open_] == l]
            if self.settle is not None:
                q = self.settle(q, ks, G, normal, self.tol.zero_row)
                continue
            d = G[ks] @ normal
            nrm = np.sqrt(np.einsum("ij,ij->i", G[ks], G[ks]))
            q[ks] = d > self.tol.zero_row * np.maximum(nrm, 1e-300)
        return q


def enumerate_regions(net, domain=None, *, max_regions=None, time_limit=None, progress=False,
                      random_state=0, tolerances=None, seed_point=None, n_jobs=1, method="auto",
                      client=None, resume=None):
    """Find every full-dimensional activation region of ``net`` in ``domain``.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Box, Ball, Polytope, Slice, WholeSpace or None
        ``None`` is the whole input space (unbounded regions included).
    max_regions : int, optional
        Stop after this many regions (the result is then flagged incomplete).
    time_limit : float, optional
        Stop after this many seconds (flagged incomplete).
    progress : bool, default False
        Show a progress bar (tqdm) with the regions found and the frontier size.
    random_state : int or numpy Generator, default 0
        Draws the generic seed point.
    tolerances : Tolerances, optional
        See :class:`~polyregions.tolerances.Tolerances`.
    seed_point : array_like, optional
        Start from the pattern of this point (domain coordinates) instead.
    n_jobs : int, default 1
        Worker processes (``-1``: one per CPU). Patterns are solved in
        batches by the workers while this process keeps the frontier.
        Regions are always returned sorted by packed pattern, so the result
        does not depend on ``n_jobs`` or on the order in which workers finish; a
        ``max_regions`` stop keeps the batches already solved (so
        ``n_regions`` can exceed the budget a little). Worth it for runs of
        more than a few seconds (each worker starts a Python in about 0.7 s):
        4-[16,16] in [-1,1]^4 took 13-16 s with 2 workers against 24-27 s
        serially on a 2-core machine.
    method : {"auto", "lp", "subdivision"}, default "auto"
        ``"lp"``: this breadth-first LP search; ``"subdivision"``: the
        vectorised engine of :mod:`polyregions.subdivision` (boxes, slices,
        2-D polygons; degenerate arrangements are handed to the LP search,
        ``stats["fallback"]`` says why); ``"auto"`` picks by domain and
        dimension (:func:`polyregions.subdivision.choose_method`).
    client : None, dask.distributed.Client or str, optional
        Run on a dask cluster (a client or a scheduler address such as
        ``"tcp://host:8786"``): the domain is split into parts enumerated on
        the workers and merged (:mod:`polyregions.distributed`). Needs the
        ``distributed`` extra.
    resume : str or Path, optional
        Progress file of a distributed run: parts it records as finished are
        skipped, and progress is written to it (a ``LocalCluster`` of
        ``n_jobs`` workers is started if ``client`` is ``None``).

    Returns
    -------
    RegionSet
        With ``complete=False`` and a ``stop_reason`` if a budget or Ctrl-C
        stopped the search; its ``n_regions`` is then a lower bound.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Ball
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> enumerate_regions(net, Ball([0.5, 0.5], 0.2)).n_regions   # both neurons active
    1
    """
    if client is not None or resume is not None:
        from .distributed import enumerate_distributed  # lazily: dask is an optional extra

        return enumerate_distributed(
            net, domain, client=client, n_jobs=n_jobs, max_regions=max_regions,
            time_limit=time_limit, progress=progress, random_state=random_state,
            tolerances=tolerances, resume=resume, seed_point=seed_point, method=method)
    net = as_network(net, general=True)
    domain = as_domain(domain, net)
    tol = Tolerances() if tolerances is None else tolerances
    if not isinstance(tol, Tolerances):
        raise TypeError("tolerances must be a polyregions.Tolerances instance.")
    if max_regions is not None and (int(max_regions) != max_regions or max_regions < 1):
        raise ValueError(f"max_regions must be a positive integer; got {max_regions!r}.")
    if time_limit is not None and not (time_limit > 0):
        raise ValueError(f"time_limit must be positive (seconds); got {time_limit!r}.")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if int(n_jobs) != n_jobs or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all CPUs); got {n_jobs!r}.")
    n_jobs = int(n_jobs)
    if method != "lp":
        from .subdivision import dispatch

        rs = dispatch(net, domain, method, tol, max_regions=max_regions, time_limit=time_limit,
                      progress=progress, random_state=random_state, seed_point=seed_point,
                      n_jobs=n_jobs)
        if rs is not None:
            return rs
    rng = np.random.default_rng(random_state)
    eng = _Engine(net, domain, tol)
    t_start = time.perf_counter()

    if net.n_neurons == 0:
        # An affine network has a single region: the domain itself.
        x0, r = eng.chebyshev(eng.Ad, eng.bd)
        return RegionSet(net, domain, np.zeros((1, 0), bool), [x0], [r], [], [], True, None, 0,
                         tol, {"seconds": time.perf_counter() - t_start, "lp_calls": eng.lp_calls})

    seen = {}  # key -> index into `found` for regions, or -1 for non-regions
    patterns, points, radii = [], [], []
    edges = {}
    frontier = deque()

    key_of = pattern_key

    # ---- seed: the pattern of a random point is generic with probability 1;
    # retry a few times in case the point sits on (or within tolerance of) a boundary.
    seed_tries = 0
    while not frontier:
        if seed_point is not None and seed_tries == 0:
            u = np.asarray(seed_point, dtype=np.float64).reshape(domain.dim)
        else:
            u = domain.seed_point(rng)
        seed_tries += 1
        p0 = net.activation_patterns(domain.to_input(u))[0]
        data = eng.halfspaces(p0)
        if data is not None:
            if eng.ball is not None:
                res = eng.ball_region(data[0], data[1], data[2])[1:3]
                res = res if res[0] is not None else None
            else:
                res = eng.chebyshev(data[0], data[1])
            if res is not None and res[1] > eng.radius_min:
                frontier.append((key_of(p0), p0))
                seen[key_of(p0)] = None
        if seed_tries > 50 and not frontier:
            raise RuntimeError(
                "no full-dimensional region found from 50 random seeds: the domain may be thinner "
                "than tolerances.radius; lower it or pass seed_point."
            )

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(unit=" regions", desc="enumerating", dynamic_ncols=True)

    n_thin = n_undecided = 0

    def register(key, p, outcome):
        """Record one processed pattern; queue its unseen neighbours."""
        nonlocal n_thin, n_undecided
        status, x0, r, neighbours = outcome
        if status == "empty":
            seen[key] = -1
            return
        if status in ("thin", "undecided"):
            # Not counted but traversed, as regions may be reachable only through it.
            n_thin += status == "thin"
            n_undecided += status == "undecided"
            seen[key] = -1
        else:
            seen[key] = len(radii)
            patterns.append(p)
            points.append(x0)
            radii.append(r)
            if bar is not None:
                bar.update(1)
                if len(radii) % 64 == 0:
                    bar.set_postfix(frontier=len(frontier), refresh=False)
        for q, neurons in neighbours:
            # Serial runs pass patterns; the parallel search passes packed keys.
            qk = q if isinstance(q, bytes) else key_of(q)
            if status == "region" and neurons is not None:  # None: facet not certified in the domain
                edges.setdefault(frozenset((key, qk)), neurons)
            if qk not in seen:
                seen[qk] = None
                frontier.append((qk, q))

    def budget_spent():
        """The stop reason once a budget is used up, else ``None``."""
        if max_regions is not None and len(radii) >= max_regions:
            return "max_regions"
        if time_limit is not None and time.perf_counter() - t_start > time_limit:
            return "time_limit"
        return None

    stop_reason = None
    in_flight = 0
    try:
        if n_jobs == 1:
            while frontier:
                stop_reason = budget_spent()
                if stop_reason:
                    break
                key, p = frontier.popleft()
                register(key, p, eng.process(p))
        else:
            stop_reason, in_flight, counters = _parallel_search(
                net, domain, tol, n_jobs, frontier, register, budget_spent)
            for k, v in counters.items():
                setattr(eng, k, getattr(eng, k) + v)
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    finally:
        if bar is not None:
            bar.set_postfix(frontier=len(frontier))
            bar.close()

    complete = stop_reason is None and not frontier and not in_flight
    if not complete and stop_reason is None:
        stop_reason = "max_regions"
    if radii:
        # One canonical order whatever n_jobs (workers finish in any order, BFS
        # order depends on the seed): regions sorted by packed pattern.
        order = sorted(range(len(radii)), key=lambda i: key_of(patterns[i]))
        rank = {old: new for new, old in enumerate(order)}
        patterns = [patterns[i] for i in order]
        points = [points[i] for i in order]
        radii = [radii[i] for i in order]
        seen = {k: (rank[v] if v is not None and v >= 0 else v) for k, v in seen.items()}
    # Keep only edges between two counted regions.
    e_list, e_neurons = [], []
    for pair, neurons in edges.items():
        if len(pair) != 2:
            continue
        a, c = tuple(pair)
        ia, ic = seen.get(a), seen.get(c)
        if ia is not None and ic is not None and ia >= 0 and ic >= 0:
            e_list.append((min(ia, ic), max(ia, ic)))
            e_neurons.append(neurons)
    order = np.lexsort(np.array(e_list).T[::-1]) if e_list else []
    e_list = [e_list[i] for i in order]
    e_neurons = [e_neurons[i] for i in order]
    stats = {
        "seconds": time.perf_counter() - t_start,
        "lp_calls": eng.lp_calls,
        "qp_calls": eng.qp_calls,
        "qhull_fallbacks": eng.qhull_fallbacks,
        "slow_neighbours": eng.slow_neighbours,
        "frontier": len(frontier) + in_flight,
        "patterns_tested": len([v for v in seen.values() if v is not None]),
        "seed_tries": seed_tries,
    }
    return RegionSet(
        net, domain,
        np.array(patterns, dtype=bool).reshape(-1, net.n_neurons),
        np.array(points).reshape(-1, domain.dim),
        np.array(radii),
        e_list, e_neurons, complete, None if complete else stop_reason, n_thin, tol, stats,
        n_undecided=n_undecided,
    )


# ------------------------------------------------------------ parallel search
_WORKER = None


def _worker_init(net, domain, tol):
    import signal

    global _WORKER
    # Ctrl-C is the parent's to handle: it stops the search and keeps the partial result.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = _Engine(net, domain, tol)


def _worker_batch(packed):
    """Process a batch of packed patterns; return outcomes with neighbours packed."""
    eng = _WORKER
    before = eng.counters()
    n = eng.net.n_neurons
    out = []
    for key in packed:
        p = key_to_pattern(key, n)
        status, x0, r, neighbours = eng.process(p)
        out.append((key, status, x0, r, [(pattern_key(q), nr) for q, nr in neighbours]))
    after = eng.counters()
    return out, {k: after[k] - before[k] for k in after}


def _parallel_search(net, domain, tol, n_jobs, frontier, register, budget_spent):
    """Drain ``frontier`` with a process pool; return ``(stop_reason, in_flight, counters)``."""
    import concurrent.futures as cf
    import multiprocessing as mp

    n = net.n_neurons
    counters = {"lp_calls": 0, "qp_calls": 0, "qhull_fallbacks": 0, "slow_neighbours": 0}
    # spawn, not fork: a forked child would inherit HiGHS' thread scheduler without its threads.
    ex = cf.ProcessPoolExecutor(n_jobs, mp_context=mp.get_context("spawn"),
                                initializer=_worker_init, initargs=(net, domain, tol))
    pending = {}
    stop_reason = None
    try:
        while frontier or pending:
            stop_reason = budget_spent()
            if stop_reason:
                break
            while frontier and len(pending) < 2 * n_jobs:
                size = max(1, min(256, len(frontier) // (2 * n_jobs)))
                batch = [frontier.popleft()[0] for _ in range(min(size, len(frontier)))]
                pending[ex.submit(_worker_batch, batch)] = len(batch)
            done, _ = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                del pending[fut]
                results, delta = fut.result()
                for k in counters:
                    counters[k] += delta[k]
                for key, status, x0, r, neighbours in results:
                    p = key_to_pattern(key, n)
                    register(key, p, (status, x0, r, neighbours))
    finally:
        ex.shutdown(wait=stop_reason is None, cancel_futures=True)
    return stop_reason, sum(pending.values()), counters


def count_regions(net, domain=None, **kwargs):
    """Exact number of full-dimensional activation regions of ``net`` in ``domain``.

    Takes the keyword arguments of :func:`enumerate_regions`. Raises
    :class:`~polyregions.results.IncompleteEnumerationError` (holding the
    partial result) if a budget stopped the run: a partial count is never
    returned as a count.

    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box
    >>> net = ReLUNetwork.from_weights([[[1.0], [1.0]], [[1.0, -1.0]]], [[0.0, -0.5], [0.0]])
    >>> count_regions(net, Box([-1], [1]))
    3
    """
    return enumerate_regions(net, domain, **kwargs).count()
