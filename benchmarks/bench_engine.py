"""Speed of both exact engines, side by side with the peers.

Fixed-seed He-normal nets (biases N(0, bias_std^2)) in the box [-1, 1]^d, the
nets of issue 10 and docs/performance.md. For each net it prints the region count of
the subdivision engine and of the LP engine (they must agree), the median
seconds over ``--repeats`` runs (the LP engine: one run), regions/s, the ratio
to edge subdivision's published-on-this-machine figure (docs/performance.md; it is
not a package, so its times are quoted, not re-run), the peak memory of each
engine (tracemalloc, in a separate untimed run) and, with ``--peers``,
regioncam (2-D) and relucent in the same process.

    python benchmarks/bench_engine.py                       # both engines
    python benchmarks/bench_engine.py --peers --peer-timeout 120
    python benchmarks/bench_engine.py --big                 # 10^6 regions in 2-D, d = 5, 6
    python benchmarks/bench_engine.py --big --only "[64, 64"
    python benchmarks/bench_engine.py --auto --lp-timeout 60    # where auto switches engines

BLAS is pinned to one thread (one core, as the peers' figures). The peers are
the ``bench`` extra (see benchmarks/PEERS.md); relucent is slow, so it gets a
time limit and a partial run is printed as a lower bound.
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from polyregions import Box, enumerate_regions, random_network  # noqa: E402

# (d, widths, bias_std, seed, edge subdivision seconds on this machine, docs/performance.md / issue 10)
NETS = [
    (2, [16, 16], 0.01, 0, 0.008),
    (2, [32, 32], 0.01, 0, 0.022),
    (2, [32, 32], 0.5, 0, 0.017),
    (2, [64, 64, 64], 0.01, 1, 0.29),
    (3, [16, 16], 0.01, 0, 0.016),
    (4, [16, 16], 0.01, 0, 0.10),
]
# --big: 10^6 regions in 2-D and the largest d = 5, 6 nets in 8 GB. Each runs in a child
# process of its own, so its peak resident memory is its own.
BIG = [
    (2, [256, 256, 256], 0.01, 1, None),
    (2, [64] * 16, 0.01, 1, None),
    (2, [64] * 17, 0.01, 1, None),
    (2, [256, 256, 256, 256], 0.01, 1, None),
    (2, [128] * 12, 0.01, 1, None),
    (2, [256] * 6, 0.01, 1, None),
    (5, [32, 32], 0.5, 0, None),
    (5, [40, 40], 0.5, 0, None),
    (6, [20, 20], 0.5, 0, None),
    (6, [24, 24], 0.5, 0, None),
]
# --auto: where method="auto" switches from the subdivision to the LP search (README "What auto
# picks"): the two engines on the same nets, the LP search stopped at --lp-timeout.
AUTO = [(5, [8, 8]), (6, [8, 8]), (6, [12, 12]), (7, [8, 8]), (8, [12]), (8, [8, 8])]


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def table_header(header):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))


def timed(fn, repeats):
    """``(result, median wall s, median CPU s)``: on a shared machine the CPU time of this
    single-threaded process is the figure that compares with one idle core."""
    wall, cpu, out = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
    return out, statistics.median(wall), statistics.median(cpu)


def peak_mb(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def big_one(d, widths, bias, seed):
    """Child of ``--big``: one run, its figures as one JSON line."""
    net = random_network(d, widths, bias_std=bias, random_state=seed)
    c = time.process_time()
    rs = enumerate_regions(net, Box(-np.ones(d), np.ones(d)), method="subdivision")
    st = rs.stats
    print(json.dumps({
        "regions": rs.n_regions, "status": rs.status, "engine": st.get("engine"),
        "cpu": time.process_time() - c, "build": st.get("seconds_build"),
        "read": st.get("seconds_read"), "certify": st.get("seconds_certify"),
        "vertices": st.get("vertices"),
        "rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))


def big(args):
    print(f"load average at start: {load_average()} "
          f"({os.cpu_count()} cores); one run each, CPU seconds of a one-threaded child process")
    header = ["net", "bias", "seed", "regions", "status", "CPU s", "build s", "read-out s",
              "certificates s", "regions/s", "vertices", "peak RSS GiB"]
    table_header(header)
    for d, widths, bias, seed, _ in BIG:
        label = f"{d}-{widths}"
        if args.only and args.only not in label:
            continue
        out = subprocess.run([sys.executable, __file__, "--big-one", json.dumps([d, widths, bias, seed])],
                             capture_output=True, text=True)
        if out.returncode:
            print(f"| {label} | {bias:g} | {seed} | failed: {out.stderr.strip().splitlines()[-1]} |")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        eng = "" if r["engine"] == "subdivision" else f" (engine {r['engine']})"
        print(f"| {label} | {bias:g} | {seed} | {r['regions']:,}{eng} | {r['status']} | {r['cpu']:.1f} | "
              f"{r['build']:.1f} | {r['read']:.1f} | {r['certify']:.1f} | {r['regions'] / r['cpu']:,.0f} | "
              f"{r['vertices']:,} | {r['rss_gib']:.2f} |", flush=True)
    print(f"load average at end: {load_average()}")


def auto(args):
    print(f"load average at start: {load_average()} "
          f"({os.cpu_count()} cores); one run each, CPU seconds; LP search stopped at "
          f"{args.lp_timeout:g} s")
    header = ["net", "regions", "subdivision CPU s", "LP CPU s", "LP / subdivision", "vertices",
              "memory bound MB"]  # stats["peak_bytes"]: the complex plus the read-out's estimate
    table_header(header)
    for d, widths in AUTO:
        net = random_network(d, widths, bias_std=0.5, random_state=0)
        box = Box(-np.ones(d), np.ones(d))
        rs, _, sec = timed(lambda: enumerate_regions(net, box, method="subdivision"), 1)
        ref, _, lsec = timed(lambda: enumerate_regions(net, box, method="lp", time_limit=args.lp_timeout), 1)
        if ref.complete:
            lp = f"{lsec:.1f}" + ("" if ref.n_regions == rs.n_regions else " (COUNT DIFFERS)")
            ratio = f"{lsec / sec:.1f}"
        else:
            lp, ratio = f"> {lsec:.0f} ({ref.n_regions:,} found)", f"> {lsec / sec:.1f}"
        print(f"| {d}-{widths} | {rs.n_regions:,} | {sec:.2f} | {lp} | {ratio} | "
              f"{rs.stats.get('vertices', 0):,} | {rs.stats.get('peak_bytes', 0) / 2**20:.0f} |", flush=True)
    print(f"load average at end: {load_average()}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--peers", action="store_true", help="also run regioncam and relucent")
    ap.add_argument("--no-relucent", action="store_true",
                    help="with --peers, regioncam only: relucent's Gurobi and worker pool stay out "
                         "of the process (with them in the process 2-[16,16] measured 4.1 ms instead of 3.2)")
    ap.add_argument("--peer-timeout", type=float, default=120.0,
                    help="seconds before relucent is stopped (its count is then a lower bound)")
    ap.add_argument("--no-lp", action="store_true", help="skip the LP engine")
    ap.add_argument("--lp-timeout", type=float, default=600.0, help="time_limit of the LP engine")
    ap.add_argument("--big", action="store_true", help="the large nets instead (subdivision only)")
    ap.add_argument("--only", default=None, help="run only nets whose label contains this")
    ap.add_argument("--auto", action="store_true",
                    help="both engines on 5-8-D nets (bias std 0.5, seed 0): where auto switches")
    ap.add_argument("--big-one", default=None, help=argparse.SUPPRESS)  # child of --big
    args = ap.parse_args(argv)
    if args.big_one:
        return big_one(*json.loads(args.big_one))
    if args.big:
        return big(args)
    if args.auto:
        return auto(args)

    peers = None
    if args.peers:
        sys.path.insert(0, str(Path(__file__).parent))
        import peers  # noqa: E402  (benchmarks/peers.py)

        tiny = random_network(2, [2], random_state=0)
        tW = [np.asarray(w) for w in tiny.weights]
        tb = [np.asarray(v) for v in tiny.biases]
        peers.regioncam_count(tW, tb, -np.ones(2), np.ones(2))
        if not args.no_relucent:
            peers.relucent_count(tW, tb, -np.ones(2), np.ones(2))  # Gurobi start-up, paid once

    print(f"load average at start: {load_average()} "
          f"({os.cpu_count()} cores); times are medians of {args.repeats} runs, CPU seconds of "
          "this one-threaded process unless marked wall")
    header = ["net", "bias", "seed", "regions", "subdiv CPU s", "wall s", "regions/s",
              "x edge-subdiv", "subdiv MB", "LP n", "LP CPU s", "LP/subdiv", "LP MB"]
    if peers:
        header += ["regioncam CPU s", "regioncam n", "regioncam regions/s", "subdiv/regioncam",
                   "relucent wall s", "relucent n", "relucent regions/s"][: None if not args.no_relucent else -3]
    table_header(header)
    for d, widths, bias, seed, edge_s in NETS:
        label = f"{d}-{widths}"
        if args.only and args.only not in label:
            continue
        net = random_network(d, widths, bias_std=bias, random_state=seed)
        box = Box(-np.ones(d), np.ones(d))
        sub = lambda: enumerate_regions(net, box, method="subdivision")  # noqa: E731
        rs, wall, sec = timed(sub, args.repeats)
        n = rs.n_regions
        eng = rs.stats.get("engine")
        note = "" if eng == "subdivision" else f" (LP fallback: {rs.stats.get('fallback')})"
        if not rs.complete:
            note += f" ({rs.status_detail})"
        row = [label, f"{bias:g}", f"{seed}", f"{n:,}{note}", f"{sec:.4f}", f"{wall:.4f}",
               f"{n / sec:,.0f}", f"{sec / edge_s:.2f}", f"{peak_mb(sub):.1f}"]
        if args.no_lp:
            row += ["-", "-", "-", "-"]
        else:
            lp = lambda: enumerate_regions(net, box, method="lp", time_limit=args.lp_timeout)  # noqa: E731
            ref, _, lsec = timed(lp, 1)
            same = ref.n_regions == n and ref.complete
            row += [f"{ref.n_regions:,}" + ("" if same else " (DIFFERS)"), f"{lsec:.2f}",
                    f"{lsec / sec:.0f}", f"{peak_mb(lp):.1f}"]
        if peers:
            W = [np.asarray(w) for w in net.weights]
            b = [np.asarray(v) for v in net.biases]
            if d == 2:
                rc, _, rc_s = timed(lambda: peers.regioncam_count(W, b, -np.ones(d), np.ones(d)),
                                    args.repeats)
                row += [f"{rc_s:.4f}", f"{rc['count']:,}", f"{rc['count'] / rc_s:,.0f}",
                        f"{sec / rc_s:.1f}"]
            else:
                row += ["n/a (2-D only)", "", "", ""]
            if not args.no_relucent:
                r = peers.relucent_count(W, b, -np.ones(d), np.ones(d), time_limit=args.peer_timeout)
                row += [f"{r['seconds']:.2f}", f"{r['count']:,}" + ("" if r["complete"] else "+ (stopped)"),
                        f"{r['count'] / r['seconds']:,.0f}"]
        print("| " + " | ".join(row) + " |", flush=True)
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
