"""Checks of user input at the API boundary, one per kind of mistake.

Every public function validates its arguments here, so the same mistake
gets the same exception and message everywhere. Each kind of mistake has its
own exception class, in :mod:`polyregions.errors`; each message names the parameter and says
what to pass instead. The classes derive from the builtin a caller would
catch: a value outside its allowed range is a :class:`ValueError`; a value
of the wrong kind (a float or a bool where a count is expected, a string
for a level) is both a :class:`TypeError` and a :class:`ValueError`, so
code written against either keeps working.

Example
-------
>>> check_int(5, "n_samples")
5
>>> check_int(0, "n_samples")
Traceback (most recent call last):
...
polyregions.errors.OutOfRangeError: n_samples must be >= 1 (a positive integer); got 0.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import (ConversionMismatchError, InvalidArrayError, InvalidChoiceError,
                     InvalidLevelError, InvalidPatternError, InvalidPointsError,
                     InvalidRandomStateError, NotAnIntegerError, NotARealNumberError,
                     OutOfRangeError)

__all__ = [
    "check_int",
    "check_real",
    "check_time_limit",
    "check_level",
    "check_choice",
    "check_random_state",
    "check_random_state_spec",
    "check_points",
    "check_array",
    "check_pattern",
    "check_max_regions",
    "check_n_jobs",
    "check_tolerances",
    "check_run_options",
    "check_conversion",
    "with_context",
]



def _int_phrase(minimum, out_of_range=False):
    """What a count must be, e.g. ``a positive integer (>= 1)``."""
    if minimum is None:
        return "an integer"
    if minimum in (0, 1):
        kind = "non-negative" if minimum == 0 else "positive"
        return f">= {minimum} (a {kind} integer)" if out_of_range else f"a {kind} integer (>= {minimum})"
    return f">= {minimum}" if out_of_range else f"an integer >= {minimum}"


def check_int(value, name, *, minimum=1, allow_none=False, integral_float=False):
    """``value`` as an ``int >= minimum`` (``None`` passes if ``allow_none``; ``minimum=None``: any int).

    Booleans are refused: ``True`` is an ``Integral`` but never meant as a count.
    With ``integral_float``, a float with an integer value (``3.0``, e.g. from a
    float array of widths) is accepted; ``2.5`` never is.

    Examples
    --------
    >>> check_int(None, "max_regions", allow_none=True) is None
    True
    >>> check_int(2.0, "n_lines")
    Traceback (most recent call last):
    ...
    polyregions.errors.NotAnIntegerError: n_lines must be a positive integer (>= 1); got 2.0.
    """
    if value is None and allow_none:
        return None
    if (integral_float and isinstance(value, numbers.Real) and not isinstance(value, bool)
            and not isinstance(value, np.bool_) and float(value).is_integer()):
        value = int(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise NotAnIntegerError(f"{name} must be {_int_phrase(minimum)}; got {value!r}.")
    if minimum is not None and value < minimum:
        raise OutOfRangeError(f"{name} must be {_int_phrase(minimum, True)}; got {value}.")
    return int(value)


def _real_phrase(low, high, low_open, high_open, allow_inf):
    """What a number must be, e.g. ``positive (> 0) and finite``."""
    parts = []
    if low == 0 and high is None:
        parts.append("positive (> 0)" if low_open else "non-negative (>= 0)")
    else:
        if low is not None:
            parts.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            parts.append(f"{'<' if high_open else '<='} {high:g}")
    if not allow_inf:
        parts.append("finite")
    return " and ".join(parts) if parts else "a number (not NaN)"


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False,
               allow_none=False, allow_inf=False):
    """``value`` as a float in the stated interval (``None`` passes if ``allow_none``).

    Examples
    --------
    >>> check_real(0.5, "radius", low=0.0, low_open=True)
    0.5
    >>> check_real(float("nan"), "radius")
    Traceback (most recent call last):
    ...
    polyregions.errors.OutOfRangeError: radius must be finite; got nan.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise NotARealNumberError(f"{name} must be a real number; got {value!r}.")
    x = float(value)
    bad = (math.isnan(x) or (math.isinf(x) and not allow_inf)
           or (low is not None and (x < low or (low_open and x == low)))
           or (high is not None and (x > high or (high_open and x == high))))
    if bad:
        raise OutOfRangeError(f"{name} must be {_real_phrase(low, high, low_open, high_open, allow_inf)}"
                              f"; got {value!r}.")
    return x


def check_time_limit(time_limit):
    """``None`` (no limit) or a positive number of seconds."""
    return check_real(time_limit, "time_limit", low=0.0, low_open=True, allow_none=True,
                      allow_inf=True)


def check_level(level):
    """A confidence level strictly between 0 and 1 (e.g. ``0.95``).

    Examples
    --------
    >>> check_level(1.0)
    Traceback (most recent call last):
    ...
    polyregions.errors.InvalidLevelError: level must be strictly between 0 and 1 (e.g. 0.95); got 1.0.
    """
    if isinstance(level, bool) or not isinstance(level, numbers.Real):
        raise InvalidLevelError(
            f"level must be a number strictly between 0 and 1 (e.g. 0.95); got {level!r}.")
    if not 0 < level < 1:
        raise InvalidLevelError(f"level must be strictly between 0 and 1 (e.g. 0.95); got {level!r}.")
    return float(level)


def check_choice(value, name, choices):
    """``value`` if it is one of ``choices`` (strings, or ``None``), else an error listing them.

    >>> check_choice(None, "bound", (None, "ibp", "lp")) is None
    True
    >>> check_choice("IBP", "bound", (None, "ibp", "lp"))
    Traceback (most recent call last):
    ...
    polyregions.errors.InvalidChoiceError: bound must be one of None, 'ibp', 'lp'; got 'IBP'.
    """
    if not any(value is c or (isinstance(value, str) and value == c) for c in choices):
        raise InvalidChoiceError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")
    return value


def check_random_state(random_state):
    """A :class:`numpy.random.Generator` from ``None``, an int seed or a Generator.

    ``None`` draws fresh entropy (sklearn's convention); pass an int for
    reproducible results.

    Examples
    --------
    >>> int(check_random_state(0).integers(10)) == int(check_random_state(0).integers(10))
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, numbers.Integral)
                                and not isinstance(random_state, bool)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, (np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(random_state)
    raise InvalidRandomStateError(
        f"random_state must be None, an int seed or a numpy Generator; got {random_state!r}."
    )


def check_random_state_spec(random_state):
    """Raise as :func:`check_random_state` would for ``random_state``, without building a
    generator (seeding one costs about 60 us: too much to only check an argument).

    >>> check_random_state_spec(0) is None
    True
    """
    if random_state is None or isinstance(random_state, np.random.Generator) or (
            isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
            and random_state >= 0):
        return None
    check_random_state(random_state)
    return None


def check_points(X, dim, name="X", *, input_shape=None, min_points=0, single=False):
    """``X`` as a finite float64 array of shape ``(n, dim)``; one point may be given as ``(dim,)``.

    Parameters
    ----------
    X : array_like
        The points, one per row.
    dim : int or None
        The dimension they must have (the network's input dimension);
        ``None`` accepts any dimension, the same for every point.
    name : str, default "X"
        The parameter's name in the messages.
    input_shape : tuple of int, optional
        A network's unflattened input shape (e.g. ``(1, 28, 28)``): points of
        shape ``input_shape`` or ``(n, *input_shape)`` are flattened.
    min_points : int, default 0
        Refuse fewer points (``1`` refuses an empty array).
    single : bool, default False
        Expect exactly one point and return it with shape ``(dim,)``.

    Returns
    -------
    ndarray
        A new or converted float64 array (never a view the caller could
        later see modified through ``X``, unless ``X`` was float64 already).

    Raises
    ------
    InvalidPointsError
        Non-numbers, a wrong dimension or shape, too few points, NaN or infinity.

    Examples
    --------
    >>> check_points([1.0, 2.0], 2).shape
    (1, 2)
    >>> check_points([[1.0, 2.0, 3.0]], 2)
    Traceback (most recent call last):
    ...
    polyregions.errors.InvalidPointsError: X must have shape (n, 2): points of dimension 2, one per row; got shape (1, 3).
    """
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError):  # e.g. rows of different lengths
        arr = None
    if dim is None:
        dim = arr.shape[-1] if arr is not None and arr.ndim in (1, 2) and arr.shape[-1] else "n0"
    if arr is not None and arr.dtype.kind not in "biuf":
        if arr.dtype.kind == "O" and all(isinstance(v, numbers.Real) for v in arr.ravel()):
            arr = arr.astype(np.float64)  # e.g. a list of Fractions
        else:
            arr = None
    if arr is None:
        raise InvalidPointsError(f"{name} must be an array of real numbers of shape (n, {dim}), one "
                                 f"point per row; got {type(X).__name__} {_short(X)}.")
    arr = arr.astype(np.float64, copy=False)
    if input_shape is not None and tuple(input_shape) != (dim,):
        if arr.shape == tuple(input_shape):
            arr = arr.reshape(1, dim)
        elif arr.ndim > 2 and arr.shape[1:] == tuple(input_shape):
            arr = arr.reshape(len(arr), dim)
    if single:
        if arr.ndim == 2 and arr.shape[0] == 1:
            arr = arr[0]
        if arr.shape != (dim,):
            raise InvalidPointsError(f"{name} must be one point of dimension {dim}, shape ({dim},); "
                                     f"got shape {arr.shape}.")
    else:
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != dim:
            shapes = f"shape (n, {dim})" + ("" if input_shape is None or tuple(input_shape) == (dim,)
                                             else f" or (n, *{tuple(input_shape)})")
            raise InvalidPointsError(f"{name} must have {shapes}: points of dimension {dim}, one "
                                     f"per row; got shape {arr.shape}.")
        if arr.shape[0] < min_points:
            raise InvalidPointsError(f"{name} is empty; pass at least {min_points} point"
                                     f"{'s' if min_points > 1 else ''}.")
    if not np.all(np.isfinite(arr)):
        raise InvalidPointsError(f"{name} contains NaN or infinite values; every coordinate must "
                                 "be finite.")
    return arr


def _short(x, n=60):
    r = repr(x)
    return r if len(r) <= n else r[:n - 3] + "..."


def check_array(a, name, what="parameter"):
    """``a`` as a new read-only finite float64 array (a weight matrix, a bias, a slope).

    Lists of ``Fraction`` or ``Decimal`` are accepted (converted to float64);
    strings, complex numbers, ``None`` and ragged lists are refused.

    Examples
    --------
    >>> check_array([[1, 2]], "weights[0]").flags.writeable
    False
    >>> check_array([1.0, float("nan")], "biases[0]", "weight and bias")
    Traceback (most recent call last):
    ...
    polyregions.errors.InvalidArrayError: biases[0] contains NaN values; every weight and bias must be finite.
    """
    try:
        arr = np.asarray(a)
        if arr.dtype.kind == "O" and all(isinstance(v, numbers.Real) for v in arr.ravel()):
            arr = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArrayError(f"{name} could not be converted to a float64 array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise InvalidArrayError(
            f"{name} holds {_KINDS.get(arr.dtype.kind, str(arr.dtype))} values (dtype {arr.dtype}); "
            f"every {what} must be a real number."
        )
    arr = np.array(arr, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "infinite"
        raise InvalidArrayError(f"{name} contains {bad} values; every {what} must be finite.")
    arr.setflags(write=False)
    return arr


def check_pattern(pattern, n_neurons):
    """``pattern`` as a boolean vector of ``n_neurons`` entries (one per hidden neuron).

    >>> check_pattern([1, 0], 2).tolist()
    [True, False]
    """
    p = np.asarray(pattern)
    if p.shape != (n_neurons,):
        raise InvalidPatternError(
            f"a pattern of this network has {n_neurons} entries (one per hidden neuron); got "
            f"shape {p.shape}.")
    return p.astype(bool)


_KINDS = {"c": "complex", "U": "string", "S": "bytes", "O": "non-numeric", "V": "structured",
          "M": "datetime", "m": "timedelta"}


def check_max_regions(max_regions):
    """``None`` (no budget) or a positive integer number of regions."""
    return check_int(max_regions, "max_regions", allow_none=True, integral_float=True)


def check_n_jobs(n_jobs):
    """A positive number of worker processes; ``-1`` means one per CPU.

    >>> check_n_jobs(2)
    2
    """
    import os

    if n_jobs == -1 and not isinstance(n_jobs, bool):
        return os.cpu_count() or 1
    try:
        return check_int(n_jobs, "n_jobs")
    except NotAnIntegerError:
        raise NotAnIntegerError(
            f"n_jobs must be a positive integer or -1 (all CPUs); got {n_jobs!r}.") from None
    except OutOfRangeError:
        raise OutOfRangeError(
            f"n_jobs must be a positive integer or -1 (all CPUs); got {n_jobs!r}.") from None


def check_tolerances(tolerances):
    """``tolerances`` or, for ``None``, the defaults; a :class:`TypeError` for anything else."""
    from .tolerances import Tolerances

    tol = Tolerances() if tolerances is None else tolerances
    if not isinstance(tol, Tolerances):
        raise TypeError(f"tolerances must be a polyregions.Tolerances instance; got "
                        f"{type(tol).__name__}. Build one with Tolerances(...) or pass None.")
    return tol


def check_run_options(tolerances, max_regions, time_limit, n_jobs):
    """The options every enumeration entry point shares, checked once: ``(tolerances, n_jobs)``.

    ``tolerances=None`` becomes the defaults; ``n_jobs=-1`` becomes the CPU count.

    >>> tol, n = check_run_options(None, None, 2.5, 1)
    >>> type(tol).__name__, n
    ('Tolerances', 1)
    """
    tol = check_tolerances(tolerances)
    check_max_regions(max_regions)
    check_time_limit(time_limit)
    return tol, check_n_jobs(n_jobs)


def check_conversion(mine, reference, *, source, float64, rtol=1e-9, atol=0.0, hint=""):
    """Raise unless a converted network's outputs ``mine`` match its source's ``reference``.

    The tolerance is ``rtol`` (float64 sources) or ``1e-4`` (float32) times
    the largest reference output (at least 1), and never below ``atol``; a
    NaN anywhere is a mismatch.

    >>> check_conversion([[1.0]], [[1.0 + 1e-12]], source="the torch module", float64=True)
    >>> check_conversion([[1.0]], [[1.1]], source="the torch module", float64=True)
    Traceback (most recent call last):
    ...
    polyregions.errors.ConversionMismatchError: the converted network differs from the torch module by 0.1 on random inputs.
    """
    mine = np.asarray(mine, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64).reshape(mine.shape)
    scale = max(1.0, float(np.abs(reference).max()))
    tol = max((rtol if float64 else 1e-4) * scale, atol)
    err = float(np.abs(mine - reference).max())
    if not err <= tol:
        raise ConversionMismatchError(
            f"the converted network differs from {source} by {err:.3g} on random inputs"
            + (f"; {hint}" if hint else "") + ".")


def with_context(exc, prefix):
    """``exc`` again as a ``ValueError`` whose message starts with ``prefix`` (e.g. the file).

    One of :mod:`polyregions.errors`' input classes is kept, so a mistake found while
    reading a file has the same type as the same mistake passed directly.

    >>> e = with_context(InvalidArrayError("weights[0] contains NaN values."), "net.npz")
    >>> type(e).__name__, str(e)
    ('InvalidArrayError', 'net.npz: weights[0] contains NaN values.')
    """
    cls = type(exc) if type(exc).__module__ == InvalidArrayError.__module__ else ValueError
    return cls(f"{prefix}: {exc}")
