"""Exact enumeration of activation regions: the public entry points.

:func:`enumerate_regions` checks its input and runs one of the engines below
it: on this machine :func:`~polyregions.serial.enumerate_serial`, which picks
the breadth-first LP search (:mod:`polyregions.lp_search`, one LP per pattern
in :mod:`polyregions.lp_engine`) or the subdivision
(:mod:`polyregions.subdivision`); with ``client=`` or ``resume=`` the domain is
split into parts run on a dask cluster (:mod:`polyregions.distributed`), each
part by the same serial runner. :func:`count_regions` is its count.

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

from .distributed import enumerate_distributed
from .domain import as_domain
from .network import as_network
from .serial import enumerate_serial
from .errors import InternalError
from ._validation import check_choice, check_random_state_spec, check_run_options

__all__ = ["enumerate_regions", "count_regions"]


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
        ``"lp"``: the breadth-first LP search of :mod:`polyregions.lp_search`;
        ``"subdivision"``: the vectorised engine of :mod:`polyregions.subdivision` (boxes, slices,
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
        Its ``status`` says what the count is: ``"exact"``,
        ``"exact_at_resolution"`` (thin patterns or merged hyperplanes),
        ``"lower_bound"`` (a budget, Ctrl-C, or patterns no solver could
        decide) or ``"failed"`` (no region could be decided at all).

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Ball
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> enumerate_regions(net, Ball([0.5, 0.5], 0.2)).n_regions   # both neurons active
    1
    """
    if client is not None or resume is not None:
        return enumerate_distributed(
            net, domain, client=client, n_jobs=n_jobs, max_regions=max_regions,
            time_limit=time_limit, progress=progress, random_state=random_state,
            tolerances=tolerances, resume=resume, seed_point=seed_point, method=method)
    net = as_network(net, general=True)
    domain = as_domain(domain, net)
    tol, n_jobs = check_run_options(tolerances, max_regions, time_limit, n_jobs)
    _check_engine_options(net, domain, method, seed_point, random_state)
    try:
        return enumerate_serial(net, domain, tolerances=tol, max_regions=max_regions,
                                time_limit=time_limit, progress=progress, random_state=random_state,
                                seed_point=seed_point, n_jobs=n_jobs, method=method)
    except (ValueError, TypeError, ArithmeticError, IndexError, KeyError, AssertionError) as exc:
        # Every input was checked above: an error of this kind from inside an engine is a
        # bug, and must not read as the user's mistake (the CLI's "bad input").
        raise InternalError.wrap(exc) from exc


def _check_engine_options(net, domain, method, seed_point, random_state):
    """The options only the engines read, checked before any engine runs."""
    import numpy as np

    from .subdivision import METHODS, supports

    check_choice(method, "method", METHODS)
    if method == "subdivision" and not supports(domain):
        raise ValueError(f"the subdivision engine handles boxes, slices and 2-D polygons, not "
                         f"{domain!r}; use method='lp' (or 'auto').")
    if method == "subdivision" and not hasattr(net, "weights") and net.dense_equivalent() is None:
        raise ValueError("the subdivision engine needs a dense ReLU network (or one with a dense "
                         "equivalent); use method='lp' (or 'auto') for this network.")
    if seed_point is not None:
        u = np.asarray(seed_point, dtype=np.float64)
        if u.size != domain.dim or not np.all(np.isfinite(u)):
            raise ValueError(f"seed_point must be {domain.dim} finite numbers (domain coordinates); "
                             f"got shape {u.shape}.")
    check_random_state_spec(random_state)


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
