"""zoning.pv names its parameters; `zoning pv` / `zoning allocate` map them onto flags."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from click.testing import CliRunner

from zoning.errors import InputError
from zoning.pv import chosen_grid_factor, ghi_kwh


def test_library_names_parameters():
    with pytest.raises(InputError) as e:
        chosen_grid_factor("ets", None)
    assert e.value.param == "year" and "--" not in str(e.value)
    with pytest.raises(InputError) as e:
        chosen_grid_factor(None, 2023)
    assert e.value.param == "series"
    assert chosen_grid_factor(None, None) is None
    assert chosen_grid_factor("mee_nbs", 2023)["t_co2_per_mwh"] == pytest.approx(0.5306)
    grid = (np.full((2, 2), 3600.0), Affine.identity(), "EPSG:4326")
    assert ghi_kwh(grid, "MJ/m2/yr")[0][0, 0] == pytest.approx(1000.0)
    with pytest.raises(InputError) as e:
        ghi_kwh(grid, None)
    assert e.value.param == "ghi_unit"


@pytest.fixture
def plots_file(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    x0, y0 = 500_000.0, 3_300_000.0
    g = gpd.GeoDataFrame(
        {"land_use": ["mine"]}, geometry=[box(x0, y0, x0 + 400, y0 + 400)], crs="EPSG:4549"
    ).to_crs(4326)
    path = tmp_path / "plots.geojson"
    g.to_file(path)
    return str(path)


@pytest.mark.parametrize("command", ["pv", "allocate"])
@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--ef-year", "2023"], "--ef-series"),
        (["--ef-series", "ets"], "--ef-year"),
        (["--ef-series", "mee_nbs", "--ef-year", "1999"], "--ef-year"),
        (["--max-slope", "10"], "--dem"),
        (["--density", "0"], "--density"),
        (["--max-grid-distance", "100"], "--grid-layer"),
    ],
)
def test_cli_names_flags(tmp_path, plots_file, command, args, flag):
    from zoning.cli import main

    out = tmp_path / "out"
    r = CliRunner().invoke(main, [command, "--plots", plots_file, *args, "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert flag in r.output and "Traceback" not in r.output
    assert "parameter '" not in r.output  # a flag, not the library's name
    assert not out.exists()
