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
    help="Output .geojson, .gpkg, .parquet, .csv, or postgresql://...?table=T (PostGIS); "
    "with --schema national a folder or a .zip.",
)
@click.option(
    "--schema",
    type=click.Choice(["canonical", "national"]),
    default="canonical",
    show_default=True,
    help="national: the filing package (成果备案), a Shapefile in the published field names.",
)
@click.option(
    "--out-encoding",
    type=click.Choice(["gbk", "utf-8"]),
    default="gbk",
    show_default=True,
    help="Text encoding of the national Shapefile (written in its .cpg).",
)
@click.option(
    "--to-crs",
    default=None,
    help="Write in CGCS2000 (EPSG:4490) or a Gauss-Krüger zone (EPSG:4491-4554); not for "
    "GeoJSON (RFC 7946 WGS 84) or CSV (WKT in WGS 84).",
)
def command(
    units, layer, fields, encoding, assume_crs, precision, out, schema, out_encoding, to_crs
):
    """Write the units as RFC 7946 GeoJSON (WGS 84, CCW rings) or GeoPackage (CRS kept)."""
    from zoning.export.units import export_units

    frame = load_units(units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs)
    if schema == "national" or to_crs:
        from zoning.export.national import export_dispatch

        done = export_dispatch(frame, out, schema=schema, encoding=out_encoding, to_crs=to_crs)
        if done:
            click.echo(done, err=True)
            return
        frame = frame.to_crs(to_crs)
    path = export_units(frame, out, precision=precision)
    click.echo(f"{len(frame)} units → {path}", err=True)
