"""Deprecation shims for names of the released 0.1 API that the naming table changed.

A renamed parameter keeps working under its old name for a while: the
decorator :func:`renamed_parameters` maps the old keyword to the new one and
emits a :class:`DeprecationWarning` that names the new spelling. Passing both
spellings is a ``TypeError``, since the call would be ambiguous.

Example
-------
>>> import warnings
>>> @renamed_parameters(a="start")
... def f(start):
...     return start
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     f(a=1), str(w[0].message)
(1, 'f(a=...) is deprecated; use f(start=...).')
"""

from __future__ import annotations

import functools
import inspect
import warnings

__all__ = ["renamed_parameters", "warn_renamed", "keyword_only_flags"]


def warn_renamed(old, new, *, stacklevel=3):
    """Emit the one deprecation message: ``old`` is deprecated, use ``new``."""
    warnings.warn(f"{old} is deprecated; use {new}.", DeprecationWarning, stacklevel=stacklevel)


def renamed_parameters(**old_to_new):
    """Decorator: accept each ``old=`` keyword as the new parameter, with a warning.

    Parameters
    ----------
    **old_to_new : str
        ``old_name="new_name"`` for each renamed parameter.
    """

    def decorate(fn):
        positional = [name for name, p in inspect.signature(fn).parameters.items()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        # Where each new name may be passed by position (None: keyword-only).
        position = {new: positional.index(new) if new in positional else None
                    for new in old_to_new.values()}

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    given = new in kwargs or (position[new] is not None
                                              and len(args) > position[new])
                    if given:
                        raise TypeError(f"{fn.__name__}: pass {new} ({old} is its deprecated "
                                        "name), not both.")
                    warn_renamed(f"{fn.__name__}({old}=...)", f"{fn.__name__}({new}=...)")
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return wrapper

    return decorate


def keyword_only_flags(n_positional, old_order):
    """Decorator: flags that 0.1 took by position (in ``old_order``) are keyword-only now.

    A call that still passes them by position works, with a warning, and
    means what it meant in 0.1.

    Parameters
    ----------
    n_positional : int
        Positional parameters the function keeps.
    old_order : sequence of str
        The names the extra positional arguments had, in the 0.1 order.
    """

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            extra = args[n_positional:]
            if extra:
                names = old_order[:len(extra)]
                for name, value in zip(names, extra):
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got multiple values for {name!r}.")
                    kwargs[name] = value
                warn_renamed(f"passing {', '.join(names)} to {fn.__name__}() by position",
                             f"{fn.__name__}(..., {', '.join(n + '=...' for n in names)})")
                args = args[:n_positional]
            return fn(*args, **kwargs)

        return wrapper

    return decorate
