"""``zoning allocate --samples``: the sample options and the join of samples to plots.

The maths is :func:`zoning.allocate_samples.contamination_of_plots`; this module parses
the options and reads the samples (points, a CSV with lon/lat, or a CSV joined by a
plot-id column without locations).
"""

from __future__ import annotations

import click

from zoning.cli.options import param_flags

_SAMPLE_FLAGS = {
    "plot_field": "--samples-plot-field",
    "standard": "--samples-standard",
    "farmland_classes": "--farmland-class",
    "lon_col": "--lon-col",
    "lat_col": "--lat-col",
    "crs": "--samples-crs",
}


def sample_options(f):
    """``--samples`` and how they join the plots (zoning.allocate_samples)."""
    opts = [
        click.option(
            "--samples",
            "-s",
            default=None,
            help="Site samples (points, or a CSV with lon/lat or --samples-plot-field): "
            "each plot's GB 36600 / GB 15618 class from the samples inside it.",
        ),
        click.option(
            "--samples-plot-field",
            "plot_field",
            default=None,
            help="Samples' column naming their plot (matched to --id-field) instead of "
            "joining by location.",
        ),
        click.option(
            "--samples-standard",
            "standard",
            type=click.Choice(["auto", "gb36600", "gb15618"]),
            default="auto",
            show_default=True,
            help="auto: GB 36600 on construction land and mines, GB 15618 on farmland, "
            "none elsewhere.",
        ),
        click.option("--land-class", default=None, help="GB 36600 land class 1 or 2."),
        click.option("--land-class-field", default=None, help="Samples' GB 36600 class field."),
        click.option(
            "--farmland-class",
            "farmland_classes",
            type=click.IntRange(1, 3),
            multiple=True,
            default=(3,),
            show_default=True,
            help="GB 15618 classes of farmland that may take trees (repeatable).",
        ),
        click.option("--lon-col", default=None, help="Longitude column of a samples CSV."),
        click.option("--lat-col", default=None, help="Latitude column of a samples CSV."),
        click.option("--samples-crs", default=None, help="CRS of the samples if undeclared."),
    ]
    for o in reversed(opts):
        f = o(f)
    return param_flags(**_SAMPLE_FLAGS)(f)


#: the keywords these options give the command
sample_options.keys = (
    "samples", "plot_field", "standard", "land_class", "land_class_field",
    "farmland_classes", "lon_col", "lat_col", "samples_crs",
)  # fmt: skip


def with_samples(res, s: dict, id_field, lang):
    """The assessed plots ``res`` with the contamination class of their samples."""
    import dataclasses
    from pathlib import Path

    from zoning.allocate_samples import contamination_of_plots
    from zoning.io._csv import _read_csv
    from zoning.io.afforest import read_samples

    path = s.pop("samples")
    if path is None:
        return res
    lon, lat, crs = s.pop("lon_col"), s.pop("lat_col"), s.pop("samples_crs")
    if s["plot_field"] and Path(path).suffix.lower() in (".csv", ".txt") and not (lon or lat):
        samples = _read_csv(Path(path), None)  # joined by plot id: no locations needed
    else:
        samples = read_samples(path, lon_col=lon, lat_col=lat, crs=crs)
    plots, meta = contamination_of_plots(
        res.plots, samples, id_field=id_field, lang=lang, source=str(path), **s
    )
    return dataclasses.replace(res, plots=plots, meta={**res.meta, "samples": meta})
