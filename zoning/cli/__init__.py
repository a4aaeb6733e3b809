"""The ``zoning`` command line: one module per command under ``zoning.cli``.

Each command module defines a ``click`` command named ``command``; it is found and
registered here, so adding a command is adding a module.  Commands parse options, call
the library and report; data go to files, progress and logs to stderr.

Exit codes: 0 success, 1 a check the user asked for found problems, 2 bad input.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
import sys

import click

from zoning._version import __version__
from zoning.errors import CheckFailed, InputError, ZoningError

_SKIP = {"options"}


class ZoningGroup(click.Group):
    """A group that turns zoning's errors into one line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CheckFailed as exc:
            click.echo(f"zoning: {exc}", err=True)
            ctx.exit(1)
        except ZoningError as exc:
            click.echo(f"zoning: error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=ZoningGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zoning")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def main(verbose: int, quiet: bool) -> None:
    """Ecological-environment zoning control (生态环境分区管控) for planners."""
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    for noisy in ("fiona", "rasterio", "pyogrio", "numexpr", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # progress of long steps: a bar on a terminal, timed lines when piped, none with -q
    from zoning.progress import ProgressHandler

    progress = logging.getLogger("zoning.progress")
    progress.handlers[:] = [ProgressHandler()]
    progress.propagate = False
    progress.setLevel(logging.ERROR if quiet else logging.INFO)


def _flags_of(command: click.Command) -> dict[str, str]:
    """Library parameter → flag: each option's keyword, then what the command declares
    with :func:`zoning.cli.options.param_flags` (where the library's name differs)."""
    flags = {
        p.name: p.opts[0]
        for p in command.params
        if isinstance(p, click.Option) and p.name and p.opts[0].startswith("--")
    }
    flags.update(getattr(command.callback, "__zoning_flags__", {}))
    return flags


def _input_flags(command: click.Command, given: dict, source) -> dict[str, str]:
    """The flags of the input an error is about: when ``source`` is the file given for an
    input ``X`` (``--facilities F``, ``PROJECT``), its parameter ``p`` is ``--X-p``
    (``layer`` → ``--facilities-layer``; ``assume_crs``, the CRS of a file that declares
    none, is ``--X-crs``), so a parameter two inputs share is named right.  The unit
    options keep their own keywords (``layer``, ``fields`` … are ``--units-*``)."""
    if not source:
        return {}
    opts = {q.name: q.opts[0] for q in command.params if isinstance(q, click.Option) and q.name}
    for p in command.params:
        value = given.get(p.name) if p.name else None
        if not (isinstance(value, str) and value and _same_file(value, source)):
            continue
        if p.name == "units":
            keys = {k: k for k in ("layer", "fields", "encoding", "assume_crs")}
            keys["coords"] = "units_coords"
        else:
            prefix = f"{p.name}_"
            keys = {k[len(prefix) :]: k for k in opts if k.startswith(prefix)}
            if "crs" in keys:
                keys.setdefault("assume_crs", keys["crs"])
        return {param: opts[k] for param, k in keys.items() if k in opts}
    return {}


def _same_file(a: str, b: str) -> bool:
    from pathlib import Path

    return a == b or Path(a) == Path(b)


def _speak_flags(command: click.Command) -> None:
    """Errors raised under ``command`` name its flags, not the library's parameters."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _speak_flags(sub)
        return
    callback = command.callback
    if callback is None or getattr(callback, "__zoning_wrapped__", False):
        return
    flags = _flags_of(command)

    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except InputError as exc:
            mapping = {**flags, **_input_flags(command, kwargs, exc.source)}
            raise exc.with_flags(mapping) from exc.__cause__

    wrapper.__zoning_wrapped__ = True
    command.callback = wrapper


def _register() -> None:
    import zoning.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _SKIP:
            continue
        module = importlib.import_module(f"zoning.cli.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            _speak_flags(command)
            main.add_command(command)


_register()
