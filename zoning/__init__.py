"""zoning — ecological-environment zoning control (三线一单) for environmental planners.

The pipeline is read → validate → overlay / screen / site → export::

    import zoning
    units = zoning.read_units("units.gpkg")
    report = zoning.validate_units(units)
    zoning.export_units(units, "units.geojson")
    zoning.zoning_map(units).save("map.html")
"""

__version__ = "0.1.0"

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
from zoning.export.geojson import write_geojson, write_vector  # noqa: E402
from zoning.export.units import export_units  # noqa: E402
from zoning.export.webmap import WebMap  # noqa: E402
from zoning.export.zoningmap import zoning_map  # noqa: E402
from zoning.io.vector import read_units, read_vector  # noqa: E402
from zoning.validate import ValidationReport, normalise_units, validate_units  # noqa: E402

__all__ = [
    "CRSError",
    "CheckFailed",
    "DataSourceError",
    "InputError",
    "RuleError",
    "SchemaError",
    "SolverError",
    "ValidationReport",
    "WebMap",
    "ZoningError",
    "export_units",
    "normalise_units",
    "read_units",
    "read_vector",
    "validate_units",
    "write_geojson",
    "write_vector",
    "zoning_map",
]
