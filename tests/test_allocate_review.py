"""Issue 14 review: no unproven "optimal", one budget tolerance, refused bad options,
--samples without usable measurements, ids and rows, library parameters named as flags."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from zoning import allocate_model
from zoning.allocate import TOL, allocate_arrays, parse_budget
from zoning.allocate_model import _build, _check, _rins
from zoning.allocate_samples import contamination_of_plots
from zoning.errors import InputError
from zoning.optimize import InfeasibleBudget
from zoning.pv import assess_pv, grid_factor

NAN = np.nan
X0, Y0 = 500_000.0, 3_300_000.0


def _small():
    rng = np.random.default_rng(1)
    b = rng.uniform(1, 10, (8, 3))
    area = rng.uniform(1, 5, 8)
    return b, area, np.column_stack([np.zeros(8), area / 1.5, area / 1.5])


def test_the_solvers_word_is_not_a_proof(monkeypatch):
    b, area, mw = _small()
    budgets = {("pv", "mw"): 3.0}
    monkeypatch.setattr(allocate_model, "_lp", lambda *a, **k: (None, None))
    monkeypatch.setattr(allocate_model, "_rins", lambda arrays, m, pi, pu, x, *a: (x, "x"))
    # the MIP says "optimal" but gives no bound: no bound, no claim
    monkeypatch.setattr(allocate_model, "_solve", lambda m, x, *a: (x, None, "optimal"))
    r = allocate_arrays(b, area, mw=mw, budgets=budgets, time_limit_s=5)
    assert r.status == "no_bound" and r.bound is None and r.gap is None
    assert r.details["mip_status"] == "optimal"
    # ... or a bound far above the answer: the gap is not reached, whatever it says
    monkeypatch.setattr(allocate_model, "_solve", lambda m, x, *a: (x, 1e6, "optimal"))
    r = allocate_arrays(b, area, mw=mw, budgets=budgets, time_limit_s=5)
    assert r.status == "gap_not_reached" and r.gap > 0.5
    # a NaN bound (0 x inf) is no bound
    monkeypatch.setattr(allocate_model, "_lp", lambda *a, **k: (NAN, None))
    r = allocate_arrays(b, area, mw=mw, budgets=budgets, time_limit_s=5, backend="greedy")
    assert r.bound is None and r.status == "no_bound" and r.summary()["bound"] is None


def test_non_finite_budgets_negative_bonus_and_bad_edges_are_refused():
    b, area, mw = _small()
    with pytest.raises(InputError, match="finite"):
        parse_budget(["total:area_ha=inf"])
    with pytest.raises(InputError, match="finite") as e:
        allocate_arrays(b, area, mw=mw, budgets={("total", "area_ha"): np.inf})
    assert e.value.param == "budget"
    with pytest.raises(InputError, match=">= 0") as e:
        allocate_arrays(b, area, mw=mw, edges=np.array([[0, 1]]), edge_bonus=-5)
    assert e.value.param == "edge_bonus"
    with pytest.raises(InputError, match=r"0\.\.7") as e:
        allocate_arrays(b, area, mw=mw, edges=np.array([[0, 1], [2, -1]]), edge_bonus=5)
    with pytest.raises(InputError, match="gap") as e:
        allocate_arrays(b, area, mw=mw, gap=-1)


def _tol_instance():
    b = np.array([[10, NAN, NAN], [10, NAN, NAN], [NAN, 10, NAN], [NAN, 10, NAN], [NAN, 10, NAN]])
    mw = np.array([[0, 0, 0], [0, 0, 0], [0, 3, 0], [0, 3, 0], [0, 3, 0]], float)
    cost = np.array([[5e7, 0, 0], [5e7 + 0.05, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0]], float)
    return b, np.ones(5), mw, cost, {("trees", "cost"): 1e8, ("pv", "mw"): 4.0}


def test_one_tolerance_no_false_locked_error():
    """5e7 + (5e7 + 0.05) against 1e8: within the one tolerance (1e-9 x 1e8) everywhere;
    it once raised 'the locked choices alone use' with nothing locked (RINS's fixes)."""
    b, area, mw, cost, budgets = _tol_instance()
    r = allocate_arrays(b, area, mw=mw, cost=cost, budgets=budgets, time_limit_s=5)
    assert r.objective == pytest.approx(30.0) and r.status == "optimal"
    used = r.used["trees:cost"]["used"]
    assert used <= 1e8 + TOL * 1e8
    # the user's own locks beyond the tolerance are still refused
    lk = np.array([0, 0, -2, -2, -2])
    cost[1, 0] = 5e7 + 1.0
    with pytest.raises(InfeasibleBudget, match="locked choices alone"):
        allocate_arrays(b, area, mw=mw, cost=cost, budgets=budgets, locked=lk)


def test_rins_fixes_are_not_user_locks():
    b, area, mw, cost, budgets = _tol_instance()
    cost[1, 0] = 5e7 + 1.0  # both tree plots now break the trees budget
    bb, ar, m, c, lk = _check(b, area, mw, cost, budgets, None)
    model, pi, pu, _ = _build(bb, ar, m, c, budgets, lk, None, 0.0)
    x = np.zeros(model.n_x, dtype=bool)
    x[(pu == 0)] = True  # an over-budget incumbent
    xf = np.where(pu == 0, 1.0, 0.5)
    arrays = (bb, ar, m, c, budgets, lk, None, 0.0)
    out, status = _rins(arrays, model, pi, pu, x, xf, "highs", 5, 2)
    assert status == "rins_fixed_over_budget" and out is x


def test_fallback_to_greedy_says_why(monkeypatch):
    b, area, mw = _small()
    everything = lambda m, x, *a: (np.ones_like(x), None, "optimal")  # noqa: E731
    monkeypatch.setattr(allocate_model, "_solve", everything)
    monkeypatch.setattr(allocate_model, "_lp", lambda *a, **k: (None, None))
    monkeypatch.setattr(allocate_model, "_rins", lambda arrays, m, pi, pu, x, *a: (x, "x"))
    monkeypatch.setattr(allocate_model, "_local_search", lambda m, pi, pu, B, c, x, d: (x, 0))
    r = allocate_arrays(b, area, mw=mw, budgets={("pv", "mw"): 3.0}, time_limit_s=5)
    assert "pv:mw" in r.details["fallback_to_greedy"] and "pv:mw" in r.message
    assert r.objective == pytest.approx(r.greedy_objective)
    assert r.summary()["message"] == r.message


# --- --samples ----------------------------------------------------------------------------


def _plots(ids=("A", "B", "C")):
    uses = ["construction", "construction", "cropland"]
    geoms = [box(X0 + i * 1000, Y0, X0 + i * 1000 + 400, Y0 + 400) for i in range(3)]
    return gpd.GeoDataFrame({"plot_id": list(ids), "land_use": uses}, geometry=geoms,
                            crs="EPSG:4549")  # fmt: skip


def _assessed(plots):
    return assess_pv(plots, clearness=0.5, emission_factor=grid_factor("mee_nbs", 2023)).plots


FARM = {"pH": 8.0, "Cd": 0.1, "Hg": 0.1, "As": 5.0, "Pb": 20.0, "Cr": 50.0}


def test_sampled_but_unmeasured_is_not_clean():
    t = pd.DataFrame({"plot": ["A", "A", "B"], "Arsenic": ["ND", None, "10"]})
    out, _ = contamination_of_plots(
        _assessed(_plots()), t, plot_field="plot", id_field="plot_id", lang="en"
    )
    gate = dict(zip(out["plot_id"], out["contamination_gate"], strict=True))
    assert "no usable measurement" in gate["A"] and "not a polluted plot" not in gate["A"]
    assert "2 sample(s)" in gate["A"]
    assert "not a polluted plot" in gate["B"]  # measured and clean stays clean


def test_duplicate_plot_ids_refused_and_ids_compared_as_text():
    t = pd.DataFrame({"plot": ["A"], "Arsenic": [30.0]})
    with pytest.raises(InputError, match=r"'A' \(rows 1, 2") as e:
        contamination_of_plots(
            _assessed(_plots(("A", "A", "C"))), t, plot_field="plot", id_field="plot_id"
        )
    assert e.value.field == "plot_id"
    plots = _assessed(_plots())
    plots["pid"] = [1.0, 2.0, 3.0]
    t = pd.DataFrame({"plot": ["1", "2.0"], "Arsenic": ["30", "30"]})
    out, _ = contamination_of_plots(plots, t, plot_field="plot", id_field="pid")
    assert out["samples_n"].tolist() == [1, 1, 0]
    plots["pid"] = [1.0, "1", 3.0]  # two spellings of one id
    with pytest.raises(InputError, match=r"as 1\.0, '1'"):
        contamination_of_plots(plots, t, plot_field="plot", id_field="pid")


def test_error_names_the_file_row_and_the_plot():
    t = pd.DataFrame({"plot": ["C", "A", "C", "B"], "Arsenic": [1, 2, 3, -5.0]})
    for k, v in FARM.items():
        t[k] = [v, None, v, None]
    with pytest.raises(InputError) as e:
        contamination_of_plots(_assessed(_plots()), t, plot_field="plot", id_field="plot_id")
    assert e.value.row == 4
    assert "sample row 4 falls in construction plot B, so GB 36600-2018" in str(e.value)


# --- the command line ---------------------------------------------------------------------


def _cli(tmp_path, *extra):
    from zoning.cli import main

    _plots().to_crs(4326).to_file(tmp_path / "plots.geojson")
    out = tmp_path / "out"
    args = ["allocate", "--plots", str(tmp_path / "plots.geojson"), "--clearness", "0.5",
            "--ef-series", "mee_nbs", "--ef-year", "2023", "--sink-rate", "15",
            "--id-field", "plot_id", "--lang", "en", "--tradeoff-steps", "0", *extra,
            "--out", str(out)]  # fmt: skip
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert not out.exists()
    return r.output


def test_cli_names_its_flags(tmp_path):
    assert "--cost-per-ha" in _cli(tmp_path, "--budget", "trees:cost=100")
    msg = _cli(tmp_path, "--lock", "C=pv")
    assert "--lock" in msg and "plot 'C'" in msg and "row" not in msg
    assert "--gap" in _cli(tmp_path, "--gap", "-1")
    assert "--adjacency-bonus" in _cli(tmp_path, "--adjacency-bonus", "-5")
    assert "--budget" in _cli(tmp_path, "--budget", "total:area_ha=inf")
