"""Exception types shared by modules that must not import each other.

:class:`UnsupportedLayerError` is raised by the torch converter
(:mod:`polyregions._torch`) and re-exported by :mod:`polyregions.network`;
it lives here so that neither has to import the other for it.

>>> issubclass(UnsupportedLayerError, TypeError)
True
"""

__all__ = ["UnsupportedLayerError"]


class UnsupportedLayerError(TypeError):
    """A model contains a layer that is not piecewise linear and feed-forward."""
