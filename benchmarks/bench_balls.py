"""Speed of the exact engine in ball domains of 8 to 64 dimensions.

Fixed-seed He-normal nets (biases N(0, 0.5^2)) in balls around the origin,
and the digits-sized 64-[16, 16] net in balls of radius 0.02-0.2 around a
data-like point (standard normal, as standardised pixels). Ball counts grow
fast with the radius in 64-D: 64-[16, 16] has 54 regions in ``Ball(0, 0.1)``
and more than 500 in ``Ball(0, 0.2)``.
For each case it prints the region count, its status, the median wall and
CPU seconds over ``--repeats`` runs, regions/s and the LPs and QPs per
region. The per-call times of the QP solver (DAQP) on the same regions are
printed with ``--qp``.

    python benchmarks/bench_balls.py
    python benchmarks/bench_balls.py --only 64 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from polyregions import Ball, enumerate_regions, random_network

NETS = [
    (8, [8, 8], 0.5),
    (16, [8, 8], 0.5),
    (32, [8, 8], 0.5),
    (64, [8, 8], 0.5),
    (64, [16, 16], 0.1),
]
#: Radii of the balls around a data-like point (standardised inputs) for the 64-[16, 16] net.
DATA_RADII = [0.02, 0.1, 0.2, 0.3]


def run(net, dom, repeats):
    wall, cpu, rs = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        rs = enumerate_regions(net, dom)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return rs, statistics.median(wall), statistics.median(cpu)


def qp_times(net, dom, n=200, seed=0):
    """Median microseconds of one region QP and one facet QP on the net's own regions."""
    from polyregions.ball import facet_in_ball, nearest_point
    from polyregions.lp_engine import LPEngine
    from polyregions.tolerances import Tolerances

    eng = LPEngine(net, dom, Tolerances())
    rng = np.random.default_rng(seed)
    t_reg, t_fac = [], []
    for p in net.activation_patterns(dom.sample(n, random_state=rng)):
        A, b, owner, _ = eng.halfspaces(p)
        kind, x0, r, rows = eng.ball_region(A, b, owner)
        if rows is None:
            continue
        idx, Ay, (by, z, radius) = rows[:3]  # rows in the ball's (or the region's) frame
        t = time.perf_counter()
        nearest_point(Ay, by, z)
        t_reg.append(time.perf_counter() - t)
        j = int(rng.integers(len(by)))
        t = time.perf_counter()
        facet_in_ball(Ay, by, j, z, radius, unit=1.0)
        t_fac.append(time.perf_counter() - t)
    return 1e6 * statistics.median(t_reg), 1e6 * statistics.median(t_fac)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default=None, help="run only cases whose label contains this")
    ap.add_argument("--qp", action="store_true", help="also time single QP calls")
    args = ap.parse_args(argv)

    cases = []
    for d, widths, r in NETS:
        cases.append((f"{d}-{widths} r={r}", random_network(d, widths, bias_std=0.5, random_state=0),
                      Ball(np.zeros(d), r)))
    net = random_network(64, [16, 16], bias_std=0.5, random_state=0)
    centre = np.random.default_rng(1).normal(size=64)
    for r in DATA_RADII:
        cases.append((f"64-[16, 16] at a data point r={r}", net, Ball(centre, r)))

    header = ["case", "regions", "status", "median s", "CPU s", "regions/s", "LPs/region", "QPs/region",
              "undecided facets"]
    if args.qp:
        header += ["QP us (region)", "facet test us"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, net, dom in cases:
        if args.only and args.only not in label:
            continue
        rs, wall, cpu = run(net, dom, args.repeats)
        n = max(rs.n_regions, 1)
        row = [label, str(rs.n_regions), rs.status, f"{wall:.2f}", f"{cpu:.2f}", f"{rs.n_regions / wall:.0f}",
               f"{rs.stats['lp_calls'] / n:.1f}", f"{rs.stats.get('qp_calls', 0) / n:.1f}",
               str(rs.stats.get("undecided_facets", 0))]
        if args.qp:
            row += [f"{v:.0f}" for v in qp_times(net, dom)]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
