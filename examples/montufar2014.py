"""Montúfar, Pascanu, Cho & Bengio (2014): regions grow exponentially with depth.

Their zig-zag construction, counted exactly in the unit square, equals the
lower-bound formula at every depth; random He-initialised nets of the same
architecture have far fewer regions; both sit below the upper bounds
(Montúfar 2017, Serra et al. 2018). One figure, regions against depth.

    python examples/montufar2014.py [--quick]
"""

from __future__ import annotations

import sys

import numpy as np

import _common
from polyregions import Box, count_regions, random_network
from polyregions.bounds import montufar2014_lower, montufar2017_upper, serra_upper
from polyregions.constructions import construction_count, montufar


def main(argv=None):
    args = _common.parser(__doc__.splitlines()[0]).parse_args(argv)
    n0, width = 2, 4
    depths = range(1, 4) if args.quick else range(1, 7)
    n_random = 3 if args.quick else 5
    box = Box([0, 0], [1, 1])  # where the construction's count is exact
    rows = []
    for L in depths:
        widths = [width] * L
        exact = count_regions(montufar(n0, widths), box)
        # Random nets counted in all of R^2 (every region they have), the
        # construction only in the unit square: the comparison favours random nets.
        rand = [count_regions(random_network(n0, widths, bias_std=0.1, random_state=args.seed + s))
                for s in range(n_random)]
        rows.append({
            "depth": L, "N": width * L, "construction (exact)": exact,
            "formula": construction_count("montufar", n0, widths),
            "Montufar14 lower": montufar2014_lower(n0, widths),
            "random mean (R^2)": float(np.mean(rand)), "random max (R^2)": int(np.max(rand)),
            "Serra upper": serra_upper(n0, widths), "Montufar17 upper": montufar2017_upper(n0, widths),
        })
    print(_common.markdown(rows))
    held = all(r["construction (exact)"] == r["formula"] for r in rows)
    print(f"\nconstruction == formula at every depth: {held}; random nets reach "
          f"{rows[-1]['random mean (R^2)'] / rows[-1]['construction (exact)']:.1%} of the construction "
          f"at depth {rows[-1]['depth']}.")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    d = [r["depth"] for r in rows]
    for key, style in [("Montufar17 upper", "k--"), ("Serra upper", "k-"),
                       ("construction (exact)", "o-"), ("random mean (R^2)", "s-")]:
        ax.plot(d, [r[key] for r in rows], style, label=key)
    ax.plot(d, [r["formula"] for r in rows], "x", color="C3", ms=10, label="lower-bound formula")
    ax.set_yscale("log")
    ax.set_xlabel(f"depth (hidden layers of width {width}, input dim {n0})")
    ax.set_ylabel("activation regions")
    ax.set_title("Montúfar et al. 2014: exact counts vs depth\n"
                 "(construction in [0,1]², random He nets in all of R²)", fontsize=9)
    ax.legend(fontsize=8)
    print("figure:", _common.save(fig, args.out, "montufar2014.png"))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
