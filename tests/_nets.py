"""Networks and oracles shared by several test modules (one home each).

* :func:`make_he_net` -- He-initialised random networks (also the ``he_net``
  fixture of ``conftest.py``);
* :func:`random_net_factory` -- a ``random_net(seed, **overrides)`` with one
  module's defaults, so each test module keeps its own sizes without a copy
  of the builder;
* :func:`exact_count_1d` -- the exact region count of a 1-input network on an
  interval by interval splitting, an oracle independent of the engines.

>>> random_net = random_net_factory(n0=2, widths=(4,))
>>> random_net(0).widths, random_net(0, widths=(3, 3)).widths
((4,), (3, 3))
>>> exact_count_1d(random_net(0, n0=1), -1.0, 1.0) >= 1
True
"""

import functools

import numpy as np

from polyregions.network import random_network


def make_he_net(n0, widths, seed, *, bias_std=0.3, output_dim=1, negative_slope=0.0):
    """He-normal weights, normal biases of std ``bias_std``, seeded by ``seed``."""
    return random_network(n0, widths, output_dim=output_dim, bias_std=bias_std,
                          negative_slope=negative_slope, random_state=seed)


def _random_net(seed, *, n0, widths, bias_std, slope=0.0):
    return make_he_net(n0, widths, seed, bias_std=bias_std, negative_slope=slope)


def random_net_factory(*, n0, widths, bias_std=0.3, slope=0.0):
    """``random_net(seed, n0=, widths=, bias_std=, slope=)`` with these defaults."""
    return functools.partial(_random_net, n0=n0, widths=widths, bias_std=bias_std, slope=slope)


def exact_count_1d(net, a=0.0, b=1.0, *, check_convex=False):
    """Exact number of activation regions of a 1-input net in (a, b).

    Layer by layer: on each current piece the previous layers are affine, so
    each neuron of the next layer is affine there and crosses zero at most
    once; its crossing (from the pre-activations at the piece's two ends,
    which are exact because the net is continuous) splits the piece. At the
    end the net is affine on every piece; regions are the distinct patterns
    at the piece midpoints. With ``check_convex``, also assert that no
    pattern comes back after another (regions are intervals).
    """
    cuts = np.array([a, b], dtype=np.float64)
    for layer in range(net.depth):
        z = net.preactivations(cuts[:, None])[layer]
        zl, zr = z[:-1], z[1:]
        i, j = np.nonzero(zl * zr < 0)
        t = cuts[i] + (cuts[i + 1] - cuts[i]) * zl[i, j] / (zl[i, j] - zr[i, j])
        cuts = np.unique(np.concatenate([cuts, t]))
        # Two neurons switching at the same point must not leave a sliver
        # whose midpoint has a pattern realised only at that point.
        cuts = cuts[np.concatenate([[True], np.diff(cuts) > 1e-12 * (b - a)])]
    mids = 0.5 * (cuts[:-1] + cuts[1:])
    pats = net.activation_patterns(mids[:, None])
    distinct = {p.tobytes() for p in pats}
    if check_convex:
        runs = 1 + int(np.sum(np.any(pats[1:] != pats[:-1], axis=1)))
        assert runs == len(distinct)
    return len(distinct)
