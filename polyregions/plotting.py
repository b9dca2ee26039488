"""Pictures of the regions of a 2-D run (a 2-D domain or a 2-D slice of a larger input).

Every region is drawn as its exact polygon (from
:func:`~polyregions.geometry.region_polygon`), so boundaries are crisp at any
zoom, unlike pictures made by sampling a grid. matplotlib is imported only
when a picture is made; it comes with the ``plot`` extra.

Example
-------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> from polyregions import ReLUNetwork, Box, enumerate_regions
>>> net = ReLUNetwork.from_weights([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
>>> ax = plot_regions(enumerate_regions(net, Box([-1, -1], [1, 1])))
>>> ax.get_xlabel(), len(region_patches(ax).get_paths())
('x1', 4)
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np

from .disc import shoelace_area
from .geometry import arrangement_window, region_outline, require_2d
from .lp import is_bounded

__all__ = ["plot_regions", "region_patches", "colormap", "require_matplotlib", "COLOR_BY"]

#: Accepted string values of ``color_by``.
COLOR_BY = ("region", "linear", "output", "area")

_GID = "polyregions.regions"


def require_matplotlib():
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        raise ImportError(
            "plot_regions needs matplotlib, which is an optional dependency of polyregions; "
            "install the plot extra: pip install 'polyregions[plot]'."
        ) from None


def _distinct_colouring(n, edges, n_colors, rng):
    """Random colour indices such that regions sharing an edge differ (when possible)."""
    neighbours = [[] for _ in range(n)]
    for i, j in edges:
        neighbours[i].append(j)
        neighbours[j].append(i)
    colour = np.full(n, -1)
    for i in range(n):
        used = {colour[j] for j in neighbours[i]}
        free = [c for c in range(n_colors) if c not in used]
        colour[i] = rng.choice(free) if free else rng.integers(n_colors)
    return colour


def colormap(cmap, default="viridis"):
    """The matplotlib Colormap for ``cmap`` (a name, a Colormap, or ``None`` for ``default``)."""
    import matplotlib

    return cmap if hasattr(cmap, "N") else matplotlib.colormaps[cmap or default]


def _palette(cmap, default):
    import matplotlib

    cm = colormap(cmap, default)
    if hasattr(cm, "colors") and cm.N <= 64:
        return np.asarray(matplotlib.colors.to_rgba_array(cm.colors))
    return cm(np.linspace(0.05, 0.95, 12))


def _neighbour_lookup(rs):
    """``(region, neuron) -> region across that neuron's facet``."""
    out = {}
    for (i, j), neurons in zip(rs.edges.tolist(), rs.edge_neurons):
        for k in neurons:
            out[(i, k)] = j
            out[(j, k)] = i
    return out


def _boundary_segments(rs, pieces, hide, tol):
    """Edges of the drawn polygons that are region boundaries, as ``(k, 2, 2)``.

    An edge is attributed to the constraint row closest to its midpoint: a
    neuron (then ``hide(i, j)`` may drop the facet shared with neighbour
    ``j``), the domain (drawn), or a clip row (dropped: the frame is the axes).
    Edges far from every row are arcs of a ball's circle (drawn).
    """
    lookup = _neighbour_lookup(rs)
    segs = []
    for i, outline in pieces:
        poly, A, b, owner = outline.polygon, outline.A, outline.b, outline.owner
        if len(poly) < 2:
            continue
        P, Q = poly, np.roll(poly, -1, axis=0)
        mid = (P + Q) / 2
        norms = np.linalg.norm(A, axis=1)
        resid = (b[None, :] - mid @ A.T) / norms
        row = np.argmin(np.abs(resid), axis=1)
        on_row = np.abs(resid[np.arange(len(mid)), row]) <= tol
        for k in range(len(mid)):
            if on_row[k]:
                o = owner[row[k]]
                if o == -2:
                    continue
                if o >= 0:
                    j = lookup.get((i, int(o)))
                    if j is not None and hide(i, j):
                        continue
            segs.append((P[k], Q[k]))
    return np.array(segs).reshape(-1, 2, 2)


def region_patches(ax):
    """The collection of region polygons that :func:`plot_regions` drew on ``ax``.

    One path per region drawn, in region order (regions missing a clip box
    are skipped).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    >>> ax = plot_regions(enumerate_regions(net, Box([-1, -1], [1, 1])))
    >>> [len(p.vertices) >= 4 for p in region_patches(ax).get_paths()]
    [True, True]
    """
    for c in ax.collections:
        if c.get_gid() == _GID:
            return c
    raise ValueError("no regions drawn by plot_regions on these axes.")


def plot_regions(rs, ax=None, color_by="region", *, show_boundaries=True, show_graph=False,
                 points=None, cmap=None, path=None, clip=None, output_index=0, linear_rtol=1e-9,
                 boundary_color="0.1", boundary_width=None, colorbar=True, colorbar_label=None,
                 random_state=0, dpi=200, decision_boundary=False, decision_color="crimson"):
    """Draw the regions of a 2-D run, each as its exact polygon.

    Parameters
    ----------
    rs : RegionSet
        Of a 2-D domain: a box, ball, polytope, the whole plane or a 2-D
        :class:`~polyregions.Slice` (drawn in its coordinates ``u``).
    ax : matplotlib Axes, optional
        Default: a new figure.
    color_by : {"region", "linear", "output", "area"} or array_like, default "region"
        * ``"region"``: a qualitative colour per activation region, random but
          different between regions sharing a facet;
        * ``"linear"``: the same per linear region
          (:func:`~polyregions.linear.linear_regions`), and with
          ``show_boundaries`` only the boundaries between linear regions;
        * ``"output"``: the network output ``output_index``, shaded linearly
          inside each region (exact: the network is affine there);
        * ``"area"``: each region's drawn area, on a log scale when areas span
          more than two decades; unbounded regions of a whole-plane run have
          no area and are drawn grey;
        * an array of one number per region: that value.
    show_boundaries : bool, default True
        Draw region boundaries and the domain's border.
    show_graph : bool, default False
        Overlay the facet-adjacency graph: an edge between the interior points
        of every two neighbouring regions.
    points : array_like, shape (n, 2), optional
        Points to mark, in the domain's coordinates (``u`` for a slice: e.g.
        ``(0, 0), (1, 0), (0, 1)`` for the three points of
        :meth:`Slice.through_points`).
    cmap : str or Colormap, optional
        Default ``"tab20"`` for qualitative colourings, ``"viridis"`` otherwise.
    path : str or Path, optional
        Save the figure there (PNG, SVG, PDF, ... by suffix) at ``dpi``.
    clip : Box or (lo, hi), optional
        Window for whole-plane runs (default: a box around all finite vertices
        of the arrangement, padded by a quarter of its size). Regions missing
        the window are not drawn. Ignored by bounded domains unless given.
    output_index : int, default 0
        Which output ``color_by="output"`` shows.
    linear_rtol : float, default 1e-9
        Tolerance of ``color_by="linear"``.
    boundary_color, boundary_width
        Line style of the boundaries; the default width shrinks with the
        number of regions.
    colorbar : bool, default True
        Add a colour bar for scalar colourings.
    colorbar_label : str, optional
    random_state : int, default 0
        Seeds the qualitative colouring.
    dpi : int, default 200
    decision_boundary : bool, default False
        Overlay the classifier's decision boundary (``f = 0`` for one output,
        where the arg-max class changes otherwise), exact piece by piece
        (:func:`~polyregions.decision.decision_boundary`).
    decision_color : colour, default "crimson"

    Returns
    -------
    matplotlib Axes
        Region polygons are in :func:`region_patches` ``(ax)``.

    Raises
    ------
    ImportError
        Without matplotlib (install ``polyregions[plot]``).
    ValueError
        If the domain is not 2-D, or no region meets ``clip``.

    Warns
    -----
    RuntimeWarning
        For an incomplete run (``rs.complete`` is ``False``): the regions not
        found are left blank.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from polyregions import ReLUNetwork, Box, enumerate_regions
    >>> net = ReLUNetwork.from_weights([np.eye(2), [[1.0, 0.0]]], [np.zeros(2), [0.0]])
    >>> rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    >>> ax = plot_regions(rs, color_by="linear")   # x2 = 0 splits patterns, not the map
    >>> fc = region_patches(ax).get_facecolors()
    >>> len(fc), len(np.unique(fc, axis=0))
    (4, 2)
    """
    require_matplotlib()
    require_2d(rs, "plot_regions")
    if not rs.complete:
        warnings.warn(
            f"plotting an incomplete enumeration ({rs.stop_reason}): only the {rs.n_regions} "
            "regions found are drawn, and the blank parts of the domain hold regions not found. "
            "Rerun enumerate_regions without a budget for the full picture.",
            RuntimeWarning, stacklevel=2,
        )
    if isinstance(color_by, str) and color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {COLOR_BY} or an array; got {color_by!r}.")
    if clip is None and not rs.domain.bounded:
        clip = arrangement_window(rs)
    if points is not None:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    pieces = _drawn_pieces(rs, clip)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 6))
    colouring = _colouring(rs, pieces, color_by, cmap, output_index, linear_rtol, random_state)
    mappable = _draw_regions(ax, rs, pieces, colouring, cmap, output_index)
    if show_boundaries:
        _draw_boundaries(ax, rs, pieces, colouring.hide, boundary_color, boundary_width)
    _draw_overlays(ax, rs, show_graph, points, decision_boundary, decision_color)
    _frame(ax, rs, pieces, points)
    if mappable is not None and colorbar:
        label = colorbar_label or colouring.label or (
            "network output" if rs.network.output_dim == 1 else f"output {int(output_index)}")
        ax.figure.colorbar(mappable, ax=ax, label=label, shrink=0.8)
    if path is not None:
        ax.figure.savefig(path, dpi=dpi, bbox_inches="tight")
    return ax


# ------------------------------------------------------------ the steps
def _drawn_pieces(rs, clip):
    """``[(region index, RegionOutline)]`` of the regions that meet ``clip`` (all, without it)."""
    pieces = []
    for i in range(rs.n_regions):
        outline = region_outline(rs, i, clip=clip, arc_step=np.pi / 360)
        if len(outline.polygon) >= 3:
            pieces.append((i, outline))
    if rs.n_regions and not pieces:
        raise ValueError(
            f"none of the {rs.n_regions} regions meets the window clip={clip!r}; pass a clip box "
            "that overlaps the domain (or clip=None for the default window)."
        )
    return pieces


class _Colouring:
    """What :func:`plot_regions` fills the regions with.

    ``facecolors`` for qualitative and scalar colourings (``None`` for
    ``"output"``, which is shaded separately), the scalar ``mappable`` and
    its ``label`` for the colour bar, and ``hide(i, j)``: whether the facet
    between neighbours ``i`` and ``j`` is left undrawn.
    """

    def __init__(self, facecolors=None, mappable=None, label=None, hide=None):
        self.facecolors = facecolors
        self.mappable = mappable
        self.label = label
        self.hide = hide or (lambda i, j: False)


def _colouring(rs, pieces, color_by, cmap, output_index, linear_rtol, random_state):
    drawn = np.array([i for i, _ in pieces], dtype=np.intp)
    rng = np.random.default_rng(random_state)
    n = rs.n_regions
    if isinstance(color_by, str) and color_by in ("region", "linear"):
        palette = _palette(cmap, "tab20")
        hide = None
        if color_by == "region":
            colour = _distinct_colouring(n, rs.edges.tolist(), len(palette), rng)
        else:
            from .linear import linear_regions

            labels = linear_regions(rs, rtol=linear_rtol, allow_incomplete=True).labels
            pairs = {(int(a), int(c)) for a, c in labels[rs.edges] if a != c}
            colour = _distinct_colouring(int(labels.max(initial=-1)) + 1, sorted(pairs),
                                         len(palette), rng)[labels]
            hide = lambda i, j: labels[i] == labels[j]  # noqa: E731
        return _Colouring(palette[colour[drawn]] if len(drawn) else np.zeros((0, 4)), hide=hide)
    if isinstance(color_by, str) and color_by == "area":
        return _scalar_colouring(*_areas(rs, pieces), cmap)
    if isinstance(color_by, str):  # "output"
        k = int(output_index)
        if not 0 <= k < rs.network.output_dim:
            raise ValueError(
                f"output_index={k} but the network has {rs.network.output_dim} output(s)."
            )
        return _Colouring()
    values = np.asarray(color_by, dtype=np.float64).reshape(-1)
    if values.size != n:
        raise ValueError(f"color_by has {values.size} values; expected one per region ({n}).")
    return _scalar_colouring(values[drawn], "value", cmap)


def _areas(rs, pieces):
    """Drawn area of each piece and the colour bar's label."""
    areas = np.array([abs(shoelace_area(o.polygon)) for _, o in pieces])
    label = "region area"
    if not rs.domain.bounded:
        # A clipped unbounded region's drawn area is an artefact of the window:
        # give it no value (drawn in the colour map's "bad" colour, grey).
        unbounded = np.array([not is_bounded(o.A[o.owner != -2]) for _, o in pieces], dtype=bool)
        areas[unbounded] = np.nan
        if unbounded.any():
            label = "region area (grey: unbounded)"
    return areas, label


def _scalar_colouring(values, label, cmap):
    import matplotlib

    finite = values[np.isfinite(values)]
    positive = finite[finite > 0]
    wide = len(positive) and positive.max() > 100 * positive.min()
    if label.startswith("region area") and wide:
        norm = matplotlib.colors.LogNorm(positive.min(), positive.max())
    else:
        # The values' own range (it used to be widened to include [0, 1], which
        # flattened e.g. probabilities of order 1e-3 into a single colour).
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        norm = matplotlib.colors.Normalize(lo, hi if hi > lo else lo + 1.0)
    cm = colormap(cmap).with_extremes(bad="0.8")  # regions without a value (NaN)
    return _Colouring(cm(norm(values)), matplotlib.cm.ScalarMappable(norm=norm, cmap=cm), label)


def _draw_regions(ax, rs, pieces, colouring, cmap, output_index):
    """Add the region polygons (gid ``polyregions.regions``); return the colour bar's mappable."""
    from matplotlib.collections import PolyCollection

    polys = [o.polygon for _, o in pieces]
    fc = colouring.facecolors
    mappable = colouring.mappable
    if fc is not None:
        # Edges in the face colour close the hairline seams antialiasing leaves
        # between adjacent polygons.
        regions = PolyCollection(polys, facecolors=fc, edgecolors=fc, linewidths=0.3, zorder=1)
    else:
        regions = PolyCollection(polys, facecolors="none", edgecolors="none", zorder=1)
        mappable = _draw_output(ax, rs, pieces, int(output_index), cmap)
    regions.set_gid(_GID)
    ax.add_collection(regions)
    return mappable


def _draw_boundaries(ax, rs, pieces, hide, color, width):
    from matplotlib.collections import LineCollection

    segs = _boundary_segments(rs, pieces, hide, 1e-9 * rs.domain.scale)
    if width is None:
        width = float(np.clip(8.0 / np.sqrt(max(rs.n_regions, 1)), 0.2, 1.0))
    lines = LineCollection(segs, colors=color, linewidths=width,
                           capstyle="round", joinstyle="round", zorder=2)
    lines.set_gid("polyregions.boundaries")
    ax.add_collection(lines)


def _draw_overlays(ax, rs, show_graph, points, decision_boundary, decision_color):
    """The decision boundary, the adjacency graph and the marked points, above the regions."""
    from matplotlib.collections import LineCollection

    if decision_boundary and rs.domain.bounded:
        from .decision import decision_boundary as _decision

        db = _decision(rs)
        dl = LineCollection(db.segments, colors=decision_color, linewidths=1.6, zorder=3.5)
        dl.set_gid("polyregions.decision")
        ax.add_collection(dl)
    elif decision_boundary:
        raise ValueError("decision_boundary=True needs a bounded 2-D domain (a box, ball or "
                         "slice); enumerate in one.")

    if show_graph and len(rs.edges):
        ip = rs.interior_points
        graph = LineCollection(ip[rs.edges], colors="k", linewidths=0.5, alpha=0.6, zorder=3)
        graph.set_gid("polyregions.graph")
        ax.add_collection(graph)
        ax.scatter(ip[:, 0], ip[:, 1], s=4, c="k", zorder=3, linewidths=0)
    if points is not None:
        sc = ax.scatter(points[:, 0], points[:, 1], s=40, c="white", edgecolors="k",
                        linewidths=1.2, zorder=4)
        sc.set_gid("polyregions.points")


def _frame(ax, rs, pieces, points):
    """Limits around everything drawn, equal scales when sensible, axis names."""
    every = np.vstack([o.polygon for _, o in pieces] + [np.zeros((0, 2))])
    if points is not None:
        every = np.vstack([every, points])
    if len(every):
        lo, hi = every.min(axis=0), every.max(axis=0)
        margin = 0.01 * (hi - lo)
        ax.set_xlim(lo[0] - margin[0], hi[0] + margin[0])
        ax.set_ylim(lo[1] - margin[1], hi[1] + margin[1])
        ratio = (hi[1] - lo[1]) / max(hi[0] - lo[0], 1e-300)
        # Equal scales keep angles true, unless that would squash the picture.
        ax.set_aspect("equal" if 0.25 <= ratio <= 4 else "auto")
    names = ("u1", "u2") if rs.domain.input_map is not None else ("x1", "x2")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])


def _draw_output(ax, rs, pieces, k, cmap):
    """Shade output ``k`` exactly: Gouraud interpolation over a fan of each convex polygon."""
    from matplotlib.tri import Triangulation

    xy, vals, tris = [], [], []
    start = 0
    for i, outline in pieces:
        poly = outline.polygon
        A, c = rs[i].affine_map()
        vals.append(poly @ A[k] + c[k])
        m = len(poly)
        fan = np.column_stack([np.zeros(m - 2, int), np.arange(1, m - 1), np.arange(2, m)])
        tris.append(fan + start)
        xy.append(poly)
        start += m
    xy = np.vstack(xy)
    tri = Triangulation(xy[:, 0], xy[:, 1], np.vstack(tris))
    out = ax.tripcolor(tri, np.concatenate(vals), shading="gouraud", cmap=colormap(cmap),
                       zorder=0.5)
    out.set_gid("polyregions.output")
    return out
