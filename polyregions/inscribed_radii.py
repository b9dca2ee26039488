"""Certified radii of many regions at once, from their H-representations.

For regions given by their activation patterns (sorted as packed bits, as the
engines return them) and one point in each, :func:`inscribed_radii` computes
what :func:`polyregions.lp.inscribed_radius` computes for one region's rows
(:func:`polyregions.results.region_halfspaces`): the smallest distance from
the point to a row's hyperplane, over every neuron's row and the domain's
rows, in float64. The pre-activations at the points come from one forward
pass (which also re-derives each pattern); the gradient norms of layer ``l``
depend only on the bits of the layers before it, which are runs of the
sorted patterns, so they take one matrix product per layer over the
distinct prefixes.

Example
-------
>>> import numpy as np
>>> W = [np.array([[1.0, 0.0], [0.0, 2.0]])]
>>> b = [np.array([0.0, 0.0])]
>>> r, ok = inscribed_radii(W, b, [0.0], np.array([[True, True]]), np.array([[0.5, 0.25]]),
...                         np.zeros((0, 2)), np.zeros(0), 1e-12)
>>> float(r[0]), bool(ok[0])
(0.25, True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["inscribed_radii"]


def _prefix_groups(patterns, start):
    """Group id of each row by its first ``start`` bits (rows sorted by pattern): ``(first, grp)``."""
    R = len(patterns)
    if start == 0 or R == 0:
        return np.zeros(min(R, 1), dtype=np.intp), np.zeros(R, dtype=np.intp)
    new = np.ones(R, dtype=bool)
    new[1:] = np.any(patterns[1:, :start] != patterns[:-1, :start], axis=1)
    return np.flatnonzero(new), np.cumsum(new) - 1


def _radii_block(Ws, bs, slopes, patterns, X, A_dom, b_dom, zero_row):
    # neuron-major (n, R) arrays: every reduction over a region's neurons runs across rows,
    # which numpy vectorises over the regions (a reduction along short rows does not)
    R, d = X.shape
    hT = X.T
    vals, norms, groups = [], [], []
    M = np.eye(d)[:, None, :]  # (n_in, groups, d): the previous layer's gradients
    grp_prev = np.zeros(R, dtype=np.intp)
    same = np.ones(R, dtype=bool)
    big = np.zeros(R)  # each region's largest gradient norm
    start = 0
    for W, b, a in zip(Ws, bs, slopes):
        n = W.shape[0]
        z = W @ hT
        z += b[:, None]
        n_in, g = M.shape[0], M.shape[1]
        G = (W @ M.reshape(n_in, g * d)).reshape(n, g, d)  # one GEMM over all groups
        nrm = np.sqrt(np.einsum("kgd,kgd->kg", G, G))  # (n, groups)
        vals.append(z)
        norms.append(nrm)
        groups.append(grp_prev)
        np.maximum(big, nrm.max(axis=0, initial=0.0).take(grp_prev), out=big)
        p = patterns[:, start: start + n].T
        same &= np.logical_and.reduce((z > 0) == p, axis=0)
        start += n
        if start == patterns.shape[1]:
            break
        hT = np.where(z > 0, z, a * z)
        first, grp = _prefix_groups(patterns, start)
        D = np.where(p[:, first], 1.0, a)  # (n, groups)
        M = D[:, :, None] * G[:, grp_prev[first], :]
        grp_prev = grp
    # distance to each row's hyperplane; a neuron constant on the region gives no row
    thr = zero_row * np.maximum(big, 1e-300)
    r = np.full(R, np.inf)
    for z, nrm, grp in zip(vals, norms, groups):
        Nr = nrm.take(grp, axis=1)
        row = Nr > thr
        q = np.abs(z)
        np.divide(q, Nr, out=q, where=row)
        np.copyto(q, np.inf, where=~row)
        np.minimum(r, np.minimum.reduce(q, axis=0), out=r)
    if len(b_dom):
        dn = np.linalg.norm(A_dom, axis=1)
        slack = (b_dom[:, None] - A_dom @ X.T) / dn[:, None]
        np.minimum(r, np.minimum.reduce(slack, axis=0), out=r)
    return r, same


def inscribed_radii(Ws, bs, slopes, patterns, X, A_dom, b_dom, zero_row, chunk_bytes=2**27):
    """Radius at ``X[r]`` of region ``patterns[r]`` and whether the point re-derives the pattern.

    Parameters
    ----------
    Ws, bs, slopes : lists
        Hidden layers as functions of the domain's coordinates.
    patterns : ndarray of bool, shape (R, N)
        Sorted lexicographically (rows sharing a prefix are adjacent); any
        order is correct, sorted is fast.
    X : ndarray, shape (R, d)
    A_dom, b_dom : arrays
        The domain's rows.
    zero_row : float
        A neuron whose gradient norm on the region is at most ``zero_row``
        times the largest gives no row (as in
        :func:`polyregions.results.pattern_rows`).

    Returns
    -------
    radius : ndarray, shape (R,)
        Meaningful where ``same`` holds: there the point lies in the region
        and the values are the region's affine pre-activations.
    same : ndarray of bool, shape (R,)
        The forward pass at ``X[r]`` gives ``patterns[r]``.
    """
    R, d = X.shape
    per = sum(W.shape[0] * (d + 3) for W in Ws) * 8 + 1
    step = max(1, int(chunk_bytes // per))
    r = np.empty(R)
    same = np.empty(R, dtype=bool)
    for s in range(0, R, step):
        r[s: s + step], same[s: s + step] = _radii_block(
            Ws, bs, slopes, patterns[s: s + step], X[s: s + step], A_dom, b_dom, zero_row)
    return r, same
