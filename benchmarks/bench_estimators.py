"""Error of the region-count estimators against the exact count, and pattern-sampling speed.

For each net the exact engine gives the true number of regions ``S`` in the
box and every region's exact volume, hence the true covered fraction of each
sample. For each sample size ``n`` (10^2 .. 10^5) the script draws ``--reps``
independent uniform samples and prints the mean of each estimator with its
mean relative error, the exact ``E[S_obs]`` from the volumes, and the mean
error of the coverage estimators against the true covered fraction. A second
table gives the throughput of :func:`~polyregions.sampling.sample_patterns`
(points per second, median of ``--repeats`` runs).

    python benchmarks/bench_estimators.py            # about a minute
    python benchmarks/bench_estimators.py --reps 5   # quicker

Nets: He-normal weights, biases N(0, 0.1^2), seed 0, box [-1, 1]^d; the
Montúfar [4, 4] construction of docs/math.md §4.2 in [0, 1]^2.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from polyregions import Box, enumerate_regions, random_network, richness
from polyregions.compare import expected_observed, region_probabilities
from polyregions.constructions import montufar
from polyregions.sampling import pattern_to_key, sample_patterns

BIAS_STD = 0.1
SEED = 0
SIZES = (10**2, 10**3, 10**4, 10**5)


def nets():
    yield "He 2-[8,8]", random_network(2, [8, 8], bias_std=BIAS_STD, random_state=SEED), Box(
        -1, 1, dim=2)
    yield "Montúfar 2-[4,4]", montufar(2, [4, 4]), Box(0, 1, dim=2)
    yield "He 2-[16,16]", random_network(2, [16, 16], bias_std=BIAS_STD, random_state=SEED), Box(
        -1, 1, dim=2)
    yield "He 3-[8,8]", random_network(3, [8, 8], bias_std=BIAS_STD, random_state=SEED), Box(
        -1, 1, dim=3)


def _cell(mean, S):
    return f"{mean:.1f} ({100 * (mean - S) / S:+.0f}%)"


def estimator_table(reps, seed):
    print("## Estimator error vs sample size\n")
    print(f"Mean over {reps} independent uniform samples per row; in brackets the mean relative "
          "error against the exact count S. Coverage columns: mean of (estimate − true covered "
          "fraction), the true fraction being the exact volume of the observed regions.\n")
    print("| net | S (exact) | n | E[S_obs] | S_obs | Chao1 | Chao1-bc | ACE | "
          "true coverage | GT − true | CJ − true |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, net, box in nets():
        t0 = time.perf_counter()
        rs = enumerate_regions(net, box)
        S = rs.count()
        p = region_probabilities(rs)
        p_of = {pattern_to_key(q): float(x) for q, x in zip(rs.patterns, p)}
        t_exact = time.perf_counter() - t0
        rng = np.random.default_rng(seed)
        for n in SIZES:
            stats = []
            for _ in range(reps):
                s = sample_patterns(net, box, n, random_state=rng)
                c = s.counts
                true_cov = math.fsum(p_of[k] for k in s.keys)
                stats.append((s.n_observed, richness.chao1(c),
                              richness.chao1(c, bias_corrected=True, small_sample=True),
                              richness.ace(c), true_cov,
                              richness.good_turing_coverage(c) - true_cov,
                              richness.chao_jost_coverage(c) - true_cov))
            m = np.mean(np.array(stats, dtype=np.float64), axis=0)
            print(f"| {name} | {S} | {n:.0e} | {expected_observed(p, n):.1f} | "
                  f"{_cell(m[0], S)} | {_cell(m[1], S)} | {_cell(m[2], S)} | {_cell(m[3], S)} | "
                  f"{m[4]:.5f} | {m[5]:+.1e} | {m[6]:+.1e} |")
        print(f"| | *exact engine + volumes: {t_exact:.2f} s; smallest region "
              f"{p.min():.1e} of the box* | | | | | | | | | |")
    print()


def throughput_table(repeats, backends):
    print("## Pattern-sampling throughput\n")
    print(f"`sample_patterns(net, Box(-1, 1), n)`, median of {repeats} runs (uniform draws, "
          "forward pass, bit-packing and counting included).\n")
    print("| net | backend | n | seconds | points/s | distinct patterns |")
    print("|---|---|---:|---:|---:|---:|")
    for d, widths, n in ((2, [32, 32], 10**6), (784, [64, 64], 10**5)):
        net = random_network(d, widths, bias_std=BIAS_STD, random_state=SEED)
        box = Box(-1, 1, dim=d)
        for backend in backends:
            times = []
            for r in range(repeats):
                t0 = time.perf_counter()
                s = sample_patterns(net, box, n, random_state=r, backend=backend)
                times.append(time.perf_counter() - t0)
            t = statistics.median(times)
            print(f"| {d}-{widths} | {backend} | {n:.0e} | {t:.2f} | {n / t:,.0f} | "
                  f"{s.n_observed:,} |")
    print()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20, help="samples per (net, n) row")
    ap.add_argument("--repeats", type=int, default=3, help="timing runs per throughput row")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--torch", action="store_true", help="also time backend='torch'")
    args = ap.parse_args(argv)
    estimator_table(args.reps, args.seed)
    throughput_table(args.repeats, ("numpy", "torch") if args.torch else ("numpy",))


if __name__ == "__main__":
    main()
