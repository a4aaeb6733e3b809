"""GB 15618-2018 classes of samples and parcels.

The expected limits below are typed from the standard (Table 1 screening values and
Table 3 intervention values, mg/kg) independently of zoning/data/gb15618_2018.csv.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from zoning.errors import SchemaError
from zoning.soil import PRIORITY, SAFE, STRICT, UNKNOWN, classify_soil

BANDS = [(5.0, 5.5), (5.51, 6.5), (6.51, 7.5), (7.51, 8.5)]  # (just above lower edge, upper)
SCREENING = {  # metal -> land use -> four pH bands
    "Cd": {"paddy": [0.3, 0.4, 0.6, 0.8], "other": [0.3, 0.3, 0.3, 0.6]},
    "Hg": {"paddy": [0.5, 0.5, 0.6, 1.0], "other": [1.3, 1.8, 2.4, 3.4]},
    "As": {"paddy": [30, 30, 25, 20], "other": [40, 40, 30, 25]},
    "Pb": {"paddy": [80, 100, 140, 240], "other": [70, 90, 120, 170]},
    "Cr": {"paddy": [250, 250, 300, 350], "other": [150, 150, 200, 250]},
    "Cu": {"orchard": [150, 150, 200, 200], "other": [50, 50, 100, 100]},
    "Ni": {"paddy": [60, 70, 100, 190], "other": [60, 70, 100, 190]},
    "Zn": {"paddy": [200, 200, 250, 300], "other": [200, 200, 250, 300]},
}
INTERVENTION = {
    "Cd": [1.5, 2.0, 3.0, 4.0],
    "Hg": [2.0, 2.5, 4.0, 6.0],
    "As": [200, 150, 120, 100],
    "Pb": [400, 500, 700, 1000],
    "Cr": [800, 850, 1000, 1300],
}
CRS = "EPSG:4549"


def _samples(rows, crs=CRS):
    base = {"Cd": 0.0, "Hg": 0.0, "As": 0.0, "Pb": 0.0, "Cr": 0.0}
    recs = []
    for i, r in enumerate(rows):
        rec = dict(base)
        rec.update(r)
        rec.setdefault("geometry", Point(500000 + 10 * i, 3300000))
        recs.append(rec)
    return gpd.GeoDataFrame(recs, crs=crs)


def _edge_cases():
    """Every metal x land use x pH band: at and just above each limit, at both pH edges."""
    cases = []
    for metal, by_land in SCREENING.items():
        for land, values in by_land.items():
            for b, (ph_low, ph_high) in enumerate(BANDS):
                s = values[b]
                i = INTERVENTION.get(metal, [None] * 4)[b]
                for ph in (ph_low, ph_high):
                    cases.append((metal, land, ph, s, PRIORITY))
                    cases.append((metal, land, ph, s * 1.0001, SAFE))
                    if i is not None:
                        cases.append((metal, land, ph, i, SAFE))
                        cases.append((metal, land, ph, i * 1.0001, STRICT))
                    else:
                        cases.append((metal, land, ph, s * 100, SAFE))
    return cases


def test_every_band_edge_of_every_metal():
    cases = _edge_cases()
    rows = [{"pH": ph, "land_use": land, metal: v} for metal, land, ph, v, _ in cases]
    result = classify_soil(_samples(rows)).samples
    got = result["soil_class"].to_numpy()
    want = np.array([c[-1] for c in cases])
    wrong = [(cases[k], int(got[k])) for k in np.flatnonzero(got != want)]
    assert not wrong, wrong[:10]
    assert len(cases) > 400


def test_ph_edges_pick_the_band():
    # Cd paddy: 0.4 is above band 0 (0.3) but at band 1 (0.4)
    res = classify_soil(
        _samples(
            [
                {"pH": 5.5, "Cd": 0.4, "land_use": "水田"},
                {"pH": 5.50001, "Cd": 0.4, "land_use": "水田"},
            ]
        )
    ).samples
    assert res["soil_class"].tolist() == [SAFE, PRIORITY]
    assert res["ph_band"].tolist() == [0, 1]
    assert res["exceeds_screening"].tolist() == ["Cd", ""]


def test_rotation_takes_paddy_values_and_orchard_only_changes_cu():
    rows = [
        {"pH": 6.0, "Cd": 0.35, "land_use": "水旱轮作"},  # paddy 0.4 -> priority
        {"pH": 6.0, "Cd": 0.35, "land_use": "other"},  # other 0.3 -> safe
        {"pH": 6.0, "Cd": 0.35, "land_use": "果园"},  # orchard: Cd uses other
        {"pH": 6.0, "Cu": 100, "land_use": "orchard"},  # orchard Cu 150 -> priority
        {"pH": 6.0, "Cu": 100, "land_use": "other"},
    ]  # other Cu 50 -> safe
    res = classify_soil(_samples(rows)).samples
    assert res["soil_class"].tolist() == [PRIORITY, SAFE, SAFE, PRIORITY, SAFE]


def test_worst_metal_and_missing_values():
    rows = [{"pH": 7.0, "Cd": 3.5, "Pb": 150, "Hg": np.nan}]
    res = classify_soil(_samples(rows)).samples.iloc[0]
    assert res["soil_class"] == STRICT
    assert res["exceeds_screening"] == "Cd,Pb"
    assert res["exceeds_intervention"] == "Cd"
    assert res["max_ratio_metal"] == "Cd"
    assert res["max_ratio_screening"] == pytest.approx(3.5 / 0.6, rel=1e-3)


def test_bad_rows_are_all_listed():
    rows = [{"pH": 15}, {"pH": 6, "Cd": -1}, {"pH": 6, "land_use": "forest"}]
    with pytest.raises(SchemaError, match=r"3 problem.*pH '15'.*Cd '-1.*'forest'"):
        classify_soil(_samples(rows))


def test_missing_metal_column_names_it():
    s = _samples([{"pH": 6}]).drop(columns=["Hg"])
    with pytest.raises(SchemaError, match=r"\['Hg'\]"):
        classify_soil(s)


@pytest.fixture
def parcels():
    x0, y0 = 500000, 3300000
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["a", "b", "c", "d"],
            "land_use": ["paddy", "paddy", "paddy", "other"],
            "geometry": [
                box(x0, y0, x0 + 100, y0 + 100),
                box(x0 + 100, y0, x0 + 200, y0 + 100),
                box(x0 + 300, y0, x0 + 400, y0 + 100),
                box(x0 + 50000, y0, x0 + 50100, y0 + 100),
            ],
        },
        crs=CRS,
    )


def test_parcels_from_samples_inside_and_idw(parcels):
    x0, y0 = 500000, 3300000
    samples = _samples(
        [
            {"pH": 6.0, "Cd": 0.2, "geometry": Point(x0 + 20, y0 + 50)},  # in a: priority
            {"pH": 6.0, "Cd": 2.5, "geometry": Point(x0 + 80, y0 + 50)},  # in a: strict
            {"pH": 6.0, "Cd": 0.5, "geometry": Point(x0 + 150, y0 + 50)},  # in b: safe
        ]
    )
    res = classify_soil(samples, parcels, max_distance_m=1000).parcels
    by = res.set_index("parcel_id")
    assert by.loc["a", "soil_class"] == STRICT and by.loc["a", "n_samples"] == 2
    assert by.loc["b", "soil_class"] == SAFE and by.loc["b", "class_method"] == "samples"
    # c has no sample: IDW of the three samples; nearest is the one in b at 200 m
    assert by.loc["c", "class_method"] == "idw"
    assert by.loc["c", "idw_n"] == 3
    assert by.loc["c", "idw_nearest_m"] == pytest.approx(200.0)
    assert by.loc["c", "idw_farthest_m"] == pytest.approx(330.0)
    w = np.array([1 / 330**2, 1 / 270**2, 1 / 200**2])
    cd = (w * [0.2, 2.5, 0.5]).sum() / w.sum()
    assert 0.4 < cd < 1.5  # so safe utilisation under paddy pH 6 (screening 0.4)
    assert by.loc["c", "soil_class"] == SAFE
    # d is 50 km away: no sample in reach
    assert by.loc["d", "class_method"] == "none"
    assert by.loc["d", "soil_class"] == UNKNOWN
    assert np.isnan(by.loc["d", "idw_nearest_m"])
    assert len(res) == len(parcels)


def test_parcels_in_degrees_are_measured_in_metres(parcels):
    x0, y0 = 500000, 3300000
    samples = _samples([{"pH": 6.0, "Cd": 2.5, "geometry": Point(x0 + 150, y0 + 50)}])
    res = classify_soil(
        samples.to_crs("EPSG:4490"), parcels.to_crs("EPSG:4490"), max_distance_m=1000
    ).parcels.set_index("parcel_id")
    assert res.loc["c", "idw_nearest_m"] == pytest.approx(200.0, abs=1.0)
    assert res.loc["c", "soil_class"] == STRICT


def test_rows_without_geometry_are_kept_not_a_crash():
    import geopandas as gpd
    from shapely.geometry import Point, box

    from zoning.soil import classify_soil

    metals = {"cd": [0.1, 5.0, 0.2], "hg": [0.1] * 3, "as": [5] * 3, "pb": [20] * 3, "cr": [50] * 3}
    samples = gpd.GeoDataFrame(
        {"sample_id": ["s1", "s2", "s3"], **metals, "ph": [6.0] * 3, "land_use": ["paddy"] * 3},
        geometry=[Point(500050, 3300050), None, Point(500500, 3300500)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2", "p3"], "land_use": ["paddy"] * 3},
        geometry=[
            box(500000, 3300000, 500100, 3300100),
            None,
            box(500300, 3300300, 500400, 3300400),
        ],
        crs="EPSG:4549",
    )
    res = classify_soil(samples, parcels)
    assert list(res.parcels["parcel_id"]) == ["p1", "p2", "p3"]
    assert list(res.parcels["class_method"]) == ["samples", "none", "idw"]
