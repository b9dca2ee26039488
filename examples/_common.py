"""Shared plumbing of the example studies: arguments, data, training, tables.

Not part of the package; each study imports it from its own directory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a small run (CI; well under 2 minutes)")
    p.add_argument("--out", default=str(HERE / "figures"), help="directory for the PNG")
    p.add_argument("--seed", type=int, default=0)
    return p


def digits(scale=True):
    """scikit-learn's 8x8 digits (shipped with scikit-learn, no download): X in [0, 1]^64, y."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X = d.data.astype(np.float64) / (16.0 if scale else 1.0)
    return X, d.target.astype(np.int64)


def train_epochs(model, X, y, epochs, *, lr=1e-3, batch_size=64, seed=0, on_epoch=None,
                 loss="ce"):
    """Adam on mini-batches; ``on_epoch(model, epoch)`` after epoch 0 (init) and each epoch."""
    import torch

    # Tiny models: one thread avoids thread spin on a shared machine (measured 10x).
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    g = np.random.default_rng(seed)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    if on_epoch is not None:
        on_epoch(model, 0)
    for ep in range(1, epochs + 1):
        order = g.permutation(len(X))
        for k in range(0, len(X), batch_size):
            idx = torch.as_tensor(order[k:k + batch_size])
            opt.zero_grad()
            out = model(Xt[idx])
            if loss == "ce":
                l = torch.nn.functional.cross_entropy(out, yt[idx])
            else:
                l = torch.nn.functional.mse_loss(out.squeeze(-1), yt[idx].float())
            l.backward()
            opt.step()
        if on_epoch is not None:
            on_epoch(model, ep)
    return model


def accuracy(model, X, y):
    import torch

    with torch.no_grad():
        return float((model(torch.as_tensor(X, dtype=torch.float32)).argmax(1).numpy() == y).mean())


def markdown(rows, columns=None, digits=4):
    """A list of dicts as a GitHub markdown table."""
    columns = columns or list(rows[0])
    fmt = lambda v: f"{v:.{digits}g}" if isinstance(v, float) else str(v)  # noqa: E731
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(fmt(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(out)


def save(fig, out, name):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path
