"""polyregions: exact linear regions of ReLU networks.

The package reads like its architecture: :mod:`~polyregions.network` (the
model) -> :mod:`~polyregions.domain` (where to look) -> :mod:`~polyregions.lp`
(HiGHS/qhull kernel) -> :mod:`~polyregions.results` (regions and their graph)
and :mod:`~polyregions.export` (its JSON) -> the engines
(:mod:`~polyregions.lp_search`, the BFS; :mod:`~polyregions.subdivision`;
:mod:`~polyregions.distributed`) -> :mod:`~polyregions.enumeration` (the entry
point that picks one), with :mod:`~polyregions.geometry`,
:mod:`~polyregions.linear` and :mod:`~polyregions.plotting` on top -> estimators
(:mod:`~polyregions.sampling`, :mod:`~polyregions.richness`,
:mod:`~polyregions.segments`, :mod:`~polyregions.lines`, :mod:`~polyregions.distance`,
:mod:`~polyregions.density`, :mod:`~polyregions.batch`,
:mod:`~polyregions.compare`) and bounds
(:mod:`~polyregions.bounds`, :mod:`~polyregions.local_bounds`,
:mod:`~polyregions.constructions`, :mod:`~polyregions.testing`) ->
:mod:`~polyregions.cli`.
"""

from ._version import __version__
from .network import ReLUNetwork, UnsupportedLayerError, random_network
from .loading import load_network
from .plnetwork import GraphBuilder, PLNetwork
from .convert import from_onnx, from_torch
from .domain import Ball, Box, Polytope, Slice, WholeSpace
from .tolerances import Tolerances
from .results import InexactCountError, IncompleteEnumerationError, Region, RegionSet
from .enumeration import count_regions, enumerate_regions
from .sampling import PatternSample, sample_patterns
from .segments import count_regions_on_segment, count_regions_on_segments, segment_breakpoints
from .lines import line_statistics, segment_statistics
from .distance import boundary_distance_statistics, distance_to_boundary
from .bounds import ArchitectureBounds, bounds_for
from .local_bounds import LocalBound, local_bound
from .geometry import geometry_table, region_geometry, verify
from .linear import LinearRegions, linear_regions
from .export import equal_results, from_json, to_json
from .compare import EstimatorComparison, compare_estimators
from .density import compare_data_vs_random, local_region_counts
from .batch import BatchCounts, count_regions_batch, neighbourhoods
from .decision import DecisionBoundary, decision_boundary
from .tracking import RegionTracker, TrackingTable

__all__ = [
    "__version__",
    "ReLUNetwork",
    "UnsupportedLayerError",
    "load_network",
    "random_network",
    "PLNetwork",
    "GraphBuilder",
    "from_torch",
    "from_onnx",
    "Ball",
    "Box",
    "Polytope",
    "Slice",
    "WholeSpace",
    "Tolerances",
    "InexactCountError",
    "IncompleteEnumerationError",
    "Region",
    "RegionSet",
    "count_regions",
    "enumerate_regions",
    "PatternSample",
    "sample_patterns",
    "count_regions_on_segment",
    "count_regions_on_segments",
    "segment_statistics",
    "line_statistics",
    "segment_breakpoints",
    "boundary_distance_statistics",
    "distance_to_boundary",
    "bounds_for",
    "ArchitectureBounds",
    "LocalBound",
    "local_bound",
    "geometry_table",
    "region_geometry",
    "verify",
    "LinearRegions",
    "linear_regions",
    "equal_results",
    "from_json",
    "to_json",
    "EstimatorComparison",
    "compare_estimators",
    "compare_data_vs_random",
    "local_region_counts",
    "BatchCounts",
    "count_regions_batch",
    "neighbourhoods",
    "DecisionBoundary",
    "decision_boundary",
    "RegionTracker",
    "TrackingTable",
]
