"""Options shared by several commands, defined once.

Per-input options: one naming scheme
------------------------------------
Each input a command reads has a noun ``X``: ``units``, ``facilities``, ``project``,
``samples``, ``parcels``, ``outline``, ``layers`` (the other vector layers: rule layers,
map overlays, exclusion and distance layers).  How to read it is said with ``--X-ASPECT``:

=================  ===========================================================  ========
option             meaning                                                      value
=================  ===========================================================  ========
``--X-layer``      layer inside a multi-layer source (GeoPackage, KML, PostGIS)  NAME
``--X-field``      map a source column onto a canonical name (repeatable)        CANON=COL
``--X-encoding``   text encoding of a .dbf without .cpg, a CSV or a text file    gbk, utf-8
``--X-crs``        CRS when the file declares none (CSV/text x/y: their CRS)     EPSG:4490
``--X-coords``     system of the lon/lat, converted to WGS 84                    wgs84, gcj02, bd09
=================  ===========================================================  ========

A command offers the aspects its reader uses (:func:`input_options` makes them).  The
older names stay as aliases and mean what they meant: ``--layer``, ``--field``,
``--encoding``, ``--crs`` of a command that reads only units are ``--units-*``;
``--facilities-layer`` is already in the scheme, ``--coords`` is ``--facilities-coords``,
``--facility-field`` is ``--facilities-field``.  Where one older option applied to several
inputs (``--crs`` and ``--encoding`` of ``conflicts``, ``screen``, ``soil``, ``afforest``,
``--crs`` of ``map``) it still sets all of them (:func:`shared_option`); a ``--X-ASPECT``
given beside it wins for its input.

Other shared options
--------------------
- ``units_arg`` / ``units_option``: a unit layer (path, zip or ``postgresql://`` URI); the
  bundled demo units when omitted.
- ``unit_source_options``: ``--units-layer``, ``--units-field``, ``--units-encoding``,
  ``--units-crs``, ``--units-coords``; ``repair_units_option``: ``--repair-units``.
- ``lang_option``: ``zh`` or ``en`` for text people read.
- ``grid_option``: ``NAME=PATH`` grids (repeatable); ``named_layers_option``: the
  ``--named-layer NAME=PATH`` layers a rule file names; ``rules_option``: ``--rules``;
  ``png_option``: ``--png``.
- ``bind_rule_inputs``: read the layers and grids a rule file names (conflicts, screen).
- ``scale_options``: ``--scheduler`` / ``--workers`` to compute on a Dask cluster.
- ``layer_option``, ``fields_option``, ``encoding_option``, ``crs_option``: the older bare
  ``--layer``, ``--field``, ``--encoding``, ``--crs``, kept for commands not yet on the
  scheme; new options are made with :func:`input_options`.
"""

from __future__ import annotations

from pathlib import Path

import click

from zoning.cli._inputs import (  # noqa: F401  (the per-input options, defined there)
    _ASPECT_HELP,
    _UNIT_DESTS,
    _UNIT_META,
    ASPECTS,
    COORD_SYSTEMS,
    given_units_coords,
    input_option,
    input_options,
    load_units,
    name_coords_option,
    parse_fields,
    repair_units_option,
    shared_option,
    unit_source_options,
    units_coords_option,
)
from zoning.inputs import bind_rule_inputs, repair_units, rules_path_for  # noqa: F401

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


def param_flags(**flags: str):
    """Declare the flag of a library parameter whose name differs from the option's
    keyword, e.g. ``@param_flags(crs="--facilities-crs")`` under ``@click.command``:
    an :class:`~zoning.errors.InputError` with ``param="crs"`` (or ```crs``` in its text)
    then names ``--facilities-crs``.  Options whose keyword is the parameter's name need
    nothing."""

    def deco(f):
        f.__zoning_flags__ = {**getattr(f, "__zoning_flags__", {}), **flags}
        return f

    return deco


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


def rules_option(
    help_text: str = "YAML rule file (docs/rules.md); needed with --units, else the bundled "
    "demo rules.",
):
    return click.option("--rules", "-r", default=None, help=help_text)


#: ``--png``: a static PNG map beside the HTML one.
png_option = click.option(
    "--png",
    is_flag=True,
    help="Also write a static PNG map (matplotlib; deterministic) beside the HTML map.",
)


def _parse_named_layers(ctx, param, values):
    return parse_pairs(values, "--named-layer")


#: ``--named-layer NAME=PATH`` (repeatable), parsed into a dict: the layers a rule file names.
named_layers_option = click.option(
    "--named-layer",
    "named_layers",
    multiple=True,
    metavar="NAME=PATH",
    callback=_parse_named_layers,
    help="A layer the rules name, as NAME=PATH (repeatable; overrides the rule file).",
)


def _parse_grids(ctx, param, values):
    return parse_pairs(values, "--grid")


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


def parse_pairs(
    values, hint: str, *, what: str = "NAME=PATH", example: str | None = None, as_list=False
):
    """``NAME=VALUE`` options into a dict (a list of ``(name, value)`` with ``as_list``,
    where a name may repeat); a malformed one is a click error on ``hint`` naming ``what``
    the option takes (and an ``example``)."""
    out: list[tuple[str, str]] = []
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip() or not text.strip():
            eg = f", e.g. {example}" if example else ""
            raise click.BadParameter(f"'{value}' is not {what}{eg}", param_hint=hint)
        out.append((name.strip(), text.strip()))
    return out if as_list else dict(out)


def parse_limits(values, hint: str, *, example: str = "road=roads.gpkg:500"):
    """``NAME=PATH:METRES`` options into ``(name, path, metres)`` triples (metres >= 0)."""
    out = []
    for (name, rest), value in zip(
        parse_pairs(values, hint, what="NAME=PATH:METRES", example=example, as_list=True),
        values,
        strict=True,
    ):
        path, sep, metres = rest.rpartition(":")
        try:
            d = float(metres)
        except ValueError:
            d = None
        if not sep or d is None or d < 0:
            raise click.BadParameter(
                f"'{value}' does not end in :METRES (a number >= 0)", param_hint=hint
            )
        out.append((name, path, d))
    return out
