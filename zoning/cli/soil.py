"""``zoning soil``: GB 15618-2018 classes of soil samples and farmland parcels.

Every parcel is written with ``soil_class`` (1 priority protection, 2 safe utilisation,
3 strict control, 0 unknown), its Chinese/English label, the metals above the screening
and intervention values, and how it was classified (``class_method``: ``samples`` inside
it, ``idw`` from nearby samples with ``idw_nearest_m``/``idw_farthest_m``, or ``none``).
"""

from __future__ import annotations

from pathlib import Path

import click

from zoning.afforest import demo_soil, run_soil
from zoning.cli.options import input_options, lang_option, out_option, param_flags, shared_option

run = run_soil  # the older name


@click.command("soil")
@click.option(
    "--samples",
    "-s",
    required=True,
    help="Soil sample points (pH, Cd, Hg, As, Pb, Cr, optionally Cu, Ni, Zn in mg/kg, land_use): "
    "a vector file or a CSV with lon/lat columns.",
)
@click.option("--parcels", "-p", required=True, help="Farmland parcel polygons.")
@out_option(help_text="Output parcels: .geojson, .gpkg, .csv or .parquet.")
@click.option(
    "--samples-out",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the classified samples here.",
)
@click.option(
    "--default-land-use",
    type=click.Choice(["paddy", "other", "orchard", "rotation"]),
    default="paddy",
    show_default=True,
    help="Land use where a row gives none (paddy has the stricter values).",
)
@click.option(
    "--max-distance",
    "max_distance_m",
    type=float,
    default=2000.0,
    show_default=True,
    help="Farthest sample (m) used for a parcel without samples.",
)
@click.option(
    "--neighbours",
    "k",
    type=int,
    default=8,
    show_default=True,
    help="Nearest samples used by the interpolation.",
)
@click.option("--power", type=float, default=2.0, show_default=True, help="Inverse-distance power.")
@input_options("samples", ("layer", "encoding", "crs", "coords"))
@input_options("parcels", ("layer", "encoding", "crs", "coords"))
@shared_option("crs", {"samples_crs": "--samples-crs", "parcels_crs": "--parcels-crs"})
@shared_option(
    "encoding", {"samples_encoding": "--samples-encoding", "parcels_encoding": "--parcels-encoding"}
)
@click.option(
    "--lon-col", default=None, help="Longitude column of a samples CSV (found by name if omitted)."
)
@click.option(
    "--lat-col", default=None, help="Latitude column of a samples CSV (found by name if omitted)."
)
@click.option(
    "--no-map",
    "no_map",
    is_flag=True,
    help="Do not write the soil class map (<out>.html beside the parcels).",
)
@lang_option
@param_flags(crs="--samples-crs")
def command(samples, parcels, out, samples_out, lon_col, lat_col, no_map, lang, **o):
    """Classify soil samples and farmland parcels per GB 15618-2018."""
    from zoning.io.afforest import read_samples
    from zoning.io.vector import read_vector

    s = read_samples(
        samples,
        lon_col=lon_col,
        lat_col=lat_col,
        crs=o["samples_crs"],
        encoding=o["samples_encoding"],
        layer=o["samples_layer"],
        coords=o["samples_coords"],
    )
    p = read_vector(
        parcels,
        layer=o["parcels_layer"],
        assume_crs=o["parcels_crs"],
        encoding=o["parcels_encoding"],
        coords=o["parcels_coords"],
        geometry="polygon",
        what="farmland parcels",
    )
    options = {k: o[k] for k in ("default_land_use", "max_distance_m", "k", "power")}
    written = run_soil(
        s, p, out, samples_out=samples_out, lang=lang, soil_map=not no_map, **options
    )
    for path in written.values():
        click.echo(f"wrote {path}", err=True)


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """The demo's soil step: :func:`zoning.afforest.demo_soil`."""
    return demo_soil(out_dir, lang)
