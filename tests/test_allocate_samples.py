"""`zoning allocate --samples`: site samples classified (GB 36600 / GB 15618) and joined
to the plots, spatially or by a plot-id column; what the classes allow."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from zoning.allocate import allocate_plots
from zoning.allocate_samples import contamination_of_plots
from zoning.errors import InputError
from zoning.pv import assess_pv, grid_factor

X0, Y0 = 500_000.0, 3_300_000.0
USES = ["construction", "construction", "construction", "mine", "cropland", "cropland"]


def _plots():
    geoms = [box(X0 + i * 1000, Y0, X0 + i * 1000 + 400, Y0 + 400) for i in range(len(USES))]
    return gpd.GeoDataFrame(
        {"plot_id": list("ABCDEF"), "land_use": USES}, geometry=geoms, crs="EPSG:4549"
    )


def _samples():
    # A: arsenic 30 > 20 (class-1 screening); B: 15 <= 20; C: none; D: none;
    # E: Cd 5 > 4.0 (paddy, pH > 7.5 intervention) -> strict control; F: Cd 0.1 -> priority
    rows = [
        ("A", 0, {"Arsenic": 30.0}),
        ("A", 0, {"Arsenic": 10.0}),
        ("B", 1, {"Arsenic": 15.0}),
        ("E", 4, {"pH": 8.0, "Cd": 5.0, "Hg": 0.1, "As": 5.0, "Pb": 20.0, "Cr": 50.0}),
        ("F", 5, {"pH": 8.0, "Cd": 0.1, "Hg": 0.1, "As": 5.0, "Pb": 20.0, "Cr": 50.0}),
    ]
    recs, pts = [], []
    for pid, k, vals in rows:
        recs.append({"plot": pid, **vals})
        pts.append(Point(X0 + k * 1000 + 200, Y0 + 200))
    pts.append(Point(X0 - 5000, Y0))  # in no plot
    recs.append({"plot": None, "Arsenic": 500.0})
    return gpd.GeoDataFrame(pd.DataFrame(recs), geometry=pts, crs="EPSG:4549")


def _assessed(plots):
    return assess_pv(plots, clearness=0.5, emission_factor=grid_factor("mee_nbs", 2023), lang="en")


def test_classes_and_gates_spatial():
    res = _assessed(_plots())
    out, meta = contamination_of_plots(res.plots, _samples(), lang="en")
    assert out["samples_n"].tolist() == [2, 1, 0, 0, 1, 1]
    assert out["contamination_class"].tolist() == [2, 1, 0, 0, 3, 1]
    assert out["sample_standard"].tolist()[:2] == ["GB 36600-2018"] * 2
    assert out["sample_standard"].iat[4] == "GB 15618-2018"
    assert out["contamination_over"].iat[0] == "Arsenic"
    gate = out["contamination_gate"].tolist()
    assert gate[0] == "" and gate[3] == "" and gate[4] == ""  # polluted, mine, strict
    assert "screening" in gate[1]  # clean construction land: not a polluted plot
    assert "no sample" in gate[2]  # unsampled construction land: unknown, not guessed
    assert "class" in gate[5]  # priority-protection farmland: no trees
    assert meta["samples_in_no_plot"] == 1 and meta["gated_plots"] == 3
    assert "single-source" in meta["gb36600"]["single_source"]
    f, summary, *_ = allocate_plots(out, sink_t_co2_ha_yr=15.0, id_field="plot_id", lang="en")
    use = dict(zip(f["plot_id"], f["use"], strict=True))
    assert use["A"] == "pv" and use["D"] == "pv" and use["E"] == "trees"
    assert use["B"] == use["C"] == use["F"] == "risk_control_only"
    reason = dict(zip(f["plot_id"], f["use_reason"], strict=True))
    assert "screening" in reason["B"] and "no sample" in reason["C"]
    assert "PV: no yield" not in reason["B"]


def test_farmland_classes_widen_and_join_by_id():
    res = _assessed(_plots())
    table = pd.DataFrame(_samples().drop(columns="geometry"))
    out, meta = contamination_of_plots(
        res.plots, table, plot_field="plot", id_field="plot_id", farmland_classes=(1, 2, 3)
    )
    assert out["contamination_class"].tolist() == [2, 1, 0, 0, 3, 1]
    assert out["contamination_gate"].iat[5] == ""  # class 1 farmland now allowed trees
    assert meta["samples_in_no_plot"] == 1 and "plot_id" in meta["join"]


def test_refusals():
    res = _assessed(_plots())
    table = pd.DataFrame({"plot": ["A", "Z"], "Arsenic": [1.0, 2.0]})
    with pytest.raises(InputError, match="'Z' names no plot") as e:
        contamination_of_plots(res.plots, table, plot_field="plot", id_field="plot_id")
    assert e.value.row == 2 and e.value.field == "plot"
    with pytest.raises(InputError, match="no locations") as e:
        contamination_of_plots(res.plots, table)
    with pytest.raises(InputError, match="id field"):
        contamination_of_plots(res.plots, table, plot_field="plot")
    lines = gpd.GeoDataFrame(table, geometry=[box(0, 0, 1, 1)] * 2, crs="EPSG:4549")
    with pytest.raises(InputError, match="must be points"):
        contamination_of_plots(res.plots, lines)


def test_undecided_land_use_is_said():
    plots = _plots()
    plots["land_use"] = ["subsidence"] + USES[1:]
    res = _assessed(plots)
    out, _ = contamination_of_plots(res.plots, _samples(), lang="en")
    assert out["contamination_class"].iat[0] == 0 and out["contamination_gate"].iat[0] == ""
    assert "decides no standard" in out["contamination_class_key"].iat[0]
    forced, _ = contamination_of_plots(res.plots, _samples(), standard="gb36600")
    assert forced["contamination_class"].iat[0] == 2


def test_cli_allocate_with_samples(tmp_path):
    from zoning.cli import main

    _plots().to_crs(4326).to_file(tmp_path / "plots.geojson")
    _samples().to_crs(4326).to_file(tmp_path / "samples.geojson")
    out = tmp_path / "out"
    base = ["allocate", "--plots", str(tmp_path / "plots.geojson"), "--clearness", "0.5",
            "--ef-series", "mee_nbs", "--ef-year", "2023", "--sink-rate", "15",
            "--id-field", "plot_id", "--lang", "en", "--tradeoff-steps", "0"]  # fmt: skip
    r = CliRunner().invoke(main, [*base, "--samples", str(tmp_path / "samples.geojson"),
                                  "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["samples"]["gated_plots"] == 3 and s["samples"]["samples_in_no_plot"] == 1
    sel = json.loads((out / "selected.geojson").read_text(encoding="utf-8"))
    props = {f["properties"]["plot_id"]: f["properties"] for f in sel["features"]}
    assert props["A"]["contamination_class"] == 2 and props["A"]["use"] == "pv"
    rej = json.loads((out / "rejected.geojson").read_text(encoding="utf-8"))
    why = {f["properties"]["plot_id"]: f["properties"]["use_reason"] for f in rej["features"]}
    assert "screening" in why["B"] and "no sample" in why["C"]
    bad = CliRunner().invoke(main, [*base, "--samples", str(tmp_path / "samples.geojson"),
                                    "--samples-plot-field", "nope", "--out", str(tmp_path / "b")])  # fmt: skip
    assert bad.exit_code == 2 and "--samples-plot-field" in bad.output
    assert "Traceback" not in bad.output and not (tmp_path / "b").exists()
    assert np.isfinite(s["solver"]["objective"])
