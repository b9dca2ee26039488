"""Command-line interface: ``polyregions count MODEL --box LO HI`` and friends.

Subcommands: ``count`` (exact count), ``estimate`` (every estimator beside
the exact count), ``plot`` (a picture of a 2-D domain or plane slice),
``check`` (a bound against the certified zoo) and ``zoo`` (list or
regenerate the zoo).

MODEL is an ``.npz`` of weights (``W0, b0, W1, b1, ...``), a network
``.json`` or a torch file, read by :func:`polyregions.load_network`: nothing
is unpickled unless ``--trust-pickle`` is given.

Domains: ``--box LO HI`` and ``--ball CENTER RADIUS``, where LO, HI and
CENTER are a number (every coordinate) or a comma list, negative numbers
included (``--box -1,-1 1,1``, ``--box -1e12 1e12``, ``--ball -0.5,0 1``);
or one token: ``--box=LO,HI``, ``--box=lo_1,...,lo_n,hi_1,...,hi_n``,
``--ball=c_1,...,c_n,RADIUS`` (parsed in :mod:`polyregions.cli_args`, with
the other input checks that run before any enumeration).

Exit status, one table for every command and every combination of options
(when several rows apply, the first in the order 2, 1, 5, 3, 4, 0 wins):

=====  ====================================================================
0      exact count (and ``--verify`` passed); ``check``: no violation
1      a check failed: ``check`` found a violated bound (or could check
       nothing), or ``--verify`` found a wrong region
2      bad input (arguments, model file, domain, output path, a missing
       optional dependency); reported before any enumeration
3      lower bound or unfinished: a budget (``--max-regions``,
       ``--time-limit``), Ctrl-C or undecided patterns stopped the
       enumeration, or stopped ``--verify`` before it finished (the
       finished count is printed; it is exact only if its status says so)
4      exact only at a resolution (thin patterns or merged hyperplanes; the
       first line says how many)
5      failed: a solver error stopped the run (the printed number is a
       lower bound), or the run crashed (a traceback is printed; an
       engine's internal error says to report it, it is never exit 2)
130    Ctrl-C before any count existed
=====  ====================================================================
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from .errors import InternalError
from ._jsonsafe import to_plain
from .cli_args import (CLIError, add_domain_args, check_budgets, check_output, check_plot_output,
                       domain_from_args, join_domain_values, load_model, read_slice_points)

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOWER_BOUND = 3
EXIT_AT_RESOLUTION = 4
EXIT_FAILED = 5
EXIT_INTERRUPTED = 130
#: 0.1 name of :data:`EXIT_LOWER_BOUND`.
EXIT_INCOMPLETE = EXIT_LOWER_BOUND

#: Exit status of each :attr:`RegionSet.status`.
STATUS_EXIT = {"exact": EXIT_OK, "exact_at_resolution": EXIT_AT_RESOLUTION,
               "lower_bound": EXIT_LOWER_BOUND, "failed": EXIT_FAILED}
_PRECEDENCE = (EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_FAILED, EXIT_LOWER_BOUND,
               EXIT_AT_RESOLUTION, EXIT_OK)


def combine_exit(*codes):
    """The exit status when several rows of the table apply (2, 1, 5, 3, 4, 0 in that order).

    >>> combine_exit(EXIT_AT_RESOLUTION, EXIT_LOWER_BOUND, EXIT_OK)
    3
    >>> combine_exit(EXIT_LOWER_BOUND, EXIT_CHECK_FAILED)
    1
    """
    return min(codes, key=_PRECEDENCE.index)


# ============================================================== statuses
def status_line(rs):
    """The first line of ``count``: the number and its status.

    ``"N regions (exact)"``, ``"N regions (exact at resolution: ...)"``,
    ``"N regions at least (LOWER BOUND: ...)"`` or
    ``"N regions at least (FAILED: ...)"``.
    """
    n, st, detail = rs.n_regions, rs.status, rs.status_detail
    if st in ("exact", "exact_at_resolution"):
        return f"{n} regions ({detail})"
    label = "FAILED" if st == "failed" else "LOWER BOUND"
    why = re.sub(r"^(lower bound|failed)\s*", "", detail).strip()
    if why.startswith("(") and why.endswith(")"):
        why = why[1:-1]
    return f"{n} regions at least ({label}{': ' + why if why else ''})"


def _verify_function():
    """The self-check run by ``--verify`` (a seam the tests replace)."""
    from .verification import verify

    return verify


def _run_verify(rs, args, deadline):
    """Self-check the result; return ``(summary dict, text line, exit status)``.

    A lower bound or failed run gets only the forward-pass check (the volume
    sum and Euler's formula need every region). ``deadline`` is what is left
    of ``--time-limit``. Ctrl-C stops the checks, not the command.
    """
    if rs.stop_reason == "interrupted":
        return ({"status": "not run", "ok": False}, "not run (the enumeration was interrupted)",
                EXIT_LOWER_BOUND)
    try:
        if not rs.complete:
            bad = [int(k) for k in rs.check_patterns()]
            info = {"status": "failed" if bad else "partial", "ok": not bad,
                    "pattern_mismatches": len(bad), "checks": ["patterns"]}
            text = (f"{'FAILED' if bad else 'ok'}: {len(bad)} pattern mismatches (volume and "
                    "Euler checks skipped: the count is a lower bound)")
            return info, text, EXIT_CHECK_FAILED if bad else EXIT_OK
        remaining = None
        if deadline is not None:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return ({"status": "incomplete", "ok": False, "cut_short": ["all"]},
                        "not run: --time-limit used up by the enumeration", EXIT_LOWER_BOUND)
        report = _verify_function()(rs, random_state=args.seed, time_limit=remaining,
                                    progress=args.progress)
    except KeyboardInterrupt:
        return ({"status": "interrupted", "ok": False}, "interrupted (not finished)",
                EXIT_LOWER_BOUND)
    cut = list(report.cut_short)
    parts = [f"{len(report.pattern_mismatches)} pattern mismatches"]
    if report.volume is not None:
        parts.append(f"volume sum rel. error {report.volume.rel_error:.1e}")
    if report.euler is not None:
        parts.append(f"Euler characteristic {report.euler.chi}")
    parts += list(report.errors)
    failed = report.status == "failed"
    if report.ok:
        state, code = "ok", EXIT_OK
    elif failed:
        state, code = "FAILED", EXIT_CHECK_FAILED
    else:
        state, code = f"cut short by --time-limit ({', '.join(cut)} not finished)", \
            EXIT_LOWER_BOUND
    info = {
        "status": "passed" if report.ok else "failed" if failed else "incomplete",
        "ok": report.ok,
        "pattern_mismatches": len(report.pattern_mismatches),
        "volume_rel_error": report.volume.rel_error if report.volume else None,
        "euler_characteristic": report.euler.chi if report.euler else None,
        "errors": list(report.errors),
        "cut_short": cut,
    }
    return info, f"{state}: " + ", ".join(parts), code


# =============================================================== commands
def cmd_count(args):
    from .enumeration import enumerate_regions

    check_budgets(args)
    if args.save:
        check_output(args.save, "--save")
    net = load_model(args)
    domain = domain_from_args(args, net.input_dim)
    t0 = time.perf_counter()
    rs = enumerate_regions(
        net, domain, max_regions=args.max_regions, time_limit=args.time_limit,
        progress=args.progress, random_state=args.seed, n_jobs=args.jobs, method=args.method,
        client=args.scheduler, resume=args.resume,
    )
    # From here on the count exists: it is printed whatever happens next.
    codes = [STATUS_EXIT[rs.status]]
    notes = []
    verification = None
    try:
        if args.save:
            from .export import to_json

            try:
                to_json(rs, args.save, include_halfspaces=args.save_halfspaces)
            except OSError as exc:
                notes.append(f"error     cannot write {args.save}: {exc}")
                codes.append(EXIT_BAD_INPUT)
        if args.verify:
            deadline = None if args.time_limit is None else t0 + args.time_limit
            info, text, code = _run_verify(rs, args, deadline)
            verification = info
            notes.append(f"verify    {text}")
            codes.append(code)
    except KeyboardInterrupt:
        notes.append("interrupted")
        codes.append(EXIT_LOWER_BOUND)
    code = combine_exit(*codes)
    if args.json:
        summary = rs.summary()
        summary["pattern_mismatches"] = int(len(rs.check_patterns()))
        if verification is not None:
            summary["verification"] = verification
        summary["exit_status"] = code
        print(json.dumps(to_plain(summary, nonfinite="null"), indent=2))
        for line in notes:
            if line.startswith("error"):
                print(line, file=sys.stderr)
    else:
        print(status_line(rs))
        print(f"network   {net!r}")
        print(f"domain    {domain!r}")
        s = rs.stats
        print(f"time      {s['seconds']:.3f} s ({rs.n_regions / max(s['seconds'], 1e-9):.0f} "
              f"regions/s, {s['lp_calls'] / max(rs.n_regions, 1):.2f} LPs/region)")
        for line in notes:
            print(line)
    return code


def cmd_plot(args):
    from .domain import Slice
    from .enumeration import enumerate_regions

    check_budgets(args)
    check_output(args.output, "-o")
    check_plot_output(args.output)
    net = load_model(args)
    points = None
    if args.slice:
        if args.box or args.ball:
            raise CLIError("give --slice or a --box/--ball, not both")
        P = read_slice_points(args.slice, net.input_dim)
        try:
            domain = Slice.through_points(*P, margin=args.margin)
        except ValueError as exc:
            raise CLIError(str(exc)) from None
        points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    else:
        domain = domain_from_args(args, net.input_dim)
    if domain.dim != 2:
        raise CLIError(
            f"plot draws 2-D domains; this one has dimension {domain.dim}. Use --slice "
            "with three points to draw a plane through a higher-dimensional input space."
        )
    from .plotting import plot_regions

    rs = enumerate_regions(net, domain, max_regions=args.max_regions,
                           time_limit=args.time_limit, progress=args.progress)
    code = STATUS_EXIT[rs.status]
    try:
        plot_regions(rs, color_by=args.color_by, show_graph=args.graph, points=points,
                     path=args.output)
    except KeyboardInterrupt:
        print(f"{status_line(rs)}; drawing interrupted")
        return combine_exit(code, EXIT_LOWER_BOUND)
    where = "" if rs.complete else " (only part of the domain)"
    print(f"{status_line(rs)} drawn to {args.output}{where}")
    return code


def _add_estimate_parser(sub):
    p = sub.add_parser(
        "estimate",
        help="compare the sampling estimators with the exact count",
        description="Run Chao1, ACE, coverage, line and distance estimators on a network and "
                    "domain; with --exact also the exact engine, as the reference column.",
    )
    add_domain_args(p)
    p.add_argument("--samples", type=int, nargs="+", default=[1000, 10000], metavar="N",
                   help="pattern-sample sizes (default: 1000 10000)")
    p.add_argument("--lines", type=int, default=50, metavar="K",
                   help="random segments for the line statistics (0 to skip; default 50)")
    p.add_argument("--exact", action="store_true",
                   help="also run the exact engine as the reference (default: estimators only)")
    p.add_argument("--max-regions", type=int, default=None, help="budget of the exact engine")
    p.add_argument("--time-limit", type=float, default=None,
                   help="budget of the exact engine, in seconds")
    p.add_argument("--seed", type=int, default=0, help="random_state of all samples")
    p.add_argument("--progress", action="store_true", help="show progress bars on stderr")
    p.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    p.set_defaults(func=cmd_estimate)
    return p


def cmd_estimate(args):
    """``polyregions estimate``: print the comparison table; return the exit status."""
    from .compare import compare_estimators

    if not args.exact and (args.max_regions is not None or args.time_limit is not None):
        raise CLIError("--max-regions/--time-limit limit the exact engine; add --exact")
    check_budgets(args)
    net = load_model(args)
    domain = domain_from_args(args, net.input_dim)
    try:
        cmp = compare_estimators(net, domain, sample_sizes=tuple(args.samples), n_lines=args.lines,
                                 random_state=args.seed, exact=args.exact,
                                 time_limit=args.time_limit, max_regions=args.max_regions,
                                 progress=args.progress)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        print(json.dumps(cmp.to_dict(), indent=2))
    else:
        print(cmp.to_markdown())
    if not args.exact:
        return EXIT_OK
    status = getattr(cmp, "exact_status", None)
    if status is None:  # pragma: no cover - older comparison objects
        status = "exact" if cmp.exact_complete else (
            "failed" if cmp.stop_reason == "solver_error" else "lower_bound")
    return STATUS_EXIT[status]


def _import_function(spec):
    import importlib
    import importlib.util

    if ":" not in spec:
        raise CLIError(f"expected MODULE:FUNCTION or path.py:FUNCTION; got {spec!r}")
    mod_name, func_name = spec.rsplit(":", 1)
    try:
        if mod_name.endswith(".py"):
            path = Path(mod_name)
            loader_spec = importlib.util.spec_from_file_location(path.stem, path)
            if loader_spec is None or not path.exists():
                raise CLIError(f"no file {path}")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(mod_name)
    except CLIError:
        raise
    except Exception as exc:  # ImportError, or the file's own SyntaxError, NameError, ...
        raise CLIError(f"cannot import {mod_name}: {type(exc).__name__}: {exc}") from None
    try:
        return getattr(module, func_name)
    except AttributeError:
        raise CLIError(f"{mod_name} has no function {func_name!r}") from None


def cmd_check(args):
    from .testing import SHIPPED_UPPER_BOUNDS, check_bound

    if args.bound in SHIPPED_UPPER_BOUNDS:
        fn = SHIPPED_UPPER_BOUNDS[args.bound]
    else:
        fn = _import_function(args.bound)
    report = check_bound(fn, args.kind)
    print(report)
    return EXIT_OK if report.ok and report.n_checked else EXIT_CHECK_FAILED


def cmd_zoo(args):
    from .testing import load_zoo, regenerate_zoo

    if args.regenerate:
        if args.output:
            check_output(args.output, "--output")
        recs = regenerate_zoo(args.output, progress=True)
        print(f"certified {len(recs)} entries")
        return EXIT_OK
    for e in load_zoo():
        print(f"{e.exact_count:>8}  {e.kind:<12} {e.name}")
    return EXIT_OK


# ================================================================ parser
def build_parser():
    parser = argparse.ArgumentParser(
        prog="polyregions", description="Exact linear regions of ReLU networks.",
        epilog="Exit status: 0 exact, 1 a check failed, 2 bad input, 3 lower bound or "
               "unfinished, 4 exact at a resolution, 5 solver failure, 130 Ctrl-C before any "
               "count (see the README).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("count", help="count the activation regions of a network in a domain")
    add_domain_args(p)
    p.add_argument("--max-regions", type=int, default=None, help="stop after this many regions")
    p.add_argument("--time-limit", type=float, default=None,
                   help="stop after this many seconds (enumeration and --verify together)")
    p.add_argument("--seed", type=int, default=0, help="random_state for the seed point")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (-1: one per CPU)")
    p.add_argument("--method", choices=["auto", "lp", "subdivision"], default="auto",
                   help="engine: LP search, vectorised subdivision (boxes, slices, 2-D polygons), "
                        "or auto (picks by domain and dimension)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run on a dask cluster (e.g. tcp://host:8786); needs polyregions[distributed]")
    p.add_argument("--resume", metavar="PROGRESS.json", default=None,
                   help="distributed progress file: skip the parts it records as finished and "
                        "write progress to it (a local cluster of --jobs workers without "
                        "--scheduler)")
    p.add_argument("--progress", action="store_true",
                   help="show progress bars (enumeration and --verify) on stderr")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--save", metavar="RESULT.json", default=None,
                   help="write the regions (patterns, certificates, edges, network, domain) as JSON")
    p.add_argument("--save-halfspaces", action="store_true",
                   help="with --save: include every region's H-representation")
    p.add_argument("--verify", action="store_true",
                   help="also check patterns by a forward pass, the volume sum and (2-D) Euler's "
                        "formula; exit 1 if a check fails, 3 if --time-limit or Ctrl-C cuts it "
                        "short")
    p.set_defaults(func=cmd_count)

    _add_estimate_parser(sub)

    p = sub.add_parser("plot", help="draw the regions of a 2-D domain or a plane slice")
    add_domain_args(p)
    p.add_argument("--slice", metavar="POINTS.npy",
                   help="draw the plane through 3 input points (an array of shape (3, n0))")
    p.add_argument("--margin", type=float, default=0.25,
                   help="with --slice: how far the drawn plane extends past the points")
    p.add_argument("-o", "--output", required=True, help="output file (.png, .svg, .pdf)")
    p.add_argument("--color-by", choices=["region", "linear", "output", "area"], default="region")
    p.add_argument("--graph", action="store_true", help="overlay the adjacency graph")
    p.add_argument("--max-regions", type=int, default=None)
    p.add_argument("--time-limit", type=float, default=None)
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("check", help="check a region-count bound against the certified zoo")
    p.add_argument("bound", help="MODULE:FUNCTION or file.py:FUNCTION taking (net, domain) -> int, "
                                 "or a shipped bound: trivial, product, montufar2017, serra, local")
    p.add_argument("--kind", choices=["upper", "lower"], default="upper")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("zoo", help="list the certified zoo, or regenerate and re-certify it")
    p.add_argument("--regenerate", action="store_true", help="re-enumerate every entry")
    p.add_argument("--output", default=None, help="where to write zoo.json (default: the package)")
    p.set_defaults(func=cmd_zoo)
    return parser


def main(argv=None):
    """Run the CLI; return the exit status of the table in the module docstring."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(join_domain_values(argv))
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return EXIT_BAD_INPUT
        raise
    except InternalError as exc:  # an engine's bug on checked input: failed (5), never bad input (2)
        import traceback

        traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (ValueError, ImportError) as exc:
        # Argument values the library rejects (e.g. --jobs 0), or an optional dependency that
        # is missing: the messages say what to do.
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `polyregions ... | head`
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a crash is a failure (5), never 1 (a check failed)
        import traceback

        traceback.print_exc()
        print(f"error: the run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
