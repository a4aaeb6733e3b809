"""``zoning diff OLD NEW --out DIR``: what changed between two editions of a zoning.

Each edition has its own reading options (``--old-field``/``--new-field``,
``--old-encoding``/``--new-encoding``, ``--old-layer``/``--new-layer``,
``--old-crs``/``--new-crs``, ``--old-coords``/``--new-coords``).  Writes the files of
:mod:`zoning.export.diff`; prints the summary on stderr; exits 1 when a reviewer's check
fails (as ``zoning validate`` does).
"""

from __future__ import annotations

import click

from zoning.cli.options import lang_option, out_option, parse_fields
from zoning.errors import CheckFailed


def _edition_options(which: str):
    def deco(f):
        opts = [
            click.option(
                f"--{which}-layer", default=None, help=f"Layer name in the {which} source."
            ),
            click.option(
                f"--{which}-field",
                f"{which}_fields",
                multiple=True,
                metavar="CANONICAL=SOURCE",
                help=f"Map a field of the {which} edition, e.g. code=DYBM (repeatable).",
            ),
            click.option(
                f"--{which}-encoding",
                default=None,
                help=f"Text encoding of the {which} shapefile's .dbf (e.g. gbk).",
            ),
            click.option(
                f"--{which}-crs",
                default=None,
                help=f"CRS to assume when the {which} file declares none.",
            ),
            click.option(
                f"--{which}-coords",
                type=click.Choice(["wgs84", "gcj02", "bd09"]),
                default="wgs84",
                show_default=True,
                help=f"System of the {which} edition's lon/lat (gcj02 Amap/Tencent, bd09 Baidu).",
            ),
        ]
        for o in reversed(opts):
            f = o(f)
        return f

    return deco


def read_edition(source, which: str, *, layer, fields, encoding, crs, coords):
    """Read one edition; errors name the edition's own options."""
    from zoning.errors import InputError
    from zoning.io.vector import read_units

    try:
        return read_units(
            source,
            layer=layer,
            fields=parse_fields(fields),
            encoding=encoding,
            assume_crs=crs,
            coords=coords,
        )
    except InputError as exc:
        if exc.fix:
            for opt in ("field", "encoding", "crs", "layer", "coords"):
                exc.fix = exc.fix.replace(f"--{opt}", f"--{which}-{opt}")
        if exc.field == "coords":
            exc.field = f"--{which}-coords"
        exc.args = (exc._compose(),)
        raise


@click.command("diff")
@click.argument("old")
@click.argument("new")
@_edition_options("old")
@_edition_options("new")
@click.option(
    "--min-share",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.5,
    show_default=True,
    help="Overlap rule: units correspond when they overlap by this share of either one's area.",
)
@click.option(
    "--tolerance-m2",
    type=float,
    default=1.0,
    show_default=True,
    help="Overlaps, gaps and area changes below this (m², EPSG:6933) are ignored.",
)
@click.option(
    "--gk-crs",
    default=None,
    help="Planar CRS of the second area measure (default: the CGCS2000 3° Gauss-Krüger "
    "zone of the editions' centre, e.g. EPSG:4549).",
)
@lang_option
@out_option(help_text="Output folder.")
def command(
    old, new, old_layer, old_fields, old_encoding, old_crs, old_coords,
    new_layer, new_fields, new_encoding, new_crs, new_coords,
    min_share, tolerance_m2, gk_crs, lang, out,
):  # fmt: skip
    """Compare two editions of the control units (OLD, NEW: any readable layer).

    Units are matched by code and geometry (they correspond when their overlap is at
    least --min-share of either one's area) and classed unchanged, attributes changed,
    reshaped, split, merged, recoded, added or removed; the class transition matrix is
    given in equal-area EPSG:6933 and planar Gauss-Krüger km².
    """
    from zoning.diff import diff_units
    from zoning.export.diff import write_diff

    o = read_edition(
        old,
        "old",
        layer=old_layer,
        fields=old_fields,
        encoding=old_encoding,
        crs=old_crs,
        coords=old_coords,
    )
    n = read_edition(
        new,
        "new",
        layer=new_layer,
        fields=new_fields,
        encoding=new_encoding,
        crs=new_crs,
        coords=new_coords,
    )
    click.echo(f"old: {len(o)} units ({old}); new: {len(n)} units ({new})", err=True)
    d = diff_units(o, n, min_share=min_share, tolerance_m2=tolerance_m2, gk_crs=gk_crs)
    paths = write_diff(d, out, old=o, new=n, lang=lang, sources={"old": str(old), "new": str(new)})
    click.echo(d.summary(lang), err=True)
    for note in d.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"wrote {paths['summary'].parent}", err=True)
    fails = int((d.findings["severity"] == "fail").sum()) if len(d.findings) else 0
    if fails:
        raise CheckFailed(f"{fails} reviewer check(s) failed; see {paths['findings']}")
