"""The exceptions polyregions raises, one class per kind of mistake.

Input errors (raised by the checks in :mod:`polyregions._validation` at every
public entry point) derive from the builtin a caller would catch: a value out
of range is a :class:`ValueError`; a value of the wrong kind is both a
:class:`TypeError` and a :class:`ValueError`. Each message names the
parameter and says what to pass instead.

:class:`UnsupportedLayerError` is raised by the model converters for a layer
that is not piecewise linear and feed-forward.

:class:`InternalError` is what an engine raises when it fails on input that
passed every check at the boundary: a bug in polyregions, never the user's
mistake (the CLI exits 5, "failed", not 2, "bad input").

>>> issubclass(UnsupportedLayerError, TypeError)
True
>>> str(InternalError.wrap(ValueError("shapes (3,) and (2,) not aligned")))[:44]
'polyregions failed internally (a bug, not a '
"""

__all__ = ["UnsupportedLayerError", "InternalError",
           "NotAnIntegerError",
           "NotARealNumberError",
           "OutOfRangeError",
           "InvalidLevelError",
           "InvalidChoiceError",
           "InvalidRandomStateError",
           "InvalidPointsError",
           "InvalidArrayError",
           "InvalidPatternError",
           "DimensionMismatchError",
           "NotANetworkError",
           "NotADomainError",
           "ConversionMismatchError"]


class UnsupportedLayerError(TypeError):
    """A model contains a layer that is not piecewise linear and feed-forward."""


class InternalError(RuntimeError):
    """An engine failed on input that passed every check: a bug in polyregions, not bad input.

    The original exception is chained as ``__cause__``; the message says to report it.
    """

    @classmethod
    def wrap(cls, exc):
        """This error for ``exc`` (raise it ``from exc``), with a message saying to report it."""
        return cls(f"polyregions failed internally (a bug, not a problem with your input): "
                   f"{type(exc).__name__}: {exc}. Please report it to the polyregions issue "
                   "tracker with the command or call, the model and this traceback.")

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
    """Points of the wrong dtype or shape (a wrong input dimension), or with NaN/infinite coordinates."""


class InvalidArrayError(TypeError, ValueError):
    """A parameter array (weights, biases, a slope) that is not real numbers or holds NaN/infinity."""


class InvalidPatternError(ValueError):
    """An activation pattern with the wrong number of entries for its network."""


class DimensionMismatchError(ValueError):
    """A domain whose dimension is not the network's input dimension."""


class NotANetworkError(TypeError):
    """Something other than a network where a network is expected (or a graph where a dense one is)."""


class NotADomainError(TypeError):
    """Something other than a polyregions Domain (Box, Ball, ...) where a domain is expected."""


class ConversionMismatchError(ValueError):
    """A converted network (from torch or ONNX) that does not reproduce its source's outputs."""
