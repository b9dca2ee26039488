"""Monte Carlo sampling of activation patterns, and the estimators on the sample.

:func:`sample_patterns` draws points uniformly in a domain (or takes a user's
data set), computes their activation patterns in batches and keeps one counter
per *distinct* pattern. Patterns are stored bit-packed (``np.packbits``), so
memory grows with the number of distinct patterns, not with the number of
samples. The result, a :class:`PatternSample`, exposes the abundance counts and
every estimator of :mod:`polyregions.richness` (docs/math.md §8).

Patterns are identified by *keys*: ``pattern_to_key(pattern)`` is the bytes of
the bit-packed boolean pattern. Any other module (e.g. the exact engine) that
keys its regions with :func:`pattern_to_key` can be matched against a sample
directly, e.g. ``sample.count_of(pattern)`` or ``sample.abundances()[key]``.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> s = sample_patterns(net, Box([-1, -1], [1, 1]), 1000, random_state=0)
>>> s.n_samples, s.n_observed
(1000, 4)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import NotADomainError
from ._validation import check_choice, check_int, check_points
from . import richness
from ._deprecation import keyword_only_flags, renamed_parameters, warn_renamed
from .results import key_to_pattern, pattern_key
from .domain import Domain, WholeSpace, as_domain
from .network import as_network

__all__ = ["PatternSample", "sample_patterns", "pattern_to_key", "key_to_pattern"]


def pattern_to_key(pattern):
    """Bytes key of one activation pattern; the same function as :func:`polyregions.results.pattern_key`.

    Examples
    --------
    >>> pattern_to_key([True, False, True])
    b'\\xa0'
    """
    return pattern_key(pattern)


@dataclass(frozen=True, eq=False)
class PatternSample:
    """Abundance counts of the distinct activation patterns in a sample.

    Build it with :func:`sample_patterns`. Distinct patterns are ordered by
    decreasing count (ties by key), so ``keys[i]`` has abundance ``counts[i]``.

    Attributes
    ----------
    keys : tuple of bytes
        :func:`pattern_to_key` of each distinct pattern.
    counts : ndarray of int64, shape (S_obs,)
        Read-only abundances; they sum to :attr:`n_samples`.
    n_neurons : int
        Length of a pattern.
    source : str
        ``"uniform"`` (drawn uniformly from :attr:`domain`), ``"normal"``
        (standard normal draws for a ``WholeSpace``) or ``"points"`` (a data set).
    domain : Domain or None
        The sampled domain, ``None`` for a data set.
    fingerprint : str
        ``ReLUNetwork.fingerprint()`` of the sampled network, so a comparison
        with an exact enumeration can check it uses the same network.

    Examples
    --------
    >>> s = PatternSample(keys=(b"\\x80", b"\\x00"), counts=[3, 1], n_neurons=1)
    >>> s.n_samples, s.n_observed, s.count_of([True]), s.good_turing_coverage()
    (4, 2, 3, 0.75)
    """

    keys: tuple
    counts: np.ndarray
    n_neurons: int
    source: str = "uniform"
    domain: object = None
    fingerprint: str = ""

    def __post_init__(self):
        counts = np.array(self.counts, dtype=np.int64, copy=True)
        if counts.ndim != 1 or counts.size != len(self.keys):
            raise ValueError("keys and counts must have the same length.")
        if np.any(counts < 1):
            raise ValueError("every stored pattern must have a positive count.")
        counts.setflags(write=False)
        object.__setattr__(self, "keys", tuple(bytes(k) for k in self.keys))
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "_index", {k: i for i, k in enumerate(self.keys)})
        if len(self._index) != len(self.keys):
            raise ValueError("keys must be distinct.")
        width = (int(self.n_neurons) + 7) // 8
        if any(len(k) != width for k in self.keys):
            raise ValueError(
                f"every key of a {self.n_neurons}-neuron pattern has {width} bytes "
                "(see pattern_to_key)."
            )

    # ----------------------------------------------------------- the data
    @property
    def n_samples(self) -> int:
        """Number of sampled points ``n``."""
        return int(self.counts.sum())

    @property
    def n_observed(self) -> int:
        """Number of distinct patterns seen, ``S_obs``."""
        return len(self.keys)

    @property
    def patterns(self):
        """Boolean patterns, shape ``(S_obs, n_neurons)``, in the order of :attr:`keys`."""
        if not self.keys:
            return np.zeros((0, self.n_neurons), dtype=bool)
        packed = np.frombuffer(b"".join(self.keys), dtype=np.uint8).reshape(len(self.keys), -1)
        return np.unpackbits(packed, axis=1, count=self.n_neurons).astype(bool)

    def abundances(self):
        """``{key: count}`` for every observed pattern.

        Not a ``to_dict``: the keys are bytes, and the mapping is the sample's
        data, not a serialisation of the object.
        """
        return {k: int(c) for k, c in zip(self.keys, self.counts)}

    def as_dict(self):
        """Deprecated name of :meth:`abundances`."""
        warn_renamed("PatternSample.as_dict()", "PatternSample.abundances()")
        return self.abundances()

    def count_of(self, pattern):
        """Abundance of one pattern (boolean array or bytes key); 0 if unseen."""
        if isinstance(pattern, (bytes, bytearray)):
            key = bytes(pattern)
        else:
            if np.shape(pattern) != (self.n_neurons,):
                raise ValueError(
                    f"a pattern of this sample has {self.n_neurons} entries; "
                    f"got shape {np.shape(pattern)}."
                )
            key = pattern_to_key(pattern)
        i = self._index.get(key)
        return 0 if i is None else int(self.counts[i])

    def frequency_counts(self):
        """``f_k`` of the sample, see :func:`polyregions.richness.frequency_counts`."""
        return richness.frequency_counts(self.counts)

    # --------------------------------------------------------- estimators
    @keyword_only_flags(1, ("bias_corrected", "small_sample"))
    def chao1(self, *, bias_corrected=False, small_sample=False):
        """Chao1, see :func:`polyregions.richness.chao1`."""
        return richness.chao1(self.counts, bias_corrected=bias_corrected,
                              small_sample=small_sample)

    @keyword_only_flags(1, ("small_sample",))
    def chao1_variance(self, *, bias_corrected=False, small_sample=False):
        """Variance of Chao1, see :func:`polyregions.richness.chao1_variance`."""
        return richness.chao1_variance(self.counts, bias_corrected=bias_corrected,
                                       small_sample=small_sample)

    def chao1_ci(self, level=0.95, *, bias_corrected=False, small_sample=False):
        """Log-normal interval for Chao1, see :func:`polyregions.richness.chao1_ci`."""
        return richness.chao1_ci(
            self.counts, level, bias_corrected=bias_corrected, small_sample=small_sample
        )

    def ace(self, rare_threshold=10):
        """ACE, see :func:`polyregions.richness.ace`."""
        return richness.ace(self.counts, rare_threshold)

    def good_turing_coverage(self):
        """``1 - f1/n``, see :func:`polyregions.richness.good_turing_coverage`."""
        return richness.good_turing_coverage(self.counts)

    def chao_jost_coverage(self):
        """Chao–Jost coverage, see :func:`polyregions.richness.chao_jost_coverage`."""
        return richness.chao_jost_coverage(self.counts)

    def summary(self, level=0.95):
        """Every estimator in one dict (plain floats and ints).

        The bias-corrected Chao1 and its interval use SpadeR's conventions
        (``small_sample=True``).
        """
        lo, hi = self.chao1_ci(level, bias_corrected=True, small_sample=True)
        return {
            "n_samples": self.n_samples,
            "n_observed": self.n_observed,
            "f1": int(np.count_nonzero(self.counts == 1)),
            "f2": int(np.count_nonzero(self.counts == 2)),
            "chao1": self.chao1(),
            "chao1_bc": self.chao1(bias_corrected=True, small_sample=True),
            "chao1_bc_ci": (lo, hi),
            "ace": self.ace(),
            "good_turing_coverage": self.good_turing_coverage(),
            "chao_jost_coverage": self.chao_jost_coverage(),
        }

    def __repr__(self):
        return (
            f"PatternSample(n_samples={self.n_samples}, n_observed={self.n_observed}, "
            f"n_neurons={self.n_neurons}, source={self.source!r})"
        )


def _numpy_patterns(net):
    return net.activation_patterns


def _torch_patterns(net, device):
    try:
        import torch
    except ImportError:
        raise ImportError(
            "backend='torch' needs torch, which is an optional dependency: "
            "pip install 'polyregions[torch]', or use backend='numpy'."
        ) from None
    dev = torch.device(device if device is not None else "cpu")
    layers = [
        (
            # Copies: the network's arrays are read-only, which torch warns about.
            torch.tensor(np.array(W), dtype=torch.float64, device=dev),
            torch.tensor(np.array(b), dtype=torch.float64, device=dev),
            float(a),
        )
        for W, b, a in zip(net.weights[:-1], net.biases[:-1], net.negative_slopes)
    ]

    def patterns(X):
        with torch.no_grad():
            # A user's data set may be read-only; torch warns on such views.
            X = np.asarray(X, dtype=np.float64)
            if not X.flags.writeable:
                X = X.copy()
            h = torch.as_tensor(X, device=dev)
            out = []
            for W, b, a in layers:
                z = h @ W.T + b
                on = z > 0
                out.append(on)
                h = torch.where(on, z, a * z)
            if not out:
                return np.zeros((len(X), 0), dtype=bool)
            return torch.cat(out, dim=1).cpu().numpy()

    return patterns


def _count_batch(acc, P):
    """Add the patterns of one batch (bool ``(b, N)``) to the ``{key: count}`` map."""
    if P.shape[1] == 0:
        # A network without hidden neurons has a single (empty) pattern.
        acc[b""] = acc.get(b"", 0) + P.shape[0]
        return
    packed = np.ascontiguousarray(np.packbits(P, axis=1))
    # A void view makes each packed row one sortable scalar, so np.unique
    # dedupes the whole batch in C instead of hashing rows in Python.
    rows = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    uniq, cnt = np.unique(rows, return_counts=True)
    for u, c in zip(uniq, cnt):
        k = u.tobytes()
        acc[k] = acc.get(k, 0) + int(c)


@renamed_parameters(points="X")
def sample_patterns(
    net,
    domain=None,
    n_samples=None,
    *,
    batch_size=65536,
    random_state=None,
    X=None,
    backend="numpy",
    device=None,
):
    """Sample activation patterns and count each distinct one.

    Either draw ``n_samples`` points uniformly in ``domain`` (for a
    :class:`~polyregions.Slice`, parameters are drawn in its box and mapped
    with ``domain.to_input``; a ``WholeSpace`` draws standard normal points),
    or pass a data set as ``X``.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Domain, optional
        Where to sample uniformly. Must be omitted when ``X`` is given.
    n_samples : int, optional
        Number of points to draw (>= 1). With ``X`` it may be omitted;
        if given it must equal ``len(X)``.
    batch_size : int, default 65536
        Points per forward pass; bounds the working memory.
    random_state : int, numpy Generator or None
        Seed of the point sampler. For a fixed seed the sample is
        reproducible; it may depend on ``batch_size`` (points are drawn batch
        by batch from one generator).
    X : array_like, shape (n, net.input_dim), optional
        Network inputs to use instead of uniform sampling. (``points=`` is
        its deprecated name.)
    backend : {"numpy", "torch"}, default "numpy"
        ``"torch"`` runs the forward passes with torch in float64 (optional
        dependency, imported only here).
    device : str, optional
        Torch device, e.g. ``"cuda"``; only with ``backend="torch"``.

    Returns
    -------
    PatternSample

    Raises
    ------
    ValueError
        On a missing or dimension-mismatched domain, both a domain and
        points, ``n_samples < 1``, malformed points or an unknown backend.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork
    >>> net = ReLUNetwork.from_weights([[[1.0]], [[1.0]]], [[0.0], [0.0]])
    >>> s = sample_patterns(net, X=[[-2.0], [-1.0], [3.0]])
    >>> s.counts.tolist(), [p.tolist() for p in s.patterns]
    ([2, 1], [[False], [True]])
    """
    net = as_network(net)
    batch_size = check_int(batch_size, "batch_size")
    check_choice(backend, "backend", ("numpy", "torch"))
    if backend == "numpy":
        if device is not None:
            raise ValueError("device is only meaningful with backend='torch'.")
        pattern_fn = _numpy_patterns(net)
    else:
        pattern_fn = _torch_patterns(net, device)

    if X is not None:
        if domain is not None:
            raise ValueError(
                "pass either a domain to sample from or a data set as X, not both."
            )
        X = check_points(X, net.input_dim, "X", min_points=1)
        if n_samples is not None and check_int(n_samples, "n_samples") != X.shape[0]:
            raise ValueError(
                f"n_samples={n_samples} but {X.shape[0]} points were given; omit n_samples "
                "when passing X."
            )
        if random_state is not None:
            raise ValueError("random_state has no effect with X (given points); omit it.")
        batches = (X[i : i + batch_size] for i in range(0, X.shape[0], batch_size))
        source = "points"
    else:
        if domain is None:
            raise ValueError(
                "pass a domain to sample from (Box, Ball, Slice, ...) or a data set as X=."
            )
        if not isinstance(domain, Domain):
            raise NotADomainError(
                f"domain must be a polyregions Domain (Box, Ball, Polytope, Slice, WholeSpace); "
                f"got {type(domain).__name__}."
            )
        domain = as_domain(domain, net)
        if n_samples is None:
            raise ValueError("n_samples is required when sampling from a domain.")
        n_samples = check_int(n_samples, "n_samples")
        rng = np.random.default_rng(random_state)

        def _draw():
            left = n_samples
            while left > 0:
                b = min(batch_size, left)
                yield domain.to_input(domain.sample(b, random_state=rng))
                left -= b

        batches = _draw()
        # WholeSpace.sample draws standard normal points: say so, not "uniform".
        source = "normal" if isinstance(domain, WholeSpace) else "uniform"

    acc = {}
    for batch in batches:
        _count_batch(acc, np.asarray(pattern_fn(batch), dtype=bool))
    items = sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))
    return PatternSample(
        keys=tuple(k for k, _ in items),
        counts=np.fromiter((c for _, c in items), dtype=np.int64, count=len(items)),
        n_neurons=net.n_neurons,
        source=source,
        domain=None if source == "points" else domain,
        fingerprint=net.fingerprint(),
    )
