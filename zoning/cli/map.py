"""``zoning map UNITS [LAYERS...] --out FILE.html``: an offline interactive zoning map."""

from __future__ import annotations

from pathlib import Path

import click

from zoning.cli.options import (
    grid_option,
    input_options,
    lang_option,
    load_units,
    out_option,
    repair_units_option,
    shared_option,
    unit_source_options,
)


@click.command("map")
@click.argument("units", required=False)
@click.argument("layers", nargs=-1)
@unit_source_options(aliases=("layer", "field", "encoding"))
@repair_units_option
@input_options("layers", ("encoding", "crs", "coords"))
@shared_option("crs", {"assume_crs": "--units-crs", "layers_crs": "--layers-crs"})
@lang_option
@click.option(
    "--basemap",
    default="none",
    show_default=True,
    help="none, osm, amap, amap-satellite (GCJ-02 tiles: layers are shifted onto them), "
    "a tile URL template with {z}/{x}/{y}, or a folder of tiles.",
)
@click.option(
    "--basemap-coords",
    type=click.Choice(["wgs84", "gcj02"]),
    default="wgs84",
    show_default=True,
    help="Coordinate system of a custom basemap's tiles (gcj02 for Amap/Tencent tiles).",
)
@click.option("--title", default=None, help="Map title.")
@grid_option("A grid overlay as NAME=PATH (repeatable).")
@click.option(
    "--png",
    is_flag=True,
    help="Also write a static PNG map (matplotlib; deterministic) beside FILE.html.",
)
@out_option(help_text="Output HTML file.")
def command(
    png,
    units,
    layers,
    layer,
    fields,
    encoding,
    assume_crs,
    layers_encoding,
    layers_crs,
    layers_coords,
    lang,
    basemap,
    basemap_coords,
    title,
    grids,
    out,
):
    """Draw the units (by class, with access lists in popups) and other layers.

    LAYERS are files, optionally as NAME=PATH; the names red_line, water_protection,
    river, facilities and projects (or files with those stems) get their standard style.
    """
    from zoning.export.zoningmap import zoning_map
    from zoning.io.raster_preview import preview_layers
    from zoning.io.vector import read_vector

    frame = load_units(units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs)
    extra = {}
    for item in layers:
        name, sep, path = item.partition("=")
        if not sep:
            path, name = item, Path(item).stem
        extra[name] = read_vector(
            path, assume_crs=layers_crs, encoding=layers_encoding, coords=layers_coords
        )
    grid_arrays = preview_layers(grids, lang=lang)
    wm = zoning_map(
        frame,
        extra,
        grids=grid_arrays,
        title=title,
        lang=lang,
        basemap=basemap,
        basemap_coords=basemap_coords,
    )
    path = wm.save(out)
    if png:
        from zoning.export.mapfigures import units_png

        target = Path(out).with_suffix(".png")
        units_png(frame, extra, target, lang=lang, title=title)
        click.echo(f"static map → {target}", err=True)
    click.echo(f"map of {len(frame)} units → {path}", err=True)
