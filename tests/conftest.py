"""Fixtures shared by the test modules.

* ``he_net``: a factory for He-initialised random networks,
  ``he_net(n0, widths, seed, bias_std=0.3, output_dim=1)``;
* ``pattern_set``: the set of activation patterns of an array of patterns or
  of anything with a ``patterns`` attribute (a RegionSet, a MILP count), as
  tuples of bools, so two pattern collections compare as sets.
"""

import numpy as np
import pytest

from polyregions.network import random_network


def make_he_net(n0, widths, seed, *, bias_std=0.3, output_dim=1, negative_slope=0.0):
    """He-normal weights, normal biases of std ``bias_std``, seeded by ``seed``."""
    return random_network(n0, widths, output_dim=output_dim, bias_std=bias_std,
                          negative_slope=negative_slope, random_state=seed)


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
