"""Exact region counts on many segments: a Python loop of count_regions_on_segment against
the batched count_regions_on_segments, on He nets (prints a markdown table).

    python benchmarks/bench_lines.py [--segments 500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from polyregions import random_network
from polyregions.lines import count_regions_on_segment, count_regions_on_segments

NETS = [(2, [16, 16, 16]), (5, [8] * 6), (64, [32, 32]), (784, [64, 64])]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--segments", type=int, default=500)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    print("| net | segments | mean regions | loop ms/segment | batched ms/segment | speed-up | equal |")
    print("|---|---|---|---|---|---|---|")
    for n0, widths in NETS:
        net = random_network(n0, widths, bias_std=0.3, random_state=1)
        rng = np.random.default_rng(0)
        A = rng.normal(size=(args.segments, n0))
        B = A + 2 * rng.normal(size=(args.segments, n0)) / np.sqrt(n0)
        t_loop, t_batch = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            loop = [count_regions_on_segment(net, a, b) for a, b in zip(A, B)]
            t_loop.append(time.perf_counter() - t)
            t = time.perf_counter()
            batch = count_regions_on_segments(net, A, B)
            t_batch.append(time.perf_counter() - t)
        lo, ba = np.median(t_loop), np.median(t_batch)
        print(f"| {n0}-{widths} | {args.segments} | {np.mean(batch):.1f} | "
              f"{1e3 * lo / args.segments:.3f} | {1e3 * ba / args.segments:.3f} | {lo / ba:.0f}x | "
              f"{list(batch) == loop} |")


if __name__ == "__main__":
    main()
