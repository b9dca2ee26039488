"""Exception types shared by modules that must not import each other.

:class:`UnsupportedLayerError` is raised by the torch converter
(:mod:`polyregions._torch`) and re-exported by :mod:`polyregions.network`;
it lives here so that neither has to import the other for it.

:class:`InternalError` is what an engine raises when it fails on input that
passed every check at the boundary: a bug in polyregions, never the user's
mistake (the CLI exits 5, "failed", not 2, "bad input").

>>> issubclass(UnsupportedLayerError, TypeError)
True
>>> str(InternalError.wrap(ValueError("shapes (3,) and (2,) not aligned")))[:44]
'polyregions failed internally (a bug, not a '
"""

__all__ = ["UnsupportedLayerError", "InternalError"]


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
