"""Fixtures shared by the test modules.

* ``he_net``: a factory for He-initialised random networks,
  ``he_net(n0, widths, seed, bias_std=0.3, output_dim=1)``;
* ``pattern_set``: the set of activation patterns of an array of patterns or
  of anything with a ``patterns`` attribute (a RegionSet, a MILP count), as
  tuples of bools, so two pattern collections compare as sets.

Plain helpers (random-network factories, exact 1-D counts) live in
``tests/_nets.py``; test modules import them with ``from _nets import ...``.
"""

import numpy as np
import pytest
from _nets import make_he_net


def patterns_as_set(patterns):
    """``{tuple of bool}`` of a ``(R, N)`` array, or of ``obj.patterns``."""
    P = getattr(patterns, "patterns", patterns)
    return {tuple(bool(v) for v in row) for row in np.asarray(P)}


@pytest.fixture(scope="session")
def he_net():
    return make_he_net


@pytest.fixture(scope="session")
def pattern_set():
    return patterns_as_set
