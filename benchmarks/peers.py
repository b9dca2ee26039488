"""Run the two public peers on the same networks as polyregions, for side-by-side timing.

Peers (optional, the ``bench`` extra; see ``benchmarks/PEERS.md`` for the install):

* ``relucent==1.0.0`` -- breadth-first search over activation regions, one Gurobi LP per
  candidate cell (AGPL; only called through its public API, never vendored).
* ``regioncam==0.5.2`` -- Rust planar subdivision of a 2-D input square, float32.

Both count *activation regions*: sets of inputs sharing one on/off pattern of every hidden
neuron (``z > 0`` is "on"), kept only when the set meets the box in a full-dimensional piece.
The output layer never splits a region, so it is not passed to regioncam at all.

A box ``[lo, hi]`` is handled the same way for both peers: the affine map that sends
``[-1, 1]^d`` onto the box is folded into the first layer, so each peer works on its own
native domain (relucent: ``cube_mode="intersect"`` with ``cube_radius=1``; regioncam:
``Regioncam(size=1)``). That map is a bijection, so the region count is unchanged.

Run ``python benchmarks/peers.py validate`` for the fixed-seed cross-check (both peers plus
a dense-grid lower bound).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

__all__ = ["relucent_count", "regioncam_count", "grid_pattern_count", "random_net"]

_EXTRA_HINT = (
    "it is an optional benchmark peer: install the 'bench' extra in a separate venv, "
    "always with the torch pin, e.g. "
    "pip install -c constraints.txt torch==2.13.0 -e '.[bench]' (see benchmarks/PEERS.md)"
)


# ----------------------------------------------------------------------------- helpers


def _check_net(weights, biases, lo, hi):
    """Validate the arguments; return float64 copies and the box as two (d,) arrays."""
    if len(weights) != len(biases) or len(weights) < 1:
        raise ValueError("weights and biases must be non-empty lists of the same length")
    Ws = [np.array(W, dtype=np.float64) for W in weights]
    bs = [np.array(b, dtype=np.float64).reshape(-1) for b in biases]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ValueError(f"layer {i}: weight must be (out, in) and bias (out,), got {W.shape} and {b.shape}")
        if i and W.shape[1] != Ws[i - 1].shape[0]:
            raise ValueError(f"layer {i}: expects {W.shape[1]} inputs but layer {i - 1} has {Ws[i - 1].shape[0]} outputs")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(f"layer {i}: weights and biases must be finite")
    d = Ws[0].shape[1]
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), (d,)).copy()
    hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), (d,)).copy()
    if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (hi > lo).all()):
        raise ValueError("the box needs finite lo < hi in every coordinate")
    return Ws, bs, lo, hi


def _to_unit_box(Ws, bs, lo, hi):
    """Fold x = c + s*u (u in [-1, 1]^d) into the first layer."""
    c = (lo + hi) / 2.0
    s = (hi - lo) / 2.0
    Ws = list(Ws)
    bs = list(bs)
    bs[0] = bs[0] + Ws[0] @ c
    Ws[0] = Ws[0] * s[None, :]
    return Ws, bs


def _hidden_preacts(Ws, bs, X):
    """Pre-activations of every hidden layer, concatenated (rows = points)."""
    h = X
    out = []
    for W, b in zip(Ws[:-1], bs[:-1]):
        z = h @ W.T + b
        out.append(z)
        h = np.maximum(z, 0.0)
    return np.concatenate(out, axis=1) if out else np.zeros((X.shape[0], 0))


def _start_point(Ws, bs):
    """A point of [-1, 1]^d on no hyperplane: the centre if possible (relucent starts there)."""
    d = Ws[0].shape[1]
    rng = np.random.default_rng(12345)
    x = np.zeros(d)
    for _ in range(1000):
        z = _hidden_preacts(Ws, bs, x[None, :])
        if z.size == 0 or np.abs(z).min() > 1e-9:
            return x
        x = rng.uniform(-0.5, 0.5, d)
    raise RuntimeError("could not find a start point off every hyperplane")


# ----------------------------------------------------------------------------- relucent


def _import_relucent():
    try:
        importlib.import_module("gurobipy")  # relucent needs it at run time
        import relucent
    except ImportError as exc:
        raise ImportError(f"relucent_count needs relucent==1.0.0 and gurobipy ({exc}); {_EXTRA_HINT}") from exc
    return relucent


def _relucent_run(Ws, bs, start, nworkers=None, on_complex=None):
    """Count on the unit box [-1, 1]^d with relucent. Returns (count, seconds, complete, complex)."""
    relucent = _import_relucent()
    relucent.update_settings(VERBOSE=0)  # no progress bars or info logs
    t0 = time.perf_counter()
    cx = relucent.Complex(list(zip(Ws, bs)))
    if on_complex is not None:
        on_complex(cx)
    res = cx.bfs(
        start=np.asarray(start, dtype=np.float64),
        cube_radius=1.0,
        cube_mode="intersect",  # keep exactly the cells whose Chebyshev ball in the box is > 0
        nworkers=nworkers,
        verbose=0,
    )
    seconds = time.perf_counter() - t0
    d = Ws[0].shape[1]
    count = sum(1 for p in cx if int(p.dim) == d)
    return count, seconds, bool(res.complete) and bool(res.verified), cx


def relucent_count(weights, biases, lo, hi, time_limit=None, *, nworkers=None):
    """Number of activation regions meeting the box ``[lo, hi]`` full-dimensionally, by relucent.

    Parameters
    ----------
    weights, biases : lists of (out, in) and (out,) arrays; ReLU after every layer but the last.
    lo, hi : arrays (or scalars) giving the box.
    time_limit : seconds, or None. With a limit the search runs in a child process that is
        killed when the limit passes; ``count`` is then the number of cells found so far
        and ``complete`` is False.
    nworkers : relucent's worker-process count (default: all CPUs).

    Returns
    -------
    dict with ``count`` (int), ``seconds`` (wall time of building the complex, the search and
    relucent's own certification; imports excluded) and ``complete`` (the search exhausted its
    frontier and relucent certified the result).
    """
    Ws, bs, lo, hi = _check_net(weights, biases, lo, hi)
    _import_relucent()
    Ws, bs = _to_unit_box(Ws, bs, lo, hi)
    start = _start_point(Ws, bs)
    if time_limit is None:
        count, seconds, complete, _ = _relucent_run(Ws, bs, start, nworkers)
        return dict(count=int(count), seconds=float(seconds), complete=bool(complete))
    return _relucent_in_child(Ws, bs, start, float(time_limit), nworkers)


def _relucent_in_child(Ws, bs, start, time_limit, nworkers):
    with tempfile.TemporaryDirectory(prefix="peers-relucent-") as tmp:
        inp = os.path.join(tmp, "net.npz")
        out = os.path.join(tmp, "result.json")
        arrays = {f"W{i}": W for i, W in enumerate(Ws)} | {f"b{i}": b for i, b in enumerate(bs)}
        np.savez(inp, start=start, nlayers=len(Ws), nworkers=-1 if nworkers is None else nworkers, **arrays)
        # Own session, so the child and its worker pool can be killed as one group.
        proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "_relucent_child", inp, out, repr(time_limit)],
            start_new_session=True,
        )
        t0 = time.perf_counter()
        try:
            proc.wait(timeout=time_limit + 30.0)  # the child stops itself at time_limit
        except subprocess.TimeoutExpired:
            pass
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        elapsed = time.perf_counter() - t0
        try:
            with open(out) as fh:
                result = json.load(fh)
        except (OSError, ValueError):
            result = {"count": 0, "done": False}
        if "error" in result:
            raise RuntimeError(f"relucent failed: {result['error']}")
        if result.get("done"):
            return dict(count=int(result["count"]), seconds=float(result["seconds"]), complete=bool(result["complete"]))
        return dict(count=int(result.get("count", 0)), seconds=float(min(elapsed, time_limit)), complete=False)


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(obj, fh)
    os.replace(tmp, path)


def _relucent_child(inp, out, time_limit):
    data = np.load(inp)
    n = int(data["nlayers"])
    Ws = [data[f"W{i}"] for i in range(n)]
    bs = [data[f"b{i}"] for i in range(n)]
    nworkers = int(data["nworkers"])
    holder = {}
    stop = threading.Event()
    t0 = time.perf_counter()

    def report():  # progress for the parent in case it has to kill us
        while not stop.wait(0.5):
            cx = holder.get("cx")
            if cx is not None:
                _write_json(out, {"count": len(cx), "done": False})
            if time.perf_counter() - t0 > time_limit:
                os.killpg(os.getpgid(0), signal.SIGKILL)  # our own session: this child and its pool

    threading.Thread(target=report, daemon=True).start()
    try:
        count, seconds, complete, _ = _relucent_run(
            Ws, bs, data["start"], None if nworkers < 0 else nworkers, on_complex=lambda cx: holder.update(cx=cx)
        )
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        stop.set()
        _write_json(out, {"error": f"{type(exc).__name__}: {exc}"})
        return 1
    stop.set()
    _write_json(out, {"count": count, "seconds": seconds, "complete": complete, "done": True})
    return 0


# ----------------------------------------------------------------------------- regioncam


def _import_regioncam():
    try:
        import regioncam
    except ImportError as exc:
        raise ImportError(f"regioncam_count needs regioncam==0.5.2 ({exc}); {_EXTRA_HINT}") from exc
    return regioncam


def _regioncam_build(Ws, bs):
    regioncam = _import_regioncam()
    t0 = time.perf_counter()
    rc = regioncam.Regioncam(size=1.0)  # the square [-1, 1]^2
    for W, b in zip(Ws[:-1], bs[:-1]):  # the output layer splits nothing
        # regioncam computes x @ weight + bias, in float32 only.
        rc.linear(np.ascontiguousarray(W.T, dtype=np.float32), np.ascontiguousarray(b, dtype=np.float32))
        rc.relu()
    count = rc.num_faces
    return count, time.perf_counter() - t0, rc


def regioncam_count(weights, biases, lo, hi):
    """Number of activation regions in the square ``[lo, hi]`` (2-D inputs only), by regioncam.

    Returns dict with ``count`` (faces of regioncam's subdivision of the square) and
    ``seconds`` (building the subdivision; imports excluded). regioncam works in float32,
    so cells thinner than about 1e-7 of the square can be lost or mis-split.
    """
    Ws, bs, lo, hi = _check_net(weights, biases, lo, hi)
    if Ws[0].shape[1] != 2:
        raise ValueError(f"regioncam_count handles 2-D inputs only, got input dimension {Ws[0].shape[1]}")
    _import_regioncam()
    Ws, bs = _to_unit_box(Ws, bs, lo, hi)
    count, seconds, _ = _regioncam_build(Ws, bs)
    return dict(count=int(count), seconds=float(seconds))


# ----------------------------------------------------------------------------- checks


def grid_pattern_count(weights, biases, lo, hi, n=3000, chunk=250):
    """Distinct activation patterns on an ``n x n`` grid of the 2-D box: a lower bound (numpy only)."""
    Ws, bs, lo, hi = _check_net(weights, biases, lo, hi)
    if Ws[0].shape[1] != 2:
        raise ValueError("grid_pattern_count handles 2-D inputs only")
    xs = np.linspace(lo[0], hi[0], n)
    ys = np.linspace(lo[1], hi[1], n)
    seen = []
    for i in range(0, n, chunk):
        gx, gy = np.meshgrid(xs[i : i + chunk], ys, indexing="ij")
        X = np.column_stack([gx.ravel(), gy.ravel()])
        bits = np.packbits(_hidden_preacts(Ws, bs, X) > 0, axis=1)
        rows = np.ascontiguousarray(bits).view(np.dtype((np.void, bits.shape[1]))).ravel()
        seen.append(np.unique(rows))
    return int(np.unique(np.concatenate(seen)).size)


def random_net(seed, widths, d=2, bias_std=0.5):
    """The fixed-seed nets of docs/performance.md as plain (weights, biases) lists."""
    from polyregions import random_network

    net = random_network(d, widths, bias_std=bias_std, random_state=seed)
    return [np.array(W) for W in net.weights], [np.array(b) for b in net.biases]


def _regioncam_inside_adjacency(rc):
    """Pairs of regioncam faces sharing an edge inside the square."""
    pairs = set()
    for e in rc.edges:
        faces = [f for f in e.faces if f is not None]
        if len(faces) == 2:
            pairs.add(frozenset(tuple(sorted(f.vertex_ids)) for f in faces))
    return len(pairs)


def validate(widths_list=((8, 8), (16, 16)), seeds=(0, 1, 2), bias_std=0.5, grid=3000):
    """Print both peers' counts and times and the grid lower bound on the fixed-seed nets."""
    lo, hi = -np.ones(2), np.ones(2)
    print(f"box [-1,1]^2, bias std {bias_std}, grid {grid}x{grid}")
    hdr = f"{'net':>10} {'seed':>4} {'relucent':>9} {'t_rel[s]':>9} {'regioncam':>9} {'t_rc[ms]':>9} {'grid':>6} {'t_grid[s]':>9}  dual-graph edges (relucent / in-box)"
    print(hdr)
    for widths in widths_list:
        for seed in seeds:
            Ws, bs = random_net(seed, list(widths), bias_std=bias_std)
            rel = relucent_count(Ws, bs, lo, hi)
            rc = regioncam_count(Ws, bs, lo, hi)
            t0 = time.perf_counter()
            g = grid_pattern_count(Ws, bs, lo, hi, n=grid)
            tg = time.perf_counter() - t0
            # adjacency caveat: relucent links flip neighbours even when their shared facet
            # lies outside the box; regioncam's edges are inside the square only.
            uW, ub = _to_unit_box(Ws, bs, lo, hi)
            _, _, _, cx = _relucent_run(uW, ub, _start_point(uW, ub))
            _, _, rcam = _regioncam_build(uW, ub)
            edges = f"{cx.G.number_of_edges()} / {_regioncam_inside_adjacency(rcam)}"
            name = "2-" + "x".join(map(str, widths))
            flag = "" if rel["complete"] else " (incomplete)"
            print(
                f"{name:>10} {seed:>4} {rel['count']:>9} {rel['seconds']:>9.2f} {rc['count']:>9} "
                f"{1e3 * rc['seconds']:>9.2f} {g:>6} {tg:>9.1f}  {edges}{flag}",
                flush=True,
            )


def _main(argv):
    if len(argv) == 4 and argv[0] == "_relucent_child":
        return _relucent_child(argv[1], argv[2], float(argv[3]))
    if argv and argv[0] == "validate":
        validate()
        return 0
    if argv and argv[0] == "time":  # python peers.py time 32,32 [seed] [time_limit]
        widths = [int(w) for w in argv[1].split(",")]
        seed = int(argv[2]) if len(argv) > 2 else 0
        limit = float(argv[3]) if len(argv) > 3 else None
        Ws, bs = random_net(seed, widths)
        lo, hi = -np.ones(2), np.ones(2)
        print("relucent ", relucent_count(Ws, bs, lo, hi, time_limit=limit), flush=True)
        print("regioncam", regioncam_count(Ws, bs, lo, hi), flush=True)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
