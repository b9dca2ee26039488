"""Write a :class:`~polyregions.RegionSet` to JSON and read it back, bit for bit.

The file holds everything needed to rebuild the result without re-running
the enumeration: the network's weights (and their SHA-256 fingerprint,
checked on load), the domain, the tolerances, the certified patterns,
interior points and radii, the adjacency graph, the run's status and
statistics, and the software versions that produced it. With
``include_halfspaces=True`` it also holds each region's H-representation,
for readers that do not have polyregions.

Floats are written by Python's ``repr`` (the shortest string that reads back
to the same float64), so a written-then-read result is identical:
:func:`equal_results` compares two results exactly. Non-finite floats, which
strict JSON cannot hold, are written as ``{"$float": "inf"}`` (or ``"-inf"``,
``"nan"``). Patterns are packed 8 neurons to a byte
(:func:`numpy.packbits`, first neuron in the high bit) and written as hex.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box, enumerate_regions
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
>>> equal_results(rs, from_json(to_json(rs)))
True
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np

from ._jsonsafe import to_plain, untag_float
from ._version import __version__
from .domain import domain_from_dict
from .loading import network_from_dict
from .recertify import recertify as recertify_result
from .results import RegionSet, pattern_keys
from .tolerances import Tolerances

__all__ = ["FORMAT", "FORMAT_VERSION", "to_json", "from_json", "equal_results",
           "result_differences", "software_versions"]

FORMAT = "polyregions.RegionSet"
#: 2 added ``status``, ``n_merged`` and ``n_undecided``; version 1 files are still read.
FORMAT_VERSION = 2


def software_versions() -> dict:
    """Versions of polyregions and of the libraries whose numerics it depends on.

    >>> sorted(software_versions())
    ['highspy', 'networkx', 'numpy', 'polyregions', 'python', 'scipy']
    """
    from importlib import metadata

    import scipy

    def dist_version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "polyregions": __version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "highspy": dist_version("highspy"),
        "networkx": dist_version("networkx"),
        "python": platform.python_version(),
    }


def _pack(patterns):
    return [k.hex() for k in pattern_keys(patterns)] if len(patterns) else []


def to_json(rs, path=None, include_halfspaces=False, *, indent=None):
    """Serialise a region set to JSON text, and optionally write it to ``path``.

    Parameters
    ----------
    rs : RegionSet
    path : str or Path, optional
        Also write the text there (UTF-8).
    include_halfspaces : bool, default False
        Add ``"halfspaces": [{"A": ..., "b": ...}, ...]``, region by region,
        in the domain's coordinates (as :meth:`RegionSet.halfspaces`). They
        are not needed to read the file back, only by other tools.
    indent : int, optional
        Passed to :func:`json.dumps`.

    Returns
    -------
    str

    Examples
    --------
    >>> import json, numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> doc = json.loads(to_json(enumerate_regions(net, Box([-1, -1], [1, 1]))))
    >>> doc["n_regions"], sorted(doc["patterns"])
    (2, ['00', '80'])
    """
    net = rs.network
    # from_json refuses fields it does not know: a new field goes into _FIELDS too.
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "software": software_versions(),
        "network": net.to_dict(),
        "domain": rs.domain.to_dict(),
        "tolerances": rs.tolerances.to_dict(),
        "n_regions": rs.n_regions,
        "n_neurons": net.n_neurons,
        "pattern_encoding": "packbits-hex",
        "patterns": _pack(rs.patterns),
        "interior_points": rs.interior_points.tolist(),
        "radii": rs.radii.tolist(),
        "edges": rs.edges.tolist(),
        "edge_neurons": [list(e) for e in rs.edge_neurons],
        "complete": rs.complete,
        "stop_reason": rs.stop_reason,
        "status": rs.status,
        "n_thin": rs.n_thin,
        "n_merged": rs.n_merged,
        "n_undecided": rs.n_undecided,
        "stats": rs.stats,
    }
    if include_halfspaces:
        doc["halfspaces"] = []
        for i in range(rs.n_regions):
            A, b = rs.halfspaces(i)
            doc["halfspaces"].append({"A": A.tolist(), "b": b.tolist()})
    text = json.dumps(to_plain(doc), indent=indent, allow_nan=False)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def from_json(text_or_path, network=None, *, recertify=True):
    """Rebuild a region set written by :func:`to_json`, checking what it claims.

    Parameters
    ----------
    text_or_path : str, bytes or os.PathLike
        The JSON text, or the path of a file holding it.
    network : ReLUNetwork, optional
        Use this network object instead of rebuilding one from the stored
        weights; its fingerprint must match the stored one.
    recertify : bool, default True
        Re-check the certificates cheaply (:func:`polyregions.recertify.recertify`):
        each interior point reproduces its pattern by a forward pass and lies
        in the domain, each radius fits inside its region's H-representation,
        no pattern repeats, edges flip their neurons' bits, and an
        ``"exact"`` result has a connected graph and covers a fixed uniform
        sample of the domain. About one forward pass; ``False`` skips it.

    Returns
    -------
    RegionSet

    Raises
    ------
    ValueError
        Naming the field: not a region set or not JSON, an empty string, a
        format version this reader does not know, weights that do not match
        their fingerprint (or a ``network`` that is not the stored one), a
        field of the wrong type or shape, a negative or non-finite number
        where none can occur, counts that disagree, a ``status`` that
        contradicts the other fields, or a certificate that does not hold.
    FileNotFoundError
        For a path (not JSON text) with no file.

    Notes
    -----
    What is not checked: that no region is missing. A region removed with
    its edges leaves a consistent file; the sample catches removed regions
    larger than about 1/1000 of the domain and the connectivity check
    removals that cut the graph, and ``rs.verify()`` (volume sum, Euler's
    formula in 2-D) catches any removal in low dimension. The optional
    ``halfspaces`` are checked for shape, not recomputed.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> from_json(to_json(enumerate_regions(net, Box([-1, -1], [1, 1])))).n_regions
    2
    >>> from_json('{"format": "polyregions.RegionSet", "format_version": -1}')
    Traceback (most recent call last):
    ...
    ValueError: field 'format_version': -1 is not a version this polyregions reads (1 to 2).
    """
    doc = _read_document(text_or_path)
    if doc.get("format") != FORMAT:
        raise ValueError(f"this is not a {FORMAT} JSON document (no matching 'format' field).")
    version = doc.get("format_version")
    if not _is_int(version) or not 1 <= version <= FORMAT_VERSION:
        newer = _is_int(version) and version > FORMAT_VERSION
        raise ValueError(
            f"field 'format_version': {version!r} is not a version this polyregions reads "
            f"(1 to {FORMAT_VERSION})" + ("; upgrade polyregions." if newer else "."))
    fields = _FIELDS_V1 if version == 1 else _FIELDS
    missing = sorted(fields - set(doc) - _OPTIONAL)
    unknown = sorted(set(doc) - fields)
    if missing or unknown:
        raise ValueError(
            "the region set in this file is inconsistent: "
            + "; ".join(([f"fields {missing} are missing"] if missing else [])
                        + ([f"fields {unknown} are unknown"] if unknown else []))
            + ". It was edited, truncated or assembled from several runs. Re-run the enumeration.")
    network = _read_network(doc["network"], network)
    domain = _parse_field("domain", lambda: domain_from_dict(_dict(doc, "domain")))
    _parse_field("domain", lambda: domain.check_network(network))
    tol = _parse_field("tolerances", lambda: Tolerances(**_dict(doc, "tolerances")))
    N, dim = network.n_neurons, domain.dim
    R = _count(doc, "n_regions")
    if doc["n_neurons"] != N:
        raise ValueError(f"field 'n_neurons': {doc['n_neurons']!r} but the network has {N}.")
    if doc.get("pattern_encoding") != "packbits-hex":
        raise ValueError(f"field 'pattern_encoding': unknown encoding {doc.get('pattern_encoding')!r}.")
    patterns = _unpack(_entries(doc, "patterns", R), N)
    points = _real_rows(_entries(doc, "interior_points", R), "interior_points", dim, "coordinates")
    radii = _real_rows([[r] for r in _entries(doc, "radii", R)], "radii", 1, "values").ravel()
    if R and not np.all(radii > 0):
        k = int(np.flatnonzero(~(radii > 0))[0])
        raise ValueError(f"field 'radii': entry {k} is {radii[k]!r}; a certified radius is a "
                         "positive number.")
    edges, edge_neurons = _read_edges(doc, R, N)
    complete, stop_reason = doc["complete"], doc["stop_reason"]
    if not isinstance(complete, bool):
        raise ValueError(f"field 'complete': {complete!r} is not true/false.")
    if stop_reason is not None and not isinstance(stop_reason, str):
        raise ValueError(f"field 'stop_reason': {stop_reason!r} is not a string or null.")
    if complete != (stop_reason is None):
        raise ValueError(f"field 'complete': complete={complete} contradicts "
                         f"stop_reason={stop_reason!r}.")
    n_thin = _count(doc, "n_thin")
    n_merged = _count(doc, "n_merged") if "n_merged" in doc else 0
    n_undecided = _count(doc, "n_undecided") if "n_undecided" in doc else 0
    if stop_reason == "undecided" and not n_undecided:
        raise ValueError("field 'stop_reason': 'undecided' but n_undecided is 0.")
    if n_undecided and complete:
        raise ValueError(f"field 'complete': true, but n_undecided={n_undecided} patterns were "
                         "left undecided.")
    stats = _dict(doc, "stats")
    if "software" in doc:
        _dict(doc, "software")
    if "halfspaces" in doc:
        _check_halfspaces(doc, R, dim)
    rs = RegionSet(network, domain, patterns, points, radii, edges, edge_neurons, complete,
                   stop_reason, n_thin, tol, stats, n_merged=n_merged, n_undecided=n_undecided)
    if "status" in doc and doc["status"] != rs.status:
        raise ValueError(f"field 'status': {doc['status']!r} contradicts the other fields, which "
                         f"make it {rs.status!r} ({rs.status_detail}).")
    if recertify:
        problems = recertify_result(rs)
        if problems:
            raise ValueError("the certificates in this file do not hold: " + "; ".join(problems)
                             + ". It was edited or corrupted; re-run the enumeration.")
    return rs


_FIELDS_V1 = {"format", "format_version", "software", "network", "domain", "tolerances",
              "n_regions", "n_neurons", "pattern_encoding", "patterns", "interior_points",
              "radii", "edges", "edge_neurons", "complete", "stop_reason", "n_thin", "stats",
              "halfspaces"}
_FIELDS = _FIELDS_V1 | {"status", "n_merged", "n_undecided"}
_OPTIONAL = {"software", "halfspaces"}


def _read_document(source):
    """The JSON object in ``source`` (text or path), or a ValueError saying why not."""
    if isinstance(source, (bytes, bytearray)):
        text = bytes(source).decode("utf-8")
    elif isinstance(source, os.PathLike):
        text = _read_file(Path(source))
    elif isinstance(source, str):
        if not source.strip():
            raise ValueError("from_json got an empty string; pass the JSON text or a file's path.")
        head = source.lstrip()[:1]
        if head in "{[":
            text = source
        elif "\n" not in source and Path(source).exists():
            text = _read_file(Path(source))
        else:
            try:
                value = json.loads(source)
            except ValueError:
                raise FileNotFoundError(
                    f"no file {source!r}, and the text is not JSON; from_json takes the JSON "
                    "text or a file's path.") from None
            raise ValueError(f"a region set is a JSON object; got {type(value).__name__} JSON.")
    else:
        raise TypeError(f"from_json takes JSON text or a path; got {type(source).__name__}.")

    def no_constants(token):
        raise ValueError(f"the JSON holds {token}, which strict JSON has no word for (to_json "
                         'writes non-finite numbers as {"$float": ...}).')

    try:
        doc = json.loads(text, object_hook=untag_float, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise ValueError(f"this is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"a region set is a JSON object; got {type(doc).__name__} JSON.")
    return doc


def _read_file(path):
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a region-set file.")
    if not path.exists():
        raise FileNotFoundError(f"no file {path}")
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise ValueError(f"{path} is empty.")
    return text


def _parse_field(name, build):
    try:
        return build()
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        if detail.startswith(f"field '{name}'"):
            raise ValueError(detail) from None
        raise ValueError(f"field '{name}': {detail}") from None


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _count(doc, name):
    v = doc[name]
    if not _is_int(v) or v < 0:
        raise ValueError(f"field '{name}': {v!r} is not a count (a non-negative integer).")
    return v


def _dict(doc, name):
    v = doc[name]
    if not isinstance(v, dict):
        raise ValueError(f"field '{name}' must be an object; got {type(v).__name__}.")
    return v


def _entries(doc, name, R):
    v = doc[name]
    if not isinstance(v, list):
        raise ValueError(f"field '{name}' must be a list; got {type(v).__name__}.")
    if len(v) != R:
        raise ValueError(f"field '{name}' has {len(v)} entries for {R} regions (n_regions).")
    return v


def _real_rows(rows, name, width, what):
    """A list of ``width``-long lists of finite real numbers as a float array."""
    for k, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            got = len(row) if isinstance(row, list) else type(row).__name__
            raise ValueError(f"field '{name}': entry {k} has {got} {what}; expected {width}.")
        for v in row:
            if not _is_real(v) or not np.isfinite(v):
                raise ValueError(f"field '{name}': entry {k} holds {v!r}; only finite numbers "
                                 "can occur here.")
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), width)


def _unpack(hexes, n_neurons):
    out = np.zeros((len(hexes), n_neurons), dtype=bool)
    n_bytes = -(-n_neurons // 8)
    for k, h in enumerate(hexes):
        try:
            raw = bytes.fromhex(h)
        except (TypeError, ValueError):
            raise ValueError(f"field 'patterns': entry {k} is not a hex string: {h!r}.") from None
        if len(raw) != n_bytes:
            raise ValueError(f"field 'patterns': entry {k} has {len(raw)} bytes; {n_neurons} "
                             f"neurons pack into {n_bytes}.")
        bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))
        if bits[n_neurons:].any():
            raise ValueError(f"field 'patterns': entry {k} sets padding bits beyond neuron "
                             f"{n_neurons - 1}.")
        out[k] = bits[:n_neurons]
    return out


def _read_edges(doc, R, N):
    edges = doc["edges"]
    if not isinstance(edges, list):
        raise ValueError(f"field 'edges' must be a list; got {type(edges).__name__}.")
    seen = set()
    for k, e in enumerate(edges):
        if (not isinstance(e, list) or len(e) != 2 or not all(_is_int(i) for i in e)
                or not all(0 <= i < R for i in e) or e[0] == e[1]):
            raise ValueError(f"field 'edges': entry {k} is {e!r}; edges must join two different "
                             f"regions among 0..{R - 1}.")
        pair = (min(e), max(e))
        if pair in seen:
            raise ValueError(f"field 'edges': regions {pair} are joined twice.")
        seen.add(pair)
    neurons = doc["edge_neurons"]
    if not isinstance(neurons, list) or len(neurons) != len(edges):
        got = len(neurons) if isinstance(neurons, list) else type(neurons).__name__
        raise ValueError(f"field 'edge_neurons' has {got} entries for {len(edges)} edges.")
    for k, e in enumerate(neurons):
        if (not isinstance(e, list) or not e or not all(_is_int(i) and 0 <= i < N for i in e)
                or len(set(e)) != len(e)):
            raise ValueError(f"field 'edge_neurons': entry {k} is {e!r}; each edge names one or "
                             f"more distinct neurons among 0..{N - 1}.")
    return np.asarray(edges, dtype=np.intp).reshape(-1, 2), neurons


def _read_network(stored, network):
    if not isinstance(stored, dict) or not isinstance(stored.get("sha256"), str):
        raise ValueError("field 'network' must be an object with the weights and their sha256.")
    if network is None:
        try:
            return network_from_dict(stored)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"field 'network': {exc} Re-run the enumeration, or pass the "
                             "original network=.") from None
    if network.fingerprint() != stored["sha256"]:
        raise ValueError(
            "network= is not the network this result was computed for (sha256 "
            f"{network.fingerprint()[:12]}... != stored {stored['sha256'][:12]}...).")
    return network


def _check_halfspaces(doc, R, dim):
    hs = _entries(doc, "halfspaces", R)
    for k, h in enumerate(hs):
        if not isinstance(h, dict) or set(h) != {"A", "b"}:
            raise ValueError(f"field 'halfspaces': entry {k} must be an object with A and b.")
        b = h["b"]
        if not isinstance(b, list):
            raise ValueError(f"field 'halfspaces': entry {k}'s b must be a list.")
        _real_rows(h["A"] if isinstance(h["A"], list) else [None], "halfspaces", dim,
                   "coordinates per row")
        _real_rows([[v] for v in b], "halfspaces", 1, "values")
        if len(h["A"]) != len(b):
            raise ValueError(f"field 'halfspaces': entry {k} has {len(h['A'])} rows in A and "
                             f"{len(b)} in b.")


def result_differences(a, b, *, compare_stats=True):
    """List what differs between two region sets (empty when they are identical).

    Arrays are compared exactly (bit-for-bit values, same shapes), networks by
    fingerprint, domains by :meth:`to_dict`.

    Parameters
    ----------
    a, b : RegionSet
    compare_stats : bool, default True
        Also compare ``stats`` (timings differ between two runs of the same
        enumeration, so switch this off to compare independent runs).

    Returns
    -------
    list of str

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> a = enumerate_regions(net, Box([-1, -1], [1, 1]))
    >>> b = enumerate_regions(net, Box([-2, -2], [2, 2]))
    >>> result_differences(a, b, compare_stats=False)
    ['domain', 'interior_points', 'radii']
    """
    out = []
    if a.network.fingerprint() != b.network.fingerprint():
        out.append("network")
    if a.domain.to_dict() != b.domain.to_dict():
        out.append("domain")
    if a.tolerances.to_dict() != b.tolerances.to_dict():
        out.append("tolerances")
    for name in ("patterns", "interior_points", "radii", "edges"):
        x, y = getattr(a, name), getattr(b, name)
        if x.shape != y.shape or not np.array_equal(x, y):
            out.append(name)
    for name in ("edge_neurons", "complete", "stop_reason", "n_thin", "n_merged", "n_undecided"):
        if getattr(a, name) != getattr(b, name):
            out.append(name)
    if compare_stats and to_plain(a.stats) != to_plain(b.stats):
        out.append("stats")
    return out


def equal_results(a, b, *, compare_stats=True):
    """Whether two region sets are identical; see :func:`result_differences`.

    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    >>> equal_results(rs, enumerate_regions(net, Box([-1, -1], [1, 1])), compare_stats=False)
    True
    """
    return not result_differences(a, b, compare_stats=compare_stats)
