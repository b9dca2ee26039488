"""One JSON sanitiser for every writer: numpy scalars and arrays, tuples and non-finite floats.

Strict JSON has no NaN or infinity. Two policies exist, chosen by the caller:

* ``nonfinite="tag"`` (the region-set export, which must round-trip bit for
  bit): a non-finite float becomes ``{"$float": "inf"}`` (or ``"-inf"``,
  ``"nan"``), read back by :func:`untag_float`;
* ``nonfinite="null"`` (summaries for people and scripts): it becomes ``null``.

>>> import numpy as np
>>> to_plain({"a": np.float64(1.5), "b": (np.int64(2), float("inf"))})
{'a': 1.5, 'b': [2, {'$float': 'inf'}]}
>>> to_plain([np.nan, np.bool_(True)], nonfinite="null")
[None, True]
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["to_plain", "untag_float"]

_TAG = "$float"


def to_plain(obj, nonfinite="tag"):
    """Convert ``obj`` to JSON-ready Python objects (dict keys become strings).

    Parameters
    ----------
    obj
        Nested dicts, lists, tuples, numpy arrays and scalars, Python scalars.
    nonfinite : {"tag", "null"}, default "tag"
        What a NaN or infinite float becomes (see the module docstring).
    """
    if nonfinite not in ("tag", "null"):
        raise ValueError(f"nonfinite must be 'tag' or 'null'; got {nonfinite!r}.")
    return _plain(obj, nonfinite == "tag")


def _plain(obj, tag):
    if isinstance(obj, dict):
        return {str(k): _plain(v, tag) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v, tag) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist(), tag)
    if isinstance(obj, np.generic):
        return _plain(obj.item(), tag)
    if isinstance(obj, float) and not math.isfinite(obj):
        return {_TAG: repr(obj)} if tag else None
    return obj


def untag_float(d):
    """``json.loads`` object hook: ``{"$float": "inf"}`` back to ``float("inf")``.

    >>> import json
    >>> json.loads('[{"$float": "-inf"}, {"x": 1}]', object_hook=untag_float)
    [-inf, {'x': 1}]
    """
    if len(d) == 1 and _TAG in d:
        value = d[_TAG]
        if value not in ("inf", "-inf", "nan"):
            raise ValueError(f"a tagged float must be 'inf', '-inf' or 'nan'; got {value!r}.")
        return float(value)
    return d
