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

Wide nets (every layer after the first with at least :data:`MAPS_MIN_WIDTH`
inputs) skip the forward pass: each layer's pre-activations are carried as
affine maps (gradient and offset) per prefix group, and a group differs from
the first group of its parent's run in one or two units of the layer before
(the rest of its bits are the same), so its map is that group's plus a
rank-one correction per flipped unit -- ``d + 1`` products per value and a
few outer products per group instead of ``n_(l-1)`` products per value. The
signs of the maps at a point agree with the pattern exactly when the forward
pass there gives the pattern (layer by layer, the maps are the network's
pre-activations wherever the earlier bits agree), so ``same`` means the same
on both paths.

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

from .lp import chebyshev_ball, inscribed_radius
from .results import region_halfspaces
from .scaling import first_layer_offset_scale
from .skeleton import SubdivisionFallback

__all__ = ["inscribed_radii", "certify_cells"]


#: A group differing from its parent run's first group in more than this many units of the
#: layer before gets its own matrix product instead of a rank-k correction.
MAX_FLIPS = 4
#: Nets whose hidden layers after the first all have at least this many inputs take
#: :func:`_radii_block_maps` (measured faster there: 1.4x on 2-[256]*4); narrower ones the
#: forward pass of :func:`_radii_block`, which is faster for them (and for small nets).
MAPS_MIN_WIDTH = 96


def _next_maps(WTz, b, A, D, par, P, first):
    """The next layer's pre-activations as affine maps, one ``(d + 1, n)`` slab per group.

    ``WTz`` is the next layer's ``W`` transposed with a row of zeros below;
    ``A[q]`` is this layer's map on group ``q`` (``d`` gradient rows, then
    the offset, by units); group ``g`` of the next layer
    lies in ``par[g]``, its first region is ``first[g]``, ``P`` are this
    layer's bits (rows = regions) and ``D[g]`` its units' slopes there (1 or
    the negative slope). The map is ``W (D[g] * A[par[g]]) + b``. Groups with
    the same parent differ only in a few of this layer's bits, so all but the
    first of a parent's run are that first one's map plus a rank-``k``
    correction (``k`` = flipped units, usually 1-2): one outer product per
    flipped unit instead of a product with all of ``W``.
    """
    _, d1, n_in = A.shape
    WT = WTz[:n_in]  # WTz: W transposed, with a zero row below
    g, n = len(par), WT.shape[1]
    out = np.empty((g, d1, n))
    base = np.ones(g, dtype=bool)
    base[1:] = par[1:] != par[:-1]
    base_of = np.flatnonzero(base).take(np.cumsum(base) - 1)
    rest = np.flatnonzero(~base)
    if len(rest):
        F = P.take(first.take(rest), axis=0) != P.take(first.take(base_of.take(rest)), axis=0)
        heavy = F.sum(axis=1) > MAX_FLIPS
        if heavy.any():
            base[rest[heavy]] = True
            rest, F = rest[~heavy], F[~heavy]
    dense = np.flatnonzero(base)
    M = A.take(par.take(dense), axis=0)
    M *= D.take(dense, axis=0)[:, None, :]
    out[dense] = (M.reshape(-1, n_in) @ WT).reshape(len(dense), d1, n)
    out[dense, -1] += b
    if len(rest):
        gi, j = np.nonzero(F)  # the flipped units, ordered by group (every group has one)
        gr = rest.take(gi)
        V = A[par.take(gr), :, j]  # (flips, d + 1): each flipped unit's map on the parent
        V *= (D[gr, j] - D[base_of.take(gr), j])[:, None]
        # sum_k V_k (x) W_k over each group's flips as one batched product, groups padded to
        # the largest count with WT's zero row (index n_in)
        cnt = np.bincount(gi, minlength=len(rest))
        pos = np.arange(len(gi)) - (np.cumsum(cnt) - cnt).take(gi)
        K = int(cnt.max())
        Vp = np.zeros((len(rest), K, d1))
        Vp[gi, pos] = V
        jp = np.full((len(rest), K), n_in)
        jp[gi, pos] = j
        T = np.matmul(Vp.transpose(0, 2, 1), WTz.take(jp, axis=0))
        T += out.take(base_of.take(rest), axis=0)
        out[rest] = T
    return out


def _block_state(R):
    """Per-region state of a block: where a run of equal prefixes starts (the rows are
    sorted), whether the point re-derives the pattern so far, the largest and smallest
    gradient norm so far."""
    new = np.zeros(R, dtype=bool)
    if R:
        new[0] = True
    return new, np.ones(R, dtype=bool), np.zeros(R), np.full(R, np.inf)


def _gradient_norms(G, d, axis, grp, big, small):
    """Norms of the gradient rows ``G[:, :d, :]`` (units along ``axis`` of the result), with
    each region's largest and smallest so far updated in ``big`` and ``small``."""
    nrm = G[:, 0, :] ** 2
    for j in range(1, d):
        nrm += G[:, j, :] ** 2
    np.sqrt(nrm, out=nrm)
    np.maximum(big, nrm.max(axis=axis, initial=0.0).take(grp), out=big)
    np.minimum(small, nrm.min(axis=axis, initial=np.inf).take(grp), out=small)
    return nrm


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
    new, same, big, small = _block_state(R)
    start = 0
    N = patterns.shape[1]
    for W, b, a in zip(Ws, bs, slopes):
        n = W.shape[0]
        z = W @ hT
        z += b[:, None]
        n_in, g = M.shape[0], M.shape[2]
        G = (W @ M.reshape(n_in, d * g)).reshape(n, d, g)  # one GEMM over all groups
        nrm = _gradient_norms(G, d, 0, grp_prev, big, small)  # (n, groups)
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
    return _nearest_row(absz, norms, groups, big, small, zero_row, X, A_dom, b_dom, 0), same


def _radii_block_maps(WTzs, bs, slopes, patterns, X, A_dom, b_dom, zero_row):
    # What _radii_block computes, for wide layers: region-major (regions, units) arrays, and
    # each layer's pre-activations as affine maps (gradient and offset) per group of regions
    # sharing the bits of the layers before it (_next_maps), evaluated at the points with
    # d + 1 products per value instead of a forward pass's n_(l-1).
    R, d = X.shape
    absz, norms, groups = [], [], []
    new, same, big, small = _block_state(R)
    start = 0
    A = grp = p = a_prev = None
    for WTz, b, a in zip(WTzs, bs, slopes):
        WT = WTz[:-1]
        n_in, n = WT.shape
        if A is None:
            A = np.concatenate([WT, b[None, :]], axis=0)[None]
            grp = np.zeros(R, dtype=np.intp)
            z = X @ WT
            z += b
        else:
            new[1:] |= np.logical_or.reduce(p[1:] != p[:-1], axis=1)
            first = np.flatnonzero(new)
            Pf = p.take(first, axis=0)
            D = Pf.astype(np.float64) if a_prev == 0 else np.where(Pf, 1.0, a_prev)
            A = _next_maps(WTz, b, A, D, grp.take(first), p, first)
            grp = np.cumsum(new) - 1
            z = A[:, d, :].take(grp, axis=0)
            for j in range(d):
                z += A[:, j, :].take(grp, axis=0) * X[:, j: j + 1]
        nrm = _gradient_norms(A, d, 1, grp, big, small)  # (groups, n)
        p = patterns[:, start: start + n]
        zp = z > 0
        same &= np.logical_and.reduce(zp == p, axis=1)
        start += n
        norms.append(nrm)
        groups.append(grp)
        absz.append(np.abs(z, out=z))
        a_prev = a
    return _nearest_row(absz, norms, groups, big, small, zero_row, X, A_dom, b_dom, 1), same


def _nearest_row(absz, norms, groups, big, small, zero_row, X, A_dom, b_dom, axis):
    """Distance from each point to its region's nearest row (neurons' rows along ``axis``).

    ``absz[l]`` are layer ``l``'s ``|z|`` at the points, ``norms[l]`` its
    gradient norms per group, ``groups[l]`` each region's group; a neuron
    whose gradient is at most ``zero_row`` times the region's largest
    (``big``) is constant there and gives no row.
    """
    thr = zero_row * np.maximum(big, 1e-300)
    r = np.full(len(X), np.inf)
    every = bool(np.all(small > thr))  # the usual case: every neuron gives a row
    for q, nrm, grp in zip(absz, norms, groups):
        Nr = nrm.take(grp, axis=1 - axis)
        if every:
            np.divide(q, Nr, out=q)
        else:
            row = Nr > (thr if axis == 0 else thr[:, None])
            np.divide(q, Nr, out=q, where=row)
            np.copyto(q, np.inf, where=~row)
        np.minimum(r, np.minimum.reduce(q, axis=axis), out=r)
    if len(b_dom):
        dn = np.linalg.norm(A_dom, axis=1)
        slack = (b_dom[:, None] - A_dom @ X.T) / dn[:, None]
        np.minimum(r, np.minimum.reduce(slack, axis=0), out=r)
    return r


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
    if min((W.shape[1] for W in Ws[1:]), default=0) >= MAPS_MIN_WIDTH:
        block = _radii_block_maps
        Ws = [np.concatenate([np.asarray(W, dtype=np.float64).T, np.zeros((1, W.shape[0]))])
              for W in Ws]
    else:
        block = _radii_block
    for s in range(0, R, step):
        r[s: s + step], same[s: s + step] = block(
            Ws, bs, slopes, patterns[s: s + step], X[s: s + step], A_dom, b_dom, zero_row)
    return r, same


def certify_cells(net, domain, Ws, bs, slopes, patterns, pts, A_dom, b_dom, tol):
    """Certify cells as regions by the LP engine's counting rule: ``(pts, r, counted, n_thin, lp_calls)``.

    ``patterns`` (``(R, N)`` bool) and ``pts`` (one point in each cell, domain
    coordinates; updated in place where an LP finds a better one) are the
    cells of a complex; ``Ws, bs, slopes`` the hidden layers as functions of
    the domain coordinates and ``A_dom, b_dom`` the domain's rows. Every
    radius is recomputed in float64 (:func:`inscribed_radii`); a cell whose
    radius is at or below ``tol.radius`` times its local scale
    ``max(|x|_inf, r, lam)``, or whose point does not re-derive its pattern,
    gets the Chebyshev LP: it counts iff the LP's certified radius exceeds
    the threshold, is thin (``n_thin``) if feasible below it, and is dropped
    only if HiGHS proves it empty. ``counted`` marks the regions. Raises
    :class:`SubdivisionFallback` when a certified point does not re-derive
    its pattern through the network itself. Used by the subdivision's
    read-out and by the cone reduction (:mod:`polyregions.cones`).

    >>> from polyregions import ReLUNetwork, Box
    >>> from polyregions.tolerances import Tolerances
    >>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [[0.0, 0.0], [0.0]])
    >>> P = np.array([[True, True], [False, True]])
    >>> X = np.array([[0.5, 0.5], [-0.5, 0.25]])
    >>> A, b = Box([-1, -1], [1, 1]).halfspaces
    >>> pts, r, counted, n_thin, lp_calls = certify_cells(
    ...     net, Box([-1, -1], [1, 1]), [np.eye(2)], [np.zeros(2)], [0.0], P, X, A, b, Tolerances())
    >>> r.tolist(), counted.tolist(), n_thin, lp_calls
    ([0.5, 0.25], [True, True], 0, 0)
    """
    R = len(patterns)
    # The LP engine's counting rule: thresholds relative to each region's
    # local scale max(|x|_inf, r, lam), never to the domain's width.
    lam = first_layer_offset_scale(net, domain.input_map)

    def local(x, rad):
        return np.maximum(np.maximum(np.abs(x).max(axis=-1, initial=0.0), rad), lam)

    r, same = inscribed_radii(Ws, bs, slopes, patterns, pts, A_dom, b_dom, tol.zero_row)
    radius_min = tol.radius * local(pts, np.maximum(r, 0.0))
    good = (r > radius_min) & same
    if R and domain.input_map is not None:
        # the slice's map folded into layer 1 is a second rounding: check the network itself
        fwd = net.activation_patterns(domain.to_input(pts[good]))
        if not np.array_equal(fwd, patterns[good]):
            raise SubdivisionFallback("a cell's point does not re-derive its pattern")
    lp_calls = 0
    n_thin = 0
    counted = good.copy()
    for i in np.flatnonzero(~good):
        # thin-looking cell (or its point missed it): the LP engine's Chebyshev LP decides
        A, bb, _ = region_halfspaces(net, domain, patterns[i], tol.zero_row)
        lp_calls += 1
        # Solved in coordinates centred at the cell's point, so HiGHS' absolute
        # tolerances are relative to the cell, not to its distance from the
        # origin (the LP engine does the same).
        xc = pts[i]
        res = chebyshev_ball(A, bb - A @ xc, radius_cap=np.inf)
        if res is None:
            continue  # HiGHS proved the pattern empty
        res = (xc + res[0], inscribed_radius(A, bb, xc + res[0]))
        ell = float(local(res[0], max(res[1], 0.0)))
        if res[1] <= tol.radius * ell:
            # Feasible but below the radius tolerance (or with no certifiable
            # interior at all): thin, as in the LP engine, never dropped.
            n_thin += 1
            continue
        x = res[0]
        if not np.array_equal(net.activation_patterns(domain.to_input(x[None]))[0], patterns[i]):
            raise SubdivisionFallback("an LP centre does not re-derive its pattern")
        pts[i], r[i] = x, res[1]
        counted[i] = True
    return pts, r, counted, n_thin, lp_calls
