"""``zoning validate UNITS``: every problem of a unit layer, with reason codes."""

from __future__ import annotations

import sys

import click

from zoning.cli.options import (
    given_units_coords,
    input_options,
    load_units,
    name_coords_option,
    out_option,
    unit_source_options,
)
from zoning.errors import CheckFailed, CRSError


@click.command("validate")
@click.argument("units", required=False)
@unit_source_options
@click.option("--outline", default=None, help="Region outline; parts covered by no unit are gaps.")
@input_options(
    "outline",
    ("layer", "encoding", "crs", "coords"),
    coords={
        "default": None,
        "show_default": False,
        "help": "System of the outline's longitude/latitude (wgs84, gcj02, bd09); "
        "default: that of --units-coords.",
    },
)
@click.option(
    "--tolerance-m2",
    default=1.0,
    show_default=True,
    type=float,
    help="Overlaps and gaps smaller than this (m²) are ignored as slivers.",
)
@out_option(required=False, help_text="GeoJSON of the problem places (stdout if omitted).")
def command(
    units,
    layer,
    fields,
    encoding,
    assume_crs,
    outline,
    outline_layer,
    outline_encoding,
    outline_crs,
    outline_coords,
    tolerance_m2,
    out,
):
    """Check a control-unit layer and report every problem at once.

    Exit code 0 when the layer is clean, 1 when problems are found, 2 when it cannot be
    read.  The table goes to stderr; the problem places as GeoJSON to --out or stdout.
    """
    from zoning.export.geojson import geojson_dict, write_geojson
    from zoning.io.vector import read_vector
    from zoning.validate import validate_units

    frame = load_units(
        units,
        layer=layer,
        fields=fields,
        encoding=encoding,
        assume_crs=assume_crs,
        allow_empty=True,
        require_crs=False,
        check_geometry=False,
    )
    region = None
    if outline:
        coords = outline_coords or given_units_coords()
        try:
            region = read_vector(
                outline,
                layer=outline_layer,
                encoding=outline_encoding,
                assume_crs=outline_crs,
                coords=coords,
            )
        except CRSError as exc:
            raise name_coords_option(
                exc, "--outline-coords", "pass --outline-coords wgs84 for a projected outline"
            ) from None
        if coords != "wgs84":
            how = "--outline-coords" if outline_coords else "as --units-coords"
            click.echo(
                f"outline {outline}: converted from {coords} to WGS 84 ({how}"
                + (
                    "; --outline-coords wgs84 if it is WGS 84 already)"
                    if not outline_coords
                    else ")"
                ),
                err=True,
            )
    report = validate_units(
        frame, outline=region, tolerance_m2=tolerance_m2, source=str(units or "bundled demo units")
    )
    click.echo(report.table(), err=True)
    meta = {
        "source": report.source,
        "n_units": report.n_units,
        "counts": report.counts,
        "crs_of_problem_places": "EPSG:4326 (RFC 7946)",
        "area_unit": "m2 (EPSG:6933)",
    }
    if out:
        write_geojson(report.problems, out, metadata=meta)
        click.echo(f"problem places: {out}", err=True)
    else:
        import json

        json.dump(geojson_dict(report.problems, metadata=meta), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    if not report.ok:
        raise CheckFailed(f"{len(report.problems)} problem(s) found in {report.n_units} units")
