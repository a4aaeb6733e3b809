"""Options shared by several commands, defined once.

- ``units_arg`` / ``units_option``: a unit layer (path, zip or ``postgresql://`` URI); the bundled
  demo units when omitted.
- ``layer_option``: the layer name inside a multi-layer source.
- ``fields_option``: a field mapping ``canonical=SOURCE`` (repeatable) or a JSON/YAML file.
- ``encoding_option``: text encoding of a shapefile's .dbf (e.g. ``gbk``).
- ``crs_option``: the CRS to assume when a file declares none.
- ``lang_option``: ``zh`` or ``en`` for text people read.
- ``grid_option``: ``NAME=PATH`` grids (repeatable).
- ``bind_rule_inputs``: read the layers and grids a rule file names (conflicts, screen).
- ``scale_options``: ``--scheduler`` / ``--workers`` to compute on a Dask cluster.
"""

from __future__ import annotations

from pathlib import Path

import click

from zoning.errors import CRSError, InputError

lang_option = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of labels, legends and reports.",
)
layer_option = click.option("--layer", default=None, help="Layer name in a multi-layer source.")
encoding_option = click.option(
    "--encoding",
    default=None,
    help="Text encoding of a shapefile's .dbf when it has no .cpg (e.g. gbk, utf-8).",
)
crs_option = click.option(
    "--crs",
    "assume_crs",
    default=None,
    help="CRS to assume when the file declares none (e.g. EPSG:4490).",
)
fields_option = click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="CANONICAL=SOURCE",
    help="Map a source field onto a canonical one, e.g. code=DYBM (repeatable).",
)


def rules_path_for(rules, units) -> Path:
    """The rule file to use: the one given, else the bundled demo rules, which are written
    for the demo county; with the user's own units they would judge against another
    county's layers and access lists, so then a rule file is required."""
    from zoning.datasets import demo_path

    if rules:
        return Path(rules)
    if units:
        raise InputError(
            "--units was given without --rules: the bundled rules are written for the demo "
            "county (青溪县) and its layers, not for these units",
            source=units,
            field="--rules",
            fix="pass your region's rule file with --rules (docs/rules.md; "
            f"{demo_path('rules.yaml')} is an example to copy)",
        )
    return demo_path("rules.yaml")


def scale_options(f):
    """``--scheduler ADDRESS`` (an existing Dask cluster) and ``--workers N`` (a local one)."""
    f = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Compute on a local Dask cluster of N worker processes (needs zoning[dask]).",
    )(f)
    return click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Compute on an existing Dask cluster, e.g. tcp://10.0.0.5:8786; the inputs "
        "must be readable by every worker (needs zoning[dask]).",
    )(f)


def units_option(required: bool = False):
    return click.option(
        "--units",
        "-u",
        "units",
        default=None,
        required=required,
        help="Control-unit layer (file, .zip or postgresql://...?table=T URI); "
        "the bundled demo units if omitted.",
    )


def grid_option(help_text: str = "A grid as NAME=PATH (repeatable)."):
    return click.option(
        "--grid",
        "grids",
        multiple=True,
        metavar="NAME=PATH",
        callback=_parse_grids,
        help=help_text,
    )


def _parse_grids(ctx, param, values):
    return parse_pairs(values, "--grid")


def parse_fields(values) -> dict[str, str] | None:
    """``canonical=SOURCE`` pairs into a mapping; None when none given."""
    mapping: dict[str, str] = {}
    for value in values:
        canon, sep, source = value.partition("=")
        if not sep:
            raise click.BadParameter(
                f"'{value}' is not CANONICAL=SOURCE, e.g. code=DYBM", param_hint="--field"
            )
        mapping[canon.strip()] = source.strip()
    return mapping or None


def out_option(required: bool = True, help_text: str = "Output path.", default=None):
    return click.option(
        "--out",
        "-o",
        "out",
        type=click.Path(path_type=Path),
        required=required,
        default=default,
        help=help_text,
    )


_UNIT_META = "zoning.units"


def _remember(ctx, param, value):
    ctx.meta.setdefault(_UNIT_META, {})[param.name] = value
    return value


#: ``--units-coords`` and ``--repair-units``: how to take the unit layer.  They are read by
#: :func:`load_units` from the click context, so a command only adds the decorator.
units_coords_option = click.option(
    "--units-coords",
    "units_coords",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default="wgs84",
    show_default=True,
    expose_value=False,
    callback=_remember,
    help="System of the units' lon/lat: gcj02 for Amap/Tencent/DataV boundaries, bd09 "
    "for Baidu; converted to WGS 84.",
)
repair_units_option = click.option(
    "--repair-units",
    "repair_units",
    is_flag=True,
    expose_value=False,
    callback=_remember,
    help="Repair invalid unit polygons (make_valid, polygon parts kept) instead of "
    "refusing them; every repaired unit is listed on stderr.",
)


def repair_units(frame, *, source=None):
    """Invalid polygons made valid (their polygonal parts), each repaired row logged."""
    import numpy as np
    import shapely
    from shapely.validation import explain_validity

    geoms = np.asarray(frame.geometry.values, dtype=object)
    bad = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & ~shapely.is_valid(geoms)
    if not bad.any():
        return frame
    fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
    # keep the polygonal parts of what make_valid returns (lines from collapsed spikes go)
    parts = [
        [
            q
            for p in shapely.get_parts(g)
            for q in shapely.get_parts(p)
            if q.geom_type == "Polygon" and not q.is_empty
        ]
        for g in fixed
    ]
    codes = frame["code"].tolist() if "code" in frame else [None] * len(frame)
    gone = [int(i) for i, p in zip(np.flatnonzero(bad), parts, strict=True) if not p]
    shown = ", ".join(str(i + 1) for i in gone[:10])  # rows counted from 1
    if gone:
        raise InputError(
            f"{len(gone)} unit(s) have no area left once repaired (rows {shown}); "
            f"the first, "
            f"{codes[gone[0]]}, is {explain_validity(geoms[gone[0]])}",
            source=source,
            row=gone[0] + 1,
            fix="redraw or delete those units in the source layer",
        )
    parts = [shapely.multipolygons(p) for p in parts]
    why = [explain_validity(g) for g in geoms[bad]]
    frame = frame.copy()
    geoms = geoms.copy()
    geoms[bad] = shapely.normalize(np.asarray(parts, dtype=object))
    frame = frame.set_geometry(
        type(frame.geometry)(geoms, index=frame.index, crs=frame.crs), crs=frame.crs
    )
    for i, reason in zip(np.flatnonzero(bad), why, strict=True):
        n = shapely.get_num_geometries(geoms[i])
        click.echo(
            f"repaired unit {codes[i]} (row {i + 1}) of {source}: {reason}; "
            f"now {n} valid polygon part(s)",
            err=True,
        )
    return frame


def load_units(
    units, *, layer=None, fields=(), encoding=None, assume_crs=None, check_geometry=True, **kw
):
    """Read the unit layer named on the command line, or the bundled demo units.

    Units with missing or invalid geometry are refused (one message naming the rows and
    the fix), except by ``zoning validate`` (``check_geometry=False``), which lists them,
    and with ``--repair-units``.  ``--units-coords`` converts GCJ-02/BD-09 layers.
    """
    from zoning.datasets import demo_path
    from zoning.io.vector import read_units
    from zoning.validate import require_valid_geometry

    ctx = click.get_current_context(silent=True)
    meta = ctx.meta.get(_UNIT_META, {}) if ctx is not None else {}
    if not units and (meta.get("units_coords") or "wgs84") != "wgs84":
        raise InputError(
            "--units-coords was given without --units; the bundled demo units are WGS 84",
            field="--units-coords",
            fix="give the units file it applies to, or leave --units-coords out",
        )
    source = units if units else demo_path("units.gpkg")
    try:
        frame = read_units(
            source,
            layer=layer,
            fields=parse_fields(fields),
            encoding=encoding,
            assume_crs=assume_crs,
            coords=meta.get("units_coords") or "wgs84",
            **kw,
        )
    except CRSError as exc:
        if exc.field == "coords":  # name the option the user gave
            exc.field = "--units-coords"
            exc.fix = "leave --units-coords out for a projected layer"
            exc.args = (exc._compose(),)
        raise
    if meta.get("repair_units") and check_geometry:
        frame = repair_units(frame, source=source)
    if check_geometry:
        require_valid_geometry(frame, source=str(source))
    return frame


def unit_source_options(f):
    """--layer, --field, --encoding, --crs and --units-coords, for commands that read units."""
    for deco in reversed(
        (layer_option, fields_option, encoding_option, crs_option, units_coords_option)
    ):
        f = deco(f)
    return f


def parse_pairs(values, hint: str) -> dict[str, str]:
    """``NAME=PATH`` options into a dict; a malformed one is a click error on ``hint``."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"'{value}' is not NAME=PATH", param_hint=hint)
        out[name.strip()] = path.strip()
    return out


def bind_rule_inputs(rules, named_layers: dict, grid_paths: dict, assume_crs=None):
    """Read the layers and grids the rules name (command line first, else the rule file).

    Returns (layers, grids, inputs) where inputs maps each file read to its path and hash.
    """
    from zoning.io.projects import file_sha256
    from zoning.io.raster import read_grid
    from zoning.io.vector import read_vector

    base = Path(rules.source).parent if rules.source else Path(".")
    read: dict[tuple[Path, str], object] = {}
    layers, grids, inputs = {}, {}, {}
    names = sorted(set(rules.layers) | set(named_layers))
    for name in names:
        ref = rules.layers.get(name)
        path = named_layers.get(name) or (str(base / ref.path) if ref and ref.path else None)
        if path is None:
            if name in rules.needed_layers():
                raise InputError(
                    f"the rules need the layer '{name}' but no file is given",
                    field="--named-layer",
                    fix=f"pass --named-layer {name}=PATH or give it a path: in the rule file",
                )
            continue
        coords = ref.coords if ref is not None else "wgs84"
        key = (Path(path).resolve(), coords)
        if key not in read:
            read[key] = read_vector(path, assume_crs=assume_crs, coords=coords)
        entry = inputs.setdefault(
            f"layer:{Path(path).name}",
            {"path": str(path), "sha256": file_sha256(path), "layers": []},
        )
        entry["layers"].append(name if coords == "wgs84" else f"{name} ({coords})")
        layers[name] = read[key]
    for name in sorted(set(rules.needed_grids()) | set(grid_paths)):
        ref = rules.grids.get(name)
        path = grid_paths.get(name) or (str(base / ref.path) if ref and ref.path else None)
        if path is None:
            raise InputError(
                f"the rules need the grid '{name}' but no file is given",
                field="--grid",
                fix=f"pass --grid {name}=PATH",
            )
        grids[name] = read_grid(path, units=ref.units if ref is not None else None)
        inputs[f"grid:{name}"] = {"path": str(path), "sha256": file_sha256(path)}
    return layers, grids, inputs
