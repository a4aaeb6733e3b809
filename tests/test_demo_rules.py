"""The bundled rule set gives every demo project and planted facility its intended result.

The intentions are those of data/README.md ("Planted cases"); a change to data/rules.yaml
that moves a verdict must change the README (and this table) with a reason.
"""

from __future__ import annotations

import geopandas as gpd
import pytest

from zoning.conflicts import conflicts
from zoning.datasets import demo_path
from zoning.io.facilities import read_facilities
from zoning.io.raster import read_grid
from zoning.io.rulefile import read_rules
from zoning.io.vector import read_units, read_vector
from zoning.screen import screen

INTENDED = {
    "P001": "allowed",  # electronics in the park: no VOCs key industry, SO2/NOx < 1 t/yr
    "P002": "allowed",  # grain centre in a general unit
    "P003": "prohibited",  # quarry in the red line (ECO-01)
    "P004": "prohibited",  # chemical plant in a first-grade water zone (WAT-01, RSK-01)
    "P005": "prohibited",  # electroplating in a second-grade zone (WAT-02)
    "P006": "restricted",  # two-high steel in the metallurgy park: offsets, energy (EMI-01, RES-01)
    "P007": "prohibited",  # two-high cement where PM2.5 > 35 ug/m3 (AIR-01)
    "P008": "restricted",  # coating plant straddling park and air unit: VOCs offsets (EMI-02)
    "P009": "prohibited",  # gas pipeline enters a first-grade water zone (WAT-01B)
    "P010": "restricted",  # road through the red line: unavoidability, compensation (LIN-01)
    "P011": "needs-information",  # chemicals expansion with every emission null
    "P012": "needs-information",  # sector null: GEN-01 undecided
    "P013": "allowed",  # PV on contaminated farmland (encouraged by the unit's text)
    "P014": "allowed",  # afforestation of contaminated farmland
    "P015": "prohibited",  # coal power outside a park (GEN-01, 4411)
    "P016": "restricted",  # pharmaceuticals in the new materials park: VOCs offsets (EMI-02)
    "P017": "restricted",  # pig farm in a quasi-protection zone (WAT-04)
    "P018": "allowed",  # chip capacitors in the park: clean assembly
    "P019": "allowed",  # 220 kV line outside the red line and water zones
    "P020": "prohibited",  # lead battery recycling in a soil-risk unit (SOIL-02)
    "P021": "restricted",  # dyeing in the development zone: SO2/NOx and VOCs offsets
    "P022": "allowed",  # data centre: no emissions, not two-high (RES-01 does not apply)
    "P023": "prohibited",  # chemical plant in priority farmland (SOIL-01)
    "P024": "allowed",  # wastewater plant expansion in a general unit
    "P025": "prohibited",  # sewage outfall in a second-grade zone (WAT-05)
    "P026": "prohibited",  # two-high refinery outside a park (GEN-01, 25)
}

#: Planted facilities (data/README.md): status and a rule that must be among the reasons.
PLANTED = {
    "F01225": ("conflict", "ECO-02"),  # quarry in the red line
    "F01226": ("conflict", "ECO-01"),  # chemical plant in the red line
    "F01227": ("conflict", "ECO-02"),  # metal workshop in the red line
    "F01228": ("conflict", "WAT-01"),  # electroplating in a first-grade zone
    "F01229": ("conflict", "WAT-02"),  # dyeing mill in a second-grade zone
    "F01230": ("conflict", "WAT-02"),  # pig farm in a second-grade zone
    "F01231": ("conflict", "WAT-03"),  # paper mill in a quasi zone
    "F01232": ("conflict", "AIR-01"),  # two-high cement, PM2.5 above the standard
    "F01233": ("conflict", "AIR-01"),  # two-high chemical plant, PM2.5 above the standard
    "F01234": ("restricted", "EMI-02"),  # VOCs source in the metallurgy park: 2:1 offsets
    "F01235": ("restricted", "EMI-02"),  # coating line in the development zone: offsets
    "F01236": ("conflict", "URB-01"),  # plastics (VOCs) plant in the county town
    "F01237": ("conflict", "SOIL-02"),  # heavy-metal plant in a soil-risk unit
    "F01238": ("conflict", "SOIL-01"),  # smelter in priority farmland
    "F01239": ("conflict", "AIR-02"),  # brick kiln in a weak-diffusion unit
}


@pytest.fixture(scope="module")
def demo():
    water = read_vector(demo_path("water_protection.gpkg"))
    layers = {
        "red_line": read_vector(demo_path("red_line.gpkg")),
        "water_first": water,
        "water_second": water,
        "water_quasi": water,
    }
    return {
        "rules": read_rules(demo_path("rules.yaml")),
        "units": read_units(demo_path("units.gpkg")),
        "layers": layers,
        "grids": {"pm25_conc": read_grid(demo_path("grids/pm25_conc.tif"))},
    }


def test_projects_get_their_intended_verdicts(demo):
    projects = gpd.read_file(demo_path("projects.geojson"))
    result = screen(
        projects, demo["units"], demo["rules"], grids=demo["grids"], layers=demo["layers"]
    )
    got = result.verdicts.to_dict()
    assert set(got) == set(INTENDED)
    wrong = {k: (got[k], v) for k, v in INTENDED.items() if got[k] != v}
    assert not wrong, f"project: (got, intended) {wrong}"


def test_planted_facilities_are_flagged(demo):
    fac = read_facilities(demo_path("facilities.gpkg"))
    res = conflicts(
        demo["units"], fac, demo["rules"], grids=demo["grids"], layers=demo["layers"]
    ).set_index("facility_id")
    for fid, (status, rule) in PLANTED.items():
        assert res.at[fid, "status"] == status, (fid, res.at[fid, "rule_ids"])
        assert rule in res.at[fid, "rule_ids"].split(";"), (fid, res.at[fid, "rule_ids"])
    # the regular population: existing facilities outside protected areas are never flagged
    # by the emission rules, which concern new sources only
    existing = res[res["stage"].astype(str) == "existing"]
    assert not existing["rule_ids"].str.contains("EMI-0").any()
