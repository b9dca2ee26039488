"""Scale-out on a dask LocalCluster: speed-up, CPU per worker, duplicated pieces, merge cost.

One fixed-seed He-normal net (default 4-[16,16], biases N(0, 0.01^2), in
[-1, 1]^4: 32,229 regions, about 24 s serially on an idle core) is
enumerated

1. serially (``enumerate_regions(net, box, method=...)``) and with today's process pool
   (``n_jobs=2``);
2. on a ``LocalCluster`` of 1, 2, 4 and 8 single-threaded worker processes
   (default split: four parts per worker), printing wall seconds, the speed-up
   over serial, the CPU seconds each worker spent, the speed-up the CPU
   figures predict on idle cores, duplicated pieces, the merge time and the
   time of the edge checks between cells;
3. split into 2 to 32 parts both ways (cells of first-layer hyperplanes,
   axis-parallel boxes) on two workers, printing the duplicated pieces, the
   edge-check LPs between cells and the total worker CPU against the serial
   CPU (the price of the split, which is what a real cluster pays).

"Predicted x on idle cores" replays the measured CPU seconds of each part on
``n`` idle workers (parts handed out in order to the first free worker, as
dask does, then the edge checks spread evenly): serial CPU / that makespan.

Wall times on a shared machine measure the load as much as the code; the
CPU columns do not, which is why they are printed beside them.

    python benchmarks/bench_distributed.py                 # full (several minutes)
    python benchmarks/bench_distributed.py --net 3-16,16   # quick
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from polyregions import Box, enumerate_regions, random_network
from polyregions.distributed import enumerate_distributed


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def cluster(n):
    from distributed import Client, LocalCluster

    lc = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(lc)
    # Import polyregions and warm HiGHS on every worker before timing.
    tiny = random_network(2, [3], random_state=0)
    enumerate_regions(tiny, Box([-1, -1], [1, 1]), client=client)
    return lc, client


def makespan(part_cpu, n, tail=0.0):
    """Wall time of the parts on ``n`` idle workers, handed out in order to the first free one.

    ``tail`` (the edge checks between cells, spread over the workers) is added.
    """
    free = [0.0] * n
    for c in part_cpu:
        i = free.index(min(free))
        free[i] += c
    return max(free) + tail / n


def cross_cpu(info, part_cpu_total):
    """CPU of the edge checks: what the workers spent beyond the parts."""
    return max(0.0, sum(info["cpu_seconds"].values()) - part_cpu_total)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", default="4-16,16", help="DIM-WIDTH,WIDTH,... (default 4-16,16)")
    ap.add_argument("--bias-std", type=float, default=0.01)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--parts", type=int, nargs="+", default=[4, 16])
    ap.add_argument("--splits", nargs="+", default=["first_layer", "boxes"])
    ap.add_argument("--skip-pool", action="store_true")
    ap.add_argument("--method", default="lp",
                    help="engine in the parts and the serial run (default the LP search; boxes "
                         "up to 8-D are far faster with the subdivision engine, which needs no "
                         "cluster at this size)")
    args = ap.parse_args(argv)
    d, widths = args.net.split("-")
    d, widths = int(d), [int(w) for w in widths.split(",")]
    net = random_network(d, widths, bias_std=args.bias_std, random_state=0)
    box = Box(-np.ones(d), np.ones(d))
    print(f"net {d}-{widths} bias_std {args.bias_std}, box [-1,1]^{d}; "
          f"load average {os.getloadavg()[0]:.1f} at start on {os.cpu_count()} cores")

    import resource

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    serial, s_wall, s_cpu = timed(lambda: enumerate_regions(net, box, method=args.method))
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    R = serial.n_regions
    keys = {p.tobytes() for p in np.packbits(serial.patterns, axis=1)}
    edges = len(serial.edges)
    print(f"serial: {R} regions, {edges} edges, {s_wall:.1f} s wall, {s_cpu:.1f} s CPU "
          f"({1e3 * s_cpu / R:.2f} ms/region); peak RSS grew {(rss1 - rss0) / 1024:.0f} MB "
          f"({(rss1 - rss0) * 1024 / R:.0f} bytes/region)")
    if not args.skip_pool:
        pool, p_wall, _ = timed(lambda: enumerate_regions(net, box, n_jobs=2, method=args.method))
        assert pool.n_regions == R
        print(f"process pool n_jobs=2: {p_wall:.1f} s wall ({s_wall / p_wall:.2f}x)")

    print("\n| workers | parts | wall s | x serial (wall) | CPU s per worker | predicted x on idle "
          "cores | duplicated pieces | merge s | edge checks s | cluster start s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.workers:
        (lc, client), start, _ = timed(lambda: cluster(n))
        try:
            rs, wall, _ = timed(lambda: enumerate_regions(net, box, client=client, method=args.method))
        finally:
            client.close()
            lc.close()
        info = rs.stats["distributed"]
        assert rs.n_regions == R and len(rs.edges) == edges
        assert {p.tobytes() for p in np.packbits(rs.patterns, axis=1)} == keys
        cpu = sorted(info["cpu_seconds"].values(), reverse=True)
        parts = [info["part_cpu_seconds"][str(i)] for i in range(info["n_parts"])]
        pred = s_cpu / makespan(parts, n, cross_cpu(info, sum(parts)))
        print(f"| {n} | {info['n_parts']} ({info['split']}) | {wall:.1f} | {s_wall / wall:.2f}x | "
              f"{' / '.join(f'{c:.1f}' for c in cpu)} | {pred:.2f}x | "
              f"{info['duplicated_pieces']} | {info['merge_seconds']:.2f} | "
              f"{info.get('cross_seconds', 0.0):.2f} | {start:.1f} | {os.getloadavg()[0]:.1f} |")

    print("\n| split | parts | pieces | duplicated (% of regions) | edge-check LPs | worker CPU s "
          "| CPU / serial CPU | predicted x, 2 workers | merge s |")
    print("|---|---|---|---|---|---|---|---|---|")
    lc, client = cluster(2)
    try:
        for split in args.splits:
            for k in args.parts:
                rs = enumerate_distributed(net, box, client=client, n_parts=k, split=split,
                                           method=args.method)
                info = rs.stats["distributed"]
                assert rs.n_regions == R and len(rs.edges) == edges
                tot = sum(info["cpu_seconds"].values())
                parts = [info["part_cpu_seconds"][str(i)] for i in range(info["n_parts"])]
                pred = s_cpu / makespan(parts, 2, cross_cpu(info, sum(parts)))
                print(f"| {split} | {info['n_parts']} | {info['pieces']} | "
                      f"{info['duplicated_pieces']} ({100 * info['duplicated_pieces'] / R:.1f}%) | "
                      f"{info.get('cross_candidates', 0)} | {tot:.1f} | {tot / s_cpu:.2f} | "
                      f"{pred:.2f}x | {info['merge_seconds']:.2f} |")
        # Client-side memory of the merge (the workers are other processes).
        import tracemalloc

        tracemalloc.start()
        rs, m_wall, _ = timed(lambda: enumerate_distributed(net, box, client=client, n_parts=8,
                                                                   method=args.method))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        info = rs.stats["distributed"]
        print(f"\nclient (merge) peak traced memory: {peak / 2**20:.0f} MB = {peak / R:.0f} "
              f"bytes/region; merge {1e6 * info['merge_seconds'] / R:.1f} us/region; "
              f"edge checks between cells: {info.get('cross_candidates', 0)} LPs, "
              f"{info.get('cross_seconds', 0.0):.2f} s wall")
    finally:
        client.close()
        lc.close()


if __name__ == "__main__":
    main()
