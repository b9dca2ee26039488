"""Scale-out on a dask LocalCluster: speed-up, CPU per worker, duplicated pieces, merge cost.

One fixed-seed He-normal net (default 4-[16,16], biases N(0, 0.01^2), in
[-1, 1]^4: 32,229 regions, about 24 s serially on an idle core) is
enumerated

1. serially (``enumerate_regions(net, box)``) and with today's process pool
   (``n_jobs=2``);
2. on a ``LocalCluster`` of 1, 2, 4 and 8 single-threaded worker processes
   (default split: four parts per worker), printing wall seconds, the speed-up
   over serial, the CPU seconds each worker spent in parts, the speed-up the
   CPU figures predict on idle cores (serial CPU / busiest worker's CPU), the
   pieces, duplicated pieces and the merge time;
3. split into 1, 2, 4, 8, 16 and 32 parts on two workers, printing the
   duplicated pieces and the total worker CPU against the serial CPU (the
   price of the split, which is what a real cluster pays).

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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", default="4-16,16", help="DIM-WIDTH,WIDTH,... (default 4-16,16)")
    ap.add_argument("--bias-std", type=float, default=0.01)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--parts", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    ap.add_argument("--skip-pool", action="store_true")
    args = ap.parse_args(argv)
    d, widths = args.net.split("-")
    d, widths = int(d), [int(w) for w in widths.split(",")]
    net = random_network(d, widths, bias_std=args.bias_std, random_state=0)
    box = Box(-np.ones(d), np.ones(d))
    print(f"net {d}-{widths} bias_std {args.bias_std}, box [-1,1]^{d}; "
          f"load average {os.getloadavg()[0]:.1f} at start on {os.cpu_count()} cores")

    serial, s_wall, s_cpu = timed(lambda: enumerate_regions(net, box))
    R = serial.n_regions
    keys = {p.tobytes() for p in np.packbits(serial.patterns, axis=1)}
    print(f"serial: {R} regions, {s_wall:.1f} s wall, {s_cpu:.1f} s CPU")
    if not args.skip_pool:
        pool, p_wall, _ = timed(lambda: enumerate_regions(net, box, n_jobs=2))
        assert pool.n_regions == R
        print(f"process pool n_jobs=2: {p_wall:.1f} s wall ({s_wall / p_wall:.2f}x)")

    print("\n| workers | parts | wall s | x serial (wall) | CPU s per worker | x serial (CPU, "
          "predicted) | pieces | duplicated | merge s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.workers:
        lc, client = cluster(n)
        try:
            rs, wall, _ = timed(lambda: enumerate_regions(net, box, client=client))
        finally:
            client.close()
            lc.close()
        info = rs.stats["distributed"]
        assert rs.n_regions == R and {p.tobytes() for p in np.packbits(rs.patterns, axis=1)} == keys
        cpu = sorted(info["cpu_seconds"].values(), reverse=True)
        print(f"| {n} | {info['n_parts']} | {wall:.1f} | {s_wall / wall:.2f}x | "
              f"{' / '.join(f'{c:.1f}' for c in cpu)} | {s_cpu / max(cpu):.2f}x | "
              f"{info['pieces']} | {info['duplicated_pieces']} "
              f"({100 * info['duplicated_pieces'] / R:.1f}%) | {info['merge_seconds']:.2f} | "
              f"{os.getloadavg()[0]:.1f} |")

    print("\n| parts (2 workers) | pieces | duplicated | duplicated % | worker CPU s (sum) | "
          "CPU / serial CPU | merge s |")
    print("|---|---|---|---|---|---|---|")
    lc, client = cluster(2)
    try:
        for k in args.parts:
            rs = enumerate_distributed(net, box, client=client, n_parts=k)
            info = rs.stats["distributed"]
            assert rs.n_regions == R
            tot = sum(info["cpu_seconds"].values())
            print(f"| {info['n_parts']} | {info['pieces']} | {info['duplicated_pieces']} | "
                  f"{100 * info['duplicated_pieces'] / R:.1f} | {tot:.1f} | {tot / s_cpu:.2f} | "
                  f"{info['merge_seconds']:.2f} |")
    finally:
        client.close()
        lc.close()


if __name__ == "__main__":
    main()
