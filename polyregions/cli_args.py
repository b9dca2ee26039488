"""The command line's own arguments: the model and domain flags, and the input checks run first.

Every check here runs before any enumeration, so a bad argument or an output
path that cannot be written costs nothing (exit status 2, see
:mod:`polyregions.cli`). Domains: ``--box LO HI`` and ``--ball CENTER
RADIUS``, where LO, HI and CENTER are a number (every coordinate) or a comma
list, negative numbers included; or one token ``--box=LO,HI``,
``--box=lo_1,...,lo_n,hi_1,...,hi_n``, ``--ball=c_1,...,c_n,RADIUS``.

Example
-------
>>> join_domain_values(["count", "m.npz", "--box", "-1,-1", "1,1"])
['count', 'm.npz', '--box=-1,-1 1,1']
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from .domain import Ball, Box, WholeSpace
from . import loading

__all__ = ["CLIError", "add_domain_args", "check_budgets", "check_output", "check_plot_output",
           "domain_from_args", "join_domain_values", "load_model", "read_slice_points"]


class CLIError(Exception):
    """Bad input: ``main`` prints ``error: <message>`` and returns 2."""


# ---------------------------------------------------------------- domains
_NUMBER = r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)"
_NUMBER_LIST = re.compile(rf"^{_NUMBER}(?:,{_NUMBER})*$", re.IGNORECASE)
_DOMAIN_FLAGS = ("--box", "--ball")


def join_domain_values(argv):
    """Bind the values after ``--box``/``--ball`` to the flag before argparse sees them.

    argparse takes ``-1,-1`` or ``-1e12`` for an option and refuses them as
    values; up to two number lists after the flag become one token
    ``--box=LO HI``, which :func:`domain_from_args` splits again.
    """
    out, i = [], 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            out.extend(argv[i:])
            break
        if tok in _DOMAIN_FLAGS:
            j = i + 1
            while j < len(argv) and j - i <= 2 and _NUMBER_LIST.match(argv[j]):
                j += 1
            if j > i + 1:
                out.append(f"{tok}={' '.join(argv[i + 1:j])}")
                i = j
                continue
        out.append(tok)
        i += 1
    return out


def _numbers(text, what):
    parts = str(text).split(",")
    if any(not p.strip() for p in parts):
        raise CLIError(f"{what} has an empty entry: {text!r}")
    try:
        vals = np.array([float(p) for p in parts])
    except ValueError:
        raise CLIError(f"{what} must be a number or a comma-separated list of numbers; "
                       f"got {text!r}") from None
    if not np.all(np.isfinite(vals)):
        raise CLIError(f"{what} must be finite; got {text!r} (leave out --box/--ball for the "
                       "whole space)")
    return vals


def _vector(text, dim, what):
    vals = _numbers(text, what)
    if len(vals) == 1:
        return np.full(dim, vals[0])
    if len(vals) != dim:
        raise CLIError(f"{what} has {len(vals)} entries but the network takes {dim} inputs")
    return vals


def _box(text, dim):
    parts = str(text).split()
    if len(parts) == 2:
        return Box(_vector(parts[0], dim, "LO"), _vector(parts[1], dim, "HI"))
    if len(parts) == 1:
        vals = _numbers(parts[0], "--box")
        if len(vals) == 1:
            raise CLIError(f"--box needs LO HI (two numbers or two comma lists); got only {text!r}")
        if len(vals) == 2:
            return Box(np.full(dim, vals[0]), np.full(dim, vals[1]))
        if len(vals) == 2 * dim:
            return Box(vals[:dim], vals[dim:])
        raise CLIError(
            f"--box={parts[0]} has {len(vals)} numbers; a one-token box is LO,HI or "
            f"lo_1,...,lo_{dim},hi_1,...,hi_{dim} ({2 * dim} numbers)")
    raise CLIError(f"--box takes LO HI (two numbers or comma lists); got {text!r}")


def _ball(text, dim):
    parts = str(text).split()
    if len(parts) == 2:
        center = _vector(parts[0], dim, "CENTER")
        radius = _numbers(parts[1], "RADIUS")
        if len(radius) != 1:
            raise CLIError(f"RADIUS must be one number; got {parts[1]!r}")
        return Ball(center, float(radius[0]))
    if len(parts) == 1:
        vals = _numbers(parts[0], "--ball")
        if len(vals) == 1:
            raise CLIError(f"--ball needs CENTER RADIUS; got only {text!r}")
        if len(vals) == 2:
            return Ball(np.full(dim, vals[0]), float(vals[1]))
        if len(vals) == dim + 1:
            return Ball(vals[:dim], float(vals[-1]))
        raise CLIError(
            f"--ball={parts[0]} has {len(vals)} numbers; a one-token ball is CENTER,RADIUS or "
            f"c_1,...,c_{dim},RADIUS ({dim + 1} numbers)")
    raise CLIError(f"--ball takes CENTER RADIUS; got {text!r}")


def domain_from_args(args, dim):
    """The domain described by ``--box``/``--ball`` (whole space if neither)."""
    if args.box and args.ball:
        raise CLIError("give either --box or --ball, not both")
    try:
        if args.box:
            return _box(args.box, dim)
        if args.ball:
            return _ball(args.ball, dim)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    return WholeSpace(dim)


# ------------------------------------------------------------ other inputs
def load_model(args):
    """The network of the MODEL argument (``--trust-pickle`` allows unpickling)."""
    try:
        # looked up at call time: tests stand in for the loader
        return loading.load_network(args.model, trust=args.trust_pickle)
    except (OSError, ValueError, TypeError, ImportError) as exc:
        raise CLIError(f"cannot load {args.model}: {exc}") from None


def check_output(path, flag):
    """Refuse an output path that cannot be written, before any work is done."""
    p = Path(path)
    if str(path).strip() == "":
        raise CLIError(f"{flag} needs a file name")
    if p.is_dir():
        raise CLIError(f"{flag} {path} is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(f"{flag} {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise CLIError(f"{flag} {path} is not writable")


def check_plot_output(output):
    """Refuse ``plot -o OUTPUT`` without matplotlib or with a suffix it cannot write."""
    try:
        import matplotlib
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise CLIError("plot needs matplotlib: pip install 'polyregions[plot]'") from None
    del matplotlib
    suffix = Path(output).suffix.lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise CLIError(f"-o {output}: matplotlib cannot write .{suffix} files; use one of "
                       f"{', '.join('.' + f for f in sorted(formats))}")


def check_budgets(args):
    """Refuse a ``--time-limit`` that is not a positive number of seconds."""
    if args.time_limit is not None and not args.time_limit > 0:
        raise CLIError(f"--time-limit must be a positive number of seconds; got {args.time_limit}")


def read_slice_points(path, dim):
    """The three points of ``plot --slice POINTS.npy``, as a float64 ``(3, dim)`` array."""
    try:
        P = np.load(path, allow_pickle=False)
        if hasattr(P, "files"):  # an .npz: take its first array
            with P:
                P = P[P.files[0]]
        P = np.asarray(P)
    except Exception as exc:  # OSError, ValueError, EOFError, zipfile.BadZipFile, ...
        raise CLIError(f"cannot read --slice points from {path}: {exc}") from None
    if P.dtype.kind not in "biuf" or P.ndim != 2 or P.shape != (3, dim):
        raise CLIError(
            f"--slice needs 3 points of dimension {dim} (a real array of shape (3, {dim})); got "
            f"shape {P.shape} and dtype {P.dtype}")
    return P.astype(np.float64)


def add_domain_args(p):
    """The MODEL argument and the ``--trust-pickle``, ``--box`` and ``--ball`` flags of a subcommand."""
    p.add_argument("model", help=".npz of weights (W0, b0, W1, b1, ...), a network .json, or a "
                                 "torch file (state dict or tensors; a whole module needs "
                                 "--trust-pickle)")
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow unpickling a torch file (a whole saved nn.Module); unpickling runs "
                        "code stored in the file, so use it only for files you trust")
    p.add_argument("--box", metavar="LO HI",
                   help="box domain: LO and HI each a number (every coordinate) or a comma list, "
                        "e.g. --box -1 1, --box -1,-1 1,1, --box=-1,-1,1,1")
    p.add_argument("--ball", metavar="CENTER RADIUS",
                   help="Euclidean ball: CENTER a number or a comma list, e.g. --ball -0.5,0 1 "
                        "or --ball=-0.5,0,1")
