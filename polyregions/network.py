"""Feed-forward piecewise-linear networks as immutable float64 arrays.

A :class:`ReLUNetwork` is ``L`` hidden affine layers, each followed by a
(leaky) ReLU, and a final affine output layer (docs/math.md §1)::

    z^l = W^l h^{l-1} + b^l,   h^l = max(z^l, alpha_l * z^l),   y = W^{L+1} h^L + b^{L+1}

The activation pattern of ``x`` is the boolean vector ``1[z^l_i(x) > 0]`` over
all hidden neurons, layer after layer. On the set of inputs sharing one
pattern every pre-activation is an affine function of ``x``;
:meth:`ReLUNetwork.affine_preactivations` returns those functions, which is
all the enumeration engine needs to write a region as ``A x <= b``.

Example
-------
>>> import numpy as np
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> net.widths, net.input_dim
((2,), 2)
>>> net.activation_patterns(np.array([[1.0, -1.0]])).astype(int).tolist()
[[1, 0]]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .errors import NotANetworkError, UnsupportedLayerError
from ._validation import (check_array, check_int, check_pattern, check_points, check_random_state,
                          check_real)

__all__ = ["ReLUNetwork", "UnsupportedLayerError", "as_network", "random_network"]


@dataclass(frozen=True, eq=False)
class ReLUNetwork:
    """An immutable feed-forward (leaky-)ReLU network in float64.

    Build it with :meth:`from_weights` or :meth:`from_torch`, not directly.

    Attributes
    ----------
    weights : tuple of ndarray
        ``L + 1`` read-only matrices of shape ``(out, in)``; the last is the
        output layer, which has no activation.
    biases : tuple of ndarray
        ``L + 1`` read-only vectors of shape ``(out,)``.
    negative_slopes : tuple of float
        One slope per hidden layer: ``0.0`` for ReLU, ``alpha`` for
        ``LeakyReLU(alpha)``.
    """

    weights: tuple
    biases: tuple
    negative_slopes: tuple

    # ------------------------------------------------------------------ build
    @classmethod
    def from_weights(cls, weights, biases, negative_slope=0.0):
        """Network from lists of ``(out, in)`` weight matrices and ``(out,)`` biases.

        Every layer but the last is followed by the activation, as in
        ``nn.Sequential(Linear, ReLU, ..., Linear)``.

        Parameters
        ----------
        weights : sequence of array_like
            Weight matrices, input layer first.
        biases : sequence of array_like
            Bias vectors, same length as ``weights``.
        negative_slope : float or sequence of float, default 0.0
            Leaky-ReLU slope, one for all hidden layers or one per layer.

        Raises
        ------
        ValueError
            On NaN/inf values, mismatched shapes or an empty layer.
        """
        weights = list(weights)
        biases = list(biases)
        if len(weights) == 0:
            raise ValueError("a network needs at least one (output) layer; got no weights.")
        if len(weights) != len(biases):
            raise ValueError(
                f"got {len(weights)} weight matrices but {len(biases)} bias vectors; "
                "pass one bias vector per layer."
            )
        Ws, bs = [], []
        prev_out = None
        for l, (W, b) in enumerate(zip(weights, biases)):
            W = check_array(W, f"weights[{l}]", "weight and bias")
            b = check_array(b, f"biases[{l}]", "weight and bias")
            if W.ndim != 2:
                raise ValueError(f"weights[{l}] must be 2-D (out, in); got shape {W.shape}.")
            if W.shape[0] == 0 or W.shape[1] == 0:
                raise ValueError(f"weights[{l}] has an empty dimension: shape {W.shape}.")
            if b.shape != (W.shape[0],):
                raise ValueError(
                    f"biases[{l}] has shape {b.shape} but weights[{l}] has {W.shape[0]} "
                    f"output rows; expected shape ({W.shape[0]},)."
                )
            if prev_out is not None and W.shape[1] != prev_out:
                raise ValueError(
                    f"weights[{l}] expects {W.shape[1]} inputs but layer {l - 1} has "
                    f"{prev_out} outputs."
                )
            prev_out = W.shape[0]
            Ws.append(W)
            bs.append(b)
        L = len(Ws) - 1
        slope_arr = check_array(negative_slope, "negative_slope", "negative slope")
        if slope_arr.ndim == 0:
            slopes = (float(slope_arr),) * L
        else:
            if slope_arr.ndim != 1:
                raise ValueError(f"negative_slope must be a number or one per hidden layer; got "
                                 f"shape {slope_arr.shape}.")
            slopes = tuple(float(s) for s in slope_arr)
            if len(slopes) != L:
                raise ValueError(f"got {len(slopes)} negative slopes for {L} hidden layers.")
        for s in slopes:
            if not np.isfinite(s) or s == 1.0:
                raise ValueError(
                    f"negative_slope={s} is not a valid activation: it must be finite and "
                    "different from 1 (slope 1 is the identity, with no kink)."
                )
        return cls(tuple(Ws), tuple(bs), slopes)

    @classmethod
    def from_torch(cls, module, *, check=True, random_state=0, drop_output_activation=False):
        """Convert a torch ``nn.Sequential``, a single ``nn.Linear`` or a plain custom MLP.

        A module with its own ``forward`` is traced with ``torch.fx`` and
        accepted if it is one chain of supported layers and functional calls
        (``torch.relu``, ``F.relu``, ``F.leaky_relu``, ``torch.flatten``);
        residual connections and other branches are refused.

        Supported layers: ``Linear``, ``ReLU``, ``LeakyReLU``, ``Flatten``,
        ``Identity``, ``Dropout`` (treated as the identity, i.e. eval mode) and
        ``BatchNorm1d`` (folded into the neighbouring affine map with its
        running statistics, i.e. eval mode). Consecutive affine layers are
        multiplied together; an activation with no affine layer before it gets
        an identity layer.

        Parameters
        ----------
        module : torch.nn.Module
        check : bool, default True
            Compare the converted network's forward pass with the torch
            module's on random inputs (in float64) and raise if they differ.
        random_state : int or numpy Generator, default 0
            Seed for the check's random inputs.
        drop_output_activation : bool, default False
            Drop a trailing ``Softmax``, ``LogSoftmax`` or ``Sigmoid`` (a
            classifier's output activation). It acts after the last affine
            layer, so the activation regions are unchanged; the converted
            network returns the logits.

        Raises
        ------
        UnsupportedLayerError
            Naming the first layer that is not supported.
        ValueError
            If the converted network does not reproduce the module.
        """
        from ._torch import (check_against_torch, network_arrays_from_torch,
                             split_output_activation, trace_layers)

        layers, dropped = split_output_activation(trace_layers(module), drop_output_activation)
        weights, biases, slopes = network_arrays_from_torch(module, layers=layers)
        net = cls.from_weights(weights, biases, negative_slope=slopes)
        if check:
            check_against_torch(net, module, random_state, output_activation=dropped)
        return net

    def to_torch(self, dtype=None):
        """This network as a torch ``nn.Sequential`` of ``Linear`` and ``ReLU`` (or ``LeakyReLU``).

        Parameters
        ----------
        dtype : torch.dtype, optional
            Default ``torch.float32`` (for training); ``torch.float64``
            reproduces :meth:`forward` to rounding.

        Returns
        -------
        torch.nn.Sequential
            ``ReLUNetwork.from_torch(net.to_torch())`` gives back the same
            weights (exactly in float64).
        """
        from ._torch import to_torch_module

        return to_torch_module(self, dtype)

    # ------------------------------------------------------------ properties
    @property
    def input_dim(self) -> int:
        return int(self.weights[0].shape[1])

    @property
    def output_dim(self) -> int:
        return int(self.weights[-1].shape[0])

    @property
    def widths(self) -> tuple:
        """Hidden-layer widths ``(n_1, ..., n_L)``."""
        return tuple(int(W.shape[0]) for W in self.weights[:-1])

    @property
    def depth(self) -> int:
        """Number of hidden layers ``L``."""
        return len(self.weights) - 1

    @property
    def n_neurons(self) -> int:
        """Total number of hidden neurons ``N``."""
        return int(sum(self.widths))

    @property
    def layer_slices(self) -> tuple:
        """``slice`` of each hidden layer inside a concatenated pattern."""
        out, start = [], 0
        for w in self.widths:
            out.append(slice(start, start + w))
            start += w
        return tuple(out)

    def fingerprint(self) -> str:
        """SHA-256 of the weights, biases and slopes (stable across runs)."""
        h = hashlib.sha256()
        for W, b in zip(self.weights, self.biases):
            h.update(np.asarray(W.shape, dtype=np.int64).tobytes())
            h.update(np.ascontiguousarray(W).tobytes())
            h.update(np.ascontiguousarray(b).tobytes())
        h.update(np.asarray(self.negative_slopes, dtype=np.float64).tobytes())
        return h.hexdigest()

    def __repr__(self):
        slopes = set(self.negative_slopes)
        act = "ReLU" if slopes <= {0.0} else f"LeakyReLU{sorted(slopes)}"
        return (
            f"ReLUNetwork(input_dim={self.input_dim}, widths={list(self.widths)}, "
            f"output_dim={self.output_dim}, activation={act})"
        )

    # --------------------------------------------------------------- forward
    def check_points(self, X, name="X"):
        """``X`` as a float64 array of shape ``(n, input_dim)`` (one point may be 1-D).

        Raises :class:`~polyregions.errors.InvalidPointsError` (a
        ``ValueError``) for a wrong shape, non-numbers, NaN or inf.
        """
        return check_points(X, self.input_dim, name)

    def preactivations(self, X):
        """Hidden pre-activations ``z^1..z^L`` for points ``X`` of shape ``(n, n0)``.

        Returns a list of ``L`` arrays of shape ``(n, n_l)``.
        """
        h = self.check_points(X)
        out = []
        for W, b, a in zip(self.weights[:-1], self.biases[:-1], self.negative_slopes):
            z = h @ W.T + b
            out.append(z)
            h = np.where(z > 0, z, a * z)
        return out

    def forward(self, X):
        """Network output for points ``X`` of shape ``(n, n0)``; returns ``(n, out)``."""
        h = self.check_points(X)
        for W, b, a in zip(self.weights[:-1], self.biases[:-1], self.negative_slopes):
            z = h @ W.T + b
            h = np.where(z > 0, z, a * z)
        return h @ self.weights[-1].T + self.biases[-1]

    def activation_patterns(self, X):
        """Boolean activation patterns ``1[z > 0]``, shape ``(n, N)``."""
        zs = self.preactivations(X)
        if not zs:
            return np.zeros((len(np.atleast_2d(X)), 0), dtype=bool)
        return np.concatenate([z > 0 for z in zs], axis=1)

    # ------------------------------------------------------- region algebra
    def _layer_maps(self, pattern, in_map):
        """The one layer walk on a pattern's region: ``(maps, (M, m))``.

        ``maps`` holds ``(slice, Z, zc)`` per hidden layer, its pre-activation
        being ``Z x + zc`` on the region; ``(M, m)`` is the output layer's
        input ``h^L = M x + m``.
        """
        p = check_pattern(pattern, self.n_neurons)
        if in_map is None:
            M = np.eye(self.input_dim)
            m = np.zeros(self.input_dim)
        else:
            M, m = in_map
        maps = []
        for sl, W, b, a in zip(self.layer_slices, self.weights, self.biases, self.negative_slopes):
            Z = W @ M
            zc = W @ m + b
            maps.append((sl, Z, zc))
            d = np.where(p[sl], 1.0, a)
            M = d[:, None] * Z
            m = d * zc
        return maps, (M, m)

    def affine_preactivations(self, pattern, in_map=None):
        """Pre-activations as affine functions of the input on a pattern's region.

        Parameters
        ----------
        pattern : array_like of bool, shape (N,)
        in_map : (M, m) or None
            Optional affine parametrisation ``x = M u + m`` of the input (a
            slice); the returned functions are then of ``u``.

        Returns
        -------
        G : ndarray, shape (N, d)
            Row ``i`` is the gradient of neuron ``i``'s pre-activation.
        g : ndarray, shape (N,)
            Its value at the origin, so that ``z_i = G[i] @ x + g[i]`` on the region.
        """
        maps, (M, _) = self._layer_maps(pattern, in_map)
        G = np.empty((self.n_neurons, M.shape[1]))
        g = np.empty(self.n_neurons)
        for sl, Z, zc in maps:
            G[sl] = Z
            g[sl] = zc
        return G, g

    def affine_output(self, pattern, in_map=None):
        """The network's output map ``y = A x + c`` on a pattern's region."""
        _, (M, m) = self._layer_maps(pattern, in_map)
        return self.weights[-1] @ M, self.weights[-1] @ m + self.biases[-1]

    # ------------------------------------------------------------------- io
    def to_dict(self) -> dict:
        """The network as plain JSON-ready lists, with its :meth:`fingerprint`.

        The one serialised form of a network (the region-set export embeds
        it); :meth:`from_dict` reads it back bit for bit, since Python
        writes floats by their shortest round-tripping ``repr``.

        >>> net = ReLUNetwork.from_weights([[[1.0, 2.0]], [[3.0]]], [[0.5], [0.0]])
        >>> d = net.to_dict()
        >>> d["weights"], d["negative_slopes"]
        ([[[1.0, 2.0]], [[3.0]]], [0.0])
        >>> ReLUNetwork.from_dict(d).fingerprint() == net.fingerprint()
        True
        """
        return {
            "weights": [W.tolist() for W in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "negative_slopes": list(self.negative_slopes),
            "sha256": self.fingerprint(),
        }

    @classmethod
    def from_dict(cls, d):
        """Rebuild a network written by :meth:`to_dict`.

        ``negative_slopes`` may be absent (ReLU); ``sha256``, when present,
        must match the rebuilt network's fingerprint.

        Raises
        ------
        ValueError
            Naming a missing or malformed field, or a fingerprint mismatch
            (the weights were edited or corrupted).
        """
        if not isinstance(d, dict):
            raise ValueError(f"a network must be a dict with 'weights' and 'biases'; got "
                             f"{type(d).__name__}.")
        unknown = sorted(set(d) - {"weights", "biases", "negative_slopes", "sha256"})
        if unknown:
            raise ValueError(f"network has unexpected fields {unknown}.")
        for name in ("weights", "biases"):
            if not isinstance(d.get(name), list):
                raise ValueError(f"network field {name!r} must be a list of layers; got "
                                 f"{type(d.get(name)).__name__}.")
        slopes = d.get("negative_slopes", 0.0)
        if not isinstance(slopes, (list, int, float)) or isinstance(slopes, bool):
            raise ValueError(f"network field 'negative_slopes' must be a list of numbers; got "
                             f"{slopes!r}.")
        net = cls.from_weights(d["weights"], d["biases"], negative_slope=slopes)
        stored = d.get("sha256")
        if stored is not None and net.fingerprint() != stored:
            raise ValueError(
                "the stored weights do not match their sha256 fingerprint: the network was "
                "edited or corrupted."
            )
        return net

    def save_npz(self, path):
        """Write the network to ``path`` as ``.npz`` (``W0, b0, W1, b1, ...``)."""
        arrays = {}
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            arrays[f"W{l}"] = W
            arrays[f"b{l}"] = b
        arrays["negative_slopes"] = np.asarray(self.negative_slopes, dtype=np.float64)
        np.savez(path, **arrays)


def as_network(net, general=False):
    """Return ``net`` if it is a :class:`ReLUNetwork`; otherwise a ``TypeError`` saying how to get one.

    With ``general=True`` (the exact engine and its results) a
    :class:`~polyregions.plnetwork.PLNetwork` is accepted too.
    """
    if hasattr(net, "nodes") and hasattr(net, "is_chain"):  # a PLNetwork (duck-typed: no cycle)
        if general:
            return net
        hint = (" Its dense equivalent net.to_relu_network() works here when the graph is a chain "
                "(no residual addition, no max-pool)." if net.is_chain() else
                " This graph has a residual addition or a max-pool, which only the exact engine "
                "(enumerate_regions, count_regions) handles.")
        raise NotANetworkError(
            "this function needs a dense ReLUNetwork (it reads the weight matrices); got a "
            f"PLNetwork.{hint}"
        )
    if not isinstance(net, ReLUNetwork):
        raise NotANetworkError(
            f"net must be a ReLUNetwork; got {type(net).__name__}. Build one with "
            "ReLUNetwork.from_weights(weights, biases) or ReLUNetwork.from_torch(module)."
        )
    return net


def random_network(input_dim, widths, output_dim=1, *, bias_std=0.01, negative_slope=0.0,
                   random_state=None):
    """He-normal random network: ``W ~ N(0, 2/fan_in)``, ``b ~ N(0, bias_std^2)``.

    The initialisation of Hanin & Rolnick's experiments and of the
    benchmarks (docs/performance.md); layers are drawn in order from one generator,
    so a seed fixes the whole network.

    >>> random_network(2, [8, 8], random_state=0).widths
    (8, 8)
    """
    input_dim = check_int(input_dim, "input_dim", integral_float=True)
    widths = [check_int(w, f"widths[{l}]", integral_float=True) for l, w in enumerate(widths)]
    output_dim = check_int(output_dim, "output_dim", integral_float=True)
    check_real(bias_std, "bias_std", low=0.0)
    rng = check_random_state(random_state)
    Ws, bs, fan_in = [], [], input_dim
    for w in widths + [output_dim]:
        Ws.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), (w, fan_in)))
        bs.append(rng.normal(0.0, bias_std, w))
        fan_in = w
    return ReLUNetwork.from_weights(Ws, bs, negative_slope=negative_slope)
