"""``zoning soil``: GB 15618-2018 classes of soil samples and farmland parcels.

Every parcel is written with ``soil_class`` (1 priority protection, 2 safe utilisation,
3 strict control, 0 unknown), its Chinese/English label, the metals above the screening
and intervention values, and how it was classified (``class_method``: ``samples`` inside
it, ``idw`` from nearby samples with ``idw_nearest_m``/``idw_farthest_m``, or ``none``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from zoning.cli.options import input_options, out_option, shared_option

log = logging.getLogger(__name__)


def run(
    samples,
    parcels,
    out: Path,
    *,
    samples_out: Path | None = None,
    default_land_use: str = "paddy",
    max_distance_m: float = 2000.0,
    k: int = 8,
    power: float = 2.0,
) -> dict[str, Path]:
    """Classify and write the parcels (and optionally the samples); returns name → path."""
    from zoning.export.geojson import write_vector
    from zoning.soil import SOIL_CLASSES, classify_soil

    res = classify_soil(
        samples,
        parcels,
        default_land_use=default_land_use,
        max_distance_m=max_distance_m,
        k=k,
        power=power,
    )
    counts = res.parcels["soil_class_key"].value_counts().to_dict()
    methods = res.parcels["class_method"].value_counts().to_dict()
    meta = {
        "standard": "GB 15618-2018 Table 1 (screening) and Table 3 (intervention), mg/kg",
        "classes": {
            str(c): {"key": k_, "zh": zh, "en": en} for c, (k_, zh, en, _) in SOIL_CLASSES.items()
        },
        "parcel_rule": "worst class of the samples inside; else inverse-distance "
        "interpolation of pH and contents at the parcel's representative point",
        "idw": res.parcels.attrs.get("idw", {}),
        "counts": counts,
        "methods": methods,
    }
    log.info("parcels: %s; by %s", counts, methods)
    written = {"parcels_soil": write_vector(res.parcels, out, metadata=meta)}
    if samples_out is not None:
        written["samples_soil"] = write_vector(res.samples, samples_out, metadata=meta)
    return written


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
def command(
    samples,
    parcels,
    out,
    samples_out,
    default_land_use,
    max_distance,
    k,
    power,
    samples_layer,
    samples_encoding,
    samples_crs,
    samples_coords,
    parcels_layer,
    parcels_encoding,
    parcels_crs,
    parcels_coords,
    lon_col,
    lat_col,
):
    """Classify soil samples and farmland parcels per GB 15618-2018."""
    from zoning.io.afforest import read_samples
    from zoning.io.vector import read_vector

    s = read_samples(
        samples,
        lon_col=lon_col,
        lat_col=lat_col,
        crs=samples_crs,
        encoding=samples_encoding,
        layer=samples_layer,
        coords=samples_coords,
    )
    p = read_vector(
        parcels,
        layer=parcels_layer,
        assume_crs=parcels_crs,
        encoding=parcels_encoding,
        coords=parcels_coords,
        geometry="polygon",
        what="farmland parcels",
    )
    written = run(
        s,
        p,
        out,
        samples_out=samples_out,
        default_land_use=default_land_use,
        max_distance_m=max_distance,
        k=k,
        power=power,
    )
    for path in written.values():
        click.echo(f"wrote {path}", err=True)


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Classes of the demo parcels and samples → ``out_dir/"soil"/``."""
    from zoning.datasets import demo_path
    from zoning.io.vector import read_vector

    base = Path(out_dir) / "soil"
    return run(
        read_vector(demo_path("soil_samples.gpkg")),
        read_vector(demo_path("parcels.gpkg")),
        base / "parcels_soil.geojson",
        samples_out=base / "samples_soil.geojson",
    )
