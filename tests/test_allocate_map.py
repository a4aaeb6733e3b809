"""The allocation and PV maps show the layers the run used beneath the plots: exclusion
layers, the grid and roads the distances were measured to, the control units."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from click.testing import CliRunner
from conftest import make_units
from shapely.geometry import LineString, Point, box

from zoning.errors import InputError
from zoning.export.allocate import write_pv
from zoning.pv import assess_pv, grid_factor

X0, Y0, CRS = 500_000.0, 3_300_000.0, "EPSG:4549"


def _frame(geoms, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS)


def _plots() -> gpd.GeoDataFrame:
    geoms = [box(X0 + i * 1000, Y0, X0 + i * 1000 + 400, Y0 + 400) for i in range(3)]
    return _frame(geoms, plot_id=["A", "B", "C"], land_use=["mine", "construction", "unused"])


def _layers() -> dict:
    """A red line over plot C, a zone 50 km away, a substation near and one 100 km away,
    a road along the plots."""
    return {
        "exclusions": {
            "red_line": _frame([box(X0 + 2100, Y0 - 100, X0 + 2600, Y0 + 600)], name=["红线 1"]),
            "far_zone": _frame([box(X0 + 50_000, Y0, X0 + 51_000, Y0 + 1000)]),
        },
        "grid": _frame([Point(X0 + 500, Y0 - 500), Point(X0 + 100_000, Y0)], name=["S1", "S9"]),
        "roads": _frame([LineString([(X0 - 200, Y0 - 100), (X0 + 2600, Y0 - 100)])]),
    }


def _assessed(with_layers: bool = True):
    kw = {"clearness": 0.5, "emission_factor": grid_factor("mee_nbs", 2023)}
    if with_layers:
        layers = _layers()
        kw |= {k: layers[k] for k in ("exclusions", "grid", "roads")}
        kw |= {"max_grid_distance_m": 5000.0, "max_road_distance_m": 2000.0}
    return assess_pv(_plots(), lang="en", **kw)


def _units() -> gpd.GeoDataFrame:
    return make_units(4, 2, x0=X0 - 500, y0=Y0 - 500)


def _allocation_map(out, *, context: bool):
    from zoning.products.allocate import allocate_and_write

    res = _assessed(with_layers=context)
    written = allocate_and_write(
        res,
        out,
        lang="en",
        sink_rate=10.0,
        budget=("total:area_ha=100",),
        id_field="plot_id",
        tradeoff_steps=0,
        units=_units() if context else None,
    )
    return written["map.html"]


def test_assess_pv_keeps_the_layers_it_was_given():
    res = _assessed()
    assert set(res.layers) == {"exclusions", "grid", "roads"}
    assert set(res.layers["exclusions"]) == {"red_line", "far_zone"}
    assert res.plots.set_index("plot_id").loc["C", "pv_status"] == "rejected"
    assert _assessed(with_layers=False).layers == {}
    only_grid = assess_pv(_plots(), grid=_layers()["grid"])
    assert set(only_grid.layers) == {"grid"}


def test_writer_draws_each_context_layer_near_the_plots(tmp_path):
    res = _assessed()
    out = tmp_path / "pv"
    write_pv(res.plots, res.meta, out, lang="en", context={**res.layers, "units": _units()})
    page = (out / "map.html").read_text(encoding="utf-8")
    # layer switcher names: counts drawn / given (what lies far from the plots is left out)
    for name in ("ecological red line (1)", "far_zone (0/1)", "grid (1/2)", "roads (1)"):
        assert f'"{name}"' in page, name
    assert "Priority protection (" in page  # the control units, by class
    # the legend says what each layer is and against which limit it was checked
    for text in (
        "Context layers (used by this run)",
        "excluded: ecological red line (red_line)",
        "excluded: far_zone; 0 of 1 within",
        "grid · distance limit 5,000 m; 1 of 2 within",
        "roads · distance limit 2,000 m",
    ):
        assert text in page, text
    assert '"S9"' not in page and '"S1"' in page  # the far substation is not drawn


def test_writer_without_context_draws_the_plots_alone(tmp_path):
    res = _assessed(with_layers=False)
    write_pv(res.plots, res.meta, tmp_path / "a", lang="en")
    write_pv(res.plots, res.meta, tmp_path / "b", lang="en", context=res.layers)
    for sub in ("a", "b"):
        page = (tmp_path / sub / "map.html").read_text(encoding="utf-8")
        assert "Context layers" not in page and "Control units" not in page
        assert '"grid (' not in page and '"roads (' not in page and "excluded" not in page


def test_writer_labels_in_chinese_and_splits_mixed_geometry(tmp_path):
    res = _assessed()
    mixed = _frame([Point(X0 + 200, Y0 + 200), box(X0, Y0, X0 + 100, Y0 + 100), None])
    ctx = {**res.layers, "exclusions": {"red_line": res.layers["exclusions"]["red_line"]}}
    ctx["exclusions"]["mines"] = mixed
    write_pv(res.plots, res.meta, tmp_path / "zh", lang="zh", context=ctx)
    page = (tmp_path / "zh" / "map.html").read_text(encoding="utf-8")
    for text in ("排除：生态保护红线 (red_line)", "电网设施 · 距离上限 5,000 m"):
        assert text in page, text
    # layer switcher names are JSON (ASCII-escaped): one layer per kind of geometry; a
    # feature without geometry is not counted as one left out
    names = [json.dumps(n) for n in ("生态保护红线 (1)", "mines · 面 (1)", "mines · 点 (1)")]
    assert all(n in page for n in names), names
    assert "排除：mines · 面" in page and "排除：mines · 点" in page


def test_writer_names_each_layer_once(tmp_path):
    res = _assessed()
    ctx = {"exclusions": {"grid": res.layers["exclusions"]["red_line"]}}
    ctx["grid"] = res.layers["grid"].iloc[:1]
    write_pv(res.plots, res.meta, tmp_path / "o", lang="en", context=ctx)
    page = (tmp_path / "o" / "map.html").read_text(encoding="utf-8")
    # an exclusion layer named like the grid layer: the second says what it is
    names = [json.dumps(n) for n in ("grid (1)", "grid · distance limit 5,000 m (1)")]
    assert all(n in page for n in names), names


@pytest.mark.parametrize(
    ("context", "match"),
    [
        ({"substations": None}, r"`context` has the key\(s\) \['substations'\]"),
        ({"grid": "sub.gpkg"}, r"`context` grid is not a GeoDataFrame"),
        (
            {"exclusions": {"red_line": gpd.GeoDataFrame(geometry=[Point(0, 0)])}},
            r"`context` exclusions\['red_line'\] is not a GeoDataFrame with a CRS",
        ),
    ],
)
def test_writer_refuses_a_bad_context_and_writes_nothing(tmp_path, context, match):
    res = _assessed(with_layers=False)
    with pytest.raises(InputError, match=match):
        write_pv(res.plots, res.meta, tmp_path / "out", context=context)
    assert not (tmp_path / "out").exists()


def test_cli_pv_units_drawn_and_unit_options_need_units(tmp_path):
    from zoning.cli import main

    _plots().to_crs(4326).to_file(tmp_path / "plots.geojson")
    _units().to_file(tmp_path / "units.gpkg")
    _layers()["roads"].to_file(tmp_path / "roads.geojson")
    out = tmp_path / "pv"
    base = ["pv", "--plots", str(tmp_path / "plots.geojson"), "--lang", "en"]
    r = CliRunner().invoke(main, [*base, "--units-layer", "units", "--out", str(out)])
    assert r.exit_code == 2 and "without --units" in r.output and "Traceback" not in r.output
    assert not out.exists()
    args = ["--units", str(tmp_path / "units.gpkg"), "--roads", str(tmp_path / "roads.geojson")]
    r = CliRunner().invoke(main, [*base, *args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "Priority protection (" in page and '"roads (1)"' in page
    assert "roads · distance measured" in page  # no limit was given
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["counts"]


#: Every overlay of the layer switcher: name, on, features, features drawn in its pane,
#: the pane's z-index.
OVERLAYS = """() => {
  const groups = {}; let map = null;
  for (const k of Object.keys(window)) { const v = window[k];
    if (v instanceof L.FeatureGroup) { groups[L.stamp(v)] = v; }
    if (v instanceof L.Map) { map = v; } }
  return [...document.querySelectorAll('.leaflet-control-layers-overlays label')].map(l => {
    const input = l.querySelector('input'), g = groups[input.layerId];
    const parts = g ? g.getLayers() : [];
    const pane = parts.length ? parts[0].options.pane : null;
    const el = pane ? map.getPane(pane) : null;
    return {name: l.innerText.trim(), on: input.checked, n: parts.length,
            drawn: el ? el.querySelectorAll('path').length : 0,
            z: el ? +el.style.zIndex : null};
  });
}"""


@pytest.mark.browser
def test_allocation_map_context_overlays_in_the_browser(tmp_path, browser):
    page = browser.open(_allocation_map(tmp_path / "ctx", context=True))
    assert page.console_errors == []
    assert all(u.startswith(("file:", "data:", "about:")) for u in page.requests)
    layers = {o["name"]: o for o in page.evaluate(OVERLAYS)}
    context = ["ecological red line (1)", "far_zone (0/1)", "roads (1)", "grid (1/2)"]
    units = [n for n in layers if n.startswith(("Priority", "Key", "General"))]
    assert set(context) <= set(layers) and len(units) == 3 and "Use" in layers
    for name in context[:1] + context[2:] + units:  # drawn, each feature a path
        assert layers[name]["on"] and layers[name]["n"] >= 1, name
        assert layers[name]["drawn"] == layers[name]["n"], name
    assert layers["far_zone (0/1)"]["n"] == 0
    plots = layers["Use"]
    assert plots["drawn"] == 3
    assert all(o["z"] < plots["z"] for n, o in layers.items() if n != "Use" and o["z"])
    legend = page.inner_text("#zoning-legend")
    assert "Context layers (used by this run)" in legend
    assert "excluded: ecological red line (red_line)" in legend
    assert "grid · distance limit 5,000 m" in legend and "Control units" in legend
    # switching the red line off hides it and its legend row
    page.evaluate("""() => [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
        .find(l => l.innerText.includes('ecological red line')).querySelector('input').click()""")
    assert "excluded: ecological red line" not in page.inner_text("#zoning-legend")
    assert "roads · distance limit" in page.inner_text("#zoning-legend")
    page.context.close()

    page = browser.open(_allocation_map(tmp_path / "none", context=False))
    assert page.console_errors == []
    layers = page.evaluate(OVERLAYS)
    assert [o["name"] for o in layers] == ["Use"] and layers[0]["drawn"] == 3
    legend = page.inner_text("#zoning-legend")
    assert "Context layers" not in legend and "Control units" not in legend
    page.context.close()


def test_demo_allocation_map_shows_what_the_run_used(tmp_path):
    from zoning.products.allocate import demo_step

    page = demo_step(tmp_path, lang="en")["map.html"].read_text(encoding="utf-8")
    for name in ("ecological red line (1/3)", "roads (1)", "grid (1)", "Priority protection ("):
        assert name in page, name
    assert "excluded: ecological red line (red_line); 1 of 3 within" in page
