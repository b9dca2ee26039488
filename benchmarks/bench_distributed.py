"""Scale-out on a dask LocalCluster: speed-up, CPU per worker, duplicated pieces, merge cost.

The lead's run on a quiet machine (the 1.7x target: 2 workers against one core on a run of
over 20 s serially; about 5 minutes, 4.3 GB peak in the serial run)::

    python benchmarks/bench_distributed.py --net 2-600,600 --workers 2 --repeat 3

(2-D because the subdivision engine handed 4-[34,34] and 3-[112,112] to the LP search -- "a
facet's side is not among the cells" -- and stops 3-[128,128] at its 8 GiB budget.)

One fixed-seed He-normal net (biases N(0, bias_std^2)) in [-1, 1]^d is
enumerated

1. serially (``enumerate_regions(net, box, method=...)``, one BLAS thread: what a
   worker gets), and on a ``LocalCluster`` of 1, 2, 4, 8 single-threaded
   worker processes (default split and parts), alternating serial and
   distributed runs ``--repeat`` times (medians, so both see the same load),
   printing wall seconds, the speed-up, the CPU seconds each worker spent,
   the speed-up the CPU figures predict on idle cores, duplicated pieces,
   the merge (client) time, each worker's peak memory and the load;
2. split into ``--parts`` parts on two workers, printing the duplicated
   pieces, the edges between cells (candidates, LPs), the worker CPU
   against the serial CPU (the price of the split, which is what a real
   cluster pays) and the merge time.

"Predicted x on idle cores" replays the measured CPU seconds of each part on
``n`` idle workers (parts handed out in order to the first free worker, as
dask does, then the edge checks spread evenly, then the merge): serial CPU
/ that makespan. On a shared machine the wall ratios measure the load as
much as the code; the CPU columns and the load average are printed beside
them for that reason.

    python benchmarks/bench_distributed.py --net 2-300,300 --workers 1 2 4 8          # scaling
    python benchmarks/bench_distributed.py --method lp --ball --net 3-16,16 --workers 2 \
        --parts 4 8 16 32 --splits first_layer                                        # LP engine
"""

from __future__ import annotations

import os

# Serial and workers alike on one BLAS thread (dask's nanny does this for workers).
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from polyregions import Ball, Box, enumerate_regions, random_network  # noqa: E402
from polyregions.distributed import enumerate_distributed, local_cluster  # noqa: E402


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def cluster(n):
    from distributed import Client

    lc = local_cluster(n)
    client = Client(lc)
    # Import polyregions and warm HiGHS on every worker before timing.
    tiny = random_network(2, [3], random_state=0)
    enumerate_distributed(tiny, Box([-1, -1], [1, 1]), client=client, n_parts=2 * n)
    return lc, client


def peak_mb(client):
    """Each worker's peak resident memory (VmHWM: getrusage's maxrss is inherited across exec)."""

    def hwm():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024

    return sorted(client.run(hwm).values(), reverse=True)


def makespan(part_cpu, n, tail=0.0):
    """Wall time of the parts on ``n`` idle workers, handed out in order to the first free one.

    ``tail`` (the edge checks between cells, spread over the workers) is added.
    """
    free = [0.0] * n
    for c in part_cpu:
        i = free.index(min(free))
        free[i] += c
    return max(free) + tail / n


def predicted(info, s_cpu, n):
    parts = [info["part_cpu_seconds"][str(i)] for i in range(info["n_parts"])]
    cross = max(0.0, sum(info["cpu_seconds"].values()) - sum(parts))
    return s_cpu / (makespan(parts, n, cross) + info["merge_seconds"])


def check(rs, serial):
    assert rs.n_regions == serial.n_regions and len(rs.edges) == len(serial.edges)
    assert np.array_equal(np.packbits(rs.patterns, axis=1),
                          np.unique(np.packbits(serial.patterns, axis=1), axis=0))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", default="2-600,600", help="DIM-WIDTH,WIDTH,... (default 2-600,600)")
    ap.add_argument("--bias-std", type=float, default=0.01)
    ap.add_argument("--method", default="subdivision", help="engine (default subdivision)")
    ap.add_argument("--ball", action="store_true", help="the unit ball instead of the box")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--parts", type=int, nargs="*", default=[2, 4, 8, 16, 32])
    ap.add_argument("--splits", nargs="+", default=["auto"])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    d, widths = args.net.split("-")
    d, widths = int(d), [int(w) for w in widths.split(",")]
    net = random_network(d, widths, bias_std=args.bias_std, random_state=0)
    dom = Ball(np.zeros(d), 1.0) if args.ball else Box(-np.ones(d), np.ones(d))
    print(f"net {d}-{widths} bias_std {args.bias_std}, {dom!r}, method {args.method}; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")

    def serial_run():
        return timed(lambda: enumerate_regions(net, dom, method=args.method))

    serial, s_wall, s_cpu = serial_run()
    R = serial.n_regions
    print(f"serial: {R} regions, {len(serial.edges)} edges, {s_wall:.1f} s wall, "
          f"{s_cpu:.1f} s CPU ({1e6 * s_cpu / R:.0f} us/region)")

    print("\n| workers | parts | wall s (median) | serial wall s (median, alternating) | x serial "
          "(wall) | CPU s per worker | predicted x, idle cores | duplicated pieces | merge s "
          "| peak MB per worker | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.workers:
        lc, client = cluster(n)
        try:
            walls, swalls, scpus = [], [s_wall], [s_cpu]
            for rep in range(args.repeat):
                if rep:
                    _, w, c = serial_run()
                    swalls.append(w)
                    scpus.append(c)
                rs, wall, _ = timed(lambda: enumerate_regions(net, dom, client=client,
                                                              method=args.method))
                check(rs, serial)
                walls.append(wall)
            mem = peak_mb(client)
        finally:
            client.close()
            lc.close()
        info = rs.stats["distributed"]
        cpu = sorted(info["cpu_seconds"].values(), reverse=True)
        sw, dw = statistics.median(swalls), statistics.median(walls)
        print(f"| {n} | {info['n_parts']} ({info['split']}) | {dw:.1f} | {sw:.1f} | "
              f"{sw / dw:.2f}x | {' / '.join(f'{c:.1f}' for c in cpu)} | "
              f"{predicted(info, statistics.median(scpus), n):.2f}x | "
              f"{info['duplicated_pieces']} ({100 * info['duplicated_pieces'] / R:.1f}%) | "
              f"{info['merge_seconds']:.2f} | {' / '.join(f'{m:.0f}' for m in mem)} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)

    if not args.parts:
        return
    print("\n| split | parts | pieces | duplicated (% of regions) | edge candidates / LPs | "
          "worker CPU s | CPU / serial CPU | predicted x, 2 workers | merge s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    lc, client = cluster(2)
    try:
        for split in args.splits:
            for k in args.parts:
                rs = enumerate_distributed(net, dom, client=client, n_parts=k, split=split,
                                           method=args.method)
                check(rs, serial)
                info = rs.stats["distributed"]
                tot = sum(info["cpu_seconds"].values())
                print(f"| {info['split']} | {info['n_parts']} | {info['pieces']} | "
                      f"{info['duplicated_pieces']} ({100 * info['duplicated_pieces'] / R:.1f}%)"
                      f" | {info.get('cross_candidates', 0)} / {info.get('cross_lps', 0)} | "
                      f"{tot:.1f} | {tot / s_cpu:.2f} | {predicted(info, s_cpu, 2):.2f}x | "
                      f"{info['merge_seconds']:.2f} | {os.getloadavg()[0]:.1f} |", flush=True)
    finally:
        client.close()
        lc.close()


if __name__ == "__main__":
    main()
