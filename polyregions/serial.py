"""One enumeration on this machine: pick the engine, run it, hand over when it cannot decide.

``method="subdivision"`` (or ``"auto"`` where :func:`~polyregions.subdivision.choose_method`
picks it) runs the vectorised subdivision engine; ``"lp"`` and everything the subdivision
hands back (:class:`~polyregions.subdivision.Handover`: a degenerate arrangement, or the
memory budget under ``"auto"``) runs the breadth-first LP search of
:mod:`polyregions.lp_search`. This is what :func:`~polyregions.enumeration.enumerate_regions`
runs without a cluster, and what :mod:`polyregions.distributed` runs on each part; it sits
above both engines so that neither calls back up into the public entry point.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> [enumerate_serial(net, Box([-1, -1], [1, 1]), method=m).n_regions for m in ("lp", "subdivision")]
[4, 4]
"""

from __future__ import annotations

from .lp_search import search_lp
from .subdivision import Handover, dispatch
from .tolerances import Tolerances

__all__ = ["enumerate_serial"]


def enumerate_serial(net, domain, *, tolerances=None, max_regions=None, time_limit=None,
                     progress=False, random_state=0, seed_point=None, n_jobs=1, method="auto"):
    """Enumerate the regions of ``net`` in ``domain`` with the engine ``method`` picks.

    The inputs are the already checked objects (a network, a
    :class:`~polyregions.domain.Domain`, positive budgets): check user input
    with :func:`~polyregions.enumeration.enumerate_regions`, which takes the
    same keywords and calls this. ``tolerances=None`` means the defaults.

    Returns
    -------
    RegionSet
        From the LP search after a handover, ``stats["fallback"]`` says why
        and ``stats["subdivision_seconds"]`` what the subdivision spent
        (taken off ``time_limit``).

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Ball
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> enumerate_serial(net, Ball([0.5, 0.5], 0.2)).n_regions   # both neurons active
    1
    """
    tol = Tolerances() if tolerances is None else tolerances
    handover = None
    if method != "lp":
        rs = dispatch(net, domain, method, tol, max_regions=max_regions, time_limit=time_limit,
                      progress=progress)
        if isinstance(rs, Handover):
            handover = rs
            if time_limit is not None:
                time_limit = max(time_limit - handover.seconds, 1e-3)
        elif rs is not None:
            return rs
    rs = search_lp(net if handover is None else handover.network, domain, tol,
                   max_regions=max_regions, time_limit=time_limit, progress=progress,
                   random_state=random_state, seed_point=seed_point, n_jobs=n_jobs)
    if handover is not None:
        rs.network = net
        rs.stats.update(engine="lp", fallback=handover.reason, subdivision_seconds=handover.seconds)
    return rs
