"""Named numerical tolerances of the exact engine.

Every comparison the engine makes against a threshold uses one of these, so a
result can state exactly at what resolution it is exact. The engine works on a
*balanced* copy of the network (every hidden row ``[W_i | b_i]`` of unit norm,
which changes no pattern) and on constraint rows of unit norm, and measures
lengths against each region's own *local scale*

    ``ell = max(|x0|_inf, r, lam)``

(``x0`` the region's interior point, ``r`` its radius, ``lam`` the RMS
distance of the first layer's hyperplanes from the origin): float64 resolves
coordinates of size ``|x0|`` to about ``1e-16 |x0|``, and offsets computed
through the network carry errors of about ``1e-16 lam``. The domain's width
plays no part. README.md ("Tolerances and the measured range") lists the
ranges of scale, translation and box width that were swept.

Example
-------
>>> Tolerances().radius
1e-12
>>> Tolerances(radius=1e-7).radius
1e-07
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

__all__ = ["Tolerances"]


@dataclass(frozen=True)
class Tolerances:
    """Thresholds of the enumeration engine (lengths relative to the local scale ``ell``).

    Attributes
    ----------
    radius : float, default 1e-12
        A pattern counts as a full-dimensional region iff the radius of a
        ball certified to lie inside it (computed in float64 from the
        constraints at the LP's Chebyshev centre, in the original
        coordinates) exceeds ``radius * ell``. Feasible patterns below that
        are *thin*: not counted, reported in ``RegionSet.n_thin`` (the
        result is then exact only at this resolution). 1e-12 is about 4500
        ulps: far above the rounding of the certificate and of the rows.
    empty : float, default 1e-14
        A feasible pattern whose LP radius is at most ``empty * ell`` has no
        interior point float64 can certify: it is counted in ``n_thin`` but
        not traversed. A pattern is dropped silently only when HiGHS proves
        its LP infeasible.
    coincide : float, default 1e-12
        Two constraints whose unit normals and offsets (divided by ``ell``)
        differ by at most this are crossed together as one hyperplane. Unless
        they agree to float64 rounding (about 9 ulps) the facet is counted in
        ``RegionSet.n_merged`` and the result is exact only at this
        resolution; hyperplanes further apart are resolved separately (the
        slab between them is a region or a thin pattern).
    zero_row : float, default 1e-12
        A neuron whose gradient on a region has norm below ``zero_row`` times
        the largest gradient norm is constant there; its bit is then fixed by
        the sign of that constant (``> zero_row`` times the largest offset
        counts as positive).
    radius_cap : float, default 1000.0
        For unbounded domains, the Chebyshev LP caps the radius at
        ``radius_cap`` times the first layer's spread (the RMS distance of its
        hyperplanes from their least-squares common point; reported in
        ``RegionSet.stats["radius_cap"]``), so unbounded regions' centres
        stay near the arrangement.
    """

    radius: float = 1e-12
    empty: float = 1e-14
    coincide: float = 1e-12
    zero_row: float = 1e-12
    radius_cap: float = 1000.0

    def __post_init__(self):
        for name in _FIELDS:  # (asdict's deep copy cost a small net's run 8 us)
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and value < float("inf")):
                raise ValueError(f"tolerance {name} must be a positive finite number; got {value!r}.")
        if self.empty >= self.radius:
            raise ValueError("tolerance empty must be smaller than radius.")

    def to_dict(self):
        return asdict(self)


_FIELDS = tuple(f.name for f in fields(Tolerances))
