"""Rule files (validation, safety) and the vectorised engine, condition by condition."""

from __future__ import annotations

import textwrap

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from conftest import make_units
from shapely.geometry import Point, box

from zoning.errors import InputError, RuleError
from zoning.rules import evaluate, parse_rules

X0, Y0 = 500000.0, 3300000.0  # make_units origin (EPSG:4549)


def rule_text(
    when: str | None, *, scope: str | None = None, outcome="prohibited", extra: str = "", rid="R1"
) -> str:
    lines = [
        f"  - id: {rid}",
        "    dimension: spatial",
        "    clause: {zh: 条款, en: clause}",
        "    message: {zh: 消息, en: message}",
        f"    outcome: {outcome}",
    ]
    if outcome == "restricted":
        lines.append("    requirement: {zh: 倍量替代, en: 2:1 offset}")
    if scope:
        lines.append(f"    scope: {scope}")
    if when:
        lines.append(f"    when: {when}")
    return "\n".join(lines) + extra


HEADER = """version: 1
layers: {red_line: {}, zones: {where: {grade: first}}}
grids: {pm25: {}, nox: {}}
rules:
"""


def rules_of(*bodies: str):
    return parse_rules(HEADER + "\n".join(bodies), source="test.yaml")


def facilities(crs="EPSG:4549", **cols) -> gpd.GeoDataFrame:
    n = len(next(iter(cols.values())))
    geom = cols.pop("geometry", [Point(X0 + 500, Y0 + 500)] * n)
    return gpd.GeoDataFrame(cols, geometry=list(geom), crs=crs)


def run(rs, fac, units=None, ui=None, **kw):
    units = make_units() if units is None else units
    ui = np.zeros(len(fac), dtype=int) if ui is None else np.asarray(ui)
    return evaluate(fac, rs, units=units, unit_index=ui, **kw)


# ------------------------------------------------------------------ schema and safety


def test_valid_file_parses_with_sections_expanded():
    rs = rules_of(rule_text("{all: [{stage: proposed}, {sector: [C, '2511']}]}"))
    rule = rs.rules[0]
    assert rule.id == "R1" and rule.outcome == "prohibited" and rule.line == 5
    sector = rule.when.items[1]
    assert "13" in sector.prefixes and "43" in sector.prefixes and "44" not in sector.prefixes
    assert rule.facts() == {"stage", "sector"}


def test_every_error_is_reported_with_its_line():
    text = textwrap.dedent("""\
        version: 1
        rules:
          - id: A-1
            dimension: spatail
            clause: {zh: 条款, en: clause}
            message: {zh: 消息}
            outcome: forbidden
            colour: red
            when:
              all:
                - emission: {pollutant: h2s, gt: 0}
                - near: {layer: nowhere, within_m: -5}
                - stage: planned
          - id: A-1
            dimension: risk
            clause: {zh: 条款, en: clause}
            message: {zh: 消息, en: message}
            outcome: restricted
        """)
    with pytest.raises(RuleError) as info:
        parse_rules(text, source="bad.yaml")
    errors = info.value.errors
    found = {(e.line, e.field) for e in errors}
    expected = {
        (4, "rules[0].dimension"),
        (6, "rules[0].message.en"),
        (7, "rules[0].outcome"),
        (8, "rules[0].colour"),
        (11, "rules[0].when.all[0].emission.pollutant"),
        (12, "rules[0].when.all[1].near.within_m"),
        (12, "rules[0].when.all[1].near.layer"),
        (13, "rules[0].when.all[2].stage"),
        (14, "rules[1].id"),
        (14, "rules[1].requirement"),
    }
    assert expected <= found, found
    assert len(errors) == len(expected)
    msg = str(info.value)
    assert "bad.yaml" in msg and "line 11" in msg and "h2s" in msg
    assert "did you mean 'spatial'" in msg  # a fix is given
    assert all(e.fix for e in errors)


@pytest.mark.parametrize(
    "payload",
    [
        "rules: !!python/object/apply:os.system ['touch /tmp/zoning_pwned']",
        "rules:\n  - !!python/name:os.system\n",
        "rules: !!python/object/new:subprocess.Popen [['true']]",
    ],
)
def test_code_in_a_rule_file_is_refused(payload, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleError, match="never runs code"):
        parse_rules(payload, source="evil.yaml")
    assert not (tmp_path / "zoning_pwned").exists()


def test_other_tags_and_aliases_are_refused():
    with pytest.raises(RuleError, match="line 1.*anchors and aliases"):
        parse_rules("a: &x [1]\nrules: *x", source="x.yaml")
    with pytest.raises(RuleError, match="!!binary"):
        parse_rules("rules: !!binary aGVsbG8=", source="x.yaml")


def test_not_yaml_names_the_line():
    with pytest.raises(RuleError, match="line 3.*not valid YAML"):
        parse_rules("rules:\n  - id: a\n   bad: [\n", source="x.yaml")


def test_undeclared_grid_and_unknown_condition():
    text = HEADER + rule_text("{all: [{grid: {name: so2, gt: 1}}, {colour: red}]}")
    with pytest.raises(RuleError) as info:
        parse_rules(text)
    msgs = " ".join(str(e) for e in info.value.errors)
    assert "grid 'so2' is not declared" in msgs and "unknown condition 'colour'" in msgs


def test_overrides_must_name_rules_and_only_on_allowed():
    with pytest.raises(RuleError, match="no rule has the id 'NOPE'"):
        rules_of(rule_text("{stage: proposed}", outcome="allowed", extra="\n    overrides: [NOPE]"))


# ------------------------------------------------------------------ engine: conditions


def test_sector_prefix_and_section_letter():
    rs = rules_of(rule_text("{sector: ['25', D]}"))
    fac = facilities(sector=["2511", "4411", "3011", None, 2511])
    ev = run(rs, fac)
    assert ev.fired[:, 0].tolist() == [True, True, False, False, True]
    assert ev.unknown[:, 0].tolist() == [False, False, False, True, False]


def test_tags_any_all_and_two_high_column():
    rs = rules_of(
        rule_text("{tags: two_high}", rid="A"),
        rule_text("{tags: {all: [vocs, hazardous_chemicals]}}", rid="B"),
    )
    fac = facilities(
        tags=["vocs,hazardous_chemicals", "two_high", "", None, "VOCs"],
        two_high=[False, False, True, None, False],
    )
    ev = run(rs, fac)
    assert ev.fired[:, 0].tolist() == [False, True, True, False, False]
    assert ev.unknown[:, 0].tolist() == [False, False, False, True, False]
    assert ev.fired[:, 1].tolist() == [True, False, False, False, False]


def test_stage_with_chinese_spellings():
    rs = rules_of(rule_text("{stage: proposed}"))
    fac = facilities(stage=["proposed", "拟建", "existing", "现有", "planned?"])
    ev = run(rs, fac)
    assert ev.fired[:, 0].tolist() == [True, True, False, False, False]
    assert ev.unknown[:, 0].tolist() == [False, False, False, False, True]


@pytest.mark.parametrize(
    "when, column, values, expected",
    [
        ("{emission: {pollutant: nox, gt: 10}}", "nox_t", [5, 10, 10.5, None], [0, 0, 1, None]),
        ("{emission: {pollutant: vocs, ge: 10, lt: 20}}", "vocs_t", [10, 19, 20, 0], [1, 1, 0, 0]),
        ("{co2: {ge: 10000}}", "co2_t", [9999, 10000, None, 1e6], [0, 1, None, 1]),
        ("{energy: {le: 100}}", "energy_tce", [100, 101, 0, None], [1, 0, 1, None]),
        ("{capacity: {ne: 5}}", "capacity", [5, 6, None, 0], [0, 1, None, 1]),
    ],
)
def test_numeric_comparisons(when, column, values, expected):
    rs = rules_of(rule_text(when))
    ev = run(rs, facilities(**{column: values}))
    got = [None if u else int(f) for f, u in zip(ev.fired[:, 0], ev.unknown[:, 0], strict=True)]
    assert got == expected


def test_capacity_unit_must_match():
    rs = rules_of(rule_text("{capacity: {ge: 300, unit: MW}}"))
    fac = facilities(capacity=[600, 600, 100], capacity_unit=["MW", "t/yr", "mw"])
    ev = run(rs, fac)
    assert ev.fired[:, 0].tolist() == [True, False, False]
    assert ev.unknown[:, 0].tolist() == [False, True, False]


def test_and_or_not_with_unknowns_kleene():
    rs = rules_of(
        rule_text("{all: [{stage: proposed}, {sector: [C]}]}", rid="AND"),
        rule_text("{any: [{stage: proposed}, {sector: [C]}]}", rid="OR"),
        rule_text("{not: {stage: proposed}}", rid="NOT"),
    )
    # stage proposed/existing/missing x sector C/missing
    fac = facilities(
        stage=["proposed", "existing", None, "proposed", "existing"],
        sector=["2614", None, "2614", None, "4411"],
    )
    ev = run(rs, fac)
    assert ev.fired[:, 0].tolist() == [True, False, False, False, False]
    assert ev.unknown[:, 0].tolist() == [False, False, True, True, False]  # existing → false
    assert ev.fired[:, 1].tolist() == [True, False, True, True, False]
    assert ev.unknown[:, 1].tolist() == [False, True, False, False, False]
    assert ev.fired[:, 2].tolist() == [False, True, False, False, True]
    assert ev.unknown[:, 2].tolist() == [False, False, True, False, False]
    assert ev.missing_facts(2, 0) == ["stage"] and ev.missing_facts(3, 0) == ["sector"]


def test_inside_unit_and_footprint_share():
    rs = rules_of(
        rule_text("{inside_unit: true}", rid="IN"),
        rule_text("{footprint_share: {ge: 0.5}}", rid="SH"),
    )
    fac = facilities(stage=["x"] * 3)
    ev = run(rs, fac, ui=[0, 0, -1], share=np.array([1.0, 0.3, 0.0]))
    assert ev.fired[:, 0].tolist() == [True, True, False]  # row 2 has no unit: no scope
    assert ev.fired[:, 1].tolist() == [True, False, False]


def test_near_layer_with_distance_and_filter():
    red = gpd.GeoDataFrame(geometry=[box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)], crs="EPSG:4549")
    zones = gpd.GeoDataFrame(
        {"grade": ["first", "second"]},
        geometry=[
            box(X0 + 600, Y0, X0 + 700, Y0 + 100),
            box(X0 + 800, Y0 + 800, X0 + 900, Y0 + 900),
        ],
        crs="EPSG:4549",
    )
    rs = rules_of(
        rule_text("{near: {layer: red_line, within_m: 0}}", rid="IN"),
        rule_text("{near: {layer: red_line, within_m: 100}}", rid="NEAR"),
        rule_text("{near: {layer: zones, within_m: 0}}", rid="FIRST"),
    )
    pts = [
        Point(X0 + 150, Y0 + 150),
        Point(X0 + 250, Y0 + 150),
        Point(X0 + 350, Y0 + 150),
        Point(X0 + 650, Y0 + 50),
        Point(X0 + 850, Y0 + 850),
    ]
    ev = run(
        rs,
        facilities(geometry=pts, stage=["x"] * 5),
        layers={"red_line": red.to_crs("EPSG:4490"), "zones": zones},
    )
    assert ev.fired[:, 0].tolist() == [True, False, False, False, False]
    assert ev.fired[:, 1].tolist() == [True, True, False, False, False]
    assert ev.fired[:, 2].tolist() == [False, False, False, True, False]  # second grade filtered


def test_near_a_unit_class():
    units = make_units()  # class 1 unit at [X0, X0+1000] x [Y0, Y0+1000]
    rs = rules_of(rule_text("{near: {unit_class: priority, within_m: 300}}"))
    pts = [Point(X0 + 1200, Y0 + 500), Point(X0 + 1400, Y0 + 500)]
    ev = run(rs, facilities(geometry=pts, stage=["x"] * 2), units=units, ui=[1, 1])
    assert ev.fired[:, 0].tolist() == [True, False]


def test_missing_layer_is_an_error_or_unknown():
    rs = rules_of(rule_text("{near: {layer: red_line, within_m: 0}}"))
    fac = facilities(stage=["x"])
    with pytest.raises(InputError, match="layer 'red_line'"):
        run(rs, fac)
    ev = run(rs, fac, missing="unknown")
    assert ev.unknown[0, 0] and not ev.fired[0, 0]
    assert ev.missing_facts(0, 0) == ["layer:red_line"]


def grid_2x3(values):
    # 1 km cells over the 3 x 2 km units, row 0 at the top
    return (np.array(values, dtype=float), Affine(1000, 0, X0, 0, -1000, Y0 + 2000), "EPSG:4549")


def test_grid_at_site_and_over_unit():
    units = make_units()
    grids = {
        "pm25": grid_2x3([[30, 40, np.nan], [36, 20, 50]]),
        "nox": grid_2x3([[1, 2, 3], [4, 5, 6]]),
    }
    rs = rules_of(
        rule_text("{grid: {name: pm25, at: site, gt: 35}}", rid="SITE"),
        rule_text("{grid: {name: nox, at: unit_sum, ge: 5}}", rid="SUM"),
        rule_text("{grid: {name: pm25, at: unit_mean, gt: 35}}", rid="MEAN"),
    )
    # points in the bottom-left (unit 0), bottom-middle (unit 1), top-right (unit 5) cells
    pts = [
        Point(X0 + 500, Y0 + 500),
        Point(X0 + 1500, Y0 + 500),
        Point(X0 + 2500, Y0 + 1500),
        Point(X0 - 500, Y0 + 500),
    ]
    lonlat = gpd.GeoSeries(pts, crs="EPSG:4549").to_crs("EPSG:4490")
    fac = facilities(geometry=lonlat, stage=["x"] * 4, crs="EPSG:4490")
    ev = run(rs, fac, units=units, ui=[0, 1, 5, 0], grids=grids)
    assert ev.fired[:, 0].tolist() == [True, False, False, False]
    assert ev.unknown[:, 0].tolist() == [False, False, True, True]  # nodata, outside grid
    assert ev.fired[:, 1].tolist() == [False, True, False, False]  # unit sums 4, 5, 3, 4
    assert ev.fired[:, 2].tolist() == [True, False, False, True]


# ------------------------------------------------------------------ engine: scope, outcomes


@pytest.mark.parametrize(
    "scope, expected",
    [
        ("{unit_class: [1, general]}", [True, False, True, True, False, True]),
        ("{element: 大气}", [False, True, False, False, True, False]),
        ("{unit_code: [ZH33990120002]}", [False, True, False, False, False, False]),
        ("{unit_code_prefix: [ZH3399011]}", [True, False, False, True, False, False]),
        ("{admin_prefix: ['3399']}", [True] * 6),
        ("{admin_prefix: ['4406']}", [False] * 6),
        ("{subtype: [none_here]}", [False] * 6),
    ],
)
def test_scope(scope, expected):
    rs = rules_of(rule_text(None, scope=scope))
    ev = run(rs, facilities(stage=["x"] * 6), ui=np.arange(6))
    assert ev.fired[:, 0].tolist() == expected


def test_outcomes_and_overrides():
    rs = rules_of(
        rule_text("{sector: [C]}", rid="BAN"),
        rule_text("{emission: {pollutant: nox, gt: 0}}", rid="OFFSET", outcome="restricted"),
        rule_text(
            "{sector: ['2511']}", rid="EXEMPT", outcome="allowed", extra="\n    overrides: [BAN]"
        ),
    )
    fac = facilities(sector=["2614", "2511", "4411", "4411"], nox_t=[0, 0, 3, 0])
    ev = run(rs, fac)
    assert ev.status().tolist() == ["conflict", "ok", "restricted", "ok"]
    assert ev.fired[1].tolist() == [False, False, True]


def test_no_loop_per_facility_scales():
    """100,000 facilities evaluate in well under a second per rule (vectorised)."""
    import time

    rng = np.random.default_rng(0)
    n = 100_000
    fac = gpd.GeoDataFrame(
        {
            "stage": rng.choice(["existing", "proposed"], n),
            "sector": rng.choice(["2511", "3011", "4411", "0313"], n),
            "nox_t": rng.random(n) * 20,
            "tags": rng.choice(["", "two_high", "vocs"], n),
        },
        geometry=gpd.points_from_xy(X0 + rng.random(n) * 3000, Y0 + rng.random(n) * 2000),
        crs="EPSG:4549",
    )
    rs = rules_of(
        rule_text(
            "{all: [{stage: proposed}, {sector: [C]}, {tags: two_high}, "
            "{emission: {pollutant: nox, gt: 10}}]}"
        )
    )
    t = time.perf_counter()
    ev = run(rs, fac, ui=rng.integers(0, 6, n))
    assert time.perf_counter() - t < 2.0
    expect = (
        (fac.stage == "proposed")
        & fac.sector.isin(["2511", "3011"])
        & (fac.tags == "two_high")
        & (fac.nox_t > 10)
    ).to_numpy()
    np.testing.assert_array_equal(ev.fired[:, 0], expect)


def test_a_project_footprint_is_evaluated_per_unit_it_touches():
    """Screening (issue 4) pattern: footprint_shares rows → evaluate → needs-information."""
    from zoning.overlay import footprint_shares

    units = make_units()
    project = gpd.GeoDataFrame(
        {"stage": ["proposed"], "sector": ["2614"]},  # no nox_t: that fact is missing
        geometry=[box(X0 + 700, Y0 + 200, X0 + 1100, Y0 + 600)],
        crs="EPSG:4549",
    )
    rs = rules_of(
        rule_text(
            "{all: [{stage: proposed}, {sector: [C]}, {footprint_share: {gt: 0.5}}]}",
            scope="{unit_class: 1}",
            rid="MOSTLY-IN-PRIORITY",
        ),
        rule_text(
            "{emission: {pollutant: nox, gt: 0}}",
            scope="{unit_class: 2}",
            outcome="restricted",
            rid="OFFSET",
        ),
    )
    pairs = footprint_shares(units, project)
    assert pairs["unit"].tolist() == [0, 1]
    np.testing.assert_allclose(pairs["share"], [0.75, 0.25], atol=1e-3)
    rows = project.iloc[pairs["subject"].to_numpy()].reset_index(drop=True)
    ev = run(rs, rows, units=units, ui=pairs["unit"].to_numpy(), share=pairs["share"].to_numpy())
    assert ev.fired.tolist() == [[True, False], [False, False]]
    assert ev.unknown.tolist() == [[False, False], [False, True]]  # needs information
    assert ev.missing_facts(1, 1) == ["nox_t"]


def test_missing_facts_name_only_what_is_missing():
    """A costly condition skipped because the row was already decided is not 'missing'."""
    red = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 10, Y0 + 10)], crs="EPSG:4549")
    rs = rules_of(
        rule_text(
            "{all: [{any: [{stage: proposed}, {near: {layer: red_line, within_m: 0}}]}, "
            "{sector: [C]}]}"
        )
    )
    fac = facilities(stage=["proposed", "existing"], sector=[None, None])
    ev = run(rs, fac, layers={"red_line": red})
    assert ev.unknown[:, 0].tolist() == [True, False]  # row 1: not near and not proposed
    assert ev.missing_facts(0, 0) == ["sector"]


def test_two_high_read_back_as_floats_is_known():
    # a GeoPackage integer column with a null reads back as 1.0 / 0.0 / NaN
    from zoning.rules.engine import _truthy

    assert [_truthy(v) for v in (1.0, 0.0, 1, 0, True, "是", "否")] == [
        True,
        False,
        True,
        False,
        True,
        True,
        False,
    ]
    assert _truthy(float("nan")) is None
