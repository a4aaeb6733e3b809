"""zoning — ecological-environment zoning control (三线一单) for environmental planners.

The pipeline is read → validate → overlay / screen / site → export::

    import zoning
    units = zoning.read_units("units.gpkg")
    report = zoning.validate_units(units)
    zoning.export_units(units, "units.geojson")
    zoning.zoning_map(units).save("map.html")

Floors: ``zoning.io`` reads, ``zoning.validate`` checks, ``zoning.overlay``,
``zoning.conflicts``, ``zoning.screen``, ``zoning.stats``, ``zoning.hotspots``,
``zoning.soil``, ``zoning.siting`` compute, ``zoning.export`` writes.
"""

from zoning._version import __version__
from zoning.conflicts import conflicts
from zoning.diff import UnitDiff, diff_units
from zoning.errors import (
    CheckFailed,
    CRSError,
    DataSourceError,
    InputError,
    RuleError,
    SchemaError,
    SolverError,
    ZoningError,
)
from zoning.export.geojson import write_geojson, write_json, write_vector
from zoning.export.report import write_screening
from zoning.export.units import export_units
from zoning.export.webmap import WebMap
from zoning.export.zoningmap import zoning_map
from zoning.hotspots import co_hotspots
from zoning.io.coords import convert as convert_coords
from zoning.io.facilities import read_facilities
from zoning.io.projects import read_projects
from zoning.io.raster import Grid, grid_from_array, open_grid
from zoning.io.rulefile import read_rules
from zoning.io.vector import read_units, read_vector
from zoning.optimize import select_under_budget
from zoning.overlay import assign_points, footprint_shares
from zoning.rescreen import compare_conflicts, rescreen
from zoning.rulediff import diff_rules
from zoning.rules.engine import evaluate
from zoning.rules.schema import RuleSet, parse_rules
from zoning.screen import ScreeningResult, screen
from zoning.siting import estimate_sink, find_candidates, select_sites, site_afforestation
from zoning.soil import classify_soil
from zoning.stats import zonal_stats
from zoning.validate import ValidationReport, normalise_units, validate_units

__all__ = [
    "__version__",
    "CRSError",
    "CheckFailed",
    "DataSourceError",
    "Grid",
    "InputError",
    "RuleError",
    "RuleSet",
    "SchemaError",
    "ScreeningResult",
    "SolverError",
    "UnitDiff",
    "ValidationReport",
    "WebMap",
    "ZoningError",
    "assign_points",
    "classify_soil",
    "co_hotspots",
    "compare_conflicts",
    "conflicts",
    "convert_coords",
    "diff_rules",
    "diff_units",
    "estimate_sink",
    "evaluate",
    "export_units",
    "find_candidates",
    "footprint_shares",
    "grid_from_array",
    "normalise_units",
    "open_grid",
    "parse_rules",
    "read_facilities",
    "read_projects",
    "read_rules",
    "read_units",
    "read_vector",
    "rescreen",
    "screen",
    "select_sites",
    "select_under_budget",
    "site_afforestation",
    "validate_units",
    "write_geojson",
    "write_json",
    "write_screening",
    "write_vector",
    "zonal_stats",
    "zoning_map",
]
