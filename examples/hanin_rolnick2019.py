"""Hanin & Rolnick (2019): regions along lines grow with the number of neurons, not depth.

On scikit-learn's 8x8 digits (64-D, shipped with scikit-learn), networks with
the same total number of neurons N and depths 1 to 6 are He-initialised and
trained with Adam. At each checkpoint the exact number of activation regions
is counted along lines through training points (random directions) and along
segments between pairs of training points, and the exact distance from
training points to the boundary of their region is measured. The claims: the
density of boundary crossings per unit length, divided by N, is of order one,
about the same for every depth, and stays so during training; distance times
N is roughly constant. At initialisation the one-layer net is compared with
its exact expectation (``bounds.hanin_rolnick_segment_expectation``).

    python examples/hanin_rolnick2019.py [--quick]
"""

from __future__ import annotations

import math
import sys

import numpy as np

import _common
from polyregions import random_network
from polyregions.bounds import hanin_rolnick_segment_expectation
from polyregions.tracking import RegionTracker, distance_metric, line_metric

BIAS_STD = 0.1


def main(argv=None):
    args = _common.parser(__doc__.splitlines()[0]).parse_args(argv)
    X, y = _common.digits()
    rng = np.random.default_rng(args.seed)
    if args.quick:
        N, depths, epochs, checkpoints, n_lines, Ns = 12, (1, 2), 1, (0, 1), 30, (12, 24)
    else:
        N, depths, epochs, checkpoints, n_lines, Ns = 60, (1, 2, 3, 4, 5, 6), 20, (0, 2, 5, 10, 20), \
            300, (15, 30, 60, 120)
    centres = X[rng.choice(len(X), n_lines, replace=False)]
    line_length = 1.0  # input units; the digits live in [0, 1]^64
    rows = []
    curves = {}
    for L in depths:
        widths = [N // L] * L
        net0 = random_network(64, widths, output_dim=10, bias_std=BIAS_STD,
                              random_state=args.seed + L)
        tracker = RegionTracker({
            "through": line_metric(centres, line_length=line_length, random_state=args.seed),
            "pairs": line_metric(centres, pairs=True, random_state=args.seed),
            "dist": distance_metric(centres),
        })
        model = net0.to_torch()

        def record(m, epoch, tracker=tracker):
            if epoch in checkpoints:
                tracker.update(m, epoch)

        _common.train_epochs(model, X, y, epochs, lr=3e-3, seed=args.seed, on_epoch=record)
        acc = _common.accuracy(model, X, y)
        tab = tracker.table()
        curves[L] = tab
        for k, ep in enumerate(tab["step"]):
            rows.append({
                "depth": L, "widths": "x".join(map(str, widths)), "epoch": int(ep),
                "through: crossings/len/N": float(tab["through.breakpoints_per_unit_length_per_neuron"][k]),
                "pairs: crossings/len/N": float(tab["pairs.breakpoints_per_unit_length_per_neuron"][k]),
                "median distance x N": float(tab["dist.median"][k] * N),
                "train acc": acc if ep == tab["step"][-1] else math.nan,
            })
    print(_common.markdown(rows))

    # One-layer expectation at initialisation (He weights, the same bias std).
    from polyregions.lines import segment_statistics

    sw = math.sqrt(2.0 / 64)
    dirs = rng.normal(size=centres.shape)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    starts, ends = centres - 0.5 * line_length * dirs, centres + 0.5 * line_length * dirs
    scaling = []
    for n in Ns:
        meas = [segment_statistics(random_network(64, [n], bias_std=BIAS_STD,
                                                  random_state=100 + s), starts, ends).mean_regions
                for s in range(5)]
        expect = float(np.mean([hanin_rolnick_segment_expectation(n, start, end, sw, BIAS_STD)
                                for start, end in zip(starts, ends)]))
        deep = float(np.mean([segment_statistics(random_network(64, [n // 3] * 3, bias_std=BIAS_STD,
                                                                random_state=200 + s), starts, ends).mean_regions
                              for s in range(5)]))
        scaling.append({"N": n, "1 layer: measured regions/line": float(np.mean(meas)),
                        "1 layer: exact expectation": expect,
                        "3 layers: measured regions/line": deep,
                        "(3 layers - 1)/N": (deep - 1) / n})
    print()
    print(_common.markdown(scaling))

    init = [r["through: crossings/len/N"] for r in rows if r["epoch"] == 0]
    last = [r["through: crossings/len/N"] for r in rows if r["epoch"] == checkpoints[-1]]
    print(f"\ncrossings per unit length per neuron at init: {min(init):.3g}-{max(init):.3g} "
          f"across depths {depths[0]}-{depths[-1]} (max/min {max(init) / min(init):.2f}); after "
          f"training: {min(last):.3g}-{max(last):.3g} (max/min {max(last) / min(last):.2f}).")
    rel = max(abs(s["1 layer: measured regions/line"] / s["1 layer: exact expectation"] - 1)
              for s in scaling)
    print(f"one-layer counts vs the exact expectation: within {rel:.1%}.")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 3, figsize=(14, 4))
    for L, tab in curves.items():
        axs[0].plot(tab["step"], tab["through.breakpoints_per_unit_length_per_neuron"], "o-",
                    label=f"depth {L}")
        axs[1].plot(tab["step"], tab["dist.median"] * N, "o-", label=f"depth {L}")
    axs[0].set(xlabel="epoch", ylabel="crossings / unit length / N",
               title=f"lines through digits, N = {N}")
    axs[1].set(xlabel="epoch", ylabel="median distance x N", title="distance to boundary at data")
    axs[0].set_ylim(bottom=0)
    axs[1].set_ylim(bottom=0)
    axs[0].legend(fontsize=7)
    n_ = [s["N"] for s in scaling]
    axs[2].plot(n_, [s["1 layer: measured regions/line"] for s in scaling], "o", label="1 layer, measured")
    axs[2].plot(n_, [s["1 layer: exact expectation"] for s in scaling], "k-", label="1 layer, exact expectation")
    axs[2].plot(n_, [s["3 layers: measured regions/line"] for s in scaling], "s", label="3 layers, measured")
    axs[2].set(xlabel="N (total neurons)", ylabel="regions per unit-length line",
               title="growth in N at initialisation")
    axs[2].legend(fontsize=7)
    fig.suptitle("Hanin & Rolnick 2019 on sklearn digits (exact counts)")
    print("figure:", _common.save(fig, args.out, "hanin_rolnick2019.png"))
    return {"rows": rows, "scaling": scaling}


if __name__ == "__main__":
    main(sys.argv[1:])
