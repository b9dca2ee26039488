"""Results of an enumeration: immutable regions, the region set and its graph.

A :class:`RegionSet` is plain data (patterns, certificates, adjacency edges)
plus the network and domain it came from; geometry and affine maps are
recomputed on demand from those, so nothing is stored twice.

Example
-------
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box, enumerate_regions
>>> net = ReLUNetwork.from_weights([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])
>>> rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
>>> rs.n_regions, rs.complete, rs.graph.number_of_edges()
(4, True, 4)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# verification sits below this module on purpose (it imports only the
# polytope kernel), so RegionSet.verify needs no upward import.
from .verification import verify
from ._validation import check_int
from .tolerances import Tolerances

__all__ = [
    "Region",
    "RegionSet",
    "InexactCountError",
    "pattern_key",
    "pattern_keys",
    "key_to_pattern",
    "IncompleteEnumerationError",
    "STATUSES",
    "EXACT",
    "EXACT_AT_RESOLUTION",
    "LOWER_BOUND",
    "FAILED",
]

# ------------------------------------------------------------------ status
# Every result carries exactly one of these; the API (RegionSet.status),
# count(), the CLI's first line, --json and the JSON export all show it.
#: Every full-dimensional region was found and certified; nothing was merged,
#: skipped as thin or left undecided.
EXACT = "exact"
#: The search finished, but some patterns were thinner than the radius
#: tolerance (``n_thin``) or hyperplanes closer than the coincidence tolerance
#: were crossed together (``n_merged``): exact at that stated resolution only.
EXACT_AT_RESOLUTION = "exact_at_resolution"
#: A budget, an interruption or a case no solver could decide
#: (``n_undecided``) cut the search short: ``n_regions`` is a lower bound.
LOWER_BOUND = "lower_bound"
#: A solver error stopped the run. The regions found are still certified,
#: so ``n_regions`` is a lower bound, but the run did not finish.
FAILED = "failed"
STATUSES = (EXACT, EXACT_AT_RESOLUTION, LOWER_BOUND, FAILED)


class InexactCountError(RuntimeError):
    """The result is not an exact count; the :class:`RegionSet` is in ``.result``.

    Raised as such for a result that is exact only at a stated resolution
    (``status == "exact_at_resolution"``); its subclass
    :class:`IncompleteEnumerationError` is raised for lower bounds and failed runs.
    """

    def __init__(self, result, message=None):
        self.result = result
        if message is None:
            message = (
                f"the count {result.n_regions} is exact only at a resolution: {result.status_detail}. "
                "Lower the tolerances (Tolerances(radius=..., coincide=...)) to resolve these "
                "patterns, or call count(at_resolution=True) to accept the count at this resolution."
            )
        super().__init__(message)


class IncompleteEnumerationError(InexactCountError):
    """The enumeration did not finish: its ``n_regions`` is a lower bound, never the count.

    The partial :class:`RegionSet` is in ``.result``.
    """

    def __init__(self, result):
        super().__init__(
            result,
            f"enumeration did not finish ({result.status_detail}) after {result.n_regions} regions "
            f"with {result.stats.get('frontier', 0)} patterns still queued: {result.n_regions} "
            "is only a lower bound. Raise max_regions/time_limit, or use enumerate_regions(...) "
            "to work with the partial result.",
        )


# ------------------------------------------------------------ pattern keys
def pattern_key(pattern):
    """Bytes key of one activation pattern: ``np.packbits`` of the booleans.

    The one encoding of a pattern as a dict key, used by the engines, the
    samplers, the JSON export (as hex) and :meth:`RegionSet.locate`; two
    patterns of the same network have equal keys iff they are equal. The
    first neuron is the high bit of the first byte.

    Examples
    --------
    >>> pattern_key([True, False, True])
    b'\\xa0'
    """
    p = pattern if isinstance(pattern, np.ndarray) and pattern.dtype == bool else \
        np.asarray(pattern).astype(bool)
    if p.ndim != 1:
        raise ValueError(f"a pattern is 1-D (one entry per neuron); got shape {p.shape}.")
    return np.packbits(p).tobytes()


def pattern_keys(patterns):
    """:func:`pattern_key` of every row of a ``(R, N)`` boolean array, as a list.

    Examples
    --------
    >>> pattern_keys([[True, False], [False, True]])
    [b'\\x80', b'@']
    """
    P = np.asarray(patterns, dtype=bool)
    if P.ndim != 2:
        raise ValueError(f"patterns are a 2-D array (one row per pattern); got shape {P.shape}.")
    packed = np.packbits(P, axis=1)
    return [row.tobytes() for row in packed]


def key_to_pattern(key, n_neurons):
    """Inverse of :func:`pattern_key`: the boolean pattern of ``n_neurons`` entries.

    Examples
    --------
    >>> key_to_pattern(b'\\xa0', 3).tolist()
    [True, False, True]
    """
    n_neurons = check_int(n_neurons, "n_neurons", minimum=0)
    raw = np.frombuffer(bytes(key), dtype=np.uint8)
    if raw.size != (n_neurons + 7) // 8:
        raise ValueError(
            f"a key of a {n_neurons}-neuron pattern has {(n_neurons + 7) // 8} bytes; "
            f"got {raw.size}."
        )
    return np.unpackbits(raw, count=n_neurons).astype(bool)


def pattern_rows(G, g, pattern, zero_row=0.0):
    """Rows ``A x <= b`` that a pattern imposes on pre-activations ``z = G x + g``.

    An active neuron needs ``z >= 0`` (row ``-G_i``), an inactive one
    ``z <= 0`` (row ``G_i``). Neurons whose gradient norm is at most
    ``zero_row`` times the largest are constant on the region and give no
    row; ``nonzero`` marks the neurons that do.

    Returns
    -------
    A, b, nonzero
    """
    norms = np.sqrt(np.einsum("ij,ij->i", G, G))
    nonzero = norms > zero_row * max(float(norms.max(initial=0.0)), 1e-300)
    sign = np.where(pattern[nonzero], -1.0, 1.0)
    return sign[:, None] * G[nonzero], -sign * g[nonzero], nonzero


def region_halfspaces(net, domain, pattern, zero_row=None):
    """H-representation ``(A, b, owner)`` of a pattern's region inside a domain.

    Rows come first for the neurons whose gradient is non-zero on the region
    (``owner`` = neuron index; the threshold is ``Tolerances.zero_row``, as
    in the engine), then the domain's rows (``owner`` = -1). The ball of a
    :class:`~polyregions.Ball` domain is not a row.
    """
    if zero_row is None:
        zero_row = Tolerances().zero_row
    pattern = np.asarray(pattern, dtype=bool)
    G, g = net.affine_preactivations(pattern, domain.input_map)
    A, b, nonzero = pattern_rows(G, g, pattern, zero_row)
    Ad, bd = domain.halfspaces
    owner = np.concatenate([np.flatnonzero(nonzero), np.full(len(bd), -1)])
    return np.vstack([A, Ad]), np.concatenate([b, bd]), owner


@dataclass(frozen=True, eq=False)
class Region:
    """One activation region with its certificate.

    Attributes
    ----------
    index : int
        Position in the :class:`RegionSet` (and node of its graph).
    pattern : ndarray of bool, shape (N,)
    interior_point : ndarray, shape (dim,)
        Chebyshev centre, in domain coordinates.
    radius : float
        Radius of a ball around ``interior_point`` certified (in float64,
        from the constraints) to lie inside the region and the domain.
    """

    index: int
    pattern: np.ndarray
    interior_point: np.ndarray
    radius: float
    _set: "RegionSet" = field(repr=False)

    def halfspaces(self):
        """``(A, b)`` with the region (inside the domain's polyhedral part) ``= {A u <= b}``."""
        A, b, _ = region_halfspaces(self._set.network, self._set.domain, self.pattern,
                                    self._set.tolerances.zero_row)
        return A, b

    def affine_map(self):
        """``(A, c)`` with network output ``y = A u + c`` on the region (domain coordinates)."""
        return self._set.network.affine_output(self.pattern, self._set.domain.input_map)

    def neighbors(self):
        """Indices of the regions sharing a facet with this one."""
        return sorted(self._set.graph.neighbors(self.index))


class RegionSet:
    """All full-dimensional activation regions found in a domain.

    Attributes
    ----------
    network, domain
        What was enumerated.
    patterns : ndarray of bool, shape (R, N)
    interior_points : ndarray, shape (R, dim)
        Certificates: Chebyshev centres in domain coordinates.
    radii : ndarray, shape (R,)
        Certified inscribed radii, each ``> tolerances.radius`` times the
        region's local scale (see :class:`~polyregions.tolerances.Tolerances`).
    edges : ndarray of int, shape (E, 2)
        Pairs of regions sharing a facet inside the domain.
    edge_neurons : tuple of tuple of int
        For each edge, the neuron(s) whose hyperplane carries the facet.
    status : str
        One of :data:`STATUSES`: ``"exact"``, ``"exact_at_resolution"``,
        ``"lower_bound"`` or ``"failed"``; :attr:`status_detail` says why.
    complete : bool
        ``True`` iff the status is ``"exact"`` or ``"exact_at_resolution"``;
        otherwise ``n_regions`` is a lower bound.
    stop_reason : str or None
        Why the search stopped early: ``"max_regions"``, ``"time_limit"``,
        ``"interrupted"``, ``"undecided"`` or ``"solver_error"``.
    n_thin : int
        Feasible patterns whose radius is not above ``tolerances.radius``
        times their local scale: not counted. The count is exact at that
        resolution only; ``0`` in generic cases.
    n_merged : int
        Facets where distinct hyperplanes closer than ``tolerances.coincide``
        were crossed together (the slab between them, if any, is not
        resolved). ``0`` in generic cases.
    n_undecided : int
        Patterns no solver could decide (neither proven empty nor certified
        as regions). Any such pattern makes the count a lower bound.
    tolerances : Tolerances
    stats : dict
        ``seconds``, ``lp_calls``, ``qhull_fallbacks``, ``frontier``, ...
    """

    def __init__(self, network, domain, patterns, interior_points, radii, edges, edge_neurons,
                 complete, stop_reason, n_thin, tolerances, stats, *, n_merged=0, n_undecided=0):
        self.network = network
        self.domain = domain
        self.radii = np.asarray(radii, dtype=np.float64).reshape(-1)
        R = len(self.radii)
        self.patterns = np.asarray(patterns, dtype=bool).reshape(R, network.n_neurons)
        self.interior_points = np.asarray(interior_points, dtype=np.float64).reshape(R, domain.dim)
        self.edges = np.asarray(edges, dtype=np.intp).reshape(-1, 2)
        if isinstance(edge_neurons, np.ndarray) and edge_neurons.ndim == 2:
            # one neuron per edge from a vectorised engine: tuples are built on first use
            self._edge_neurons_array = np.asarray(edge_neurons, dtype=np.intp)
            self._edge_neurons = None
        else:
            self._edge_neurons = tuple(tuple(int(k) for k in e) for e in edge_neurons)
        for arr in (self.patterns, self.interior_points, self.radii, self.edges):
            arr.setflags(write=False)
        # ``complete`` as passed means "the search drained its frontier"; the
        # public ``complete`` also requires nothing undecided and no failure.
        self._finished = bool(complete)
        self.stop_reason = stop_reason
        self.n_thin = int(n_thin)
        self.n_merged = int(n_merged)
        self.n_undecided = int(n_undecided)
        if self.n_undecided and self.stop_reason is None:
            self.stop_reason = "undecided"
        self.tolerances = tolerances
        self.stats = dict(stats)
        self._graph = None

    @property
    def edge_neurons(self):
        """For each edge, the tuple of neurons whose hyperplane carries the facet."""
        if self._edge_neurons is None:
            self._edge_neurons = tuple(map(tuple, self._edge_neurons_array.tolist()))
        return self._edge_neurons

    @property
    def edge_neuron_array(self):
        """:attr:`edge_neurons` as an ``(E, m)`` int array, rows padded with ``-1``.

        No tuple per edge: what a merge of millions of edges reads.
        """
        arr = getattr(self, "_edge_neurons_array", None)
        if arr is None:
            E, m = len(self.edges), max(map(len, self._edge_neurons), default=1)
            arr = np.full((E, m), -1, dtype=np.intp)
            for i, e in enumerate(self._edge_neurons):
                arr[i, :len(e)] = e
        return arr

    # ---------------------------------------------------------------- counts
    @property
    def n_regions(self) -> int:
        """Number of regions found (a lower bound unless :attr:`complete`)."""
        return len(self.radii)

    def __len__(self):
        return self.n_regions

    @property
    def status(self) -> str:
        """One of :data:`STATUSES`; see the module's status vocabulary."""
        if self.stop_reason == "solver_error":
            return FAILED
        if not self._finished or self.n_undecided:
            return LOWER_BOUND
        if self.n_thin or self.n_merged:
            return EXACT_AT_RESOLUTION
        return EXACT

    @property
    def status_detail(self) -> str:
        """Why the status is what it is, in words (what the CLI prints after the count)."""
        st = self.status
        text = self._count_detail(st)
        k = self.n_undecided_edges
        if k:
            # The count is unaffected (those facets were crossed); only the graph lacks edges.
            text += f"; graph incomplete: {k} facets undecided, their edges not recorded"
        return text

    @property
    def n_undecided_edges(self) -> int:
        """Pairs of regions whose shared ball facet no certificate decided (no edge recorded)."""
        return int(self.stats.get("undecided_edges", 0) or 0)

    @property
    def graph_complete(self) -> bool:
        """Whether :attr:`graph` has every facet-adjacency edge among the regions found.

        ``False`` when a ball facet between two counted regions could be
        certified neither to meet nor to miss the ball
        (:attr:`n_undecided_edges`); the count is unaffected.
        """
        return self.n_undecided_edges == 0

    def _count_detail(self, st):
        if st == EXACT:
            return "exact"
        if st == EXACT_AT_RESOLUTION:
            parts = []
            if self.n_thin:
                parts.append(f"{self.n_thin} patterns thinner than the radius tolerance "
                             f"({self.tolerances.radius:g} x local scale) not counted")
            if self.n_merged:
                parts.append(f"{self.n_merged} facets where hyperplanes closer than the coincidence "
                             f"tolerance ({self.tolerances.coincide:g}) were crossed together")
            return "exact at resolution: " + "; ".join(parts)
        parts = []
        if self.stop_reason and self.stop_reason != "undecided":
            parts.append(f"stopped: {self.stop_reason}")
        if self.n_undecided:
            parts.append(f"{self.n_undecided} patterns undecided")
        prefix = "failed" if st == FAILED else "lower bound"
        return prefix + (" (" + "; ".join(parts) + ")" if parts else "")

    @property
    def complete(self) -> bool:
        """Whether the count is decided (``"exact"`` or ``"exact_at_resolution"``)."""
        return self.status in (EXACT, EXACT_AT_RESOLUTION)

    def count(self, at_resolution=False) -> int:
        """The exact count.

        Raises :class:`IncompleteEnumerationError` for a lower bound or a failed
        run, and :class:`InexactCountError` for a count exact only at a stated
        resolution (thin patterns, merged hyperplanes) unless
        ``at_resolution=True``, which returns it with a ``RuntimeWarning``.
        """
        st = self.status
        if st in (LOWER_BOUND, FAILED):
            raise IncompleteEnumerationError(self)
        if st == EXACT_AT_RESOLUTION:
            if not at_resolution:
                raise InexactCountError(self)
            import warnings

            warnings.warn(f"count {self.n_regions} is {self.status_detail}.", RuntimeWarning, stacklevel=2)
        return self.n_regions

    @property
    def lower_bound(self) -> int:
        """Number of regions found: a lower bound whatever the status."""
        return self.n_regions

    @property
    def count_is(self) -> str:
        """0.1 spelling of :attr:`status`: ``"exact"``, ``"exact above the radius tolerance"`` or ``"lower bound"``."""
        return {EXACT: "exact", EXACT_AT_RESOLUTION: "exact above the radius tolerance"}.get(
            self.status, "lower bound")

    # --------------------------------------------------------------- regions
    def __getitem__(self, i) -> Region:
        i = int(i)
        if i < 0:
            i += self.n_regions
        if not 0 <= i < self.n_regions:
            raise IndexError(f"region index {i} out of range for {self.n_regions} regions.")
        return Region(i, self.patterns[i], self.interior_points[i], float(self.radii[i]), self)

    def __iter__(self):
        return (self[i] for i in range(self.n_regions))

    @property
    def input_points(self):
        """Interior points mapped to the network's input space."""
        return self.domain.to_input(self.interior_points)

    def halfspaces(self, i):
        """``(A, b)`` of region ``i``."""
        return self[i].halfspaces()

    def affine_maps(self):
        """Output maps ``(A_r, c_r)`` of all regions, stacked: shapes ``(R, out, dim)``, ``(R, out)``."""
        maps = [self.network.affine_output(p, self.domain.input_map) for p in self.patterns]
        if not maps:
            d, o = self.domain.dim, self.network.output_dim
            return np.zeros((0, o, d)), np.zeros((0, o))
        return np.stack([m[0] for m in maps]), np.stack([m[1] for m in maps])

    def locate(self, U):
        """Index of the region containing each point of ``U`` (domain coordinates), -1 if none."""
        pats = self.network.activation_patterns(self.domain.to_input(U))
        lookup = dict(zip(pattern_keys(self.patterns), range(self.n_regions)))
        return np.array([lookup.get(k, -1) for k in pattern_keys(pats)], dtype=np.intp)

    # ----------------------------------------------------------------- graph
    @property
    def graph(self):
        """Facet-adjacency graph (networkx): nodes are region indices, edges carry ``neurons``.

        ``graph.graph["complete"]`` is :attr:`graph_complete`.
        """
        if self._graph is None:
            import networkx as nx

            # ``complete``: False if ball facets left undecided may hide edges.
            G = nx.Graph(complete=self.graph_complete, undecided_edges=self.n_undecided_edges)
            G.add_nodes_from(range(self.n_regions))
            for (i, j), neurons in zip(self.edges.tolist(), self.edge_neurons):
                G.add_edge(i, j, neurons=neurons)
            self._graph = G
        return self._graph

    # ---------------------------------------------------------------- checks
    def check_patterns(self):
        """Re-evaluate each interior point by a forward pass; return indices whose pattern differs."""
        if self.n_regions == 0:
            return np.zeros(0, dtype=np.intp)
        got = self.network.activation_patterns(self.input_points)
        return np.flatnonzero(np.any(got != self.patterns, axis=1))

    def verify(self, **kwargs):
        """Run every self-check (:func:`polyregions.verification.verify`): patterns, volumes, Euler.

        Takes ``time_limit`` and ``progress`` like every long call.
        """
        return verify(self, **kwargs)

    def summary(self) -> dict:
        """Plain-dict summary (what the CLI prints)."""
        return {
            "n_regions": self.n_regions,
            "complete": self.complete,
            "status": self.status,
            "status_detail": self.status_detail,
            "stop_reason": self.stop_reason,
            "n_thin": self.n_thin,
            "n_merged": self.n_merged,
            "n_undecided": self.n_undecided,
            "n_edges": int(len(self.edges)),
            "domain": self.domain.to_dict(),
            "network": {
                "input_dim": self.network.input_dim,
                "widths": list(self.network.widths),
                "sha256": self.network.fingerprint(),
            },
            "tolerances": self.tolerances.to_dict(),
            "stats": self.stats,
        }

    def __repr__(self):
        return f"RegionSet({self.n_regions} regions, {self.status_detail}, domain={self.domain!r})"
