"""Library errors name parameters; the command line names its flags."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from zoning.cli import _speak_flags, main
from zoning.cli.options import param_flags
from zoning.errors import InputError


def test_library_error_names_the_parameter():
    exc = InputError("no such column", param="x_col", fix="name it with `x_col`")
    assert "parameter 'x_col'" in str(exc)
    assert "`x_col`" in str(exc)


def test_command_line_names_the_flag_of_the_parameter():
    @click.command()
    @click.option("--x-col", "x_col", default=None)
    @click.option("--facilities-crs", "facilities_crs", default=None)
    @param_flags(crs="--facilities-crs")
    def cmd(x_col, facilities_crs):
        if x_col:
            raise InputError("no such column", param="x_col", fix="name it with `x_col`")
        raise InputError("no CRS", param="crs", fix="pass `crs`; `unknown` stays")

    _speak_flags(cmd)
    group = click.Group(commands={"cmd": cmd})
    with pytest.raises(InputError) as err:
        group.main(["cmd", "--x-col", "a"], standalone_mode=False)
    text = str(err.value)
    assert "option '--x-col'" in text and "name it with --x-col" in text
    assert "x_col" not in text
    with pytest.raises(InputError) as err:
        group.main(["cmd"], standalone_mode=False)
    text = str(err.value)
    assert "option '--facilities-crs'" in text and "pass --facilities-crs" in text
    assert "`unknown` stays" in text


def test_every_registered_command_is_wrapped():
    def walk(cmd):
        if isinstance(cmd, click.Group):
            for sub in cmd.commands.values():
                yield from walk(sub)
        else:
            yield cmd

    for cmd in walk(main):
        assert getattr(cmd.callback, "__zoning_wrapped__", False), cmd.name
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
