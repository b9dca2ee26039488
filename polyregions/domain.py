"""Input domains in which regions are enumerated.

Every domain lives in its own coordinates ``u`` of dimension :attr:`dim` and is
described to the engine by three plain pieces:

* ``halfspaces``: ``(A, b)`` with ``A u <= b`` (possibly zero rows),
* ``ball``: ``(center, radius)`` of a Euclidean ball constraint, or ``None``,
* ``input_map``: ``(M, m)`` with ``x = M u + m`` mapping the domain into the
  network's input space, or ``None`` for the identity.

:class:`Slice` is the only domain with a non-trivial ``input_map``: it lets the
1-D and 2-D engines run on a segment or plane through a high-dimensional input
space, because the first layer is composed with the map.

Example
-------
>>> Box([-1, -1], [1, 1]).volume()
4.0
>>> Ball([0, 0], 1.0).dim
2
"""

from __future__ import annotations

import math

import numpy as np

from .errors import DimensionMismatchError, NotADomainError
from ._validation import check_choice, check_int, check_real
from ._deprecation import renamed_parameters
from .lp import bounding_box, chebyshev_ball

__all__ = ["Domain", "Box", "Ball", "Polytope", "WholeSpace", "Slice", "as_domain"]


def _vector(v, name):
    try:
        arr = np.array(v, dtype=np.float64, copy=True).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a vector of numbers; got {v!r}.") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty; a domain needs at least one dimension.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values: {arr}.")
    arr.setflags(write=False)
    return arr


class Domain:
    """Base class; see the module docstring for the interface."""

    dim: int
    bounded: bool = True
    ball = None
    input_map = None

    @property
    def halfspaces(self):
        return np.zeros((0, self.dim)), np.zeros(0)

    @property
    def scale(self) -> float:
        """A characteristic length used to make tolerances relative."""
        return 1.0

    @property
    def input_dim(self) -> int:
        """Dimension of the network input this domain lives in."""
        return self.dim if self.input_map is None else self.input_map[0].shape[0]

    def contains(self, U, tol=0.0):
        """Boolean mask of the points ``U`` (shape ``(n, dim)``) inside the domain."""
        U = np.atleast_2d(np.asarray(U, dtype=np.float64))
        A, b = self.halfspaces
        ok = np.all(U @ A.T <= b + tol, axis=1)
        if self.ball is not None:
            c, r = self.ball
            ok &= np.linalg.norm(U - c, axis=1) <= r + tol
        return ok

    def to_input(self, U):
        """Map domain coordinates to network inputs."""
        U = np.atleast_2d(np.asarray(U, dtype=np.float64))
        if self.input_map is None:
            return U
        M, m = self.input_map
        return U @ M.T + m

    def check_network(self, net):
        if net.input_dim != self.input_dim:
            raise DimensionMismatchError(
                f"the domain {self!r} lives in dimension {self.input_dim} but the network "
                f"takes {net.input_dim} inputs; build the domain with {net.input_dim} coordinates."
            )

    def seed_point(self, random_state=None):
        """A generic point strictly inside the domain (random, so off any hyperplane)."""
        rng = np.random.default_rng(random_state)
        return self.sample(1, random_state=rng)[0]

    def to_dict(self) -> dict:
        raise NotImplementedError


class Box(Domain):
    """Axis-aligned box ``prod_k [lo_k, hi_k]``.

    Parameters
    ----------
    lo, hi : array_like or float
        Lower and upper corners; a scalar is broadcast over ``dim``.
    dim : int, optional
        Needed only when both ``lo`` and ``hi`` are scalars.
    """

    def __init__(self, lo, hi, dim=None):
        if np.ndim(lo) == 0 and np.ndim(hi) == 0:
            if dim is None:
                raise ValueError("Box(lo, hi) with scalar corners needs dim=...")
            lo, hi = [lo] * dim, [hi] * dim
        lo = np.broadcast_to(np.asarray(lo, float), np.shape(hi)) if np.ndim(lo) == 0 else lo
        hi = np.broadcast_to(np.asarray(hi, float), np.shape(lo)) if np.ndim(hi) == 0 else hi
        self.lo = _vector(lo, "lo")
        self.hi = _vector(hi, "hi")
        if self.lo.shape != self.hi.shape:
            raise ValueError(f"lo has {self.lo.size} coordinates but hi has {self.hi.size}.")
        bad = np.flatnonzero(~(self.hi > self.lo))
        if bad.size:
            k = int(bad[0])
            raise ValueError(
                f"the box is empty or flat: hi[{k}] = {self.hi[k]} is not greater than "
                f"lo[{k}] = {self.lo[k]}; a domain must have non-empty interior."
            )
        self.dim = int(self.lo.size)

    @property
    def halfspaces(self):
        I = np.eye(self.dim)
        return np.vstack([I, -I]), np.concatenate([self.hi, -self.lo])

    @property
    def scale(self):
        return float(np.max(self.hi - self.lo))

    def volume(self):
        return float(np.prod(self.hi - self.lo))

    def sample(self, n, random_state=None):
        n = check_int(n, "n", minimum=0)
        rng = np.random.default_rng(random_state)
        return self.lo + (self.hi - self.lo) * rng.random((n, self.dim))

    def to_dict(self):
        return {"type": "Box", "lo": self.lo.tolist(), "hi": self.hi.tolist()}

    def __repr__(self):
        return f"Box(lo={self.lo.tolist()}, hi={self.hi.tolist()})"


class Ball(Domain):
    """Open Euclidean ball ``{x : ||x - center|| < radius}``."""

    def __init__(self, center, radius):
        self.center = _vector(center, "center")
        self.radius = check_real(radius, "radius", low=0.0, low_open=True)
        self.dim = int(self.center.size)
        self.ball = (self.center, self.radius)

    @property
    def scale(self):
        return 2.0 * self.radius

    def volume(self):
        n = self.dim
        return float(math.pi ** (n / 2) / math.gamma(n / 2 + 1) * self.radius**n)

    def sample(self, n, random_state=None):
        n = check_int(n, "n", minimum=0)
        rng = np.random.default_rng(random_state)
        d = rng.normal(size=(n, self.dim))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        r = self.radius * rng.random(n) ** (1.0 / self.dim)
        return self.center + d * r[:, None]

    def bounding_box(self):
        return Box(self.center - self.radius, self.center + self.radius)

    def to_dict(self):
        return {"type": "Ball", "center": self.center.tolist(), "radius": self.radius}

    def __repr__(self):
        return f"Ball(center={self.center.tolist()}, radius={self.radius})"


class Polytope(Domain):
    """Bounded polytope ``{x : A x <= b}`` with non-empty interior.

    Emptiness, flatness and unboundedness are checked with one LP at
    construction, so a bad polytope fails here and not inside the engine.
    """

    def __init__(self, A, b):
        A = np.array(A, dtype=np.float64)
        b = np.array(b, dtype=np.float64).reshape(-1)
        if A.ndim != 2 or A.shape[0] == 0:
            raise ValueError(f"A must be a non-empty 2-D array (m, dim); got shape {A.shape}.")
        if b.shape != (A.shape[0],):
            raise ValueError(f"b must have shape ({A.shape[0]},); got {b.shape}.")
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
            raise ValueError("A and b must be finite.")
        norms = np.linalg.norm(A, axis=1)
        if np.any(norms == 0):
            k = int(np.flatnonzero(norms == 0)[0])
            raise ValueError(f"row {k} of A is zero; drop it (or the polytope is empty if b<0).")
        self.dim = int(A.shape[1])
        res = chebyshev_ball(A, b, radius_cap=np.inf)
        if res is None or res[1] <= 0:
            raise ValueError("the polytope {x : A x <= b} is empty or has no interior.")
        if not np.isfinite(res[1]):
            raise ValueError("the polytope {x : A x <= b} is unbounded; add bounding rows.")
        box = bounding_box(A, b)
        if box is None:
            raise ValueError("the polytope {x : A x <= b} is unbounded; add bounding rows.")
        self.A, self.b = A, b
        self.A.setflags(write=False)
        self.b.setflags(write=False)
        self._center, self._radius = res
        self._box = box

    @property
    def halfspaces(self):
        return self.A, self.b

    @property
    def scale(self):
        lo, hi = self._box
        return float(np.max(hi - lo))

    def bounding_box(self):
        """The smallest :class:`Box` holding the polytope (one LP per coordinate and side).

        >>> Polytope([[1, 1], [-1, 0], [0, -1]], [1, 0, 0]).bounding_box()
        Box(lo=[0.0, 0.0], hi=[1.0, 1.0])
        """
        lo, hi = self._box
        return Box(lo, hi)

    def volume(self):
        from scipy.spatial import ConvexHull, HalfspaceIntersection

        hs = HalfspaceIntersection(np.hstack([self.A, -self.b[:, None]]), self._center)
        return float(ConvexHull(hs.intersections).volume) if self.dim > 1 else float(
            np.ptp(hs.intersections)
        )

    def sample(self, n, random_state=None):
        """Uniform points by rejection from the bounding box."""
        n = check_int(n, "n", minimum=0)
        rng = np.random.default_rng(random_state)
        lo, hi = self._box
        out = []
        got = 0
        while got < n:
            U = lo + (hi - lo) * rng.random((max(2 * (n - got), 64), self.dim))
            U = U[self.contains(U)]
            out.append(U)
            got += len(U)
        return np.vstack(out)[:n]

    def to_dict(self):
        return {"type": "Polytope", "A": self.A.tolist(), "b": self.b.tolist()}

    def __repr__(self):
        return f"Polytope(m={self.A.shape[0]}, dim={self.dim})"


class WholeSpace(Domain):
    """All of ``R^dim``; regions may be unbounded."""

    bounded = False

    def __init__(self, dim):
        self.dim = check_int(dim, "dim", integral_float=True)

    def sample(self, n, random_state=None):
        n = check_int(n, "n", minimum=0)
        rng = np.random.default_rng(random_state)
        return rng.normal(size=(n, self.dim))

    def volume(self):
        return math.inf

    def to_dict(self):
        return {"type": "WholeSpace", "dim": self.dim}

    def __repr__(self):
        return f"WholeSpace({self.dim})"


class Slice(Domain):
    """A box of parameters ``u`` mapped affinely into input space: ``x = origin + D u``.

    The engine enumerates regions of ``u``; the first layer is composed with
    the map, so a 1-D or 2-D slice of a 784-input network costs as much as a
    1-D or 2-D network.

    Parameters
    ----------
    origin : array_like, shape (n0,)
    directions : array_like, shape (k, n0)
        The ``k`` spanning directions (rows), linearly independent.
    lo, hi : array_like, shape (k,)
        The parameter box; default ``[0, 1]^k``.
    disc : bool, default False
        Restrict the parameters to the ball inscribed in the box (a disc for
        ``k = 2``); the box must then be a cube.

    Use :meth:`segment`, :meth:`plane`, :meth:`through_points` or
    :meth:`around` to build the common cases.
    """

    def __init__(self, origin, directions, lo=None, hi=None, *, disc=False):
        origin = _vector(origin, "origin")
        D = np.array(directions, dtype=np.float64)
        if D.ndim == 1:
            D = D[None, :]
        if D.ndim != 2 or D.shape[1] != origin.size:
            raise ValueError(
                f"directions must have shape (k, {origin.size}); got {np.shape(directions)}."
            )
        if not np.all(np.isfinite(D)):
            raise ValueError("directions contain NaN or infinite values.")
        k = D.shape[0]
        if k > origin.size or np.linalg.matrix_rank(D) < k:
            raise ValueError(
                "the slice directions are linearly dependent (e.g. repeated or collinear "
                "points); the slice would be degenerate."
            )
        self.box = Box(np.zeros(k) if lo is None else lo, np.ones(k) if hi is None else hi)
        if self.box.dim != k:
            raise ValueError(f"lo/hi must have {k} entries, one per direction.")
        self.origin = origin
        self.directions = D
        self.directions.setflags(write=False)
        self.dim = k
        self.input_map = (D.T.copy(), origin)
        self.disc = bool(disc)
        if self.disc:
            side = self.box.hi - self.box.lo
            if not np.allclose(side, side[0], rtol=1e-12, atol=0.0):
                raise ValueError(
                    f"disc=True needs a cubical parameter box (equal sides); got sides {side}."
                )
            c = 0.5 * (self.box.lo + self.box.hi)
            c.setflags(write=False)
            self.ball = (c, 0.5 * float(side[0]))

    @classmethod
    @renamed_parameters(shape="kind")
    def around(cls, point, radius, *, kind="square", directions=None, random_state=None):
        """A 2-D slice through ``point``: a square or disc of half-width ``radius``.

        The plane is spanned by two orthonormal directions, random (uniform
        over planes) or given, so parameters ``u`` are input-space lengths:
        the slice is ``point + u1 e1 + u2 e2`` for ``u`` in ``[-radius,
        radius]^2`` (``kind="square"``) or ``|u| < radius`` (``"disc"``),
        with ``point`` at ``u = (0, 0)``. It is the cheap neighbourhood of a
        point in high dimension, where a full ball would be costly.

        Parameters
        ----------
        point : array_like, shape (n0,)
            With ``n0 >= 2``.
        radius : float
        kind : {"square", "disc"}, default "square"
            As in :func:`~polyregions.batch.neighbourhoods` (``shape=`` is its
            deprecated name).
        directions : array_like, shape (2, n0), optional
            Two linearly independent directions spanning the plane (they are
            orthonormalised; the first keeps its direction). Default: a
            random plane drawn with ``random_state``.
        random_state : int, numpy Generator or None

        Returns
        -------
        Slice

        Examples
        --------
        >>> s = Slice.around([1.0, 2.0, 3.0], 0.5, kind="disc", random_state=0)
        >>> s.dim, s.disc, s.to_input([[0.0, 0.0]]).tolist()
        (2, True, [[1.0, 2.0, 3.0]])
        >>> bool(abs(float(np.linalg.norm(s.to_input([[0.5, 0.0]]) - [1, 2, 3])) - 0.5) < 1e-12)
        True
        """
        p = _vector(point, "point")
        if p.size < 2:
            raise ValueError("a 2-D slice needs an input of dimension >= 2; use a Box or a "
                             "Slice.segment in 1-D.")
        check_choice(kind, "kind", ("square", "disc"))
        r = check_real(radius, "radius", low=0.0, low_open=True)
        if directions is None:
            D = np.random.default_rng(random_state).normal(size=(2, p.size))
        else:
            D = np.array(directions, dtype=np.float64)
            if D.shape != (2, p.size) or not np.all(np.isfinite(D)):
                raise ValueError(
                    f"directions must be two finite vectors, shape (2, {p.size}); got "
                    f"{np.shape(directions)}."
                )
        Q, R = np.linalg.qr(D.T)
        if abs(R[1, 1]) <= 1e-12 * abs(R[0, 0]) or R[0, 0] == 0:
            raise ValueError("the two directions are linearly dependent; they span no plane.")
        Q = Q * np.sign(np.diag(R))  # keep the first direction's orientation
        return cls(p, Q.T, [-r, -r], [r, r], disc=kind == "disc")

    @classmethod
    @renamed_parameters(a="start", b="end")
    def segment(cls, start, end):
        """The segment from ``start`` (u=0) to ``end`` (u=1).

        (``a=`` and ``b=`` are the deprecated names of ``start`` and ``end``.)
        """
        start = _vector(start, "start")
        end = _vector(end, "end")
        return cls(start, [end - start])

    @classmethod
    def plane(cls, origin, d1, d2, lo=(0.0, 0.0), hi=(1.0, 1.0)):
        """``origin + u1 d1 + u2 d2`` for ``u`` in the box ``[lo, hi]``."""
        return cls(origin, [d1, d2], lo, hi)

    @classmethod
    def through_points(cls, p0, p1, p2, margin=0.25):
        """The plane through three points, e.g. three training images.

        Coordinates are ``x = p0 + u1 (p1 - p0) + u2 (p2 - p0)``, so the
        points sit at ``(0,0)``, ``(1,0)`` and ``(0,1)``; the parameter box
        is ``[-margin, 1 + margin]^2``.
        """
        p0 = _vector(p0, "p0")
        return cls(
            p0,
            [_vector(p1, "p1") - p0, _vector(p2, "p2") - p0],
            [-margin, -margin],
            [1 + margin, 1 + margin],
        )

    @property
    def halfspaces(self):
        return self.box.halfspaces

    @property
    def scale(self):
        return self.box.scale

    def volume(self):
        """Volume of the parameter box or disc (in ``u`` coordinates)."""
        if self.disc:
            return Ball(*self.ball).volume()
        return self.box.volume()

    def sample(self, n, random_state=None):
        if self.disc:
            return Ball(*self.ball).sample(n, random_state)
        return self.box.sample(n, random_state)

    def to_dict(self):
        d = {
            "type": "Slice",
            "origin": self.origin.tolist(),
            "directions": self.directions.tolist(),
            "lo": self.box.lo.tolist(),
            "hi": self.box.hi.tolist(),
        }
        if self.disc:
            d["disc"] = True
        return d

    def __repr__(self):
        disc = ", disc" if self.disc else ""
        return f"Slice(dim={self.dim}, input_dim={self.origin.size}{disc})"


def as_domain(domain, net=None):
    """Normalise ``None`` (the whole space) and check the dimension against ``net``."""
    if domain is None:
        if net is None:
            raise ValueError("domain=None needs a network to know the dimension.")
        domain = WholeSpace(net.input_dim)
    if not isinstance(domain, Domain):
        raise NotADomainError(
            f"domain must be a Box, Ball, Polytope, WholeSpace, Slice or None; got "
            f"{type(domain).__name__}."
        )
    if net is not None:
        domain.check_network(net)
    return domain


def domain_from_dict(d):
    """Inverse of ``Domain.to_dict``."""
    kind = d.get("type")
    if kind == "Box":
        return Box(d["lo"], d["hi"])
    if kind == "Ball":
        return Ball(d["center"], d["radius"])
    if kind == "Polytope":
        return Polytope(d["A"], d["b"])
    if kind == "WholeSpace":
        return WholeSpace(d["dim"])
    if kind == "Slice":
        return Slice(d["origin"], d["directions"], d["lo"], d["hi"], disc=d.get("disc", False))
    raise ValueError(f"unknown domain type {kind!r}.")
