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
distinct prefixes. Regions go in blocks of a few hundred (``chunk_bytes``),
so each layer's (neurons, regions) arrays stay in cache.

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


def _radii_block(Ws, bs, slopes, patterns, X, A_dom, b_dom, zero_row):
    # neuron-major (n, R) arrays: every reduction over a region's neurons runs across rows,
    # which numpy vectorises over the regions (a reduction along short rows does not)
    R, d = X.shape
    PT = np.ascontiguousarray(patterns.T)  # the bits neuron-major, one copy per block
    hT = X.T
    absz, norms, groups = [], [], []
    # (n_in, d, groups): the previous layer's gradients, one (d, groups) slab per neuron, so the
    # product with the next W is one GEMM and the gathers below copy contiguous rows
    M = np.eye(d)[:, :, None]
    grp_prev = np.zeros(R, dtype=np.intp)
    new = np.zeros(R, dtype=bool)  # where a run of equal prefixes starts (rows are sorted)
    if R:
        new[0] = True
    same = np.ones(R, dtype=bool)
    big = np.zeros(R)  # each region's largest gradient norm
    small = np.full(R, np.inf)  # and its smallest
    start = 0
    N = patterns.shape[1]
    for W, b, a in zip(Ws, bs, slopes):
        n = W.shape[0]
        z = W @ hT
        z += b[:, None]
        n_in, g = M.shape[0], M.shape[2]
        G = (W @ M.reshape(n_in, d * g)).reshape(n, d, g)  # one GEMM over all groups
        nrm = G[:, 0, :] ** 2
        for j in range(1, d):
            nrm += G[:, j, :] ** 2
        np.sqrt(nrm, out=nrm)  # (n, groups)
        np.maximum(big, nrm.max(axis=0, initial=0.0).take(grp_prev), out=big)
        np.minimum(small, nrm.min(axis=0, initial=np.inf).take(grp_prev), out=small)
        p = PT[start: start + n]
        zp = z > 0
        same &= np.logical_and.reduce(zp == p, axis=0)
        start += n
        last = start == N
        if not last:
            hT = np.maximum(z, 0.0) if a == 0 else np.where(zp, z, a * z)
        norms.append(nrm)
        groups.append(grp_prev)
        absz.append(np.abs(z, out=z))
        if last:
            break
        new[1:] |= np.logical_or.reduce(p[:, 1:] != p[:, :-1], axis=0)
        first = np.flatnonzero(new)
        grp = np.cumsum(new) - 1
        M = np.take(G, grp_prev.take(first), axis=2)
        D = p[:, first] if a == 0 else np.where(p[:, first], 1.0, a)
        M *= D[:, None, :]
        grp_prev = grp
    # distance to each row's hyperplane; a neuron constant on the region gives no row
    thr = zero_row * np.maximum(big, 1e-300)
    r = np.full(R, np.inf)
    every = bool(np.all(small > thr))  # the usual case: every neuron gives a row
    for q, nrm, grp in zip(absz, norms, groups):
        Nr = nrm.take(grp, axis=1)
        if every:
            np.divide(q, Nr, out=q)
        else:
            row = Nr > thr
            np.divide(q, Nr, out=q, where=row)
            np.copyto(q, np.inf, where=~row)
        np.minimum(r, np.minimum.reduce(q, axis=0), out=r)
    if len(b_dom):
        dn = np.linalg.norm(A_dom, axis=1)
        slack = (b_dom[:, None] - A_dom @ X.T) / dn[:, None]
        np.minimum(r, np.minimum.reduce(slack, axis=0), out=r)
    return r, same


def inscribed_radii(Ws, bs, slopes, patterns, X, A_dom, b_dom, zero_row, chunk_bytes=2**23):
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
