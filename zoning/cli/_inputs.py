"""Per-input options of the command line (``--X-layer``, ``--X-field``, ``--X-encoding``,
``--X-crs``, ``--X-coords``; the scheme is described in :mod:`zoning.cli.options`, which
re-exports everything here) and the unit layer's options (``--units-*``,
``--units-coords``, ``--repair-units``)."""

from __future__ import annotations

import click

from zoning.errors import CRSError, InputError

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
    if not units and (meta.get("units_coords") or "wgs84") != "wgs84":
        raise InputError(  # UNITS may be an argument or --units: named as before
            "--units-coords was given without --units; the bundled demo units are WGS 84",
            field="--units-coords",
            fix="give the units file it applies to, or leave --units-coords out",
        )
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
