"""Zhu, Lin & Tang (2020): more regions near training points, and boundaries moving away.

Exact region counts in small neighbourhoods of training points and of random
points of the data's bounding box, through training, on two moons (2-D balls),
the digits projected to 3 principal components (3-D balls) and the 64-D digits
themselves, both in small exact 64-D balls and in larger 2-D discs through each
point in a random plane (the cheap neighbourhood in high dimension). A
neighbourhood stopped by the 60 s budget counts as a lower bound and lowers
the "exact fraction" column. Beside each count, the provable local upper bound (LP method) and
their ratio; and the distance from data and random points to the nearest
region boundary over epochs.

    python examples/zhu_lin_tang2020.py [--quick] [--jobs 2]
"""

from __future__ import annotations

import sys

import numpy as np

import _common
from polyregions import random_network
from polyregions.tracking import RegionTracker, distance_metric, local_count_metric


def data_sets(quick, seed):
    from sklearn.datasets import make_moons
    from sklearn.decomposition import PCA

    Xm, ym = make_moons(300 if quick else 1000, noise=0.1, random_state=seed)
    Xd, yd = _common.digits()
    X3 = PCA(3, random_state=seed).fit_transform(Xd)
    X3 /= np.abs(X3).max()
    w = 8 if quick else 16
    # (X, y, neighbourhood kind, widths, radius or None for 5% of the data's diagonal)
    return {
        "moons (2-D balls)": (Xm, ym, "ball", [w, w], None),
        "digits PCA-3 (3-D balls)": (X3, yd, "ball", [w, w], None),
        "digits 64-D (2-D discs)": (Xd, yd, "disc", [2 * w, 2 * w], 0.5),
        # Exact 64-D balls are affordable only when small: about 20 regions
        # and 2 s per ball at radius 0.05 for a 64-[16,16] net.
        "digits 64-D (64-D balls)": (Xd, yd, "ball", [w, w], 0.03 if quick else 0.04),
    }


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=1, help="worker processes for the local counts")
    args = p.parse_args(argv)
    quick = args.quick
    rng = np.random.default_rng(args.seed)
    n_points = 4 if quick else 30
    epochs = 2 if quick else 40
    checkpoints = (0, 2) if quick else (0, 5, 10, 20, 40)
    rows, curves = [], {}
    for name, (X, y, kind, widths, radius) in data_sets(quick, args.seed).items():
        lo, hi = X.min(axis=0), X.max(axis=0)
        if radius is None:
            radius = 0.05 * float(np.linalg.norm(hi - lo))
        n = n_points if X.shape[1] < 64 or kind == "disc" else min(n_points, 10)
        data = X[rng.choice(len(X), n, replace=False)]
        rand = lo + (hi - lo) * rng.random((n, X.shape[1]))
        bound = "lp" if kind == "ball" else None
        common = dict(kind=kind, bound=bound, n_jobs=args.jobs, random_state=args.seed,
                      time_limit=60.0)
        tracker = RegionTracker({
            "data": local_count_metric(data, radius, **common),
            "random": local_count_metric(rand, radius, **common),
            "ddata": distance_metric(data), "drandom": distance_metric(rand),
        })
        n_classes = int(y.max()) + 1
        model = random_network(X.shape[1], widths, output_dim=n_classes, bias_std=0.1,
                               random_state=args.seed).to_torch()

        def record(m, ep, tracker=tracker):
            if ep in checkpoints:
                tracker.update(m, ep)

        _common.train_epochs(model, X, y, epochs, lr=3e-3, seed=args.seed, on_epoch=record)
        acc = _common.accuracy(model, X, y)
        tab = tracker.table()
        curves[name] = tab
        for k, ep in enumerate(tab["step"]):
            rows.append({
                "data set": name, "epoch": int(ep), "radius": radius,
                "regions near data": float(tab["data.mean"][k]),
                "regions near random": float(tab["random.mean"][k]),
                "data / random": float(tab["data.mean"][k] / tab["random.mean"][k]),
                "bound / count (data)": float(tab["data.bound_ratio"][k]) if bound else float("nan"),
                "exact fraction": float(min(tab["data.exact"][k], tab["random.exact"][k])),
                "median dist data": float(tab["ddata.median"][k]),
                "median dist random": float(tab["drandom.median"][k]),
                "train acc": acc if ep == tab["step"][-1] else float("nan"),
            })
    print(_common.markdown(rows))
    for name, tab in curves.items():
        more = tab["data.mean"][-1] > tab["random.mean"][-1]
        away = tab["ddata.median"][-1] > tab["ddata.median"][0]
        print(f"{name}: after training, {'more' if more else 'fewer'} regions near data than near "
              f"random points ({tab['data.mean'][-1]:.1f} vs {tab['random.mean'][-1]:.1f}); median "
              f"distance at data {'grew' if away else 'shrank'} "
              f"{tab['ddata.median'][0]:.3g} -> {tab['ddata.median'][-1]:.3g}.")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(2, len(curves), figsize=(5 * len(curves), 8), squeeze=False)
    for j, (name, tab) in enumerate(curves.items()):
        ax = axs[0, j]
        ax.plot(tab["step"], tab["data.mean"], "o-", label="near training points (exact)")
        ax.plot(tab["step"], tab["random.mean"], "s-", label="near random points (exact)")
        if "data.mean_bound" in tab.columns:
            ax.plot(tab["step"], tab["data.mean_bound"], "o:", color="C0", label="local bound, data")
            ax.plot(tab["step"], tab["random.mean_bound"], "s:", color="C1", label="local bound, random")
            ax.set_yscale("log")
        ax.set(title=name, xlabel="epoch", ylabel="regions per neighbourhood")
        ax.legend(fontsize=7)
        ax = axs[1, j]
        ax.plot(tab["step"], tab["ddata.median"], "o-", label="training points")
        ax.plot(tab["step"], tab["drandom.median"], "s-", label="random points")
        ax.set(xlabel="epoch", ylabel="median distance to boundary")
        ax.legend(fontsize=7)
    fig.suptitle("Zhu, Lin & Tang 2020: local region counts (exact) and distances")
    print("figure:", _common.save(fig, args.out, "zhu_lin_tang2020.png"))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
