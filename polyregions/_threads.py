"""numpy's BLAS on one thread inside the subdivision engine.

The subdivision's matrix products are many and small to mid-sized (vertices
times a layer's width, regions times a layer's width). With OpenBLAS' own
threads they cost far more than on one: measured on a 2-core machine with the
other core busy, 2-[64,64,64] took 1.21 s wall instead of 0.082 s, and a
1000x34 by 34x32 product 7.6 ms instead of 70 us, as each product waits for a
thread on the busy core. Parallel runs use processes (``n_jobs``, dask), each
on one core. threadpoolctl sets the limit on whichever BLAS numpy loaded and
restores it afterwards.

>>> import numpy as np
>>> with single_blas_thread():
...     float((np.ones((3, 3)) @ np.ones(3))[0])
3.0
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["single_blas_thread"]


@lru_cache(maxsize=1)
def _controller():
    # made once: it looks up the loaded BLAS libraries (about 1 ms); a limit then costs ~10 us
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_blas_thread():
    """A context manager under which numpy's BLAS uses one thread."""
    return _controller().limit(limits=1, user_api="blas")
