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
import platform
from pathlib import Path

import numpy as np

from ._jsonsafe import to_plain, untag_float
from ._version import __version__
from .domain import domain_from_dict
from .network import ReLUNetwork
from .results import RegionSet
from .tolerances import Tolerances

__all__ = ["FORMAT", "FORMAT_VERSION", "to_json", "from_json", "equal_results",
           "result_differences", "software_versions"]

FORMAT = "polyregions.RegionSet"
FORMAT_VERSION = 1


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
    return [np.packbits(p).tobytes().hex() for p in patterns]


def _unpack(hexes, n_neurons):
    out = np.zeros((len(hexes), n_neurons), dtype=bool)
    n_bytes = -(-n_neurons // 8)
    for k, h in enumerate(hexes):
        try:
            raw = bytes.fromhex(h)
        except (TypeError, ValueError):
            raise ValueError(f"pattern {k} is not a hex string: {h!r}.") from None
        if len(raw) != n_bytes:
            raise ValueError(
                f"pattern {k} has {len(raw)} bytes; {n_neurons} neurons pack into {n_bytes}."
            )
        out[k] = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))[:n_neurons]
    return out


def _check_document(doc, network, dim):
    """Refuse a document whose parts do not fit together (edited, truncated or mixed files)."""
    problems = []
    R = doc.get("n_regions")
    N = network.n_neurons
    if not isinstance(R, int) or isinstance(R, bool) or R < 0:
        problems.append(f"n_regions is {R!r}, not a count")
        R = len(doc["radii"])
    if doc.get("n_neurons") != N:
        problems.append(f"n_neurons is {doc.get('n_neurons')!r} but the network has {N}")
    for name in ("patterns", "interior_points", "radii"):
        if len(doc[name]) != R:
            problems.append(f"{name} has {len(doc[name])} entries for {R} regions")
    if any(not isinstance(p, list) or len(p) != dim for p in doc["interior_points"]):
        problems.append(f"interior points must have {dim} coordinates (the domain's dimension)")
    radii = np.asarray(doc["radii"], dtype=np.float64)
    if radii.size and not np.all(radii > 0):
        problems.append("a certified radius is not positive")
    edges = np.asarray(doc["edges"] or np.zeros((0, 2)), dtype=np.float64).reshape(-1, 2)
    if edges.size and (np.any(edges != np.round(edges)) or edges.min() < 0 or edges.max() >= R
                       or np.any(edges[:, 0] == edges[:, 1])):
        problems.append(f"edges must join two different regions among 0..{R - 1}")
    if len(doc["edge_neurons"]) != len(edges):
        problems.append(
            f"edge_neurons has {len(doc['edge_neurons'])} entries for {len(edges)} edges")
    elif any(not e or not all(isinstance(k, int) and 0 <= k < N for k in e)
             for e in doc["edge_neurons"]):
        problems.append(f"edge_neurons must list neurons among 0..{N - 1}")
    if not isinstance(doc["complete"], bool):
        problems.append(f"complete is {doc['complete']!r}, not true/false")
    elif doc["complete"] != (doc["stop_reason"] is None):
        problems.append(
            f"complete={doc['complete']} contradicts stop_reason={doc['stop_reason']!r}")
    if problems:
        raise ValueError(
            "the region set in this file is inconsistent (" + "; ".join(problems) + "): it was "
            "edited, truncated or assembled from several runs. Re-run the enumeration."
        )


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
        "n_thin": rs.n_thin,
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


def from_json(text_or_path, network=None):
    """Rebuild a region set written by :func:`to_json`.

    Parameters
    ----------
    text_or_path : str or Path
        The JSON text, or a path to a file holding it.
    network : ReLUNetwork, optional
        Use this network object instead of rebuilding one from the stored
        weights; its fingerprint must match the stored one.

    Returns
    -------
    RegionSet

    Raises
    ------
    ValueError
        If the text is not a polyregions region set, was written by a newer
        format version, the weights do not match their fingerprint (the
        file was edited or corrupted, or ``network`` is a different network),
        or its parts do not fit together (counts, shapes, edges out of range,
        ``complete`` against ``stop_reason``).

    Notes
    -----
    The certificates themselves are not re-checked on load (that needs the
    geometry); call ``rs.verify()`` on the result for a full self-check, or
    ``rs.check_patterns()`` for the cheap forward-pass part.

    Examples
    --------
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> from_json(to_json(enumerate_regions(net, Box([-1, -1], [1, 1])))).n_regions
    2
    """
    if isinstance(text_or_path, Path) or not str(text_or_path).lstrip().startswith("{"):
        text = Path(text_or_path).read_text(encoding="utf-8")
    else:
        text = str(text_or_path)
    doc = json.loads(text, object_hook=untag_float)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"this is not a {FORMAT} JSON document (no matching 'format' field).")
    version = doc.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"format_version {version!r} is newer than this polyregions reads "
            f"({FORMAT_VERSION}); upgrade polyregions."
        )
    stored = doc["network"]
    if network is None:
        try:
            network = ReLUNetwork.from_dict(stored)
        except ValueError as exc:
            raise ValueError(f"{exc} Re-run the enumeration, or pass the original network=.") \
                from None
    elif network.fingerprint() != stored["sha256"]:
        raise ValueError(
            "network= is not the network this result was computed for (sha256 "
            f"{network.fingerprint()[:12]}... != stored {stored['sha256'][:12]}...)."
        )
    if doc.get("pattern_encoding", "packbits-hex") != "packbits-hex":
        raise ValueError(f"unknown pattern_encoding {doc['pattern_encoding']!r}.")
    domain = domain_from_dict(doc["domain"])
    _check_document(doc, network, domain.dim)
    patterns = _unpack(doc["patterns"], network.n_neurons)
    edges = np.asarray(doc["edges"], dtype=np.intp).reshape(-1, 2)
    return RegionSet(
        network, domain, patterns,
        np.asarray(doc["interior_points"], dtype=np.float64).reshape(-1, domain.dim),
        np.asarray(doc["radii"], dtype=np.float64),
        edges, doc["edge_neurons"], doc["complete"], doc["stop_reason"], doc["n_thin"],
        Tolerances(**doc["tolerances"]), doc["stats"],
    )


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
    for name in ("edge_neurons", "complete", "stop_reason", "n_thin"):
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
