"""``zoning export UNITS --out FILE``: RFC 7946 GeoJSON or GeoPackage of the units."""

from __future__ import annotations

import click

from zoning.cli.options import load_units, repair_units_option, unit_source_options


@click.command("export")
@click.argument("units", required=False)
@unit_source_options
@repair_units_option
@click.option(
    "--precision",
    default=6,
    show_default=True,
    type=click.IntRange(0, 15),
    help="Decimals of longitude/latitude in GeoJSON (6 ≈ 0.1 m).",
)
@click.option(
    "--out",
    "-o",
    "out",
    required=True,
    help="Output .geojson, .gpkg, .parquet, .csv, or postgresql://...?table=T (PostGIS).",
)
def command(units, layer, fields, encoding, assume_crs, precision, out):
    """Write the units as RFC 7946 GeoJSON (WGS 84, CCW rings) or GeoPackage (CRS kept)."""
    from zoning.export.units import export_units

    frame = load_units(units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs)
    path = export_units(frame, out, precision=precision)
    click.echo(f"{len(frame)} units → {path}", err=True)
