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
- ``grid_option``: ``NAME=PATH`` grids (repeatable).
- ``bind_rule_inputs``: read the layers and grids a rule file names (conflicts, screen).
- ``scale_options``: ``--scheduler`` / ``--workers`` to compute on a Dask cluster.
- ``layer_option``, ``fields_option``, ``encoding_option``, ``crs_option``: the older bare
  ``--layer``, ``--field``, ``--encoding``, ``--crs``, kept for commands not yet on the
  scheme; new options are made with :func:`input_options`.
"""

from __future__ import annotations

from pathlib import Path

import click

from zoning.errors import CRSError
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


#: Coordinate systems of longitude/latitude (``--X-coords``).
COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")
ASPECTS = ("layer", "field", "encoding", "crs", "coords")
_ASPECT_HELP = {
    "layer": "Layer of the {what} in a multi-layer source (GeoPackage, KML, PostGIS).",
    "field": "Map a source column of the {what} onto a canonical name (repeatable).",
    "encoding": "Text encoding of the {what} (.dbf without .cpg, CSV, text), e.g. gbk.",
    "crs": "CRS of the {what} when the file declares none, e.g. EPSG:4490.",
    "coords": "System of the longitude/latitude of the {what}: gcj02 (Amap, Tencent, "
    "DataV), bd09 (Baidu); converted to WGS 84.",
}


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


def input_option(noun: str, aspect: str, *, dest: str | None = None, aliases=(), **kw):
    """The option ``--{noun}-{aspect}`` (the scheme of the module docstring).

    ``dest`` is the keyword the command receives (default ``{noun}_{aspect}``),
    ``aliases`` older names of the same option; ``kw`` overrides click settings (help …).
    """
    if aspect not in ASPECTS:
        raise ValueError(f"`aspect` was '{aspect}' but is expected to be in {ASPECTS}")
    settings = {"default": None, "help": _ASPECT_HELP[aspect].format(what=noun)}
    if aspect == "field":
        settings.update(multiple=True, metavar="CANONICAL=SOURCE")
    elif aspect == "coords":
        settings.update(type=click.Choice(COORD_SYSTEMS), default="wgs84", show_default=True)
    settings.update(kw)
    return click.option(f"--{noun}-{aspect}", *aliases, dest or f"{noun}_{aspect}", **settings)


def input_options(noun: str, aspects=ASPECTS, **per_aspect):
    """``--{noun}-{aspect}`` for each aspect; ``per_aspect[aspect]`` is a dict of
    :func:`input_option` keywords (``dest``, ``aliases``, ``help`` …)."""

    def deco(f):
        for aspect in reversed(tuple(aspects)):
            f = input_option(noun, aspect, **per_aspect.get(aspect, {}))(f)
        return f

    return deco


def shared_option(aspect: str, targets: dict[str, str]):
    """The older ``--{aspect}`` that applied to several inputs at once.

    ``targets`` maps each keyword it sets to the option of that input (for the help);
    a target the user gave on its own keeps its value.
    """
    import functools

    def deco(f):
        @functools.wraps(f)
        def wrapper(*args, **kw):
            shared = kw.pop(f"shared_{aspect}", None)
            if shared is not None:
                for dest in targets:
                    if kw.get(dest) is None:
                        kw[dest] = shared
            return f(*args, **kw)

        names = ", ".join(targets.values())
        return click.option(
            f"--{aspect}",
            f"shared_{aspect}",
            default=None,
            help=f"Sets {names} at once (the older option); each of those given wins.",
        )(wrapper)

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


def _parse_grids(ctx, param, values):
    return parse_pairs(values, "--grid")


def parse_fields(values) -> dict[str, str] | None:
    """``canonical=SOURCE`` pairs into a mapping; None when none given."""
    mapping: dict[str, str] = {}
    for value in values:
        canon, sep, source = value.partition("=")
        if not sep:
            raise click.BadParameter(
                f"'{value}' is not CANONICAL=SOURCE, e.g. code=DYBM", param_hint="--units-field"
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


def load_units(units, *, layer=None, fields=(), encoding=None, assume_crs=None, **kw):
    """The unit layer named on the command line (:func:`zoning.inputs.load_units`), with
    the ``--units-coords`` and ``--repair-units`` of the running command."""
    from zoning.inputs import load_units as _load

    ctx = click.get_current_context(silent=True)
    meta = ctx.meta.get(_UNIT_META, {}) if ctx is not None else {}
    return _load(
        units,
        layer=layer,
        fields=parse_fields(fields),
        encoding=encoding,
        assume_crs=assume_crs,
        units_coords=meta.get("units_coords") or "wgs84",
        repair_units=bool(meta.get("repair_units")),
        **kw,
    )


#: Keywords the unit options give a command (what :func:`load_units` takes).
_UNIT_DESTS = {"layer": "layer", "field": "fields", "encoding": "encoding", "crs": "assume_crs"}


def unit_source_options(f=None, *, aliases=("layer", "field", "encoding", "crs")):
    """``--units-layer``, ``--units-field``, ``--units-encoding``, ``--units-crs`` (as
    ``layer``, ``fields``, ``encoding``, ``assume_crs``) and ``--units-coords``.

    ``aliases``: which older bare names (``--layer`` …) are kept as aliases; a command
    where a bare name applies to several inputs leaves it out and adds
    :func:`shared_option` instead.
    """

    def deco(f):
        f = units_coords_option(f)
        per = {
            a: {"dest": d, "aliases": (f"--{a}",) if a in aliases else ()}
            for a, d in _UNIT_DESTS.items()
        }
        per["field"]["help"] = (
            "Map a source field onto a canonical one, e.g. code=DYBM (repeatable)."
        )
        return input_options("units", tuple(_UNIT_DESTS), **per)(f)

    return deco(f) if f is not None else deco


def given_units_coords() -> str:
    """The ``--units-coords`` of the running command (wgs84 when not given)."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta.get(_UNIT_META, {}) if ctx is not None else {}
    return meta.get("units_coords") or "wgs84"


def name_coords_option(exc: CRSError, option: str, fix: str) -> CRSError:
    """A reader's ``coords`` error, naming the option the user gave."""
    if exc.field == "coords":
        exc.field = option
        exc.fix = fix
        exc.args = (exc._compose(),)
    return exc


def parse_pairs(values, hint: str) -> dict[str, str]:
    """``NAME=PATH`` options into a dict; a malformed one is a click error on ``hint``."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"'{value}' is not NAME=PATH", param_hint=hint)
        out[name.strip()] = path.strip()
    return out
