"""The inputs of a product run, read as a command (or a Python caller) names them.

- :func:`load_units`: a unit layer, or the bundled demo units; invalid geometry refused
  (or repaired with ``repair_units``), GCJ-02/BD-09 lon/lat converted (``units_coords``);
- :func:`repair_units`: invalid polygons made valid, each listed;
- :func:`rules_path_for`: the rule file to use (the demo rules only with the demo units);
- :func:`bind_rule_inputs`: the layers and grids a rule file names, read once each, with
  their paths and hashes;
- :func:`run_inputs`: the project, rule file and unit layer of a screening, with their
  paths and hashes (each file hashed once, :mod:`zoning.io.digest`).

Messages name the parameters (``units_coords``, ``named_layers``, ``grids`` …); the
command line names its flags.
"""

from __future__ import annotations

from pathlib import Path

from zoning.errors import CRSError, InputError


def repair_units(frame, *, source=None):
    """Invalid polygons made valid (:func:`zoning.validate.repair_geometry`), each listed."""
    from zoning.validate import repair_geometry

    return repair_geometry(frame, source=source)


def load_units(
    units=None,
    *,
    layer=None,
    fields: dict[str, str] | None = None,
    encoding=None,
    assume_crs=None,
    units_coords: str = "wgs84",
    repair_units: bool = False,
    check_geometry: bool = True,
    **kw,
):
    """Read the unit layer ``units``, or the bundled demo units when it is None.

    Units with missing or invalid geometry are refused (one message naming the rows and
    the fix) unless ``check_geometry`` is False (``zoning validate`` lists them) or
    ``repair_units`` is True.  ``units_coords`` (wgs84, gcj02, bd09) converts the lon/lat.
    """
    from zoning.datasets import demo_path
    from zoning.io.vector import read_units
    from zoning.validate import repair_geometry, require_valid_geometry

    units_coords = units_coords or "wgs84"
    if not units and units_coords != "wgs84":
        raise InputError(
            "`units_coords` was given without `units`; the bundled demo units are WGS 84",
            param="units_coords",
            fix="give the units file it applies to, or leave `units_coords` out",
        )
    source = units if units else demo_path("units.gpkg")
    try:
        frame = read_units(
            source,
            layer=layer,
            fields=fields,
            encoding=encoding,
            assume_crs=assume_crs,
            coords=units_coords,
            **kw,
        )
    except CRSError as exc:
        if exc.field == "coords":
            exc.field = None
            exc.param = "units_coords"
            exc.fix = "leave `units_coords` out for a projected layer"
            exc.args = (exc._compose(),)
        raise exc from None
    if repair_units and check_geometry:
        frame = repair_geometry(frame, source=source)
    if check_geometry:
        require_valid_geometry(frame, source=str(source))
    return frame


def rules_path_for(rules, units) -> Path:
    """The rule file to use: the one given, else the bundled demo rules, which are written
    for the demo county; with the user's own units they would judge against another
    county's layers and access lists, so then a rule file is required."""
    from zoning.datasets import demo_path

    if rules:
        return Path(rules)
    if units:
        raise InputError(
            "`units` was given without `rules`: the bundled rules are written for the demo "
            "county (青溪县) and its layers, not for these units",
            source=units,
            param="rules",
            fix="pass your region's rule file with `rules` (docs/rules.md; "
            f"{demo_path('rules.yaml')} is an example to copy)",
        )
    return demo_path("rules.yaml")


def bind_rule_inputs(rules, named_layers: dict, grids: dict, assume_crs=None):
    """Read the layers and grids the rules name (``named_layers`` and ``grids`` first,
    name → path, else the rule file's paths).

    Returns (layers, grids, inputs) where inputs maps each file read to its path and hash.
    """
    from zoning.io.digest import file_input
    from zoning.io.raster import read_grid
    from zoning.io.vector import read_vector

    grid_paths = grids
    base = Path(rules.source).parent if rules.source else Path(".")
    read: dict[tuple[Path, str], object] = {}
    layers, out_grids, inputs = {}, {}, {}
    names = sorted(set(rules.layers) | set(named_layers))
    for name in names:
        ref = rules.layers.get(name)
        path = named_layers.get(name) or (str(base / ref.path) if ref and ref.path else None)
        if path is None:
            if name in rules.needed_layers():
                raise InputError(
                    f"the rules need the layer '{name}' but no file is given",
                    param="named_layers",
                    fix=f"pass `named_layers` {name}=PATH or give it a path: in the rule file",
                )
            continue
        coords = ref.coords if ref is not None else "wgs84"
        key = (Path(path).resolve(), coords)
        if key not in read:
            read[key] = read_vector(path, assume_crs=assume_crs, coords=coords)
        entry_key = f"layer:{Path(path).name}"
        if entry_key not in inputs:
            inputs[entry_key] = file_input(path, layers=[])
        inputs[entry_key]["layers"].append(name if coords == "wgs84" else f"{name} ({coords})")
        layers[name] = read[key]
    for name in sorted(set(rules.needed_grids()) | set(grid_paths)):
        ref = rules.grids.get(name)
        path = grid_paths.get(name) or (str(base / ref.path) if ref and ref.path else None)
        if path is None:
            raise InputError(
                f"the rules need the grid '{name}' but no file is given",
                param="grids",
                fix=f"pass `grids` {name}=PATH",
            )
        out_grids[name] = read_grid(path, units=ref.units if ref is not None else None)
        inputs[f"grid:{name}"] = file_input(path)
    return layers, out_grids, inputs


def run_inputs(rules_path, units=None, *, project=None) -> dict:
    """The inputs of a screening as ``result.json`` records them, name → path and hash:
    ``project`` (a path, or an entry already made, e.g. ``{"path": "--wkt", "wkt": ...}``
    for a site given as text), ``rules`` and ``units`` (the bundled demo units when None;
    a database table has no file to hash and is left out)."""
    from zoning.datasets import demo_path
    from zoning.io.digest import file_input

    inputs = {}
    if project is not None:
        inputs["project"] = project if isinstance(project, dict) else file_input(project)
    inputs["rules"] = file_input(rules_path)
    units_path = units or demo_path("units.gpkg")
    if not str(units_path).startswith(("postgresql:", "postgres:")):
        inputs["units"] = file_input(units_path)
    return inputs
