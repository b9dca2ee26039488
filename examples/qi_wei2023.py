"""Qi & Wei (2023): neurons needed for a 1-D sawtooth, regions vs input intricacy, and the
iterative refinement of decision boundaries.

1. A k-tooth sawtooth on [0, 1] has 2k linear pieces. Exact counts of hand-built
   nets: one hidden layer reaches it with 2k neurons (2k - 1 kinks and one unit
   for the linear part; 2k - 1 cannot, see ``one_layer_sawtooth``); a deep
   composition of 2-neuron tent maps reaches it with 2 log2(2k) neurons; Serra
   et al.'s 1-D bound prod(n_l + 1) >= 2k gives the fewest neurons any
   architecture could use. One-layer nets are trained on the sawtooth at
   several widths.
2. One architecture trained on a simple (two blobs) and an intricate
   (checkerboard) 2-D set: exact regions in the data box and regions holding
   training points, over epochs.
3. Regions crossed by the decision boundary over training, and pictures of it.

    python examples/qi_wei2023.py [--quick]
"""

from __future__ import annotations

import sys

import numpy as np

import _common
from polyregions import Box, ReLUNetwork, enumerate_regions, random_network
from polyregions.constructions import zigzag_1d
from polyregions.lines import count_regions_on_segment
from polyregions.tracking import RegionTracker, decision_metric


def sawtooth(x, k):
    """k teeth on [0, 1]: 0 -> 1 -> 0 on each [j/k, (j+1)/k]."""
    u = (np.asarray(x) * k) % 1.0
    return 1.0 - np.abs(2.0 * u - 1.0)


def one_layer_sawtooth(k):
    """2k neurons: 2k - 1 kinks inside (0, 1) and one unit always on there (the linear part).

    Without that unit the kinks, fixed by the target at -4k, +4k, ..., -4k,
    would have to split into a left-facing and a right-facing group each
    summing to -2k, impossible with multiples of 4k: so one hidden layer needs
    2k neurons although 2k - 1 would give enough pieces.
    """
    t = np.arange(1, 2 * k) / (2 * k)
    W1 = np.ones((2 * k, 1))
    b1 = np.concatenate([[1.0], -t])  # relu(x + 1) = x + 1 on [0, 1]
    xs = np.linspace(0, 1, 8 * k + 1)
    H = np.maximum(xs[:, None] * W1.T + b1, 0.0)
    coef, *_ = np.linalg.lstsq(np.column_stack([H, np.ones_like(xs)]), sawtooth(xs, k), rcond=None)
    return ReLUNetwork.from_weights([W1, coef[None, :-1]], [b1, coef[-1:]])


def deep_sawtooth(m):
    """m tent maps composed: 2^m pieces (2^(m-1) teeth) with 2 neurons per layer."""
    tent = zigzag_1d(2, kind="montufar")
    W1, W2 = tent.weights
    b1, b2 = tent.biases
    Ws, bs = [W1], [b1]
    for _ in range(m - 1):
        Ws.append(W1 @ W2)
        bs.append(W1 @ b2 + b1)
    return ReLUNetwork.from_weights(Ws + [W2], bs + [b2])


def fewest_neurons(pieces, max_depth=6):
    """Smallest sum(n_l) with prod(n_l + 1) >= pieces (Serra et al.'s 1-D maximum)."""
    best = pieces - 1
    for L in range(2, max_depth + 1):
        for n in range(1, pieces):
            if (n + 1) ** L >= pieces:
                best = min(best, n * L)
                break
    return best


def max_error(net, k):
    xs = np.linspace(0, 1, 2001)
    return float(np.max(np.abs(net.forward(xs[:, None])[:, 0] - sawtooth(xs, k))))


def train_sawtooth(width, k, steps, seed):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    g = np.random.default_rng(seed)
    # Kinks spread over [0, 1] at the start (a He init puts most of them outside).
    w = g.choice([-1.0, 1.0], width) * g.uniform(1, 3, width)
    net0 = ReLUNetwork.from_weights([w[:, None], g.normal(0, 0.5, (1, width))],
                                    [-w * g.uniform(0, 1, width), [0.5]])
    model = net0.to_torch()
    xs = torch.linspace(0, 1, 256)[:, None]
    ys = torch.as_tensor(sawtooth(xs.numpy()[:, 0], k), dtype=torch.float32)[:, None]
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(xs), ys).backward()
        opt.step()
        sched.step()
    return ReLUNetwork.from_torch(model)


def datasets(n, rng):
    X = rng.uniform(-1, 1, size=(n, 2))
    blobs = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(np.int64)
    checker = ((np.floor(2 * (X[:, 0] + 1)) + np.floor(2 * (X[:, 1] + 1))) % 2).astype(np.int64)
    return {"simple (half-planes)": (X, blobs), "intricate (4x4 checkerboard)": (X, checker)}


def main(argv=None):
    args = _common.parser(__doc__.splitlines()[0]).parse_args(argv)
    quick = args.quick
    rng = np.random.default_rng(args.seed)

    # ---------------------------------------------------------- 1. sawtooth
    saw = []
    for m in ((1, 2) if quick else (1, 2, 3)):
        k = 2 ** (m - 1) if m > 1 else 1
        one, deep = one_layer_sawtooth(k), deep_sawtooth(m)
        unit = ([0.0], [1.0])
        saw.append({"teeth k": k, "pieces 2k": 2 * k,
                    "1 layer: neurons": one.n_neurons,
                    "1 layer: exact regions": count_regions_on_segment(one, *unit),
                    "1 layer: max error": max_error(one, k),
                    "tent composition: neurons": deep.n_neurons,
                    "tent: exact regions": count_regions_on_segment(deep, *unit),
                    "tent: max error": max_error(deep, k),
                    "fewest by prod(n+1) >= 2k": fewest_neurons(2 * k)})
    print(_common.markdown(saw))
    k_fit = 2 if quick else 3
    fit_widths = [6] if quick else [4, 6, 8, 16]
    fits, fitted = [], {}
    for w in fit_widths:
        nets = [train_sawtooth(w, k_fit, 300 if quick else 2000, args.seed + s)
                for s in range(1 if quick else 2)]
        errs = [max_error(n, k_fit) for n in nets]
        b = int(np.argmin(errs))
        fitted[w] = nets[b]
        fits.append({"teeth k": k_fit, "width": w, "best max error": float(errs[b]),
                     "its regions in [0,1]": count_regions_on_segment(nets[b], [0.0], [1.0]),
                     "pieces needed (2k)": 2 * k_fit})
    print()
    print(_common.markdown(fits))

    # ------------------------------------------- 2./3. simple vs intricate
    import torch

    box = Box([-1, -1], [1, 1])
    epochs = 2 if quick else 60
    checkpoints = (0, 1, 2) if quick else (0, 5, 10, 20, 40, 60)
    widths = [6, 6] if quick else [16, 16]
    runs, snaps = {}, {}
    for name, (X, y) in datasets(150 if quick else 1000, rng).items():
        tracker = RegionTracker({"db": decision_metric(box)})
        model = random_network(2, widths, output_dim=2, bias_std=0.1,
                               random_state=args.seed).to_torch()
        data_regions = {}

        def record(m, ep, tracker=tracker, X=X, name=name, data_regions=data_regions):
            if ep in checkpoints:
                tracker.update(m, ep)
                net = ReLUNetwork.from_torch(m)
                data_regions[ep] = len({p.tobytes() for p in net.activation_patterns(X)})
                if name.startswith("intricate"):
                    snaps[ep] = enumerate_regions(net, box)

        _common.train_epochs(model, X, y, epochs, lr=1e-2, batch_size=32, seed=args.seed,
                             on_epoch=record)
        runs[name] = (tracker.table(), data_regions, _common.accuracy(model, X, y))
    rows = []
    for name, (tab, data_regions, acc) in runs.items():
        for k, ep in enumerate(tab["step"]):
            rows.append({"data": name, "epoch": int(ep), "regions in box": int(tab["db.regions"][k]),
                         "regions holding data": data_regions[int(ep)],
                         "crossed by decision boundary": int(tab["db.crossed"][k]),
                         "boundary length": float(tab["db.length"][k]),
                         "final train acc": acc if ep == tab["step"][-1] else float("nan")})
    print()
    print(_common.markdown(rows))
    simple, intricate = (runs[n][0] for n in runs)
    print(f"\nafter training: {int(simple['db.regions'][-1])} regions (simple) vs "
          f"{int(intricate['db.regions'][-1])} (intricate); decision boundary crosses "
          f"{int(simple['db.crossed'][-1])} vs {int(intricate['db.crossed'][-1])} regions.")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from polyregions.plotting import plot_regions

    fig, axs = plt.subplots(2, 3, figsize=(14, 9))
    xs = np.linspace(0, 1, 500)
    axs[0, 0].plot(xs, sawtooth(xs, k_fit), "k-", lw=2, label="target")
    for w, net in fitted.items():
        axs[0, 0].plot(xs, net.forward(xs[:, None])[:, 0], label=f"width {w}")
    axs[0, 0].set_title(f"one hidden layer fitting a {k_fit}-tooth sawtooth", fontsize=9)
    axs[0, 0].legend(fontsize=7)
    for name, (tab, data_regions, _) in runs.items():
        axs[0, 1].plot(tab["step"], tab["db.regions"], "o-", label=f"{name}: in box")
        axs[0, 1].plot(list(data_regions), list(data_regions.values()), "x--",
                       label=f"{name}: holding data")
        axs[0, 2].plot(tab["step"], tab["db.crossed"], "o-", label=name)
    axs[0, 1].set(xlabel="epoch", ylabel="regions", title=f"net 2-{widths}, exact counts")
    axs[0, 2].set(xlabel="epoch", ylabel="regions crossed", title="decision boundary")
    axs[0, 1].legend(fontsize=7)
    axs[0, 2].legend(fontsize=7)
    eps = sorted(snaps)
    for ax, ep in zip(axs[1], [eps[0], eps[len(eps) // 2], eps[-1]]):
        plot_regions(snaps[ep], ax=ax, decision_boundary=True, boundary_width=0.3)
        ax.set_title(f"checkerboard, epoch {ep}: {snaps[ep].n_regions} regions", fontsize=9)
    fig.suptitle("Qi & Wei 2023 (exact counts)")
    print("figure:", _common.save(fig, args.out, "qi_wei2023.png"))
    return {"sawtooth": saw, "fits": fits, "rows": rows}


if __name__ == "__main__":
    main(sys.argv[1:])
