"""Read a network from a file without running code stored in it.

:func:`load_network` picks a reader by the file's suffix (:data:`LOADERS`);
every reader returns a :class:`~polyregions.ReLUNetwork` (or, for the
formats that hold convolutions and residual blocks, a
:class:`~polyregions.PLNetwork`) or raises a
``ValueError`` that names the file and the problem, before any enumeration.

The loading rule: **nothing is unpickled by default.** A pickle can run
any command when it is read, so a model file from someone else must not be
unpickled unless you trust it.

* ``.npz``: arrays ``W0, b0, W1, b1, ...`` (optionally ``negative_slopes``),
  read with ``allow_pickle=False``. Keys, layer numbering, dtypes and shapes
  are checked.
* ``.json``: the dict of :meth:`ReLUNetwork.to_dict` or
  :meth:`PLNetwork.to_dict` (plain JSON, no code).
* ``.onnx``: an ONNX model (:func:`polyregions.from_onnx`: a protobuf graph
  and its weights, parsed as data; needs ``polyregions[onnx]``), returned as
  a :class:`~polyregions.PLNetwork` with convolutions, pooling and residual
  additions.
* ``.pt``, ``.pth``, ``.pkl``, any other suffix or none: a torch file read
  with ``torch.load(weights_only=True)``, which only rebuilds tensors and
  plain containers: a state dict of an ``nn.Sequential`` MLP, a dict
  ``{"W0": ..., "b0": ...}``, or a list ``[W0, b0, W1, b1, ...]`` (or of
  ``(W, b)`` pairs). A whole pickled ``nn.Module`` needs full unpickling,
  which runs code from the file: only with ``trust=True`` (CLI
  ``--trust-pickle``).

A state dict holds no architecture. It is read as ``nn.Sequential`` Linear
layers in the order of their indices, with **a ReLU between two Linear
layers whose indices are not adjacent** (``0.weight, 2.weight``: a
parameter-free module sat at index 1) and none between adjacent ones
(``0, 1``: the two maps compose). Any other parameter (``running_mean``, a
convolution's 4-D weight, ...) is refused, as is a LeakyReLU, which a state
dict cannot show: convert such a model with
:meth:`ReLUNetwork.from_torch` and save the result with
:meth:`ReLUNetwork.save_npz`.

Add a reader for a new format with :func:`register_loader`.

Example
-------
>>> import tempfile, os
>>> from polyregions import random_network
>>> net = random_network(2, [3], random_state=0)
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> net.save_npz(path)
>>> load_network(path).fingerprint() == net.fingerprint()
True
"""

from __future__ import annotations

import json
import os
import pickle
import pickletools
import re
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._validation import with_context
from .network import ReLUNetwork

__all__ = ["LOADERS", "load_network", "register_loader", "network_from_arrays", "network_from_dict",
           "network_from_state_dict"]

TRUST_HINT = ("If you trust this file, load it with load_network(path, trust=True) (CLI: "
              "--trust-pickle); better, save the weights in a format that holds no code: "
              "torch.save(model.state_dict(), path) or "
              "ReLUNetwork.from_torch(model).save_npz(path).")


# ------------------------------------------------------------------ arrays
_NAMED_KEY = re.compile(r"^([Wb])(0|[1-9][0-9]*)$")


def network_from_arrays(arrays, source="the arrays"):
    """Network from a mapping ``{"W0": ..., "b0": ..., ..., "negative_slopes": ...}``.

    Every key must be ``W<l>``, ``b<l>`` or ``negative_slopes``; the layers
    must be numbered ``0..L-1`` without a gap, each with its bias.

    Parameters
    ----------
    arrays : mapping of str to array_like
    source : str
        Named in error messages (e.g. the file).

    Raises
    ------
    ValueError
        Naming unknown keys, gaps, missing biases, or (from
        :meth:`ReLUNetwork.from_weights`) bad values and shapes.

    Examples
    --------
    >>> network_from_arrays({"W0": [[1.0, 2.0]], "b0": [0.5]}).widths
    ()
    >>> network_from_arrays({"W0": [[1.0]], "b0": [0.0], "W2": [[1.0]], "b2": [0.0]})
    Traceback (most recent call last):
    ...
    ValueError: the arrays: layer numbering has a gap: W0, W2 without W1; layers must be numbered W0, W1, ... with no gap.
    """
    keys = list(arrays.keys())
    layers = {"W": {}, "b": {}}
    unknown = []
    for k in keys:
        m = _NAMED_KEY.match(str(k))
        if m:
            layers[m.group(1)][int(m.group(2))] = k
        elif k != "negative_slopes":
            unknown.append(str(k))
    if not layers["W"]:
        raise ValueError(
            f"{source} holds {sorted(map(str, keys))}; expected arrays named W0, b0, W1, b1, ..."
        )
    if unknown:
        raise ValueError(
            f"{source}: unexpected arrays {sorted(unknown)}; a network file holds only W0, b0, "
            "W1, b1, ... and optionally negative_slopes."
        )
    W_idx = sorted(layers["W"])
    L = len(W_idx)
    if W_idx != list(range(L)):
        missing = sorted(set(range(W_idx[-1] + 1)) - set(W_idx))
        present = ", ".join(f"W{l}" for l in W_idx)
        raise ValueError(
            f"{source}: layer numbering has a gap: {present} without "
            f"{', '.join(f'W{l}' for l in missing)}; layers must be numbered W0, W1, ... with "
            "no gap."
        )
    missing_b = [f"b{l}" for l in range(L) if l not in layers["b"]]
    if missing_b:
        raise ValueError(f"{source} lacks bias arrays {missing_b}; every W<l> needs its b<l>.")
    extra_b = sorted(f"b{l}" for l in layers["b"] if l >= L)
    if extra_b:
        raise ValueError(f"{source} has bias arrays {extra_b} without their weight matrices.")
    slopes = arrays["negative_slopes"] if "negative_slopes" in keys else 0.0
    try:
        return ReLUNetwork.from_weights([arrays[layers["W"][l]] for l in range(L)],
                                        [arrays[layers["b"][l]] for l in range(L)],
                                        negative_slope=_slopes(slopes, L - 1, source))
    except ValueError as exc:
        raise with_context(exc, source) from None


def _slopes(slopes, n_hidden, source):
    arr = np.asarray(slopes)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{source}: negative_slopes must be real numbers; got dtype {arr.dtype}.")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n_hidden):
        raise ValueError(
            f"{source}: negative_slopes has shape {arr.shape}; expected one slope per hidden "
            f"layer, shape ({n_hidden},), or a single number."
        )
    return arr.astype(np.float64) if arr.ndim else float(arr)


# ------------------------------------------------------------ state dicts
_SD_KEY = re.compile(r"^(.*?)(0|[1-9][0-9]*)\.(weight|bias)$")


def network_from_state_dict(state_dict, source="the state dict"):
    """Network from the ``state_dict()`` of an ``nn.Sequential`` of Linear and ReLU layers.

    Linear layers are taken in the order of their index in the Sequential;
    a ReLU is assumed between two whose indices are not adjacent, none
    between adjacent ones (see the module docstring). Values may be torch
    tensors or arrays.

    Raises
    ------
    ValueError
        For a key that is not ``<prefix><index>.weight`` / ``.bias`` of one
        Sequential, a weight that is not 2-D, or bad values.

    Examples
    --------
    >>> import numpy as np
    >>> sd = {"0.weight": np.ones((3, 2)), "0.bias": np.zeros(3),
    ...       "2.weight": np.ones((1, 3)), "2.bias": np.zeros(1)}
    >>> network_from_state_dict(sd).widths
    (3,)
    """
    layers = {}
    prefixes = set()
    for key, value in state_dict.items():
        m = _SD_KEY.match(str(key))
        if m is None:
            raise ValueError(
                f"{source} holds {key!r}, which is not the weight or bias of a Linear layer in an "
                "nn.Sequential. A state dict has no architecture, so only Sequential(Linear, "
                "ReLU, ..., Linear) state dicts can be read; convert other models with "
                "ReLUNetwork.from_torch(model) and save them with .save_npz(path)."
            )
        prefixes.add(m.group(1))
        layers.setdefault(int(m.group(2)), {})[m.group(3)] = _to_array(value, str(key), source)
    if not layers:
        raise ValueError(f"{source} is empty; expected the state dict of an nn.Sequential MLP.")
    if len(prefixes) > 1:
        raise ValueError(
            f"{source} mixes the parameters of several modules ({sorted(prefixes)}); expected "
            "one nn.Sequential."
        )
    weights, biases = [], []
    previous = None
    for idx in sorted(layers):
        entry = layers[idx]
        if "weight" not in entry:
            raise ValueError(f"{source}: layer {idx} has a bias but no weight.")
        W = entry["weight"]
        if W.ndim != 2:
            raise ValueError(
                f"{source}: layer {idx}'s weight has shape {W.shape}; only Linear layers "
                "(2-D weights) can be read from a state dict."
            )
        b = entry.get("bias", np.zeros(W.shape[0]))
        if previous is not None and idx == previous + 1:
            # Adjacent Linear layers: no activation between them, so they compose.
            M, m = weights[-1], biases[-1]
            if W.shape[1] != M.shape[0]:
                raise ValueError(
                    f"{source}: layer {idx} expects {W.shape[1]} inputs but layer {previous} "
                    f"has {M.shape[0]} outputs."
                )
            weights[-1], biases[-1] = W @ M, W @ m + b
        else:
            weights.append(W)
            biases.append(b)
        previous = idx
    try:
        return ReLUNetwork.from_weights(weights, biases)
    except ValueError as exc:
        raise with_context(exc, source) from None


def _to_array(value, name, source):
    """A tensor or array as a numpy array, refusing complex and non-numeric data."""
    if hasattr(value, "detach") and hasattr(value, "is_complex"):  # a torch tensor
        if value.is_complex():
            raise ValueError(f"{source}: {name} is a complex tensor; weights must be real.")
        value = value.detach().cpu()
        if value.is_floating_point():
            value = value.double()
        value = value.numpy()
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{source}: {name} has dtype {arr.dtype}; weights must be real numbers.")
    return arr


def _network_from_object(obj, source):
    """Interpret what a (safe) torch.load returned."""
    if isinstance(obj, Mapping):
        for wrapper in ("state_dict", "model_state_dict"):
            if isinstance(obj.get(wrapper), Mapping):
                obj = obj[wrapper]
                break
        if obj and all(isinstance(k, str) and (_NAMED_KEY.match(k) or k == "negative_slopes")
                       for k in obj):
            return network_from_arrays({k: _to_array(v, k, source) for k, v in obj.items()},
                                       source)
        return network_from_state_dict(obj, source)
    if isinstance(obj, (list, tuple)) and obj:
        if all(isinstance(x, (list, tuple)) and len(x) == 2 for x in obj):
            flat = [t for pair in obj for t in pair]
        else:
            flat = list(obj)
        if len(flat) % 2:
            raise ValueError(
                f"{source} holds a list of {len(flat)} tensors; expected W0, b0, W1, b1, ... "
                "(an even number) or a list of (W, b) pairs."
            )
        arrays = [_to_array(t, f"item {k}", source) for k, t in enumerate(flat)]
        return network_from_arrays(
            {f"{'W' if k % 2 == 0 else 'b'}{k // 2}": a for k, a in enumerate(arrays)}, source)
    raise ValueError(
        f"{source} holds a {type(obj).__name__}; expected the state dict of an nn.Sequential, "
        "a dict of W0, b0, ... or a list of tensors W0, b0, W1, b1, ..."
    )


# ---------------------------------------------------------------- readers
def _load_npz(path, trust=False):
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ValueError(
                f"{path} is not an .npz archive (a zip of .npy arrays): it holds pickled or other "
                "data, which polyregions does not unpickle. Write networks with "
                "ReLUNetwork.save_npz(path)."
            ) from None
        raise ValueError(f"{path} is not a readable .npz archive: {exc}") from None
    except (EOFError, zipfile.BadZipFile, OSError) as exc:
        what = "is empty" if isinstance(exc, EOFError) else f"is not a valid .npz archive ({exc})"
        raise ValueError(f"{path} {what}; expected arrays W0, b0, W1, b1, ... as written by "
                         "ReLUNetwork.save_npz.") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds a single .npy array, not an .npz archive of W0, b0, ...")
    try:
        with data:
            arrays = {}
            for key in data.files:
                try:
                    arrays[key] = data[key]
                except ValueError as exc:
                    raise ValueError(
                        f"{path}: array {key!r} cannot be read without unpickling "
                        f"(object dtype?): {exc}") from None
    except (EOFError, zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise ValueError(f"{path} is truncated or corrupt: {exc}") from None
    for key, arr in arrays.items():
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{path}: member {key!r} is not a .npy array; the archive is corrupt "
                             "or was not written by numpy.")
        if arr.dtype.kind not in "biuf":
            kind = {"c": "complex", "U": "string", "S": "bytes", "O": "object"}.get(
                arr.dtype.kind, str(arr.dtype))
            raise ValueError(f"{path}: array {key!r} has {kind} values (dtype {arr.dtype}); "
                             "weights must be real numbers.")
    return network_from_arrays(arrays, str(path))


def network_from_dict(doc):
    """The network (:class:`ReLUNetwork` or, for ``type: "PLNetwork"``, a graph) written by ``to_dict``.

    The one reader of the serialised network, for network files and for the
    network embedded in an exported result.

    >>> net = ReLUNetwork.from_weights([[[1.0]], [[2.0]]], [[0.0], [0.0]])
    >>> network_from_dict(net.to_dict()).fingerprint() == net.fingerprint()
    True
    """
    if isinstance(doc, dict) and doc.get("type") == "PLNetwork":
        from .plnetwork import PLNetwork

        return PLNetwork.from_dict(doc)
    return ReLUNetwork.from_dict(doc)


def _load_json(path, trust=False):
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a JSON file: {exc}") from None
    if isinstance(doc, dict) and doc.get("format") == "polyregions.RegionSet":
        doc = doc.get("network")
    try:
        return network_from_dict(doc)
    except (TypeError, ValueError) as exc:
        raise with_context(exc, path) from None


def _load_onnx(path, trust=False):
    """An ONNX file: a protobuf graph and its weights, parsed as data (no code runs)."""
    from .convert import from_onnx
    from .network import UnsupportedLayerError

    try:
        return from_onnx(path)
    except UnsupportedLayerError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _import_torch(path):
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{path} is read as a torch file, which needs torch: pip install 'polyregions[torch]' "
            "(or save the weights with ReLUNetwork.save_npz)."
        ) from None
    return torch


def _holds_a_pickle(path):
    """Whether the safe unpickler refused a real pickle (not garbage), parsed without running it.

    A torch zip archive always holds one; otherwise the file must parse as a
    pickle opcode stream up to its STOP (:mod:`pickletools` only reads opcodes).
    """
    if zipfile.is_zipfile(path):
        return True
    try:
        with open(path, "rb") as f:
            for _ in pickletools.genops(f):
                pass
    except Exception:  # noqa: BLE001 - any parse failure means "not a pickle"
        return False
    return True


def _load_torch(path, trust=False):
    torch = _import_torch(path)
    try:
        with warnings.catch_warnings():
            # Plain pickles (protocol > 2) make the safe unpickler warn before it refuses them.
            warnings.filterwarnings("ignore", message=".*pickle protocol", category=UserWarning)
            obj = torch.load(path, map_location="cpu", weights_only=not trust)
    except pickle.UnpicklingError as exc:
        if not trust and _holds_a_pickle(path):
            raise ValueError(
                f"{path} holds pickled Python objects other than tensors (for example a whole "
                "nn.Module), and unpickling them could run code stored in the file, so it was "
                f"not loaded. {TRUST_HINT}"
            ) from None
        raise ValueError(f"{path} is not a readable torch file: {exc}") from None
    except Exception as exc:  # torch raises EOFError, KeyError, RuntimeError, ... on bad files
        detail = str(exc).split(". ")[0] or type(exc).__name__
        raise ValueError(
            f"{path} is not a readable torch file ({type(exc).__name__}: {detail}); it is empty, "
            "truncated or in another format. Networks can also be read from .npz "
            "(ReLUNetwork.save_npz)."
        ) from None
    if isinstance(obj, torch.nn.Module):
        from .convert import from_torch

        # A dense Sequential gives a ReLUNetwork; a traced graph (residual blocks) a PLNetwork.
        return from_torch(obj)
    return _network_from_object(obj, str(path))


#: Reader for each file suffix (lower case); any other suffix is read by
#: :data:`DEFAULT_LOADER`. A reader is ``f(path, trust) -> ReLUNetwork``.
LOADERS = {
    ".npz": _load_npz,
    ".json": _load_json,
    ".pt": _load_torch,
    ".pth": _load_torch,
    ".pkl": _load_torch,
    ".onnx": _load_onnx,
}
DEFAULT_LOADER = _load_torch


def register_loader(suffix, loader):
    """Read files ending in ``suffix`` (e.g. ``".onnx"``) with ``loader(path, trust)``.

    The loader must return a :class:`ReLUNetwork` and raise ``ValueError``
    (naming the file) on a bad file; it must not run code from the file
    unless ``trust`` is true.

    >>> register_loader("npz", _load_npz)
    Traceback (most recent call last):
    ...
    ValueError: suffix must start with a dot, e.g. '.onnx'; got 'npz'.
    """
    if not isinstance(suffix, str) or not suffix.startswith("."):
        raise ValueError(f"suffix must start with a dot, e.g. '.onnx'; got {suffix!r}.")
    if not callable(loader):
        raise TypeError(f"loader must be callable; got {type(loader).__name__}.")
    LOADERS[suffix.lower()] = loader


def load_network(path, *, trust=False):
    """Load a network from a file, without running code stored in it unless ``trust``.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npz`` of ``W0, b0, ...``; ``.json`` of :meth:`ReLUNetwork.to_dict`;
        anything else a torch file (state dict, dict or list of tensors; see
        the module docstring).
    trust : bool, default False
        Allow full unpickling of torch files, needed for a whole pickled
        ``nn.Module``. Unpickling runs any code the file's author put in it:
        use it only for files you made or trust.

    Returns
    -------
    ReLUNetwork

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        For a file that cannot be read as a network (empty, truncated, wrong
        keys or dtypes, shapes that do not chain, NaN/inf, a pickle that
        needs ``trust=True``), naming the problem.
    ImportError
        For a torch file without torch installed.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path; got {type(path).__name__}.")
    if not isinstance(trust, (bool, np.bool_)):
        raise TypeError(f"trust must be True or False; got {trust!r}.")
    path = Path(path)
    if str(path) in ("", "."):
        raise ValueError("path is empty; give the model file to load.")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a model file.")
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    loader = LOADERS.get(path.suffix.lower(), DEFAULT_LOADER)
    return loader(path, bool(trust))
