"""One allocation of every plot (issue 14): enumeration, locks, budgets, CLI, outputs."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from zoning.allocate import USES, allocate_arrays, allocate_plots, parse_budget
from zoning.errors import InputError
from zoning.optimize import InfeasibleBudget
from zoning.pv import assess_pv, grid_factor


def _enumerate(b, area, mw, budgets):
    n = len(b)
    best = 0.0
    for combo in itertools.product(range(-1, 3), repeat=n):
        if any(u >= 0 and np.isnan(b[i, u]) for i, u in enumerate(combo)):
            continue
        a = sum(area[i] for i, u in enumerate(combo) if u >= 0)
        m = sum(mw[i, u] for i, u in enumerate(combo) if u >= 0)
        if a <= budgets[("total", "area_ha")] and m <= budgets[("pv", "mw")]:
            best = max(best, sum(b[i, u] for i, u in enumerate(combo) if u >= 0))
    return best


@pytest.mark.parametrize("backend", ["highs", "cbc"])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_small_against_enumeration(backend, seed):
    rng = np.random.default_rng(seed)
    n = 7
    b = rng.uniform(1, 10, (n, 3))
    b[rng.random((n, 3)) < 0.3] = np.nan
    area = rng.uniform(1, 5, n)
    mw = np.column_stack([np.zeros(n), area / 1.5, np.zeros(n)])
    budgets = {("total", "area_ha"): 9.0, ("pv", "mw"): 2.5}
    r = allocate_arrays(b, area, mw=mw, budgets=budgets, backend=backend, time_limit_s=60)
    assert r.objective == pytest.approx(_enumerate(b, area, mw, budgets), rel=1e-9)
    assert r.gap is not None and r.gap <= 1e-3
    used = {u: area[r.use >= 0].sum() for u in ["all"]}
    assert used["all"] <= 9.0 + 1e-9


def _plots():
    x0, y0 = 500_000.0, 3_300_000.0
    uses = ["cropland", "mine", "permanent_basic_farmland"]
    geoms = [box(x0 + i * 1000, y0, x0 + i * 1000 + 400, y0 + 400) for i in range(3)]
    return gpd.GeoDataFrame(
        {"plot_id": ["A", "B", "C"], "land_use": uses}, geometry=geoms, crs="EPSG:4549"
    )


def _assessed():
    return assess_pv(_plots(), clearness=0.5, emission_factor=grid_factor("mee_nbs", 2023))


def test_known_optimum_trees_pv_and_excluded():
    res = _assessed()
    f, summary, r, _ = allocate_plots(res.plots, sink_t_co2_ha_yr=15.0, id_field="plot_id")
    assert f["use"].tolist() == ["trees", "pv", "risk_control_only"]
    # trees win on cropland (PV not allowed); PV wins on the mine (avoided >> sink)
    assert f["avoided_t_co2_yr"].iat[1] > 15.0 * f["area_ha"].iat[1]
    assert (
        "permanent basic farmland" in f["use_reason"].iat[2]
        or "永久基本农田" in (f["use_reason"].iat[2])
    )
    assert summary["solver"]["status"] == "optimal"
    assert summary["by_use"]["pv"]["plots"] == 1
    assert np.isnan(f["mw"].iat[0])  # a tree plot has no MW (no value, never 0)


def test_locked_choices():
    res = _assessed()
    f, s, *_ = allocate_plots(
        res.plots, sink_t_co2_ha_yr=15.0, id_field="plot_id", locked={"B": "trees"}
    )
    assert f["use"].tolist() == ["trees", "trees", "risk_control_only"]
    f, *_ = allocate_plots(
        res.plots, sink_t_co2_ha_yr=15.0, id_field="plot_id", locked={"A": "none"}, lang="en"
    )
    assert f["use"].iat[0] == "risk_control_only" and "locked" in f["use_reason"].iat[0]
    with pytest.raises(InputError, match="locked to 'pv'"):
        allocate_plots(res.plots, sink_t_co2_ha_yr=15.0, id_field="plot_id", locked={"A": "pv"})


def test_infeasible_budget_message():
    res = _assessed()
    with pytest.raises(InfeasibleBudget, match=r"locked choices alone use .* mw of the pv budget"):
        allocate_plots(
            res.plots,
            sink_t_co2_ha_yr=15.0,
            id_field="plot_id",
            locked={"B": "pv"},
            budgets=parse_budget(["pv:mw=1"]),
        )


def test_budget_binds_and_parse_errors():
    res = _assessed()
    area_b = float(res.plots["area_ha"].iat[1])
    f, s, *_ = allocate_plots(
        res.plots, sink_t_co2_ha_yr=15.0, budgets=parse_budget([f"total:area_ha={area_b}"])
    )
    assert (f["use"] != "risk_control_only").sum() == 1 and f["use"].iat[1] == "pv"
    with pytest.raises(InputError, match="SCOPE:QUANTITY=VALUE"):
        parse_budget(["pv-mw-5"])
    with pytest.raises(InputError, match="quantity"):
        parse_budget(["pv:tonnes=5"])


def test_adjacency_bonus_changes_the_choice():
    # two neighbours; trees slightly worse on plot 1 alone, but the bonus pulls it to trees
    b = np.array([[10.0, np.nan, np.nan], [9.0, 9.5, np.nan]])
    r0 = allocate_arrays(b, np.ones(2))
    r1 = allocate_arrays(b, np.ones(2), edges=np.array([[0, 1]]), edge_bonus=1.0)
    assert r0.use.tolist() == [0, 1] and r1.use.tolist() == [0, 0]
    assert r1.objective == pytest.approx(20.0)
    assert USES[0] == "trees"


def test_cli_allocate_writes_everything(tmp_path):
    from zoning.cli import main

    plots = _plots().to_crs(4326)
    plots.to_file(tmp_path / "plots.geojson")
    sub = gpd.GeoDataFrame(geometry=[Point(500_500, 3_299_500)], crs="EPSG:4549").to_crs(4326)
    sub.to_file(tmp_path / "sub.geojson")
    out = tmp_path / "out"
    args = ["allocate", "--plots", str(tmp_path / "plots.geojson"), "--clearness", "0.5",
            "--ef-series", "mee_nbs", "--ef-year", "2023", "--sink-rate", "15",
            "--grid-layer", str(tmp_path / "sub.geojson"), "--max-grid-distance", "5000",
            "--id-field", "plot_id", "--budget", "total:area_ha=100", "--lang", "en",
            "--tradeoff-steps", "3", "--out", str(out)]  # fmt: skip
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    for name in (
        "selected.geojson",
        "rejected.geojson",
        "summary.json",
        "map.html",
        "tradeoff.png",
    ):
        assert (out / name).exists()
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (
        s["pv"]["grid_factor"]["year"] == "2023" and s["pv"]["grid_factor"]["series"] == "mee_nbs"
    )
    assert "case figure" in s["pv"]["density_note"]
    assert len(s["tradeoff"]) == 3 and s["solver"]["gap"] is not None
    assert (out / "tradeoff.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rej = json.loads((out / "rejected.geojson").read_text(encoding="utf-8"))
    assert all(f["properties"]["use_reason"] for f in rej["features"])


def test_cli_pv_refuses_bad_input(tmp_path):
    from zoning.cli import main

    _plots().to_crs(4326).to_file(tmp_path / "plots.geojson")
    out = tmp_path / "pv"
    r = CliRunner().invoke(
        main, ["pv", "--plots", str(tmp_path / "plots.geojson"), "--ef-series", "ets",
               "--out", str(out)],
    )  # fmt: skip
    assert r.exit_code == 2 and "--ef-year" in r.output and "Traceback" not in r.output
    assert not out.exists()
    r = CliRunner().invoke(
        main, ["pv", "--plots", str(tmp_path / "plots.geojson"), "--lang", "en", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    p = json.loads((out / "pv_plots.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["pv_status"] for f in p["features"]] == [
        "rejected",
        "candidate",
        "rejected",
    ]
