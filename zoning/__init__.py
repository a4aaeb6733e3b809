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

__version__ = "0.1.0"

from zoning.conflicts import conflicts  # noqa: E402
from zoning.diff import UnitDiff, diff_units  # noqa: E402
from zoning.errors import (  # noqa: E402
    CheckFailed,
    CRSError,
    DataSourceError,
    InputError,
    RuleError,
    SchemaError,
    SolverError,
    ZoningError,
)
from zoning.export.geojson import write_geojson, write_json, write_vector  # noqa: E402
from zoning.export.report import write_screening  # noqa: E402
from zoning.export.units import export_units  # noqa: E402
from zoning.export.webmap import WebMap  # noqa: E402
from zoning.export.zoningmap import zoning_map  # noqa: E402
from zoning.hotspots import co_hotspots  # noqa: E402
from zoning.io.coords import convert as convert_coords  # noqa: E402
from zoning.io.facilities import read_facilities  # noqa: E402
from zoning.io.projects import read_projects  # noqa: E402
from zoning.io.raster import Grid, grid_from_array, open_grid  # noqa: E402
from zoning.io.rulefile import read_rules  # noqa: E402
from zoning.io.vector import read_units, read_vector  # noqa: E402
from zoning.optimize import select_under_budget  # noqa: E402
from zoning.overlay import assign_points, footprint_shares  # noqa: E402
from zoning.rescreen import compare_conflicts, rescreen  # noqa: E402
from zoning.rulediff import diff_rules  # noqa: E402
from zoning.rules.engine import evaluate  # noqa: E402
from zoning.rules.schema import RuleSet, parse_rules  # noqa: E402
from zoning.screen import ScreeningResult, screen  # noqa: E402
from zoning.siting import estimate_sink, find_candidates, select_sites, site_afforestation  # noqa: E402
from zoning.soil import classify_soil  # noqa: E402
from zoning.stats import zonal_stats  # noqa: E402
from zoning.validate import ValidationReport, normalise_units, validate_units  # noqa: E402

__all__ = [
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
