"""Scale-out on a local Dask cluster (2 worker processes): the same results, row for row."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner
from conftest import make_units, write_tif
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from zoning.cli import main
from zoning.conflicts import conflicts
from zoning.errors import InputError
from zoning.io.raster import open_grid
from zoning.rules import parse_rules
from zoning.scale import cluster, conflicts_distributed, zonal_stats_distributed
from zoning.stats import zonal_stats

distributed = pytest.importorskip("distributed")

X0, Y0 = 500000.0, 3300000.0
RULES = """\
version: 1
layers:
  red_line: {path: red_line.gpkg}
grids:
  pm25: {path: pm25.tif, units: ug/m3}
rules:
  - id: SP-01
    dimension: spatial
    clause: {zh: 优先保护单元禁止新建工业项目, en: No new industry in priority units}
    message: {zh: 违反准入, en: Breaks the access list}
    outcome: prohibited
    scope: {unit_class: 1}
    when: {all: [{stage: proposed}, {sector: [C]}]}
  - id: EM-01
    dimension: emission
    clause: {zh: 新增NOx倍量替代, en: New NOx needs a 2:1 offset}
    message: {zh: 违反准入, en: Breaks the access list}
    outcome: restricted
    requirement: {zh: NOx 2倍削减替代, en: 2:1 NOx offset}
    scope: {unit_class: key}
    when: [{stage: proposed}, {emission: {pollutant: nox, gt: 0}}]
  - id: RL-01
    dimension: spatial
    clause: {zh: 红线周边500米禁止工业, en: No industry within 500 m of the red line}
    message: {zh: 违反准入, en: Breaks the access list}
    outcome: prohibited
    when: {all: [{sector: [C]}, {near: {layer: red_line, within_m: 500}}]}
  - id: PM-01
    dimension: emission
    clause: {zh: PM2.5超标区禁止新增, en: No new sources where PM2.5 is over the standard}
    message: {zh: 违反准入, en: Breaks the access list}
    outcome: prohibited
    when: {all: [{stage: proposed}, {grid: {name: pm25, gt: 35}}]}
  - id: PM-02
    dimension: emission
    clause: {zh: 单元PM2.5均值超标须削减, en: Units over the standard on average need cuts}
    message: {zh: 单元均值超标, en: Unit mean over the standard}
    outcome: restricted
    requirement: {zh: 等量削减, en: 1:1 cut}
    when: {all: [{stage: existing}, {grid: {name: pm25, at: unit_mean, gt: 36}}]}
"""
T = from_origin(X0 - 1000, Y0 + 3000, 100, 100)  # 100 m cells over the units and beyond


@pytest.fixture(scope="module")
def client():
    with cluster(workers=2) as c:
        yield c


@pytest.fixture
def inputs():
    rng = np.random.default_rng(7)
    units = make_units(n_cols=4, n_rows=3)
    n = 2_000
    xy = rng.uniform([-300, -300], [4300, 3300], size=(n, 2))  # some outside every unit
    geoms = [Point(X0 + x, Y0 + y) for x, y in xy]
    geoms[5] = None  # bad rows stay in the output as invalid
    fac = gpd.GeoDataFrame(
        {
            "facility_id": [f"P{i}" if i % 7 else None for i in range(n)],  # some without id
            "stage": rng.choice(["existing", "proposed"], n),
            "sector": rng.choice(["2614", "3011", "0313", "4411"], n),
            "nox_t": rng.uniform(0, 5, n).round(2),
        },
        geometry=geoms,
        crs="EPSG:4549",
    )
    red = gpd.GeoDataFrame(geometry=[box(X0 + 2100, Y0 + 100, X0 + 2400, Y0 + 400)], crs=units.crs)
    pm = np.fromfunction(lambda r, c: 20 + c * 0.5, (30, 60))  # rising to the east
    return units, fac, {"red_line": red}, {"pm25": (pm, T, units.crs)}


def test_conflicts_on_the_cluster_equal_the_single_machine_result(client, inputs):
    units, fac, layers, grids = inputs
    rules = parse_rules(RULES, source="rules.yaml")
    one = conflicts(units, fac, rules, grids, layers=layers, lang="en")
    many = conflicts_distributed(
        units, fac, rules, grids, layers=layers, lang="en", client=client, chunk_size=300
    )
    assert len(many) == len(fac)  # 7 chunks, every row back once, in order
    pd.testing.assert_frame_equal(one, many)
    # the comparison is not vacuous: every status occurs
    assert set(many["status"]) == {"conflict", "restricted", "ok", "unzoned", "invalid"}
    fired = set(";".join(many["rule_ids"]).split(";"))
    assert {"SP-01", "EM-01", "RL-01", "PM-01", "PM-02"} <= fired
    # ids of rows without one follow the whole table's row numbers, not the chunk's
    assert many.loc[700, "facility_id"] == "F701"


def _tif(path, arr, tags=None):
    return write_tif(path, arr, T, nodata=-9999, band_tags=tags)


def test_stats_on_the_cluster_equal_the_single_machine_result(client, tmp_path):
    units = make_units(n_cols=4, n_rows=3)
    units.loc[2, "geometry"] = units.loc[2, "geometry"].buffer(-130)  # partial cells
    rng = np.random.default_rng(3)
    nox = _tif(tmp_path / "nox.tif", rng.uniform(0, 2, (30, 60)))
    conc = _tif(tmp_path / "pm.tif", rng.uniform(20, 60, (30, 60)))
    grids = {
        "nox": nox,  # a path the workers open
        "pm": open_grid(conc, quantity="concentration", units="ug/m3"),  # declared on opening
        "arr": (rng.uniform(0, 1, (30, 60)), T, units.crs),  # an array, sent to the workers
    }
    with open_grid(nox) as opened:  # zonal_stats takes open grids; the scale-out opens paths
        one = zonal_stats(units, {**grids, "nox": opened})
    many = zonal_stats_distributed(units, grids, client=client, chunk_size=5)
    pd.testing.assert_frame_equal(one, many)
    assert many.attrs == one.attrs and many.attrs["units"]["pm_mean"] == "µg/m³"
    assert "pm_sum" not in many.columns  # still a concentration on the workers
    grids["pm"].close()


def test_cli_workers_give_the_same_files(tmp_path):
    units = make_units(n_cols=4, n_rows=3)
    units.to_file(tmp_path / "units.gpkg")
    nox = _tif(tmp_path / "nox.tif", np.random.default_rng(5).uniform(0, 2, (30, 60)))
    runner = CliRunner()
    for name, extra in (("one.csv", []), ("many.csv", ["--workers", "2"])):
        res = runner.invoke(
            main,
            ["stats", "--units", str(tmp_path / "units.gpkg"), "--grid", f"nox={nox}"]
            + extra
            + ["--out", str(tmp_path / name)],
        )
        assert res.exit_code == 0, res.output
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()


def test_scale_options_errors(tmp_path):
    with pytest.raises(InputError, match="both given"), cluster("tcp://127.0.0.1:1", 2):
        pass
    res = CliRunner().invoke(
        main, ["stats", "--workers", "0", "--grid", "a=b.tif", "--out", str(tmp_path / "x.csv")]
    )
    assert res.exit_code == 2 and "--workers" in res.output
    assert not (tmp_path / "x.csv").exists()


def test_stats_chunks_outside_a_regional_grid_and_grids_opened_with_options(client, tmp_path):
    units = make_units(n_cols=4, n_rows=1)
    # a grid over the first unit only, in a file that declares no CRS (given on opening)
    small = from_origin(X0, Y0 + 1000, 100, 100)
    with rasterio.open(
        tmp_path / "regional.tif", "w", driver="GTiff", width=10, height=10, count=1,
        dtype="float32", transform=small,
    ) as ds:  # fmt: skip
        ds.write(np.ones((10, 10), dtype="float32"), 1)
    grid = open_grid(tmp_path / "regional.tif", crs="EPSG:4549", units="t/cell/yr")
    one = zonal_stats(units, {"g": grid})
    many = zonal_stats_distributed(units, {"g": grid}, client=client, chunk_size=2)
    pd.testing.assert_frame_equal(one, many)
    # units outside the grid have no value, never 0 (and coverage 0)
    assert many["g_sum"].tolist()[0] == pytest.approx(100.0)
    assert many["g_sum"].iloc[1:].isna().all() and many["g_coverage"].iloc[1:].eq(0).all()
    assert many.attrs["grids"]["g"]["valid_cells_under_units"] == pytest.approx(100.0)
    grid.close()
    # and a grid with no data under any unit is still refused, on the whole table
    far = (np.ones((5, 5)), from_origin(X0 + 90_000, Y0, 100, 100), units.crs)
    with pytest.raises(InputError, match="no valid cell under any unit"):
        zonal_stats_distributed(units, {"far": far}, client=client, chunk_size=2)


@pytest.mark.parametrize("address", ["foo:bar:baz", "http://x"])
def test_a_malformed_scheduler_address_is_a_clear_error(address):
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"), cluster(address):
        pass
