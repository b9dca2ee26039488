"""Convex polygons and discs in 2-D: where each edge meets the circle, exact areas, outlines.

The one place where polygons meet circles (:func:`clip_polygon_to_disc`):
the exact area of a region inside a 2-D ball, its number of flat facets and
its drawn outline are all read from the same cut points, so a picture and a
volume never disagree. A kernel over plain arrays, like
:mod:`polyregions.polytope` (which computes volumes with it).

Discs
-----
The area of ``P ∩ disc`` (centre at the origin) is the signed sum, over the
edges ``(p, q)`` of the polygon, of ``area(triangle(0, p, q) ∩ disc)``. Along
an edge the part inside the circle contributes a triangle and the parts
outside a circular sector, so each term is closed-form. The angle of a
sector is taken between two points at distance at least ``R`` from the
centre, or is exactly zero (an edge end that is its own cut point): an
angle between two nearly-zero vectors, ill-conditioned when a vertex sits
on the centre, is never formed.

Example
-------
>>> import numpy as np
>>> square = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
>>> round(disc_polygon_area(square, [0.0, 0.0], 1.0) / np.pi, 12)   # the whole unit disc
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ARC_STEP", "DiscClip", "clip_polygon_to_disc", "disc_polygon_area", "shoelace_area"]

#: Angular step (radians) at which circular arcs of a 2-D ball are sampled for
#: polygons (plots, diameters). Areas never use it: they are exact.
ARC_STEP = 2.0 * math.pi / 4096

# Where an edge meets the circle within this fraction of its length of one of
# its ends, the cut is put exactly at that end: the area moves by a rounding
# error, and the outline never sees a vertex both inside and on the circle.
_SNAP = 1e-12


@dataclass(frozen=True)
class DiscClip:
    """Where each edge of a convex polygon meets a disc (see :func:`clip_polygon_to_disc`).

    All points are relative to the disc's centre. Edge ``k`` runs from
    ``P[k]`` to ``Q[k] = P[k + 1]``; its part inside the closed disc runs
    from ``X[k]`` to ``Y[k]`` (parameters ``u1[k] <= u2[k]`` along the edge),
    and ``inside[k]`` says whether that part has positive length. An end
    that is its own cut point is the very same float vector (``X[k] is
    P[k]`` numerically), and an edge that misses the disc has
    ``X[k] = Y[k] = Q[k]``.
    """

    center: np.ndarray
    radius: float
    P: np.ndarray
    Q: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    u1: np.ndarray
    u2: np.ndarray
    inside: np.ndarray

    @property
    def area(self) -> float:
        """Exact area of the polygon ∩ disc (see the module notes)."""
        R = self.radius
        sectors = 0.5 * R * R * (_angle(self.P, self.X) + _angle(self.Y, self.Q))
        return float(np.sum(sectors + 0.5 * _cross(self.X, self.Y)))

    @property
    def n_edges(self) -> int:
        """Polygon edges that reach into the disc: the flat facets of the intersection."""
        return int(np.count_nonzero(self.inside))

    def outline(self, arc_step=ARC_STEP):
        """``(points, corners)``: the boundary with arcs sampled every ``arc_step`` radians.

        ``corners`` are the polygon vertices inside the disc and the points
        where an edge meets the circle. Both are counter-clockwise, in the
        original (not centred) coordinates.
        """
        R, center = self.radius, self.center
        pieces = [k for k in np.flatnonzero(self.inside)]
        if not pieces:
            # No edge reaches into the disc: the disc lies inside the polygon, or outside it.
            D = self.Q - self.P
            if len(D) and np.all(_cross(D, -self.P) >= 0):
                k = max(3, math.ceil(2 * math.pi / arc_step))
                t = np.linspace(0.0, 2 * math.pi, k, endpoint=False)
                return center + R * np.column_stack([np.cos(t), np.sin(t)]), np.zeros((0, 2))
            return np.zeros((0, 2)), np.zeros((0, 2))
        out, corners = [], []
        for n, k in enumerate(pieces):
            start, end = self.X[k], self.Y[k]
            for pt in (start, end):
                if not out or not np.array_equal(out[-1], pt):
                    out.append(pt)
                    corners.append(pt)
            nxt = self.X[pieces[(n + 1) % len(pieces)]]
            if not np.array_equal(end, nxt):
                # Leaving the disc here (at a cut point, or at a vertex on the circle):
                # follow the circle counter-clockwise to the re-entry.
                th0 = math.atan2(end[1], end[0])
                sweep = (math.atan2(nxt[1], nxt[0]) - th0) % (2 * math.pi)
                steps = math.ceil(sweep / arc_step)
                for j in range(1, steps):
                    th = th0 + sweep * j / steps
                    out.append(R * np.array([math.cos(th), math.sin(th)]))
        if len(out) > 1 and np.array_equal(out[0], out[-1]):
            out.pop()
        if len(corners) > 1 and np.array_equal(corners[0], corners[-1]):
            corners.pop()
        return center + np.array(out), center + np.array(corners)


def _cross(u, v):
    return u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]


def _angle(u, v):
    """Signed angle from ``u`` to ``v``; exactly 0 when ``u`` and ``v`` are the same vector."""
    return np.arctan2(_cross(u, v), np.einsum("ij,ij->i", u, v))


def clip_polygon_to_disc(V, center, radius):
    """Clip a counter-clockwise convex polygon by a disc, edge by edge.

    The one place where polygons meet circles: the exact area
    (:attr:`DiscClip.area`), the number of flat facets
    (:attr:`DiscClip.n_edges`) and the drawn outline
    (:meth:`DiscClip.outline`) are all read from the same cut points.

    Parameters
    ----------
    V : ndarray, shape (k, 2)
        Vertices in counter-clockwise order.
    center : array_like, shape (2,)
    radius : float

    Returns
    -------
    DiscClip

    Examples
    --------
    >>> import numpy as np
    >>> square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])
    >>> c = clip_polygon_to_disc(square, [0.0, 0.0], 1.0)   # a quarter disc
    >>> round(c.area / np.pi, 12), c.n_edges
    (0.25, 2)
    """
    center = np.asarray(center, dtype=np.float64).reshape(2)
    R = float(radius)
    P = np.asarray(V, dtype=np.float64).reshape(-1, 2) - center
    Q = np.roll(P, -1, axis=0)
    D = Q - P
    a = np.einsum("ij,ij->i", D, D)
    half_b = np.einsum("ij,ij->i", P, D)
    c = np.einsum("ij,ij->i", P, P) - R * R
    disc = half_b * half_b - a * c
    crosses = (disc > 0) & (a > 0)
    root = np.sqrt(np.where(crosses, disc, 0.0))
    safe_a = np.where(a > 0, a, 1.0)
    u1 = np.clip((-half_b - root) / safe_a, 0.0, 1.0)
    u2 = np.clip((-half_b + root) / safe_a, 0.0, 1.0)
    u1 = np.where(u1 <= _SNAP, 0.0, np.where(u1 >= 1.0 - _SNAP, 1.0, u1))
    u2 = np.where(u2 <= _SNAP, 0.0, np.where(u2 >= 1.0 - _SNAP, 1.0, u2))
    # Without a crossing the whole edge is outside: put both cut points at q.
    u1 = np.where(crosses, u1, 1.0)
    u2 = np.where(crosses, u2, 1.0)

    def at(u):
        # Ends are copied, never recomputed as p + 1 * (q - p): their sector
        # angle must come out exactly zero.
        pt = P + u[:, None] * D
        pt = np.where((u == 0.0)[:, None], P, pt)
        return np.where((u == 1.0)[:, None], Q, pt)

    return DiscClip(center, R, P, Q, at(u1), at(u2), u1, u2, crosses & (u1 < u2))


def disc_polygon_area(V, center, radius):
    """Exact area of a counter-clockwise convex polygon ``V`` intersected with a disc.

    Examples
    --------
    >>> import numpy as np
    >>> tri = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])   # inside the unit disc
    >>> disc_polygon_area(tri, [0.0, 0.0], 1.0)
    0.5
    """
    return clip_polygon_to_disc(V, center, radius).area


def shoelace_area(poly):
    """Area of a simple polygon given counter-clockwise (negative if clockwise).

    Examples
    --------
    >>> shoelace_area(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    0.5
    """
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
