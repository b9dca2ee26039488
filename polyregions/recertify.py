"""Cheap re-certification of a region set from its own data (no LP, no enumeration).

A :class:`~polyregions.RegionSet` read from a file claims, for each region,
a pattern, an interior point and a radius certified to fit inside the region.
:func:`recertify` re-checks every claim that costs about one forward pass:

* each interior point lies in the domain and reproduces its pattern by a
  forward pass; no pattern occurs twice;
* each radius fits: the distance from the interior point to every neuron's
  hyperplane (in the region's own affine pieces, the H-representation that
  :meth:`RegionSet.halfspaces` writes down), to the domain's faces and to a
  ball domain's sphere is at least the stored radius
  (:func:`certified_radii`);
* edges join regions whose patterns differ at least in the edge's neurons;
* for an ``"exact"`` result: the adjacency graph is connected (a convex
  domain's regions are joined through facets) and a fixed uniform sample of
  the domain lands only in listed regions.

What it cannot check: that no region is missing. A region removed together
with its edges leaves a consistent file; the sample catches removed regions
larger than about 1/1000 of the domain, the connectivity check removals that
cut the graph. :func:`polyregions.verification.verify` (volume sum, Euler's
formula in 2-D) catches any removal in low dimension; in general only
re-enumerating does.

Example
-------
>>> from polyregions import Box, enumerate_regions, random_network
>>> rs = enumerate_regions(random_network(2, [6], random_state=0), Box([-1, -1], [1, 1]))
>>> recertify(rs)
()
"""

from __future__ import annotations

import numpy as np

from .results import pattern_key, pattern_keys

__all__ = ["certified_radii", "recertify"]

#: Rounding allowance of the radius check, relative to the magnitude of the
#: terms summed in a pre-activation (divided by its gradient's norm).
ROUNDING = 1e-10


def _layers_in_domain(net, domain):
    """The hidden layers with the first composed with the domain's input map (as the engine does)."""
    Ws, bs = list(net.weights[:-1]), list(net.biases[:-1])
    if domain.input_map is not None and Ws:
        M, m = domain.input_map
        Ws[0], bs[0] = Ws[0] @ M, Ws[0] @ m + bs[0]
    return list(zip(net.layer_slices, Ws, bs, net.negative_slopes))


def _domain_patterns(net, domain, U):
    """Activation patterns of points ``U`` given in domain coordinates."""
    if not hasattr(net, "weights"):  # a general PLNetwork: its own forward pass
        return net.activation_patterns(domain.to_input(U))
    h, out = U, []
    for _, W, b, a in _layers_in_domain(net, domain):
        z = h @ W.T + b
        out.append(z > 0)
        h = np.where(z > 0, z, a * z)
    return np.concatenate(out, axis=1) if out else np.zeros((len(U), 0), dtype=bool)


def certified_radii(rs, *, chunk=None):
    """Radius of the largest ball around each interior point inside its region and the domain.

    Computed in float64 from the network and the domain, in one batched
    pass over the layers (the gradient of every neuron on every region
    follows from the pattern), independent of how the file or the engine
    computed its radii.

    Returns
    -------
    radii : ndarray, shape (R,)
        ``min`` over the neuron hyperplanes (neurons constant on the region
        excluded, as in the engine), the domain's faces and a ball's sphere
        of the distance from the interior point; ``inf`` for an unbounded
        region of the whole space.
    allowance : ndarray, shape (R,)
        How much float64 rounding can shift each radius (from the size of the
        terms in the tightest pre-activation).

    Examples
    --------
    >>> import numpy as np

from .results import pattern_key, pattern_keys
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.5], [0.0]])
    >>> rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    >>> r, _ = certified_radii(rs)
    >>> bool(np.allclose(r, rs.radii))
    True
    """
    return _certify(rs, chunk)[:2]


def _certify(rs, chunk=None):
    """``(radii, allowance, forward-pass patterns)`` at the interior points."""
    net, dom = rs.network, rs.domain
    U = rs.interior_points
    R, dim = U.shape
    out = np.full(R, np.inf)
    allowance = np.zeros(R)
    patterns = np.zeros((R, net.n_neurons), dtype=bool)
    zero_row = rs.tolerances.zero_row
    if not hasattr(net, "weights"):
        _certify_general(rs, out, allowance, patterns)
        return _domain_rows(dom, U, out, allowance, patterns)
    layers = _layers_in_domain(net, dom)
    if chunk is None:
        chunk = max(1, int(2_000_000 // max(1, max(net.widths, default=1) * dim)))
    for start in range(0, R if layers else 0, chunk):
        sl = slice(start, min(R, start + chunk))
        h = U[sl]
        P = rs.patterns[sl]
        k = len(h)
        J = np.eye(dim)                       # d h / d u, the same for every point so far
        dists, tols, norms_all = [], [], []
        for lsl, W, b, a in layers:
            z = h @ W.T + b                   # (k, n_l)
            patterns[sl, lsl] = z > 0
            mag = np.abs(h) @ np.abs(W).T + np.abs(b)
            G = np.broadcast_to(W @ J, (k, W.shape[0], dim)) if J.ndim == 2 else W @ J
            norms = np.sqrt(np.einsum("kod,kod->ko", G, G))
            with np.errstate(divide="ignore", invalid="ignore"):
                dists.append(np.abs(z) / norms)
                tols.append(mag / norms)
            norms_all.append(norms)
            d = np.where(P[:, lsl], 1.0, a)
            J = d[:, :, None] * G
            h = d * z
        dist = np.concatenate(dists, axis=1)
        tol = np.concatenate(tols, axis=1)
        norms = np.concatenate(norms_all, axis=1)
        # Neurons constant on a region give no row (as in results.pattern_rows).
        big = norms.max(axis=1, keepdims=True)
        live = norms > zero_row * np.maximum(big, 1e-300)
        dist = np.where(live, dist, np.inf)
        idx = np.argmin(dist, axis=1)
        rows = np.arange(k)
        out[sl] = dist[rows, idx]
        allowance[sl] = np.where(np.isfinite(out[sl]), ROUNDING * tol[rows, idx], 0.0)
    return _domain_rows(dom, U, out, allowance, patterns)


def _certify_general(rs, out, allowance, patterns):
    """:func:`_certify` for a general network: each region's rows from its own affine pieces."""
    net, dom = rs.network, rs.domain
    U = rs.interior_points
    if len(U):
        patterns[:] = net.activation_patterns(dom.to_input(U))
    for i, (u, p) in enumerate(zip(U, rs.patterns)):
        try:
            G, g = net.affine_preactivations(p, dom.input_map)
        except ValueError:  # not a pattern of this network (e.g. a malformed argmax code)
            out[i] = -np.inf
            continue
        z = G @ u + g
        norms = np.sqrt(np.einsum("ij,ij->i", G, G))
        live = norms > rs.tolerances.zero_row * max(float(norms.max(initial=0.0)), 1e-300)
        if live.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                dist = np.where(live, np.abs(z) / norms, np.inf)
            k = int(np.argmin(dist))
            out[i] = dist[k]
            allowance[i] = ROUNDING * (np.abs(G[k]) @ np.abs(u) + abs(g[k])) / norms[k]


def _domain_rows(dom, U, out, allowance, patterns):
    R = len(U)
    A, b = dom.halfspaces
    if R and len(b):
        norms = np.sqrt(np.einsum("ij,ij->i", A, A))
        slack = (b - U @ A.T) / norms
        out = np.minimum(out, slack.min(axis=1))
        allowance = np.maximum(allowance, ROUNDING * (np.abs(b) + np.abs(U) @ np.abs(A).T).max(
            axis=1) / norms.min())
    if R and dom.ball is not None:
        c, Rb = dom.ball
        out = np.minimum(out, Rb - np.linalg.norm(U - c, axis=1))
        allowance = np.maximum(allowance, ROUNDING * (Rb + np.linalg.norm(c)))
    return out, allowance, patterns


def recertify(rs, *, n_samples=4096, random_state=0):
    """Re-check a region set's certificates cheaply; return the problems found.

    Parameters
    ----------
    rs : RegionSet
    n_samples : int, default 4096
        Uniform points of the domain that must land in listed regions (only
        for ``status == "exact"``; 0 skips this check).
    random_state : int, default 0
        Seed of those points (fixed, so the check is reproducible).

    Returns
    -------
    tuple of str
        Empty when every check passes; otherwise one sentence per problem,
        naming the field (``patterns``, ``radii``, ``interior_points``,
        ``edges``) and the first offending region.
    """
    problems = []
    R = rs.n_regions
    if R == 0:
        return ()
    keys = pattern_keys(rs.patterns)
    first = {}
    for i, key in enumerate(keys):
        if key in first:
            problems.append(f"patterns: regions {first[key]} and {i} have the same pattern")
            break
        first[key] = i
    inside = rs.domain.contains(rs.interior_points)
    if not inside.all():
        problems.append(f"interior_points: region {int(np.flatnonzero(~inside)[0])}'s point "
                        "lies outside the domain")
    radii, allowance, forward = _certify(rs)
    wrong = np.flatnonzero(np.any(forward != rs.patterns, axis=1))
    if len(wrong):
        problems.append(f"patterns: {len(wrong)} regions' interior points have another pattern "
                        f"by a forward pass (first: region {int(wrong[0])})")
    over = rs.radii > radii + allowance + 1e-9 * np.abs(radii)
    if over.any():
        i = int(np.flatnonzero(over)[0])
        problems.append(
            f"radii: {int(over.sum())} radii exceed the distance from their interior point to "
            f"the region's boundary (first: region {i}, radius {rs.radii[i]:.6g} > "
            f"{radii[i]:.6g})")
    if len(rs.edges):
        diff = rs.patterns[rs.edges[:, 0]] != rs.patterns[rs.edges[:, 1]]
        flippable = getattr(rs.network, "flippable", None)
        if flippable is not None:
            # A max-pool bit names the comparison that vanishes on the facet; the argmax moves
            # across it, which need not change that bit: only single-flip bits are checked.
            diff = diff | ~np.asarray(flippable)[None, :]
        e_idx = np.repeat(np.arange(len(rs.edges)), [len(n) for n in rs.edge_neurons])
        n_idx = np.fromiter((k for n in rs.edge_neurons for k in n), dtype=np.intp,
                            count=len(e_idx))
        bad = e_idx[~diff[e_idx, n_idx]]
        if len(bad):
            e = int(bad[0])
            problems.append(f"edges: edge {e} between regions {tuple(rs.edges[e].tolist())} "
                            f"names neurons {list(rs.edge_neurons[e])} whose bits do not change "
                            "across it")
    if rs.status == "exact" and not problems:
        problems += _completeness_checks(rs, first, n_samples, random_state)
    return tuple(problems)


def _completeness_checks(rs, index, n_samples, random_state):
    problems = []
    R = rs.n_regions
    if R > 1:
        seen = np.zeros(R, dtype=bool)
        adj = [[] for _ in range(R)]
        for i, j in rs.edges.tolist():
            adj[i].append(j)
            adj[j].append(i)
        stack, seen[0] = [0], True
        while stack:
            for j in adj[stack.pop()]:
                if not seen[j]:
                    seen[j] = True
                    stack.append(j)
        if not seen.all():
            problems.append(
                f"edges: the adjacency graph falls apart ({int((~seen).sum())} of {R} regions "
                "cannot be reached from region 0), which a complete enumeration of a convex "
                "domain never gives: regions or edges were removed")
    if n_samples:
        U = rs.domain.sample(int(n_samples), random_state=np.random.default_rng(random_state))
        pats = _domain_patterns(rs.network, rs.domain, U)
        missing = [k for k, p in enumerate(pats) if pattern_key(p) not in index]
        if missing:
            problems.append(
                f"patterns: {len(missing)} of {int(n_samples)} uniform points of the domain have "
                f"a pattern no region has (first at {U[missing[0]].tolist()}), so the result is "
                "missing regions although it says it is exact")
    return problems
