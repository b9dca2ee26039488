"""The polytope kernel: polygon ∩ disc areas against an independent bracket, ball clipping."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

from polyregions import Ball, ReLUNetwork, enumerate_regions
from polyregions.geometry import region_geometry
from polyregions.polytope import clip_polygon_to_disc, clip_rows_to_ball, region_volume
from polyregions.verification import verify


def _clip_by_halfplane(poly, p, q):
    """Part of the convex polygon ``poly`` left of the directed line p -> q (Sutherland-Hodgman)."""
    d = q - p
    side = d[0] * (poly[:, 1] - p[1]) - d[1] * (poly[:, 0] - p[0])
    out = []
    n = len(poly)
    for k in range(n):
        a, b = poly[k], poly[(k + 1) % n]
        sa, sb = side[k], side[(k + 1) % n]
        if sa >= 0:
            out.append(a)
        if (sa >= 0) != (sb >= 0):
            out.append(a + (b - a) * (sa / (sa - sb)))
    return np.array(out).reshape(-1, 2)


def _shoelace(poly):
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def disc_area_bracket(V, center, R, n=1 << 12):
    """``(lo, hi)`` bracketing area(V ∩ disc): V clipped to the inscribed and circumscribed n-gons.

    Independent of the closed form: plain half-plane clipping and a shoelace sum.
    The two n-gons differ in area by about ``pi R^2 (pi / n)^2``.
    """
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack([np.cos(t), np.sin(t)])
    out = []
    for radius in (R, R / math.cos(math.pi / n)):
        poly = center + radius * ring
        for p, q in zip(V, np.roll(V, -1, axis=0)):
            poly = _clip_by_halfplane(poly, p, q)
            if len(poly) == 0:
                break
        out.append(_shoelace(poly))
    return out[0], out[1]


def test_issue_case_vertex_at_the_centre_area_and_verify():
    # Issue 8, item 5: the region [1, 0, 0, 1] has a vertex on the disc's centre and an
    # edge through (0, 1) on the circle; its area was reported as 0.0182.
    net = ReLUNetwork.from_weights(
        [np.array([[1, 2], [3, -1], [-2, 1], [0, 1]], float), np.array([[1, 1, 1, 1]], float)],
        [np.array([1, 0, -1, 0], float), np.zeros(1)])
    rs = enumerate_regions(net, Ball([0, 0], 1))
    i = [tuple(p) for p in rs.patterns.astype(int).tolist()].index((1, 0, 0, 1))
    # Closed form: triangle (0,0),(0,1),(-1/2,0) of area 1/4 plus the sector from the
    # direction of (1, 3) to that of (0, 1), of angle pi/2 - atan(3).
    truth = 0.25 + 0.5 * (math.pi / 2 - math.atan(3.0))
    assert region_geometry(rs, i).volume == pytest.approx(truth, rel=1e-12)
    # The region's polygon cut at y = 2 (outside the disc), clipped by the n-gons.
    lo, hi = disc_area_bracket(np.array([[-0.5, 0.0], [0.0, 0.0], [2 / 3, 2.0], [0.5, 2.0]]),
                               np.zeros(2), 1.0)
    assert lo <= truth <= hi and hi - lo < 1e-6
    report = verify(rs)
    assert report.ok and report.volume.rel_error < 1e-12


def _polygon(points):
    hull = ConvexHull(points)
    return points[hull.vertices]  # counter-clockwise


@st.composite
def polygons_near_a_disc(draw):
    """Convex polygons whose vertices sit on the centre, on the circle, or anywhere nearby."""
    R = draw(st.sampled_from([1.0, 0.3, 7.0]))
    c = np.array(draw(st.tuples(st.floats(-2, 2), st.floats(-2, 2))))
    k = draw(st.integers(3, 7))
    pts = []
    for _ in range(k):
        kind = draw(st.sampled_from(["centre", "centre+eps", "circle", "free"]))
        th = draw(st.floats(0, 2 * math.pi))
        if kind == "centre":
            pts.append(c.copy())
        elif kind == "centre+eps":
            pts.append(c + 1e-17 * np.array([math.cos(th), math.sin(th)]))
        elif kind == "circle":
            pts.append(c + R * np.array([math.cos(th), math.sin(th)]))
        else:
            r = draw(st.floats(0, 2.5)) * R
            pts.append(c + r * np.array([math.cos(th), math.sin(th)]))
    pts = np.array(pts)
    # a spread-out polygon: reject near-degenerate hulls (their area is ~0 anyway)
    if np.linalg.matrix_rank(pts - pts.mean(axis=0), tol=1e-3 * R) < 2:
        pts = np.vstack([pts, c + R * np.array([[1.5, 0.1], [0.2, 1.4], [-1.3, -0.9]])])
    return _polygon(pts), c, R


@settings(max_examples=40, deadline=None)
@given(polygons_near_a_disc())
def test_property_disc_area_within_the_polygon_bracket(case):
    V, c, R = case
    area = clip_polygon_to_disc(V, c, R).area
    lo, hi = disc_area_bracket(V, c, R)
    slack = 1e-12 * R * R
    assert lo - slack <= area <= hi + slack
    assert 0.0 <= area <= math.pi * R * R * (1 + 1e-12)


@settings(max_examples=25, deadline=None)
@given(polygons_near_a_disc())
def test_property_outline_area_matches_the_exact_area(case):
    # The drawn outline samples arcs every `step` radians or less: its shoelace area is
    # below the exact area by the circular segments cut off, R^2 (s - sin s) / 2 each,
    # at most 2 pi R^2 step^2 / 12 in total.
    V, c, R = case
    cut = clip_polygon_to_disc(V, c, R)
    step = 2 * math.pi / 512
    poly, _ = cut.outline(step)
    assert _shoelace(poly) <= cut.area + 1e-12 * R * R
    assert _shoelace(poly) >= cut.area - 2 * math.pi * R * R * step ** 2 / 12 - 1e-12 * R * R


def test_region_volume_with_the_disc_through_a_vertex():
    # The unit square's corner (0, 0) is the centre of the disc: a quarter disc.
    A = np.vstack([np.eye(2), -np.eye(2)])
    b = np.array([2.0, 2.0, 0.0, 0.0])
    v = region_volume(A, b, [0.5, 0.5], ball=([0.0, 0.0], 1.0))
    assert v.method == "disc_exact" and v.value == pytest.approx(math.pi / 4, rel=1e-14)


def test_clip_rows_to_ball_one_place_for_every_dimension():
    A, b, ball, k = clip_rows_to_ball(np.zeros((0, 1)), np.zeros(0), ([0.5], 1.0))
    assert ball is None and k == 2 and b.tolist() == [1.5, 0.5]
    A, b, ball, k = clip_rows_to_ball(np.zeros((0, 3)), np.zeros(0), (np.zeros(3), 2.0))
    assert k == 6 and np.allclose(b, 4.0) and ball[1] == 2.0
