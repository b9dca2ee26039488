"""General networks (PLNetwork) against their dense ReLUNetwork equivalents.

Prints, for a few small conv / pooling nets in a 2-D slice through three
random images, the region count and the median enumeration time of the
PLNetwork (convolutions kept as convolutions) and of the same net with every
affine stretch materialised as a dense matrix (``to_relu_network``), both by
the LP search, and the dense net by ``method="auto"`` (the subdivision engine
in a 2-D slice, which takes dense nets only), plus a
max-pool net and a residual MLP, which have no dense equivalent.

    PYTHONPATH=. python benchmarks/bench_networks.py [--repeats 3]
"""

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn as nn

import polyregions as pr


class Residual(nn.Module):
    def __init__(self, d=4, w=8):
        super().__init__()
        self.a, self.b, self.c, self.o = nn.Linear(d, w), nn.Linear(w, d), nn.Linear(d, w), nn.Linear(w, 1)

    def forward(self, x):
        x = x + self.b(torch.relu(self.a(x)))
        return self.o(torch.relu(self.c(x)))


def cases():
    torch.manual_seed(0)
    yield "conv 1x6x6, 2 conv3x3(2ch)", nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1)), (1, 6, 6)
    yield "conv 1x10x10, conv3x3(2ch), avgpool2, conv2x2(2ch)", nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(2, 2, 2), nn.ReLU(), nn.Flatten(),
        nn.Linear(18, 1)), (1, 10, 10)
    yield "conv 1x16x16, conv5x5(1ch)+BN, conv3x3/2(2ch)", nn.Sequential(
        nn.Conv2d(1, 1, 5), nn.BatchNorm2d(1), nn.ReLU(), nn.Conv2d(1, 2, 3, stride=2), nn.ReLU(),
        nn.Flatten(), nn.Linear(50, 1)), (1, 16, 16)
    yield "max-pool 1x6x6, conv3x3(2ch), maxpool2, dense 4", nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 4), nn.ReLU(),
        nn.Linear(4, 1)), (1, 6, 6)
    yield "residual MLP 4-[8]+skip-[8]", Residual(), (4,)


def timed(net, dom, repeats, method="lp"):
    times, n = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        n = pr.enumerate_regions(net, dom, method=method).count()
        times.append(time.perf_counter() - t)
    return n, statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    warm = pr.random_network(2, [4])
    pr.enumerate_regions(warm, pr.Box([-1, -1], [1, 1]))  # imports and HiGHS start-up
    print(f"{'network':52s} {'regions':>8s} {'PLNetwork lp s':>14s} {'dense lp s':>10s} "
          f"{'ratio':>6s} {'dense auto s':>12s}")
    for name, m, shape in cases():
        m = m.double().eval()
        net = pr.from_torch(m, shape)
        d = int(np.prod(shape))
        dom = pr.Slice.through_points(*rng.normal(scale=0.5, size=(3, d)), margin=0.0)
        n, t = timed(net, dom, args.repeats)
        if isinstance(net, pr.PLNetwork) and net.is_chain():
            dense = net.to_relu_network()
            n2, t2 = timed(dense, dom, args.repeats)
            n3, t3 = timed(dense, dom, args.repeats, method="auto")
            assert n2 == n == n3, (n, n2, n3)
            print(f"{name:52s} {n:8d} {t:14.3f} {t2:10.3f} {t / t2:6.2f} {t3:12.3f}")
        else:
            print(f"{name:52s} {n:8d} {t:14.3f} {'-':>10s} {'-':>6s} {'-':>12s}")


if __name__ == "__main__":
    main()
