"""Command-line interface: ``polyregions count MODEL --box LO HI`` and friends.

Subcommands: ``count`` (exact count), ``estimate`` (every estimator beside
the exact count), ``plot`` (a picture of a 2-D domain or plane slice),
``check`` (a bound against the certified zoo; exit 1 on a violation) and
``zoo`` (list or regenerate the zoo).

MODEL is an ``.npz`` of weights (``W0, b0, W1, b1, ...``) or a saved torch
``nn.Sequential``. Exit status: 0 when the count is exact, 3 when a budget
stopped the run (the printed number is then a lower bound), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .domain import Ball, Box, WholeSpace

EXIT_INCOMPLETE = 3


def _vector(text, dim, what):
    parts = [p for p in str(text).split(",") if p.strip()]
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise SystemExit(f"error: {what} must be a number or a comma-separated list; got {text!r}")
    if len(vals) == 1:
        return np.full(dim, vals[0])
    if len(vals) != dim:
        raise SystemExit(
            f"error: {what} has {len(vals)} entries but the network takes {dim} inputs"
        )
    return np.array(vals)


def domain_from_args(args, dim):
    """The domain described by ``--box``/``--ball`` (whole space if neither)."""
    if args.box and args.ball:
        raise SystemExit("error: give either --box or --ball, not both")
    try:
        if args.box:
            return Box(_vector(args.box[0], dim, "LO"), _vector(args.box[1], dim, "HI"))
        if args.ball:
            return Ball(_vector(args.ball[0], dim, "CENTER"), float(args.ball[1]))
    except ValueError as exc:
        raise SystemExit(f"error: {exc}")
    return WholeSpace(dim)


def _load(args):
    from .loading import load_network

    path = args.model
    try:
        return load_network(path, trust=args.trust_pickle)
    except (OSError, ValueError, TypeError, ImportError) as exc:
        raise SystemExit(f"error: cannot load {path}: {exc}")


def _add_domain_args(p):
    p.add_argument("model", help=".npz of weights (W0, b0, W1, b1, ...), a network .json, or a "
                                 "torch file (state dict or tensors; a whole module needs "
                                 "--trust-pickle)")
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow unpickling a torch file (a whole saved nn.Module); unpickling runs "
                        "code stored in the file, so use it only for files you trust")
    p.add_argument("--box", nargs=2, metavar=("LO", "HI"),
                   help="box domain; LO/HI a number (all coordinates) or a comma list")
    p.add_argument("--ball", nargs=2, metavar=("CENTER", "RADIUS"),
                   help="Euclidean ball; CENTER a number or a comma list")


def cmd_count(args):
    from .enumeration import enumerate_regions

    net = _load(args)
    domain = domain_from_args(args, net.input_dim)
    rs = enumerate_regions(
        net, domain, max_regions=args.max_regions, time_limit=args.time_limit,
        progress=args.progress, random_state=args.seed, n_jobs=args.jobs,
    )
    if args.save:
        from .export import to_json

        to_json(rs, args.save, include_halfspaces=args.save_halfspaces)
    summary = rs.summary()
    summary["pattern_mismatches"] = int(len(rs.check_patterns()))
    report = None
    if args.verify:
        report = rs.verify(random_state=args.seed)
        summary["verification"] = {
            "ok": report.ok,
            "volume_rel_error": report.volume.rel_error if report.volume else None,
            "euler_characteristic": report.euler.chi if report.euler else None,
            "errors": list(report.errors),
        }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        what = "regions (exact)" if rs.complete else f"regions at least (LOWER BOUND: {rs.stop_reason})"
        print(f"{rs.n_regions} {what}")
        print(f"network   {net!r}")
        print(f"domain    {domain!r}")
        s = rs.stats
        print(f"time      {s['seconds']:.3f} s ({rs.n_regions / max(s['seconds'], 1e-9):.0f} regions/s, "
              f"{s['lp_calls'] / max(rs.n_regions, 1):.2f} LPs/region)")
        if rs.n_thin:
            print(f"warning   {rs.n_thin} patterns thinner than the radius tolerance were not counted")
        if report is not None:
            parts = [f"{len(report.pattern_mismatches)} pattern mismatches"]
            if report.volume is not None:
                parts.append(f"volume sum rel. error {report.volume.rel_error:.1e}")
            if report.euler is not None:
                parts.append(f"Euler characteristic {report.euler.chi}")
            parts += list(report.errors)
            print(f"verify    {'ok' if report.ok else 'FAILED'}: " + ", ".join(parts))
    if report is not None and not report.ok:
        return 1
    return 0 if rs.complete else EXIT_INCOMPLETE


def cmd_plot(args):
    from .domain import Slice
    from .enumeration import enumerate_regions
    from .plotting import plot_regions

    net = _load(args)
    points = None
    if args.slice:
        try:
            P = np.load(args.slice)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"error: cannot read --slice points from {args.slice}: {exc}")
        if hasattr(P, "files"):  # an .npz: take its first array
            P = P[P.files[0]]
        P = np.asarray(P, dtype=np.float64)
        if P.ndim != 2 or P.shape[0] != 3 or P.shape[1] != net.input_dim:
            raise SystemExit(
                f"error: --slice needs 3 points of dimension {net.input_dim} (an array of shape "
                f"(3, {net.input_dim})); got shape {P.shape}"
            )
        try:
            domain = Slice.through_points(*P, margin=args.margin)
        except ValueError as exc:
            raise SystemExit(f"error: {exc}")
        points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    else:
        domain = domain_from_args(args, net.input_dim)
    if domain.dim != 2:
        raise SystemExit(
            f"error: plot draws 2-D domains; this one has dimension {domain.dim}. Use --slice "
            "with three points to draw a plane through a higher-dimensional input space."
        )
    rs = enumerate_regions(net, domain, max_regions=args.max_regions,
                           time_limit=args.time_limit, progress=args.progress)
    plot_regions(rs, color_by=args.color_by, show_graph=args.graph, points=points,
                 path=args.output)
    state = "exact" if rs.complete else f"INCOMPLETE ({rs.stop_reason}): only part of the domain"
    print(f"{rs.n_regions} regions ({state}) drawn to {args.output}")
    return 0 if rs.complete else EXIT_INCOMPLETE


def _import_function(spec):
    import importlib
    import importlib.util
    from pathlib import Path

    if ":" not in spec:
        raise SystemExit(f"error: expected MODULE:FUNCTION or path.py:FUNCTION; got {spec!r}")
    mod_name, func_name = spec.rsplit(":", 1)
    try:
        if mod_name.endswith(".py"):
            path = Path(mod_name)
            loader_spec = importlib.util.spec_from_file_location(path.stem, path)
            if loader_spec is None or not path.exists():
                raise SystemExit(f"error: no file {path}")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(mod_name)
    except ImportError as exc:
        raise SystemExit(f"error: cannot import {mod_name}: {exc}")
    try:
        return getattr(module, func_name)
    except AttributeError:
        raise SystemExit(f"error: {mod_name} has no function {func_name!r}")


def cmd_check(args):
    from .testing import SHIPPED_UPPER_BOUNDS, check_bound

    if args.bound in SHIPPED_UPPER_BOUNDS:
        fn = SHIPPED_UPPER_BOUNDS[args.bound]
    else:
        fn = _import_function(args.bound)
    report = check_bound(fn, args.kind)
    print(report)
    return 0 if report.ok and report.n_checked else 1


def cmd_zoo(args):
    from .testing import load_zoo, regenerate_zoo

    if args.regenerate:
        recs = regenerate_zoo(args.output, progress=True)
        print(f"certified {len(recs)} entries")
        return 0
    for e in load_zoo():
        print(f"{e.exact_count:>8}  {e.kind:<12} {e.name}")
    return 0


def _add_estimate_parser(sub):
    p = sub.add_parser(
        "estimate",
        help="compare the sampling estimators with the exact count",
        description="Run Chao1, ACE, coverage, line and distance estimators on a network and "
                    "domain; with --exact also the exact engine, as the reference column.",
    )
    _add_domain_args(p)
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

    net = _load(args)
    domain = domain_from_args(args, net.input_dim)
    if not args.exact and (args.max_regions is not None or args.time_limit is not None):
        raise SystemExit("error: --max-regions/--time-limit limit the exact engine; add --exact")
    try:
        cmp = compare_estimators(net, domain, n_samples=tuple(args.samples), n_lines=args.lines,
                                 random_state=args.seed, exact=args.exact,
                                 time_limit=args.time_limit, max_regions=args.max_regions,
                                 progress=args.progress)
    except (TypeError, ValueError) as exc:
        raise SystemExit(f"error: {exc}")
    if args.json:
        print(json.dumps(cmp.to_dict(), indent=2))
    else:
        print(cmp.to_markdown())
    return EXIT_INCOMPLETE if (args.exact and not cmp.exact_complete) else 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="polyregions", description="Exact linear regions of ReLU networks."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("count", help="count the activation regions of a network in a domain")
    _add_domain_args(p)
    p.add_argument("--max-regions", type=int, default=None, help="stop after this many regions")
    p.add_argument("--time-limit", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--seed", type=int, default=0, help="random_state for the seed point")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (-1: one per CPU)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--save", metavar="RESULT.json", default=None,
                   help="write the regions (patterns, certificates, edges, network, domain) as JSON")
    p.add_argument("--save-halfspaces", action="store_true",
                   help="with --save: include every region's H-representation")
    p.add_argument("--verify", action="store_true",
                   help="also check patterns by a forward pass, the volume sum and (2-D) Euler's "
                        "formula; exit 1 if a check fails")
    p.set_defaults(func=cmd_count)

    _add_estimate_parser(sub)

    p = sub.add_parser("plot", help="draw the regions of a 2-D domain or a plane slice")
    _add_domain_args(p)
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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        raise
    except ValueError as exc:
        # Argument values the library rejects (e.g. --max-regions 0): its messages say what to do.
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `polyregions ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
