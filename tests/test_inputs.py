"""Inputs of a run (zoning.inputs): the library names parameters, the command line flags."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from zoning.cli import main
from zoning.errors import InputError
from zoning.inputs import load_units, rules_path_for


def test_library_names_the_parameter():
    with pytest.raises(InputError, match="parameter 'units_coords'") as err:
        load_units(None, units_coords="gcj02")
    assert "--" not in str(err.value)
    with pytest.raises(InputError, match="parameter 'rules'") as err:
        rules_path_for(None, "my_units.gpkg")
    assert "--rules" not in str(err.value)


def test_command_line_names_the_flag(tmp_path):
    res = CliRunner().invoke(
        main, ["export", "--units-coords", "gcj02", "--out", str(tmp_path / "u.geojson")]
    )
    assert res.exit_code == 2
    assert "--units-coords" in res.output and "without --units" in res.output
    assert "units_coords" not in res.output
    assert not (tmp_path / "u.geojson").exists()
