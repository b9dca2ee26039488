"""Checks of user input at the API boundary, one per kind of mistake.

Every public function validates its arguments here, so the same mistake
gets the same exception and message everywhere. Each kind of mistake has its
own exception class, named below; each message names the parameter and says
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
polyregions._validation.OutOfRangeError: n_samples must be >= 1; got 0.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "NotAnIntegerError",
    "NotARealNumberError",
    "OutOfRangeError",
    "InvalidLevelError",
    "InvalidChoiceError",
    "InvalidRandomStateError",
    "InvalidPointsError",
    "check_int",
    "check_real",
    "check_time_limit",
    "check_level",
    "check_choice",
    "check_random_state",
    "check_points",
]


class NotAnIntegerError(TypeError, ValueError):
    """A count or index was not an integer (a float, a bool, a string...)."""


class NotARealNumberError(TypeError, ValueError):
    """A number was expected and something else was given."""


class OutOfRangeError(ValueError):
    """A number outside its allowed range (including NaN and, mostly, infinity)."""


class InvalidLevelError(TypeError, ValueError):
    """A confidence level that is not a number strictly between 0 and 1."""


class InvalidChoiceError(ValueError):
    """A string option that is not one of the accepted values."""


class InvalidRandomStateError(TypeError, ValueError):
    """A ``random_state`` that is not ``None``, an int seed or a numpy Generator."""


class InvalidPointsError(TypeError, ValueError):
    """Points of the wrong dtype or shape, or with NaN/infinite coordinates."""


def check_int(value, name, *, minimum=1, allow_none=False, integral_float=False):
    """``value`` as an ``int >= minimum`` (``None`` passes if ``allow_none``).

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
    polyregions._validation.NotAnIntegerError: n_lines must be an integer; got 2.0.
    """
    if value is None and allow_none:
        return None
    if (integral_float and isinstance(value, numbers.Real) and not isinstance(value, bool)
            and not isinstance(value, np.bool_) and float(value).is_integer()):
        value = int(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise NotAnIntegerError(f"{name} must be an integer; got {value!r}.")
    if value < minimum:
        raise OutOfRangeError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


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
    polyregions._validation.OutOfRangeError: radius must be a finite number; got nan.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise NotARealNumberError(f"{name} must be a real number; got {value!r}.")
    x = float(value)
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise OutOfRangeError(f"{name} must be a finite number; got {value!r}.")
    if low is not None and (x < low or (low_open and x == low)):
        raise OutOfRangeError(f"{name} must be {'>' if low_open else '>='} {low:g}; got {value!r}.")
    if high is not None and (x > high or (high_open and x == high)):
        raise OutOfRangeError(f"{name} must be {'<' if high_open else '<='} {high:g}; got {value!r}.")
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
    polyregions._validation.InvalidLevelError: level must be strictly between 0 and 1 (e.g. 0.95); got 1.0.
    """
    if isinstance(level, bool) or not isinstance(level, numbers.Real):
        raise InvalidLevelError(
            f"level must be a number strictly between 0 and 1 (e.g. 0.95); got {level!r}.")
    if not 0 < level < 1:
        raise InvalidLevelError(f"level must be strictly between 0 and 1 (e.g. 0.95); got {level!r}.")
    return float(level)


def check_choice(value, name, choices):
    """``value`` if it is one of ``choices``, else a ``ValueError`` listing them."""
    if not isinstance(value, str) or value not in choices:
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


def check_points(X, dim, name="X"):
    """``X`` as a finite float64 array of shape ``(n, dim)`` (one point may be given as ``(dim,)``).

    Examples
    --------
    >>> check_points([1.0, 2.0], 2).shape
    (1, 2)
    >>> check_points([[1.0, 2.0, 3.0]], 2)
    Traceback (most recent call last):
    ...
    polyregions._validation.InvalidPointsError: X must have shape (n, 2) (one point per row); got shape (1, 3).
    """
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise InvalidPointsError(f"{name} must hold real numbers; got an array of dtype {arr.dtype}.")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 1 and arr.size == dim:
        arr = arr.reshape(1, dim)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise InvalidPointsError(f"{name} must have shape (n, {dim}) (one point per row); got shape "
                         f"{arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise InvalidPointsError(f"{name} contains NaN or infinite values.")
    return arr


def check_run_options(tolerances, max_regions, time_limit, n_jobs):
    """The options every enumeration entry point shares, checked once: ``(tolerances, n_jobs)``.

    ``tolerances=None`` becomes the defaults; ``n_jobs=-1`` becomes the CPU count.

    >>> tol, n = check_run_options(None, None, 2.5, 1)
    >>> type(tol).__name__, n
    ('Tolerances', 1)
    """
    import os

    from .tolerances import Tolerances

    tol = Tolerances() if tolerances is None else tolerances
    if not isinstance(tol, Tolerances):
        raise TypeError("tolerances must be a polyregions.Tolerances instance.")
    if max_regions is not None and (int(max_regions) != max_regions or max_regions < 1):
        raise ValueError(f"max_regions must be a positive integer; got {max_regions!r}.")
    if time_limit is not None and not (time_limit > 0):
        raise ValueError(f"time_limit must be positive (seconds); got {time_limit!r}.")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if int(n_jobs) != n_jobs or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all CPUs); got {n_jobs!r}.")
    return tol, int(n_jobs)
