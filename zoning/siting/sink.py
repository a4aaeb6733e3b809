"""The carbon sink of patches: IPCC Tier 1 removal factors by ecological zone.

Removal rate (t CO2/ha/yr) = above-ground growth G (t d.m./ha/yr) x (1 + root-to-shoot
ratio R) x carbon fraction CF x 44/12, from ``zoning/data/ipcc_tier1_china.csv`` by
ecological zone (:func:`removal_factors`; one zone, or one per patch from a zone layer:
:func:`assign_ecozones`) and species group, each factor with its table and verification
level, or a user rate; sink per year and over a horizon (:func:`estimate_sink`).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.errors import InputError, SchemaError
from zoning.siting.candidates import _metric_crs

log = logging.getLogger(__name__)

CO2_PER_C = 44.0 / 12.0

#: Ecological zones (FAO GEZ, as IPCC 2006/2019 Vol. 4 Ch. 4 name them) that occur in
#: China: key -> (domain, Chinese, English).
ECOZONES: dict[str, tuple[str, str, str]] = {
    "tropical_rainforest": ("tropical", "热带雨林", "tropical rainforest"),
    "tropical_moist": ("tropical", "热带湿润（落叶）林", "tropical moist (deciduous) forest"),
    "tropical_dry": ("tropical", "热带干旱林", "tropical dry forest"),
    "tropical_shrubland": ("tropical", "热带灌丛", "tropical shrubland"),
    "tropical_mountain": ("tropical", "热带山地", "tropical mountain systems"),
    "subtropical_humid": ("subtropical", "亚热带湿润林", "subtropical humid forest"),
    "subtropical_dry": ("subtropical", "亚热带干旱林", "subtropical dry forest"),
    "subtropical_steppe": ("subtropical", "亚热带草原", "subtropical steppe"),
    "subtropical_mountain": ("subtropical", "亚热带山地", "subtropical mountain systems"),
    "temperate_continental": ("temperate", "温带大陆性林", "temperate continental forest"),
    "temperate_mountain": ("temperate", "温带山地", "temperate mountain systems"),
    "temperate_steppe": ("temperate", "温带草原", "temperate steppe"),
    "temperate_desert": ("temperate", "温带荒漠", "temperate desert"),
    "boreal_coniferous": ("boreal", "寒温带针叶林", "boreal coniferous forest"),
    "boreal_tundra_woodland": ("boreal", "寒温带苔原林地", "boreal tundra woodland"),
    "boreal_mountain": ("boreal", "寒温带山地", "boreal mountain systems"),
}
#: Species groups: ``eucalyptus``; ``other`` (every species but Eucalyptus, where Table
#: 4.10 splits them); ``conifer`` and ``broadleaf`` (non-eucalypt broadleaf), which select
#: Table 4.4's planted rows for temperate Asia and Table 4.3's carbon fraction for
#: temperate and boreal forests.
SPECIES = ("eucalyptus", "other", "conifer", "broadleaf")
_LEVEL = {"yes": 2, "single": 1, "no": 0, "user": 1}


def _rows(table, ecozone, quantity):
    zone = table["ecozone"].str.split(";").apply(lambda z: ecozone in z or "all" in z)
    return table[zone & (table["quantity"] == quantity)]


def _pick_growth(table, ecozone, species):
    rows = _rows(table, ecozone, "agb_growth_t_dm_ha_yr")
    rows = rows[rows["table"].isin(["4.10", "4.12"]) & (rows["edition"] == "2019")]
    if rows.empty:
        return None, []
    notes = []
    types = set(rows["forest_type"])
    if types != {"all"}:
        want = {"eucalyptus": "Eucalyptus sp."}.get(species, "other")
        if species is None:
            raise InputError(
                f"IPCC Table 4.10 splits the plantation growth of {ecozone} by species group "
                f"({sorted(types)}): say which",
                param="species",
                fix="pass `species` eucalyptus or other (conifer/broadleaf count as other)",
            )
        pick = rows[rows["forest_type"] == want]
        if pick.empty:
            raise InputError(
                f"IPCC Table 4.10 has no {want} row for {ecozone}; it has {sorted(types)}",
                param="species",
            )
        rows = pick
    usable = rows[rows["verified"] != "no"]
    if usable.empty:
        raise InputError(
            f"the only Table 4.10 row for {ecozone} / {species} is unverified "
            f"({rows['condition'].iloc[0]})",
            param="species",
            fix="choose another species group or give `growth_t_dm_ha_yr`",
        )
    rows = usable
    if len(rows) > 1:  # age classes: young plantations (<= 20 y)
        young = rows[rows["condition"].str.contains("<= 20 y")]
        if len(young):
            rows = young
            notes.append("growth: the stand-age <= 20 y row")
    row = rows.iloc[0]
    if row["table"] == "4.12":
        notes.append(
            "growth: IPCC 2019 Table 4.12 only (Table 4.10 has no Asia temperate plantation "
            "row in either edition; the number equals the 2006 Table 4.9 natural-forest "
            "default)"
        )
    return row, notes


def _pick_root_shoot(table, ecozone, species):
    rows = _rows(table, ecozone, "root_shoot_ratio")
    notes = []
    sp = {"conifer": "conifer", "broadleaf": "other broadleaf", "eucalyptus": "other broadleaf"}
    for edition in ("2019", "2006"):
        ed = rows[(rows["edition"] == edition)]
        if ed.empty:
            continue
        types = set(ed["forest_type"])
        if any(t.endswith(("conifer", "other broadleaf")) for t in types):
            if species not in sp:
                raise InputError(
                    f"IPCC Table 4.4 gives {ecozone} root:shoot ratios for conifers and for "
                    "other broadleaf: say which",
                    param="species",
                    fix="pass `species` conifer or broadleaf",
                )
            planted = ed[ed["forest_type"] == f"planted {sp[species]}"]
            natural = ed[ed["forest_type"] == f"natural {sp[species]}"]
        elif edition == "2006":
            planted = ed.iloc[0:0]
            natural = ed  # 2006 rows are for all forests of the zone
        else:
            planted = ed[ed["forest_type"] == "planted"]
            natural = ed[ed["forest_type"].isin(["natural", "all"])]
        pick = planted if len(planted) else natural
        if pick.empty:
            continue
        small = pick[pick["condition"].str.contains(r"AGB (?:<=|<) ?(?:125|75|50|20)", regex=True)]
        if len(small):
            pick = small
        row = pick.iloc[0]
        agb = row["condition"].split(";")[0] or "no AGB class"
        if edition == "2006":
            notes.append(
                f"root:shoot: the 2019 Refinement has no Asia row for {ecozone}; the 2006 "
                f"Table 4.4 row for all forests of the zone ({agb}) is used: {row['value']:g}"
            )
        elif row["forest_type"] == "all":
            notes.append(f"root:shoot: one row for all forests of the zone ({agb})")
        elif not row["forest_type"].startswith("planted"):
            notes.append(
                f"root:shoot: IPCC 2019 Table 4.4 has no planted-forest row for {ecozone} "
                f"in Asia; the natural-forest row of the same zone and AGB class ({agb}) "
                f"is used: {row['value']:g}"
            )
        else:
            notes.append(f"root:shoot: planted-forest row, AGB class {agb} (young plantations)")
        if ecozone == "subtropical_steppe":
            notes.append(
                "root:shoot: 2.158 as printed in the Asia cell of 2019 Table 4.4 "
                "('Planted <= 125'); an unusually high ratio: check it before signing"
            )
        return row, notes
    return None, notes


def _pick_carbon(table, ecozone, species):
    domain = ECOZONES[ecozone][0]
    rows = table[(table["quantity"] == "carbon_fraction") & (table["table"] == "4.3")]
    if domain in ("temperate", "boreal") and species in ("conifer", "broadleaf", "eucalyptus"):
        want = "conifers" if species == "conifer" else "broad-leaved"
        pick = rows[
            (rows["climate_zone"] == "Temperate and boreal") & (rows["forest_type"] == want)
        ]
        if len(pick):
            return pick.iloc[0], [f"carbon fraction: Table 4.3 temperate/boreal {want}"]
    pick = rows[rows["climate_zone"] == "Default"]
    return pick.iloc[0], ["carbon fraction: Table 4.3 default for all forests"]


def removal_factors(
    *,
    ecozone: str | None = None,
    species: str | None = None,
    growth_t_dm_ha_yr: float | None = None,
    root_shoot: float | None = None,
    carbon_fraction: float | None = None,
    table: pd.DataFrame | None = None,
) -> dict:
    """The Tier 1 factors of an ecological zone and the removal rate in t CO2/ha/yr.

    Parameters
    ----------
    ecozone : str
        A key of :data:`ECOZONES` (no default: there is no ecological-zone map to derive
        it from, so it is never guessed).
    species : {"eucalyptus", "other", "conifer", "broadleaf"}, optional (default: None)
        Needed where the tables split by species group (an error says so).
    growth_t_dm_ha_yr, root_shoot, carbon_fraction : float, optional (default: None)
        User values that override the table's (marked ``user``).
    table : DataFrame, optional (default: the bundled ``zoning/data/ipcc_tier1_china.csv``)

    Returns
    -------
    dict
        The three factors with, for each, its table, edition, row, sources and
        ``verified`` level; ``verified`` overall (the weakest of the three), ``notes``
        (fallbacks and where each value comes from), the rate and the formula
        ``G x (1 + R) x CF x 44/12``.
    """
    if ecozone is None:
        raise InputError(
            "no ecological zone: the IPCC Tier 1 factors depend on it and there is no "
            "zone map to derive it from",
            param="ecozone",
            fix="pass `ecozone` NAME (e.g. subtropical_humid; one of the "
            f"{len(ECOZONES)} zones of zoning.siting.ECOZONES) or `ecozone_layer`",
        )
    if ecozone not in ECOZONES:
        raise InputError(
            f"`ecozone` was '{ecozone}' but is expected in {list(ECOZONES)}",
            param="ecozone",
        )
    if species is not None and species not in SPECIES:
        raise InputError(
            f"`species` was '{species}' but is expected in {list(SPECIES)}", param="species"
        )
    if table is None:
        from zoning.io.afforest import read_tier1

        table = read_tier1()
    notes: list[str] = []
    parts: dict[str, dict] = {}

    def record(name, row, user_value):
        if user_value is not None:
            parts[name] = {"value": float(user_value), "source": "user", "verified": "user"}
            return float(user_value)
        parts[name] = {
            "value": float(row["value"]),
            "table": f"IPCC {row['edition']} Vol. 4 Ch. 4 Table {row['table']}",
            "ecological_zone": str(row.get("ecological_zone", "")),
            "forest_type": row["forest_type"],
            "condition": row["condition"],
            "sources": str(row.get("sources", "")),
            "verified": str(row.get("verified", "")),
        }
        return float(row["value"])

    g_row = r_row = None
    if growth_t_dm_ha_yr is None:
        g_row, n = _pick_growth(table, ecozone, species)
        if g_row is None:
            raise InputError(
                f"IPCC Tables 4.10 and 4.12 give no plantation growth for {ecozone} in Asia",
                param="ecozone",
                fix="give a measured or published growth rate as `growth_t_dm_ha_yr` "
                "(t d.m./ha/yr)",
            )
        notes += n
    if root_shoot is None:
        r_row, n = _pick_root_shoot(table, ecozone, species)
        if r_row is None:
            raise InputError(
                f"IPCC Table 4.4 gives no root:shoot ratio for {ecozone} (2006: no estimate "
                "available)",
                param="ecozone",
                fix="give one as `root_shoot`",
            )
        notes += n
    cf_row, n = _pick_carbon(table, ecozone, species)
    if carbon_fraction is None:
        notes += n
    g = record("growth", g_row, growth_t_dm_ha_yr)
    rs = record("root_shoot", r_row, root_shoot)
    cf = record("carbon_fraction", cf_row, carbon_fraction)
    for name, v in (("growth_t_dm_ha_yr", g), ("root_shoot", rs), ("carbon_fraction", cf)):
        if not (np.isfinite(v) and v >= 0):
            raise InputError(f"`{name}` was {v} but must be a number >= 0", param=name)
    levels = [parts[k]["verified"] for k in ("growth", "root_shoot", "carbon_fraction")]
    overall = min(levels, key=lambda v: _LEVEL.get(v, 0))
    rate = g * (1.0 + rs) * cf * CO2_PER_C
    return {
        "ecozone": ecozone,
        "ecozone_zh": ECOZONES[ecozone][1],
        "ecozone_en": ECOZONES[ecozone][2],
        "species": species,
        "agb_growth_t_dm_ha_yr": g,
        "root_shoot": rs,
        "carbon_fraction": cf,
        "co2_per_c": round(CO2_PER_C, 6),
        "removal_t_co2_ha_yr": rate,
        "formula": "G x (1 + R) x CF x 44/12",
        "factors": parts,
        "verified": overall,
        "notes": notes,
    }


def assign_ecozones(
    patches: gpd.GeoDataFrame, /, layer: gpd.GeoDataFrame, *, field: str = "ecozone"
) -> np.ndarray:
    """The ecological zone of each patch from a zone layer: the zone covering most of it.

    ``layer[field]`` holds :data:`ECOZONES` keys.  A patch that no zone touches is refused
    (the zone is never guessed), as are values that are no zone key.
    """
    if field not in layer.columns:
        raise SchemaError(
            f"the ecological-zone layer has no column '{field}'; it has "
            f"{[c for c in layer.columns if c != layer.geometry.name]}",
            param="ecozone_field",
            fix="name the column holding the zone keys with `ecozone_field`",
        )
    keys = layer[field].astype("string").str.strip().str.lower()
    bad = sorted(set(keys.dropna()) - set(ECOZONES)) + (["(empty)"] if keys.isna().any() else [])
    if bad:
        raise SchemaError(
            f"the ecological-zone layer holds {bad[:10]}, which are no zone keys",
            field=field,
            fix=f"use the keys {list(ECOZONES)}",
        )
    crs = _metric_crs(patches)
    pg = patches.to_crs(crs).geometry.values
    lg = layer.to_crs(crs).geometry.values
    pi, li = shapely.STRtree(lg).query(pg, predicate="intersects")
    out = np.full(len(pg), None, dtype=object)
    if len(pi):
        area = shapely.area(shapely.intersection(pg[pi], lg[li]))
        df = pd.DataFrame({"p": pi, "k": keys.to_numpy()[li], "a": area})
        tot = df.groupby(["p", "k"])["a"].sum().reset_index()
        tot = tot.sort_values(["p", "a", "k"], ascending=[True, False, True])
        first = tot.drop_duplicates("p")
        first = first[first["a"] > 0]
        out[first["p"].to_numpy()] = first["k"].to_numpy()
    missing = [str(i) for i, z in zip(patches["patch_id"], out, strict=True) if z is None]
    if missing:
        raise InputError(
            f"{len(missing)} patch(es) lie outside every zone of the ecological-zone layer "
            f"({', '.join(missing[:10])})",
            param="ecozone_layer",
            fix="give a zone layer that covers every candidate patch, or one `ecozone`",
        )
    return out


def estimate_sink(
    patches: gpd.GeoDataFrame,
    /,
    *,
    rate_t_co2_ha_yr: float | None = None,
    horizon_years: float = 20.0,
    factors: dict | None = None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Carbon sink of each patch per year and over ``horizon_years``.

    ``factors`` come from :func:`removal_factors` (one zone), or map ecological-zone keys
    to such dicts, the patches then carrying ``ecozone`` (see :func:`assign_ecozones`).
    ``rate_t_co2_ha_yr`` is a user rate instead.  Without either the sink is refused:
    the Tier 1 factors depend on the ecological zone, which is never guessed.
    """
    if not horizon_years > 0:
        raise InputError(
            f"`horizon_years` was {horizon_years} but must be > 0", param="horizon_years"
        )
    out = patches.copy()
    if rate_t_co2_ha_yr is not None:
        if not rate_t_co2_ha_yr >= 0:
            raise InputError(
                "the removal rate `rate_t_co2_ha_yr` must be >= 0", param="rate_t_co2_ha_yr"
            )
        base = dict(factors) if factors and "removal_t_co2_ha_yr" in factors else {}
        f = {**base, "removal_t_co2_ha_yr": float(rate_t_co2_ha_yr), "formula": "user rate"}
        f["verified"] = "user"
        rate = np.full(len(out), float(rate_t_co2_ha_yr))
    elif not factors:
        removal_factors()  # raises: no ecological zone
        raise AssertionError("unreachable")
    elif "removal_t_co2_ha_yr" in factors:
        f = dict(factors)
        rate = np.full(len(out), float(f["removal_t_co2_ha_yr"]))
        if f.get("ecozone"):
            out["ecozone"] = f["ecozone"]
    else:
        if "ecozone" not in out.columns:
            raise InputError(
                "factors are given per ecological zone but the patches have no ecozone",
                field="ecozone",
                fix="assign the zones first (assign_ecozones, or `ecozone_layer` of "
                "site_afforestation)",
            )
        zones = out["ecozone"].astype(str).to_numpy()
        missing = sorted(set(zones) - set(factors))
        if missing:
            raise InputError(f"no factors for the ecological zone(s) {missing}", param="factors")
        rate = np.array([factors[z]["removal_t_co2_ha_yr"] for z in zones], dtype="float64")
        used = {z: factors[z] for z in sorted(set(zones))}
        levels = [v.get("verified", "") for v in used.values()]
        f = {
            "by_ecozone": used,
            "verified": min(levels, key=lambda v: _LEVEL.get(v, 0)),
            "formula": "G x (1 + R) x CF x 44/12",
            "notes": [f"{z}: {n}" for z, v in used.items() for n in v.get("notes", [])],
        }
    out["removal_t_co2_ha_yr"] = np.round(rate, 4)
    out["sink_t_co2_yr"] = (out["area_ha"] * rate).round(3)
    out["sink_t_co2_horizon"] = (out["area_ha"] * rate * horizon_years).round(2)
    f["horizon_years"] = horizon_years
    if horizon_years > 20:
        log.warning(
            "Tier 1 growth rates are for stands up to 20 years; a %g-year horizon may "
            "overstate the sink",
            horizon_years,
        )
    return out, f
