"""Pictures: one exact polygon per region, files written, every colouring, every 2-D domain."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from polyregions import Ball, Box, ReLUNetwork, Slice, enumerate_regions  # noqa: E402
from polyregions.network import random_network
from polyregions.geometry import geometry_table  # noqa: E402
from polyregions.plotting import plot_regions, region_patches  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def box_run(he_net):
    return enumerate_regions(he_net(2, [10, 10], 0), Box([-1, -1], [1, 1]))


def by_gid(ax, gid):
    return [c for c in ax.collections if c.get_gid() == gid]


def test_png_written_with_one_polygon_per_region(box_run, tmp_path):
    path = tmp_path / "regions.png"
    ax = plot_regions(box_run, path=path)
    assert path.stat().st_size > 10_000
    assert len(region_patches(ax).get_paths()) == box_run.n_regions
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    # the picture has many colours, not a blank canvas
    img = matplotlib.image.imread(path)
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 20
    # neighbouring regions never share a fill colour
    fc = region_patches(ax).get_facecolors()
    i, j = box_run.edges.T
    assert not np.any(np.all(fc[i] == fc[j], axis=1))


def test_svg_and_polygon_areas(box_run, tmp_path):
    path = tmp_path / "regions.svg"
    ax = plot_regions(box_run, path=path, show_boundaries=False)
    assert path.read_text().lstrip().startswith("<?xml") and path.stat().st_size > 5_000
    assert not by_gid(ax, "polyregions.boundaries")
    area = []
    for p in region_patches(ax).get_paths():
        v = p.vertices[:-1] if np.allclose(p.vertices[0], p.vertices[-1]) else p.vertices
        x, y = v[:, 0], v[:, 1]
        area.append(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    assert np.allclose(area, geometry_table(box_run)["volume"], rtol=1e-9)


@pytest.mark.parametrize("color_by", ["region", "linear", "output", "area", "array"])
def test_every_colouring(box_run, color_by):
    values = np.arange(box_run.n_regions, dtype=float)
    ax = plot_regions(box_run, color_by=values if color_by == "array" else color_by)
    assert len(region_patches(ax).get_paths()) == box_run.n_regions
    has_colorbar = len(ax.figure.axes) == 2
    assert has_colorbar == (color_by in ("output", "area", "array"))
    if color_by == "output":
        assert by_gid(ax, "polyregions.output")


def test_output_shading_is_the_network(box_run):
    ax = plot_regions(box_run, color_by="output")
    tri = by_gid(ax, "polyregions.output")[0]
    # A Gouraud TriMesh exposes its triangulation only as a private attribute.
    xy = tri._triangulation.x, tri._triangulation.y
    X = np.column_stack(xy)
    assert np.allclose(tri.get_array(), box_run.network.forward(X)[:, 0], atol=1e-9)


def test_linear_colouring_hides_merged_boundaries():
    # The output ignores neuron 2, so its line separates activation but not linear regions.
    rng = np.random.default_rng(1)
    net = ReLUNetwork.from_weights([rng.normal(size=(4, 2)), [[1.0, -1.0, 0.0, 0.5]]],
                                   [rng.normal(size=4) * 0.3, [0.0]])
    rs = enumerate_regions(net, Box([-1, -1], [1, 1]))
    n_all = len(by_gid(plot_regions(rs), "polyregions.boundaries")[0].get_segments())
    ax = plot_regions(rs, color_by="linear")
    n_lin = len(by_gid(ax, "polyregions.boundaries")[0].get_segments())
    assert n_lin < n_all
    fc = region_patches(ax).get_facecolors()
    merged = [(i, j) for (i, j), e in zip(rs.edges, rs.edge_neurons) if e == (2,)]
    assert merged and all(np.array_equal(fc[i], fc[j]) for i, j in merged)


def test_ball_polygons_stay_in_the_disc(he_net):
    rs = enumerate_regions(he_net(2, [8, 8], 2), Ball([0.3, -0.2], 0.8))
    ax = plot_regions(rs, show_graph=True)
    paths = region_patches(ax).get_paths()
    assert len(paths) == rs.n_regions
    allv = np.vstack([p.vertices for p in paths])
    assert np.all(np.linalg.norm(allv - [0.3, -0.2], axis=1) <= 0.8 * (1 + 1e-9))
    graph = by_gid(ax, "polyregions.graph")[0]
    assert len(graph.get_segments()) == len(rs.edges)


def test_whole_plane_default_and_custom_window(he_net):
    rs = enumerate_regions(he_net(2, [6], 3))
    ax = plot_regions(rs)
    assert len(region_patches(ax).get_paths()) == rs.n_regions
    lo, hi = ax.get_xlim()
    assert np.isfinite(lo) and hi > lo
    ax = plot_regions(rs, clip=Box([5.0, 5.0], [6.0, 6.0]))
    assert 1 <= len(region_patches(ax).get_paths()) < rs.n_regions


def test_slice_axes_and_points(he_net):
    rng = np.random.default_rng(4)
    rs = enumerate_regions(he_net(50, [8], 4), Slice.through_points(*rng.random((3, 50))))
    pts = [[0, 0], [1, 0], [0, 1]]
    ax = plot_regions(rs, points=pts, color_by="area")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("u1", "u2")
    assert by_gid(ax, "polyregions.points")[0].get_offsets().shape == (3, 2)
    assert len(region_patches(ax).get_paths()) == rs.n_regions


def test_errors(he_net):
    rs3 = enumerate_regions(he_net(3, [4], 5), Box([-1] * 3, [1] * 3))
    with pytest.raises(ValueError, match="Slice"):
        plot_regions(rs3)
    rs = enumerate_regions(he_net(2, [4], 5), Box([-1, -1], [1, 1]))
    with pytest.raises(ValueError, match="color_by"):
        plot_regions(rs, color_by="rainbow")
    with pytest.raises(ValueError, match="one per region"):
        plot_regions(rs, color_by=[1.0, 2.0])
    with pytest.raises(ValueError, match="output_index"):
        plot_regions(rs, color_by="output", output_index=3)


def test_missing_matplotlib_names_the_extra(monkeypatch, box_run):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"polyregions\[plot\]"):
        plot_regions(box_run)


def test_incomplete_run_warns_and_still_draws_every_colouring(he_net):
    rs = enumerate_regions(he_net(2, [10, 10], 0), Box([-1, -1], [1, 1]), max_regions=12)
    assert not rs.complete
    for color_by in ("region", "linear"):
        with pytest.warns(RuntimeWarning, match="incomplete"):
            ax = plot_regions(rs, color_by=color_by)
        assert len(region_patches(ax).get_paths()) == 12


def test_unbounded_regions_have_no_area(he_net):
    # In the whole plane an unbounded region's drawn area is the window's doing:
    # it must not be coloured as if it were the region's area.
    rs = enumerate_regions(he_net(2, [6], 3))
    t = geometry_table(rs)
    assert t["bounded"].any() and not t["bounded"].all()
    ax = plot_regions(rs, color_by="area")
    fc = region_patches(ax).get_facecolors()
    grey = matplotlib.colors.to_rgba("0.8")
    is_grey = np.all(np.isclose(fc, grey), axis=1)
    assert np.array_equal(is_grey, ~t["bounded"])
    assert "unbounded" in ax.figure.axes[1].get_ylabel()


def test_window_missing_every_region_is_an_error(he_net):
    rs = enumerate_regions(he_net(2, [4], 5), Box([-1, -1], [1, 1]))
    with pytest.raises(ValueError, match="window"):
        plot_regions(rs, clip=Box([5.0, 5.0], [6.0, 6.0]))


def test_colour_scale_follows_the_values(box_run):
    # Per-region values of order 1e-3 (say probabilities) must still spread over
    # the colour map; the scale used to be forced to include [0, 1].
    values = 1e-3 * (1 + np.arange(box_run.n_regions)) / box_run.n_regions
    ax = plot_regions(box_run, color_by=values)
    fc = region_patches(ax).get_facecolors()
    assert len(np.unique(fc, axis=0)) > box_run.n_regions // 2
    cbar = ax.figure.axes[1]
    assert cbar.get_ylim() == pytest.approx((values.min(), values.max()))
    # constant values do not divide by zero
    plot_regions(box_run, color_by=np.full(box_run.n_regions, 7.0))
