"""Generate the bundled demo region of ``zoning``: the fictional county 青溪县 (Qingxi County).

Run ``python data/generate.py`` from the repository root (or anywhere: files are written
next to this script).  Everything is deterministic (fixed seeds, ``numpy.random.default_rng``)
and needs no network.  The county is FICTIONAL: admin code 339901 (province 33, fictional
city 99 青州市, county 01), placed in eastern China around lon 119.55-120.15, lat 29.75-30.25.

Geometry is built in EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E) in a local
kilometre frame around (486000 E, 3320000 N) and reprojected to EPSG:4490 (CGCS2000) for the
vector layers.  Control units come from one planar partition (noded linework ->
polygonize -> labelled faces -> coverage union), so they tile the outline exactly.

Layers: outline, units, red_line, water_protection, river, facilities, projects, parcels,
soil_samples, emission grids (1 km), PM2.5 concentration, land cover (30 m), DEM (90 m).
See ``data/README.md``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# GeoPackage writes a "last change" timestamp; pin it so the files are reproducible.
os.environ.setdefault("OGR_CURRENT_DATE", "2026-01-01T00:00:00Z")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import rasterio  # noqa: E402
import shapely  # noqa: E402
from rasterio.features import rasterize  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402
from scipy.ndimage import gaussian_filter  # noqa: E402
from shapely.geometry import LineString, Point, Polygon, box  # noqa: E402
from shapely.ops import substring  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 339901
GEO_CRS = "EPSG:4490"
PROJ_CRS = "EPSG:4549"
WGS84 = "EPSG:4326"
X0, Y0 = 486_000.0, 3_320_000.0  # local origin (m, EPSG:4549)
KM = 1000.0

ADMIN = "339901"
PROV, CITY, COUNTY, COUNTY_EN = "浙江省", "青州市", "青溪县", "Qingxi County"

# ----------------------------------------------------------------------------- helpers


def km(x: float, y: float) -> tuple[float, float]:
    """Local kilometre coordinates -> EPSG:4549 metres."""
    return X0 + x * KM, Y0 + y * KM


def river_y(x_km: np.ndarray | float) -> np.ndarray | float:
    """Centre line of the Qingxi River (local km): meanders west -> east."""
    return 1.5 + 2.5 * np.sin(x_km / 10.0 + 0.3) + 0.8 * np.sin(x_km / 3.7 + 1.1)


def blob(cx: float, cy: float, r: float, rng, k: int = 72, amp: float = 0.18) -> Polygon:
    """Irregular closed blob around (cx, cy) km with mean radius r km."""
    t = np.linspace(0, 2 * np.pi, k, endpoint=False)
    rr = np.full(k, r)
    for h in (2, 3, 5):
        rr += r * amp / h * np.sin(h * t + rng.uniform(0, 2 * np.pi))
    xs, ys = km(cx + rr * np.cos(t), cy + rr * np.sin(t))
    return Polygon(np.column_stack([xs, ys]))


def rot_rect(cx: float, cy: float, w: float, h: float, angle_deg: float) -> Polygon:
    """Rectangle (km) centred at (cx, cy) rotated by angle_deg, in EPSG:4549 metres."""
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a), np.sin(a)
    pts = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        pts.append(km(cx + dx * c - dy * s, cy + dx * s + dy * c))
    return Polygon(pts)


def points_in(geom, n: int, rng, avoid=None, max_iter: int = 200) -> np.ndarray:
    """n random points (metres) uniformly inside geom, optionally outside avoid."""
    minx, miny, maxx, maxy = geom.bounds
    out = np.empty((0, 2))
    shapely.prepare(geom)
    if avoid is not None:
        shapely.prepare(avoid)
    for _ in range(max_iter):
        m = max(4 * (n - len(out)), 64)
        xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        ok = shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
        if avoid is not None:
            ok &= ~shapely.intersects_xy(avoid, xy[:, 0], xy[:, 1])
        out = np.vstack([out, xy[ok]])
        if len(out) >= n:
            return out[:n]
    raise RuntimeError("could not place points")


def poisson_seeds(geom, n: int, min_dist: float, rng) -> np.ndarray:
    """Up to n well-spaced seeds inside geom (metres)."""
    cand = points_in(geom, n * 30, rng)
    seeds: list[np.ndarray] = []
    for p in cand:
        if all(np.hypot(*(p - q)) >= min_dist for q in seeds):
            seeds.append(p)
            if len(seeds) == n:
                break
    return np.array(seeds)


def write_vector(
    gdf: gpd.GeoDataFrame,
    name: str,
    layer: str | None = None,
    new: bool = True,
    rfc7946: bool = False,
) -> Path:
    """Write a layer; new=True replaces the file, new=False adds a layer to it."""
    path = HERE / name
    kw = {}
    if rfc7946:
        kw["layer_options"] = {"RFC7946": "YES", "COORDINATE_PRECISION": "7"}
    if new and path.exists():
        path.unlink()
    if name.endswith(".geojson"):
        gdf.to_file(path, driver="GeoJSON", engine="pyogrio", **kw)
    else:
        gdf.to_file(path, driver="GPKG", layer=layer or path.stem, engine="pyogrio", **kw)
    return path


# ----------------------------------------------------------------------------- names

TOWNSHIPS = [
    ("城关街道", "Chengguan"),
    ("西岭镇", "Xiling"),
    ("白石镇", "Baishi"),
    ("石门乡", "Shimen"),
    ("云岭乡", "Yunling"),
    ("枫林镇", "Fenglin"),
    ("桃源镇", "Taoyuan"),
    ("河口镇", "Hekou"),
    ("东港镇", "Donggang"),
    ("南塘镇", "Nantang"),
    ("北山乡", "Beishan"),
    ("清水镇", "Qingshui"),
    ("长乐镇", "Changle"),
    ("新桥镇", "Xinqiao"),
    ("龙泉乡", "Longquan"),
    ("竹溪乡", "Zhuxi"),
    ("梅坞乡", "Meiwu"),
    ("凤凰镇", "Fenghuang"),
    ("金沙镇", "Jinsha"),
    ("双溪镇", "Shuangxi"),
    ("松阳乡", "Songyang"),
    ("柳湾镇", "Liuwan"),
]
SURNAMES = [
    ("李家", "Lijia"),
    ("王家", "Wangjia"),
    ("张家", "Zhangjia"),
    ("陈家", "Chenjia"),
    ("周家", "Zhoujia"),
    ("吴家", "Wujia"),
    ("徐家", "Xujia"),
    ("孙家", "Sunjia"),
    ("胡家", "Hujia"),
    ("朱家", "Zhujia"),
    ("高家", "Gaojia"),
    ("林家", "Linjia"),
    ("何家", "Hejia"),
    ("郭家", "Guojia"),
    ("马家", "Majia"),
    ("罗家", "Luojia"),
    ("方家", "Fangjia"),
    ("叶家", "Yejia"),
]
PLACES = [
    ("桥", "qiao"),
    ("塘", "tang"),
    ("坞", "wu"),
    ("畈", "fan"),
    ("湾", "wan"),
    ("埠", "bu"),
    ("岙", "ao"),
]
FIRM_WORDS = [
    ("宏达", "Hongda"),
    ("华丰", "Huafeng"),
    ("金鑫", "Jinxin"),
    ("永兴", "Yongxing"),
    ("恒源", "Hengyuan"),
    ("瑞丰", "Ruifeng"),
    ("新联", "Xinlian"),
    ("东方", "Dongfang"),
    ("天成", "Tiancheng"),
    ("利民", "Limin"),
    ("鼎盛", "Dingsheng"),
    ("顺达", "Shunda"),
    ("广源", "Guangyuan"),
    ("博远", "Boyuan"),
    ("嘉禾", "Jiahe"),
    ("立信", "Lixin"),
    ("中诚", "Zhongcheng"),
    ("兴业", "Xingye"),
    ("振华", "Zhenhua"),
    ("万通", "Wantong"),
    ("汇通", "Huitong"),
    ("明月", "Mingyue"),
    ("青峰", "Qingfeng"),
    ("长城", "Changcheng"),
    ("协力", "Xieli"),
    ("聚源", "Juyuan"),
    ("富春", "Fuchun"),
    ("江南", "Jiangnan"),
    ("宇航", "Yuhang"),
    ("春晖", "Chunhui"),
    ("正泰", "Zhengtai"),
    ("远景", "Yuanjing"),
]

# ----------------------------------------------------------------------------- access lists

ACCESS: dict[str, dict[str, tuple[str, str]]] = {
    "red_line": {
        "spatial": (
            "1. 生态保护红线内，自然保护地核心保护区原则上禁止人为活动；其他区域严格禁止开发性、"
            "生产性建设活动，在符合现行法律法规前提下，仅允许对生态功能不造成破坏的有限人为活动。"
            "2. 严禁新建、扩建工业项目和矿产资源开发项目，现有工业企业和采石场依法有序退出。"
            "3. 确需建设的国家重大战略项目、线性基础设施须按规定开展不可避让论证并严格落实生态补偿。",
            "1. Inside the ecological red line, human activity is in principle prohibited in the "
            "core zones of protected areas; elsewhere development and production construction "
            "is strictly prohibited and only limited activities that do not damage ecological "
            "functions are allowed. 2. New or expanded industrial and mining projects are "
            "strictly prohibited; existing industrial enterprises and quarries shall withdraw "
            "in an orderly way. 3. Unavoidable major national projects and linear "
            "infrastructure require an unavoidability assessment and ecological compensation.",
        ),
        "emission": (
            "1. 禁止新增污染物排放。2. 现有生活污水、垃圾应全部收集处理，不得直接排放。",
            "1. No new pollutant discharge is allowed. 2. Existing domestic sewage and waste "
            "shall be fully collected and treated; direct discharge is prohibited.",
        ),
        "risk": (
            "1. 禁止新建涉及有毒有害物质、危险化学品的生产、储存设施。"
            "2. 加强森林防火和外来物种入侵防控。",
            "1. New facilities producing or storing toxic substances or hazardous chemicals are "
            "prohibited. 2. Strengthen forest-fire prevention and control of invasive species.",
        ),
        "resource": (
            "1. 禁止开山采石、毁林开垦。2. 严格控制取水和水电开发，保障生态流量。",
            "1. Quarrying and clearing forest for cultivation are prohibited. 2. Water "
            "abstraction and hydropower are strictly controlled to keep ecological flows.",
        ),
    },
    "ecological_space": {
        "spatial": (
            "1. 一般生态空间以生态保护为主，原则上限制大规模、高强度的工业开发和城镇建设。"
            "2. 禁止新建化工、冶炼、电镀、印染等污染较重的工业项目。"
            "3. 允许适度开展生态旅游、林下经济等对生态功能影响较小的活动。",
            "1. General ecological space is managed mainly for protection; large-scale, "
            "high-intensity industrial and urban development is restricted in principle. "
            "2. New heavily polluting industry (chemicals, smelting, electroplating, dyeing) is "
            "prohibited. 3. Low-impact eco-tourism and under-forest economy are allowed.",
        ),
        "emission": (
            "1. 新建项目污染物排放执行最严格排放标准。2. 农村生活污水处理设施全覆盖。",
            "1. New projects meet the strictest emission standards. 2. Rural sewage treatment "
            "shall cover all villages.",
        ),
        "risk": (
            "1. 严控危险化学品运输和储存。2. 开展地质灾害和森林火灾风险防控。",
            "1. Transport and storage of hazardous chemicals are strictly controlled. "
            "2. Prevent geological hazards and forest fires.",
        ),
        "resource": (
            "1. 严格控制林地、湿地占用。2. 矿山生态修复率达到100%。",
            "1. Occupation of forest and wetland is strictly controlled. 2. All mines shall "
            "be ecologically restored.",
        ),
    },
    "drinking_water_source_first": {
        "spatial": (
            "1. 禁止新建、改建、扩建与供水设施和保护水源无关的建设项目；已建成的，由县级以上人民"
            "政府责令拆除或者关闭。2. 禁止设置排污口。3. 禁止从事网箱养殖、旅游、游泳、垂钓或者"
            "其他可能污染饮用水水体的活动。",
            "1. Construction, reconstruction or expansion of projects unrelated to water supply "
            "facilities and source protection is prohibited; existing ones shall be demolished "
            "or closed. 2. Setting up sewage outfalls is prohibited. 3. Cage aquaculture, "
            "tourism, swimming, angling and other polluting activities are prohibited.",
        ),
        "emission": (
            "1. 禁止向水体排放任何污水。2. 禁止堆放工业废渣、城市垃圾、粪便和其他废弃物。",
            "1. Discharging any wastewater into the water body is prohibited. 2. Dumping "
            "industrial residue, refuse, manure or other waste is prohibited.",
        ),
        "risk": (
            "1. 禁止运输危险化学品的车辆、船舶进入。2. 建立水源地突发环境事件应急预案和监测预警。",
            "1. Vehicles and vessels carrying hazardous chemicals may not enter. 2. Keep an "
            "emergency plan and early-warning monitoring for the water source.",
        ),
        "resource": (
            "1. 保障取水口生态流量和供水水量。",
            "1. Guarantee the ecological flow and supply volume at the intake.",
        ),
    },
    "drinking_water_source_second": {
        "spatial": (
            "1. 禁止新建、改建、扩建排放污染物的建设项目；已建成的排放污染物的建设项目，责令拆除"
            "或者关闭。2. 禁止设置排污口。3. 禁止新建规模化畜禽养殖场。",
            "1. New, rebuilt or expanded projects that discharge pollutants are prohibited; "
            "existing ones shall be demolished or closed. 2. Setting up sewage outfalls is "
            "prohibited. 3. New large-scale livestock farms are prohibited.",
        ),
        "emission": (
            "1. 生活污水全部收集处理，禁止直排。2. 严格控制化肥农药施用，推广生态种植。",
            "1. All domestic sewage shall be collected and treated; direct discharge is "
            "prohibited. 2. Use of fertilisers and pesticides is strictly controlled.",
        ),
        "risk": (
            "1. 禁止新建危险化学品生产、储存、装卸设施。2. 穿越道路、桥梁设置防撞护栏和事故应急池。",
            "1. New production, storage or loading facilities for hazardous chemicals are "
            "prohibited. 2. Roads and bridges crossing the zone need crash barriers and "
            "emergency spill basins.",
        ),
        "resource": (
            "1. 严格控制取水许可，保障水源涵养功能。",
            "1. Water-abstraction permits are strictly controlled to keep water conservation.",
        ),
    },
    "drinking_water_source_quasi": {
        "spatial": (
            "1. 禁止新建、扩建对水体污染严重的建设项目；改建建设项目，不得增加排污量。"
            "2. 禁止新建化工、电镀、印染、造纸、制革、冶炼等重污染项目。",
            "1. New or expanded projects that seriously pollute water are prohibited; "
            "rebuilt projects may not increase discharge. 2. New heavily polluting projects "
            "(chemicals, electroplating, dyeing, paper, tanning, smelting) are prohibited.",
        ),
        "emission": (
            "1. 新建项目水污染物排放实行区域等量削减替代。",
            "1. Water-pollutant discharge of new projects requires equal regional offsets.",
        ),
        "risk": (
            "1. 涉危险化学品企业须建设事故应急池，防止泄漏进入水体。",
            "1. Enterprises handling hazardous chemicals need emergency basins to keep spills "
            "out of the river.",
        ),
        "resource": (
            "1. 推进节水型社会建设，严格用水总量控制。",
            "1. Promote water saving and strict control of total water use.",
        ),
    },
    "farmland_priority": {
        "spatial": (
            "1. 严格保护永久基本农田，禁止非农建设占用。2. 禁止在优先保护类耕地集中区域新建有色"
            "金属冶炼、石油加工、化工、焦化、电镀、制革等行业企业。3. 现有相关企业应采用新技术、"
            "新工艺，加快提标升级改造。",
            "1. Permanent basic farmland is strictly protected; non-agricultural construction "
            "may not occupy it. 2. New non-ferrous smelting, petroleum processing, chemical, "
            "coking, electroplating and tanning enterprises are prohibited near priority "
            "farmland. 3. Existing such enterprises shall upgrade technology and standards.",
        ),
        "emission": (
            "1. 推进化肥农药减量增效，加强畜禽粪污资源化利用。2. 禁止秸秆露天焚烧。",
            "1. Reduce fertiliser and pesticide use; recycle livestock manure. 2. Open burning "
            "of straw is prohibited.",
        ),
        "risk": (
            "1. 禁止向农用地排放重金属或者其他有毒有害物质含量超标的污水、污泥。"
            "2. 加强灌溉水质监测。",
            "1. Sewage or sludge exceeding limits for heavy metals or other toxic substances "
            "may not be applied to farmland. 2. Monitor irrigation water quality.",
        ),
        "resource": (
            "1. 耕地保有量和永久基本农田保护面积不减少。2. 推广高效节水灌溉。",
            "1. Farmland and permanent basic farmland area shall not decrease. 2. Promote "
            "efficient irrigation.",
        ),
    },
    "industrial_park": {
        "spatial": (
            "1. 严格按照园区规划和规划环评确定的产业定位引入项目，禁止引入不符合产业定位的项目。"
            "2. 严格控制“两高”项目，新建、扩建“两高”项目须符合国家产业政策和能耗双控要求，"
            "落实产能置换。3. 园区与居住区之间设置防护绿带。",
            "1. Projects must match the industrial positioning of the park plan and its "
            "strategic EIA. 2. Two-high (high energy use, high emission) projects are strictly "
            "controlled: new or expanded ones must comply with national industrial policy and "
            "energy dual-control, with capacity replacement. 3. Keep green buffer belts "
            "between the park and residential areas.",
        ),
        "emission": (
            "1. 新建二氧化硫、氮氧化物、挥发性有机物排放项目实行区域倍量削减替代。"
            "2. 新建项目执行大气污染物特别排放限值，重点行业实施超低排放改造。"
            "3. 园区污水集中处理，稳定达标排放。",
            "1. New projects emitting SO2, NOx or VOCs require double regional offsets "
            "(2:1 reduction). 2. New projects meet special emission limits; key sectors "
            "implement ultra-low emission retrofits. 3. Park wastewater is treated centrally "
            "and meets discharge standards.",
        ),
        "risk": (
            "1. 涉危险化学品、重金属企业编制突发环境事件应急预案，建设三级防控体系。"
            "2. 建设园区有毒有害气体预警监测体系。",
            "1. Enterprises handling hazardous chemicals or heavy metals keep emergency plans "
            "and a three-level containment system. 2. The park runs toxic-gas early-warning "
            "monitoring.",
        ),
        "resource": (
            "1. 新建项目单位产品能耗、水耗达到国内先进水平。2. 推进园区循环化改造和集中供热，"
            "禁止新建35蒸吨/小时以下燃煤锅炉。",
            "1. Energy and water use per unit product of new projects reach advanced domestic "
            "levels. 2. Circular retrofit and central heating; new coal boilers below "
            "35 t/h are prohibited.",
        ),
    },
    "urban": {
        "spatial": (
            "1. 禁止新建、扩建工业污染项目，现有污染企业逐步搬迁入园。"
            "2. 禁止在居住区周边新建排放恶臭、有毒有害气体的项目。",
            "1. New or expanded polluting industry is prohibited; existing polluting "
            "enterprises move into parks. 2. Projects emitting odours or toxic gases near "
            "residential areas are prohibited.",
        ),
        "emission": (
            "1. 城镇生活污水全收集全处理。2. 新建挥发性有机物排放项目实行区域倍量削减替代；"
            "餐饮油烟达标排放。",
            "1. All urban sewage is collected and treated. 2. New VOC-emitting projects "
            "require double regional offsets; restaurant fumes meet standards.",
        ),
        "risk": (
            "1. 加油站、危险化学品仓储等设施与居住区保持安全防护距离。",
            "1. Petrol stations and hazardous-chemical stores keep safety distances from housing.",
        ),
        "resource": (
            "1. 高污染燃料禁燃区内禁止燃用煤炭等高污染燃料。2. 新建建筑执行绿色建筑标准。",
            "1. No coal or other high-polluting fuels in the no-burn zone. 2. New buildings "
            "meet green building standards.",
        ),
    },
    "soil_pollution_risk": {
        "spatial": (
            "1. 严格管控类耕地禁止种植食用农产品，划定特定农产品禁止生产区域，"
            "鼓励退耕还林、种植能源作物和建设光伏等新能源项目。"
            "2. 禁止新建、扩建增加重金属污染物排放的项目。",
            "1. Strictly controlled farmland may not grow edible crops; designate no-production "
            "zones and encourage afforestation, energy crops and photovoltaic or other new "
            "energy projects. 2. New or expanded projects adding heavy-metal emissions are "
            "prohibited.",
        ),
        "emission": (
            "1. 重点行业重金属污染物排放实行等量或减量替代。2. 涉重金属企业废气、废水稳定达标。",
            "1. Heavy-metal emissions of key sectors require equal or greater offsets. "
            "2. Heavy-metal enterprises keep air and water emissions within standards.",
        ),
        "risk": (
            "1. 安全利用类耕地采取品种替代、水分调控、土壤调理等措施。2. 开展农产品质量和"
            "土壤环境协同监测。",
            "1. Safe-utilisation farmland uses crop substitution, water management and soil "
            "amendment. 2. Monitor crops and soil together.",
        ),
        "resource": (
            "1. 严格控制污染耕地开发利用，受污染耕地安全利用率达到考核要求。",
            "1. Use of contaminated farmland is strictly controlled; its safe-use rate meets "
            "the assessment target.",
        ),
    },
    "high_emission": {
        "spatial": (
            "1. 严格控制“两高”项目，禁止新建钢铁、水泥熟料、平板玻璃、焦化、燃煤发电等新增产能"
            "项目（产能置换除外）。2. 推动重污染企业搬迁入园或转型。",
            "1. Two-high projects are strictly controlled: new capacity for steel, cement "
            "clinker, flat glass, coking and coal power is prohibited (except capacity "
            "replacement). 2. Heavily polluting enterprises relocate into parks or transform.",
        ),
        "emission": (
            "1. 新建二氧化硫、氮氧化物、颗粒物、挥发性有机物排放项目实行区域倍量削减替代。"
            "2. 钢铁、水泥、焦化等重点行业全面实施超低排放。",
            "1. New projects emitting SO2, NOx, PM or VOCs require double regional offsets. "
            "2. Steel, cement and coking implement ultra-low emissions throughout.",
        ),
        "risk": (
            "1. 重污染天气期间落实应急减排措施。",
            "1. Apply emergency emission cuts during heavy pollution episodes.",
        ),
        "resource": (
            "1. 新建项目能效达到标杆水平，实施煤炭消费减量替代。",
            "1. New projects reach benchmark energy efficiency; coal use is offset by reduction.",
        ),
    },
    "weak_diffusion": {
        "spatial": (
            "1. 禁止新建大气污染物排放量大的工业项目。2. 限制新建燃煤、燃油设施。",
            "1. New industrial projects with large air emissions are prohibited. 2. New coal "
            "or oil combustion facilities are restricted.",
        ),
        "emission": (
            "1. 新建大气污染物排放项目实行区域倍量削减替代。",
            "1. New air-emitting projects require double regional offsets.",
        ),
        "risk": (
            "1. 静稳天气期间加强污染源管控。",
            "1. Tighten source control during stagnant weather.",
        ),
        "resource": (
            "1. 推广清洁能源替代。",
            "1. Promote substitution by clean energy.",
        ),
    },
    "general": {
        "spatial": (
            "1. 落实生态环境保护基本要求，项目建设应符合国土空间规划和产业政策。"
            "2. 新建工业项目原则上进入工业园区，禁止在园区外新建化工、冶炼、电镀等重污染项目。",
            "1. Apply the basic protection requirements; projects must comply with spatial "
            "plans and industrial policy. 2. New industrial projects go into parks in "
            "principle; new chemical, smelting and electroplating plants outside parks are "
            "prohibited.",
        ),
        "emission": (
            "1. 污染物排放执行国家和地方排放标准，新增主要污染物排放实行总量控制。",
            "1. Emissions meet national and local standards; new major-pollutant emissions "
            "are under total-load control.",
        ),
        "risk": (
            "1. 涉危险化学品项目落实环境风险防范措施。",
            "1. Projects handling hazardous chemicals apply risk-prevention measures.",
        ),
        "resource": (
            "1. 严格执行用水、用能总量和强度控制。",
            "1. Total and intensity controls on water and energy use apply.",
        ),
    },
}

# ----------------------------------------------------------------------------- frame


def build_frame(rng) -> dict:
    """Outline, river, townships, villages and the element zones (EPSG:4549 metres)."""
    f: dict = {}
    # outline: polar radius with low harmonics -> irregular county shape
    t = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    r = 25.5 * (
        1
        + 0.07 * np.sin(2 * t + 0.5)
        + 0.05 * np.sin(3 * t + 1.3)
        + 0.035 * np.sin(5 * t + 2.0)
        + 0.02 * np.sin(9 * t + 0.7)
        + 0.01 * np.sin(17 * t + 2.9)
    )
    xs, ys = km(1.0 * r * np.cos(t), 0.97 * r * np.sin(t))
    outline = shapely.make_valid(Polygon(np.column_stack([xs, ys])))
    f["outline"] = outline

    # river: west -> east, 100 m vertices, width growing downstream
    xk = np.arange(-40.0, 40.0001, 0.1)
    yk = river_y(xk)
    line = LineString(np.column_stack(km(xk, yk)))
    river = line.intersection(outline)
    if river.geom_type != "LineString":
        river = max(river.geoms, key=lambda g: g.length)
    f["river"] = river
    coords = np.asarray(river.coords)
    d = np.gradient(coords, axis=0)
    nrm = np.column_stack([-d[:, 1], d[:, 0]]) / np.hypot(d[:, 0], d[:, 1])[:, None]
    lx = (coords[:, 0] - X0) / KM
    half = np.interp(lx, [-30, 30], [30.0, 80.0])  # half width, m
    left, right = coords + nrm * half[:, None], coords - nrm * half[:, None]
    water = Polygon(np.vstack([left, right[::-1]])).buffer(0).intersection(outline)
    f["water_body"] = water

    def seg(x_a: float, x_b: float):
        a = river.project(Point(km(x_a, river_y(x_a))))
        b = river.project(Point(km(x_b, river_y(x_b))))
        return substring(river, a, b)

    # drinking-water intakes and their protection zones
    intakes = [
        ("西溪口水厂", "Xixikou Waterworks", -14.0),
        ("城西水厂", "Chengxi Waterworks", -2.0),
    ]
    f["intakes"] = [(zh, en, Point(km(x, river_y(x)))) for zh, en, x in intakes]
    zones = []  # (key, subtype, class, element, geometry, feature_zh, feature_en, split)
    for i, (zh, en, x) in enumerate(intakes):
        first = seg(x - 1.0, x + 0.1).buffer(250)
        second = seg(x - 3.0, x + 0.3).buffer(1000).difference(first)
        quasi = seg(x - 6.0, x + 0.3).buffer(1600).difference(first.union(second))
        for grade, g, gzh in (
            ("first", first, "一级"),
            ("second", second, "二级"),
            ("quasi", quasi, "准"),
        ):
            zones.append(
                dict(
                    key=f"water_{grade}_{i}",
                    subtype="drinking_water_source",
                    grade=grade,
                    unit_class=1,
                    element="water",
                    geom=g.intersection(outline),
                    zh=f"{zh}饮用水水源{gzh}保护区",
                    en=f"{en} drinking water source "
                    f"{'quasi-protection' if grade == 'quasi' else grade + '-grade'} zone",
                    access=f"drinking_water_source_{grade}",
                    split=False,
                    intake=i,
                )
            )

    red = [blob(-18, -10, 7.0, rng), blob(-22.5, 6.5, 3.6, rng), blob(-6, -19.5, 3.8, rng)]
    red_names = [
        ("西部山地", "western hills"),
        ("北岭", "Beiling ridge"),
        ("南部山地", "southern hills"),
    ]
    for i, (g, (zh, en)) in enumerate(zip(red, red_names, strict=True)):
        zones.append(
            dict(
                key=f"red_{i}",
                subtype="red_line",
                unit_class=1,
                element="ecological",
                geom=g.intersection(outline),
                zh=zh,
                en=en,
                access="red_line",
                split=True,
            )
        )
    f["red_blobs"] = red

    parks = [
        (
            "青溪经济开发区",
            "Qingxi Economic Development Zone",
            rot_rect(9.0, river_y(9.0) + 2.6, 3.4, 2.3, 12),
        ),
        (
            "城东冶金化工园区",
            "Chengdong Metallurgy and Chemical Park",
            rot_rect(17.5, river_y(17.5) + 2.2, 4.2, 2.8, -8),
        ),
        (
            "北部新材料产业园",
            "Northern New Materials Industrial Park",
            rot_rect(-1.0, 13.0, 2.2, 1.6, 20),
        ),
    ]
    f["parks"] = parks
    for i, (zh, en, g) in enumerate(parks):
        zones.append(
            dict(
                key=f"park_{i}",
                subtype="industrial_park",
                unit_class=2,
                element="comprehensive",
                geom=g,
                zh=zh,
                en=en,
                access="industrial_park",
                split=False,
            )
        )
    town = blob(3.0, river_y(3.0) + 0.3, 2.8, rng, amp=0.25)
    f["town"] = town
    zones.append(
        dict(
            key="town",
            subtype="urban",
            unit_class=2,
            element="comprehensive",
            geom=town,
            zh="县城城镇",
            en="county town",
            access="urban",
            split=False,
        )
    )
    eco = shapely.union_all(red).buffer(2200).union(blob(-16, 14, 4.0, rng))
    eco = eco.union(blob(-12, -22, 3.0, rng)).intersection(outline)
    zones.append(
        dict(
            key="eco",
            subtype="ecological_space",
            unit_class=1,
            element="ecological",
            geom=eco,
            zh="一般生态空间",
            en="general ecological space",
            access="ecological_space",
            split=True,
        )
    )
    # soil pollution risk: downwind (SE) of the smelter park and downstream along the river
    sx, sy = 17.5, river_y(17.5) + 2.2
    f["smelter_xy"] = (sx, sy)
    a = np.deg2rad(-45)
    tt = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    ex, ey = 6.5 * np.cos(tt), 2.8 * np.sin(tt)
    ell = Polygon(
        np.column_stack(
            km(
                sx + 4.5 + ex * np.cos(a) - ey * np.sin(a),
                sy - 4.5 + ex * np.sin(a) + ey * np.cos(a),
            )
        )
    )
    soil = ell.union(seg(sx, 32.0).buffer(1100)).intersection(outline)
    f["soil_risk"] = soil
    zones.append(
        dict(
            key="soil",
            subtype="soil_pollution_risk",
            unit_class=2,
            element="soil",
            geom=soil,
            zh="农用地污染风险",
            en="farmland pollution risk",
            access="soil_pollution_risk",
            split=True,
        )
    )
    high = parks[1][2].buffer(2600).union(parks[0][2].buffer(1200)).intersection(outline)
    zones.append(
        dict(
            key="high",
            subtype="high_emission",
            unit_class=2,
            element="air",
            geom=high,
            zh="大气环境高排放",
            en="air high-emission",
            access="high_emission",
            split=True,
        )
    )
    weak = blob(-8.5, 8.0, 2.6, rng)
    zones.append(
        dict(
            key="weak",
            subtype="weak_diffusion",
            unit_class=2,
            element="air",
            geom=weak,
            zh="大气环境弱扩散",
            en="air weak-diffusion",
            access="weak_diffusion",
            split=True,
        )
    )
    farm = shapely.union_all(
        [
            blob(8, 14, 5.0, rng),
            blob(4, -11, 5.0, rng),
            blob(23, 10, 4.0, rng),
            blob(12, -9, 3.5, rng),
        ]
    )
    farm = farm.intersection(outline)
    f["farm_priority"] = farm
    zones.append(
        dict(
            key="farm",
            subtype="farmland_priority",
            unit_class=1,
            element="soil",
            geom=farm,
            zh="农用地优先保护",
            en="priority farmland",
            access="farmland_priority",
            split=True,
        )
    )
    zones.append(
        dict(
            key="general",
            subtype="general",
            unit_class=3,
            element="comprehensive",
            geom=outline,
            zh="一般管控",
            en="general control",
            access="general",
            split="village",
        )
    )
    f["zones"] = zones

    # townships and villages: Voronoi of well-spaced seeds, clipped to the outline
    tseeds = poisson_seeds(outline, 20, 8500, rng)
    tx = (tseeds[:, 0] - X0) ** 2 + (tseeds[:, 1] - Y0 - river_y(3.0) * KM) ** 2
    tseeds = tseeds[np.argsort(tx)]  # nearest to the town first -> 城关街道
    vseeds = poisson_seeds(outline, 110, 3300, rng)
    f["tseeds"], f["vseeds"] = tseeds, vseeds
    env = outline.buffer(20000).envelope

    def cells(seeds):
        vor = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=env)
        polys = list(vor.geoms)
        cen = shapely.points(seeds)
        order = [next(j for j, p in enumerate(polys) if p.contains(c)) for c in cen]
        return [polys[j].intersection(outline) for j in order]

    f["townships"] = cells(tseeds)
    f["villages"] = cells(vseeds)
    return f


# ----------------------------------------------------------------------------- units


def _faces(f: dict) -> tuple[list, np.ndarray]:
    """Planar faces of all boundaries (zones, townships, villages, outline)."""
    outline = f["outline"]
    lines = [outline.boundary]
    lines += [shapely.boundary(z["geom"]).intersection(outline) for z in f["zones"][:-1]]
    lines += [shapely.boundary(g) for g in f["townships"] + f["villages"]]
    noded = shapely.union_all(lines)
    faces = [
        g
        for g in shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)).geoms)
        if g.area > 1e-6
    ]
    faces = np.array(faces, dtype=object)
    rp = shapely.point_on_surface(faces)
    keep = shapely.contains(outline, rp)
    return faces[keep], rp[keep]


def _neighbour_merge(parts: list[dict], min_area: float) -> list[dict]:
    """Merge parts smaller than min_area into the neighbour sharing the longest border."""
    while True:
        small = [i for i, p in enumerate(parts) if p["geom"].area < min_area]
        if not small:
            return parts
        i = min(small, key=lambda j: parts[j]["geom"].area)
        g = parts[i]["geom"]
        best, best_len = None, 0.0
        for j, q in enumerate(parts):
            if j == i or not q["geom"].intersects(g):
                continue
            shared = shapely.length(shapely.intersection(g.boundary, q["geom"].boundary))
            same = q["zone"] == parts[i]["zone"]
            score = shared * (10.0 if same else 1.0)
            if score > best_len:
                best, best_len = j, score
        if best is None:
            raise RuntimeError("isolated part")
        parts[best]["geom"] = shapely.coverage_union_all([parts[best]["geom"], g])
        del parts[i]


def build_units(f: dict) -> gpd.GeoDataFrame:
    """Control units: one planar partition of the outline, labelled by element zones."""
    faces, rp = _faces(f)
    zones = f["zones"]
    zi = np.full(len(faces), -1)
    for k in range(len(zones) - 1, -1, -1):  # first zone in the list wins
        g = zones[k]["geom"]
        shapely.prepare(g)
        zi[shapely.contains(g, rp) | (k == len(zones) - 1)] = k
    ti = np.array([_index_of(f["townships"], p) for p in rp])
    vi = np.array([_index_of(f["villages"], p) for p in rp])
    parts = []
    keys = {}
    for n in range(len(faces)):
        z = zones[zi[n]]
        sub = ti[n] if z["split"] is True else (vi[n] if z["split"] == "village" else -1)
        keys.setdefault((zi[n], sub), []).append(n)
    for (k, sub), idx in sorted(keys.items()):
        merged = shapely.coverage_union_all(faces[idx])
        for g in shapely.get_parts(merged):
            parts.append(dict(zone=k, sub=int(sub), geom=g))
    parts = _neighbour_merge(parts, 150_000.0)  # 15 ha
    rows = []
    for p in parts:
        z = zones[p["zone"]]
        c = p["geom"].representative_point()
        t = _index_of(f["townships"], c)
        rows.append(
            dict(
                zone=p["zone"],
                township=t,
                village=_index_of(f["villages"], c),
                unit_class=z["unit_class"],
                cx=c.x,
                cy=c.y,
                geometry=p["geom"],
            )
        )
    df = pd.DataFrame(rows).sort_values(
        ["unit_class", "zone", "township", "cy", "cx"], ascending=[True, True, True, False, True]
    )
    records = []
    serial = {1: 0, 2: 0, 3: 0}
    seen: dict[str, int] = {}
    for r in df.itertuples():
        z = zones[r.zone]
        serial[r.unit_class] += 1
        code = f"ZH{ADMIN}{r.unit_class}{serial[r.unit_class]:04d}"
        tzh, ten = TOWNSHIPS[r.township]
        vzh, ven = f["village_names"][r.village]
        cls_zh = {1: "优先保护单元", 2: "重点管控单元", 3: "一般管控单元"}[r.unit_class]
        cls_en = {1: "priority protection unit", 2: "key control unit", 3: "general control unit"}[
            r.unit_class
        ]
        st = z["subtype"]
        if st == "red_line":
            zh = f"{COUNTY}{tzh}{z['zh']}生态保护红线{cls_zh}"
            en = f"Qingxi {ten} {z['en']} ecological red line {cls_en}"
        elif st in ("drinking_water_source", "industrial_park"):
            zh, en = f"{COUNTY}{z['zh']}{cls_zh}", f"Qingxi {z['en']} {cls_en}"
        elif st == "urban":
            zh, en = f"{COUNTY}县城城镇生活{cls_zh}", f"Qingxi county town urban {cls_en}"
        elif st == "general":
            zh = f"{COUNTY}{tzh}{vzh}片区{cls_zh}"
            en = f"Qingxi {ten} {ven} area {cls_en}"
        else:
            zh = f"{COUNTY}{tzh}{z['zh']}{cls_zh}"
            en = f"Qingxi {ten} {z['en']} {cls_en}"
        n = seen.get(zh, 0) + 1
        seen[zh] = n
        if n > 1:
            zh, en = f"{zh}（{n}）", f"{en} ({n})"
        acc = ACCESS[z["access"]]
        rec = dict(
            code=code,
            name=zh,
            name_en=en,
            unit_class=int(r.unit_class),
            admin_code=ADMIN,
            prov=PROV,
            city=CITY,
            county=COUNTY,
            element=z["element"],
            subtype=st,
        )
        for dim in ("spatial", "emission", "risk", "resource"):
            rec[f"access_{dim}"] = acc[dim][0]
        for dim in ("spatial", "emission", "risk", "resource"):
            rec[f"access_{dim}_en"] = acc[dim][1]
        rec["_zone"] = z["key"]
        rec["geometry"] = r.geometry
        records.append(rec)
    return gpd.GeoDataFrame(records, geometry="geometry", crs=PROJ_CRS)


def _index_of(polys: list, pt) -> int:
    for i, g in enumerate(polys):
        if g.intersects(pt):
            return i
    d = [g.distance(pt) for g in polys]
    return int(np.argmin(d))


def village_names(n: int, rng) -> list[tuple[str, str]]:
    combos = [(s + p, se + pe) for s, se in SURNAMES for p, pe in PLACES]
    order = rng.permutation(len(combos))[:n]
    return [(combos[i][0] + "村", combos[i][1] + " Village") for i in order]


def to_geo(gdf: gpd.GeoDataFrame, crs: str = GEO_CRS) -> gpd.GeoDataFrame:
    """Reproject and repair (make_valid) geometries."""
    out = gdf.to_crs(crs)
    bad = ~out.is_valid
    if bad.any():
        out.loc[bad, "geometry"] = shapely.make_valid(out.geometry[bad].values)
    return out


def write_zone_layers(f: dict, units: gpd.GeoDataFrame) -> dict:
    """outline, units, red_line, water_protection and river layers (EPSG:4490)."""
    outline = shapely.coverage_union_all(units.geometry.values)
    f["outline_noded"] = outline
    og = gpd.GeoDataFrame(
        dict(admin_code=[ADMIN], name=[COUNTY], name_en=[COUNTY_EN]),
        geometry=[outline],
        crs=PROJ_CRS,
    )
    write_vector(to_geo(og), "outline.geojson")
    ug = to_geo(units.drop(columns="_zone"))
    write_vector(ug, "units.gpkg", layer="units")

    red = units[units.subtype == "red_line"]
    rows = []
    for i, z in enumerate([z for z in f["zones"] if z["subtype"] == "red_line"]):
        g = shapely.coverage_union_all(red[red._zone == z["key"]].geometry.values)
        rows.append(
            dict(
                id=f"RL{i + 1:03d}",
                name=f"{COUNTY}{z['zh']}生态保护红线",
                name_en=f"Qingxi {z['en']} ecological red line",
                geometry=g,
            )
        )
    write_vector(to_geo(gpd.GeoDataFrame(rows, crs=PROJ_CRS)), "red_line.gpkg", layer="red_line")

    wz = units[units.subtype == "drinking_water_source"]
    rows = []
    for z in [z for z in f["zones"] if z["subtype"] == "drinking_water_source"]:
        g = shapely.coverage_union_all(wz[wz._zone == z["key"]].geometry.values)
        if g.is_empty:
            continue
        rows.append(
            dict(
                zone_id=f"WS{len(rows) + 1:02d}",
                name=f"{COUNTY}{z['zh']}",
                name_en=f"Qingxi {z['en']}",
                grade=z["grade"],
                intake=f["intakes"][z["intake"]][0],
                geometry=g,
            )
        )
    water = gpd.GeoDataFrame(rows, crs=PROJ_CRS)
    write_vector(to_geo(water), "water_protection.gpkg", layer="water_protection")

    rv = gpd.GeoDataFrame(
        dict(name=["青溪"], name_en=["Qingxi River"], kind=["centre_line"]),
        geometry=[f["river"]],
        crs=PROJ_CRS,
    )
    wb = gpd.GeoDataFrame(
        dict(name=["青溪"], name_en=["Qingxi River"], kind=["water_body"]),
        geometry=[f["water_body"]],
        crs=PROJ_CRS,
    )
    write_vector(to_geo(rv), "river.gpkg", layer="river")
    write_vector(to_geo(wb), "water_body.gpkg", layer="water_body")
    return dict(units_geo=ug, water=water)


# ----------------------------------------------------------------------------- rasters


def grid_frame(f: dict, res: float) -> tuple:
    """Transform and shape of a raster covering the outline + 2 km, aligned to whole km."""
    minx, miny, maxx, maxy = f["outline"].bounds
    x0 = np.floor((minx - 2000) / 1000) * 1000
    y1 = np.ceil((maxy + 2000) / 1000) * 1000
    x1 = np.ceil((maxx + 2000) / 1000) * 1000
    y0 = np.floor((miny - 2000) / 1000) * 1000
    w, h = int(np.ceil((x1 - x0) / res)), int(np.ceil((y1 - y0) / res))
    return from_origin(x0, y1, res, res), (h, w)


def cell_centres(transform, shape) -> tuple[np.ndarray, np.ndarray]:
    """Local km coordinates of cell centres."""
    h, w = shape
    xs = transform.c + (np.arange(w) + 0.5) * transform.a
    ys = transform.f + (np.arange(h) + 0.5) * transform.e
    gx, gy = np.meshgrid((xs - X0) / KM, (ys - Y0) / KM)
    return gx, gy


HILLS = [  # (x km, y km, amplitude m, sigma km)
    (-18.0, -10.0, 700.0, 5.5),
    (-22.5, 6.5, 480.0, 3.5),
    (-6.0, -19.5, 520.0, 3.5),
    (-24.0, -2.0, 420.0, 4.0),
    (-12.0, -20.0, 380.0, 3.5),
    (-16.0, 14.0, 300.0, 3.5),
    (-26.0, -15.0, 500.0, 4.0),
    (-10.0, 12.0, 180.0, 2.5),
    (-5.0, 4.5, 140.0, 2.0),
]


def elevation(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Smooth terrain (m) at local km coordinates: plain + Gaussian hills, river valley."""
    base = 6.0 + 18.0 * np.clip((8.0 - gx) / 36.0, 0, 1) + 8.0 * np.clip(gy / 25.0, 0, 1)
    hills = np.zeros_like(gx)
    for hx, hy, amp, sig in HILLS:
        hills += amp * np.exp(-((gx - hx) ** 2 + (gy - hy) ** 2) / (2 * sig**2))
    valley = 1 - 0.7 * np.exp(-((gy - river_y(gx)) ** 2) / (2 * 1.3**2))
    return base + hills * valley


def smooth_noise(shape, rng, sigma: float) -> np.ndarray:
    n = gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return n / n.std()


def write_tif(
    name: str,
    arr: np.ndarray,
    transform,
    nodata,
    tags: dict | None = None,
    desc: str | None = None,
    predictor: int = 1,
) -> Path:
    path = HERE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = dict(
        driver="GTiff",
        height=arr.shape[0],
        width=arr.shape[1],
        count=1,
        dtype=arr.dtype,
        crs=PROJ_CRS,
        transform=transform,
        nodata=nodata,
        compress="DEFLATE",
        predictor=predictor,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        zlevel=9,
    )
    if arr.shape[0] < 256 or arr.shape[1] < 256:
        profile.update(blockxsize=16, blockysize=16)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        if tags:
            dst.update_tags(**tags)
        if desc:
            dst.set_band_description(1, desc)
    return path


def build_dem(f: dict, rng) -> tuple[np.ndarray, object]:
    """90 m DEM (float32, m), nodata -9999 outside the outline."""
    tr, shape = grid_frame(f, 90.0)
    gx, gy = cell_centres(tr, shape)
    z = elevation(gx, gy)
    hill_share = np.clip((z - 40) / 300, 0, 1)
    z = z + smooth_noise(shape, rng, 3) * (1.5 + 25 * hill_share)
    z = np.round(np.maximum(z, 2.0), 1).astype("float32")
    inside = rasterize(
        [(f["outline"], 1)], out_shape=shape, transform=tr, fill=0, dtype="uint8"
    ).astype(bool)
    z[~inside] = -9999.0
    write_tif(
        "dem.tif",
        z,
        tr,
        -9999.0,
        dict(
            units="m", quantity="elevation", vertical_datum="1985 National Height Datum (fictional)"
        ),
        "elevation (m)",
        predictor=3,
    )
    return z, tr


def build_landcover(f: dict, units: gpd.GeoDataFrame, rng) -> dict:
    """30 m land cover (uint8): 10 tree, 20 shrub, 30 grass, 40 crop, 50 built, 60 bare, 80 water."""
    tr, shape = grid_frame(f, 30.0)
    gx, gy = cell_centres(tr, shape)
    z = elevation(gx, gy)
    coarse = (shape[0] // 10 + 1, shape[1] // 10 + 1)
    noise = np.kron(smooth_noise(coarse, rng, 2.0), np.ones((10, 10)))[: shape[0], : shape[1]]
    lc = np.full(shape, 40, dtype="uint8")
    lc[(z > 45) & (noise > 0.6)] = 20
    lc[(z > 45) & (noise < -0.9)] = 30
    lc[z > 90] = 10
    lc[(z > 90) & (noise > 1.6)] = 20
    lc[(z < 45) & (noise > 2.0)] = 30
    lc[(z < 45) & (noise < -2.2)] = 10
    # villages: small built-up clusters in the plain
    vill = [Point(p).buffer(rng.uniform(150, 320)) for p in f["vseeds"]]
    built = [f["town"], *(g for _, _, g in f["parks"])]
    shapes = [(g, 50) for g in vill]
    shapes += [(g, 50) for g in built]
    # bare: quarries and construction sites
    f["quarries"] = [Point(km(-9.5, -13.0)), Point(km(-25.0, 1.5)), Point(km(14.5, -14.5))]
    shapes += [(q.buffer(250), 60) for q in f["quarries"]]
    shapes += [(f["water_body"], 80)]
    shapes += [
        (Point(km(x, y)).buffer(r), 80)
        for x, y, r in ((6.0, 9.0, 350), (-3.0, -8.0, 300), (20.0, -12.0, 250), (12.5, 15.0, 280))
    ]
    burn = rasterize(shapes, out_shape=shape, transform=tr, fill=0, dtype="uint8")
    lc = np.where(burn > 0, burn, lc)
    inside = rasterize(
        [(f["outline"], 1)], out_shape=shape, transform=tr, fill=0, dtype="uint8"
    ).astype(bool)
    lc[~inside] = 0
    write_tif(
        "landcover.tif",
        lc,
        tr,
        0,
        dict(
            classes="10 tree cover;20 shrubland;30 grassland;40 cropland;50 built-up;60 bare;80 water",
            source="synthetic (fictional county)",
            LANDCOVER_LEGEND="worldcover",  # the codes follow ESA WorldCover (zoning reads it)
        ),
        "land cover class",
    )
    return dict(lc=lc, transform=tr)


# ----------------------------------------------------------------------------- facilities

# code: zh, en, capacity unit, median capacity, sigma,
#       (so2, nox, pm, vocs, co2, energy_tce) per unit of capacity, two_high, tags
SECTORS: dict[str, tuple] = {
    "3212": (
        "铅锌冶炼",
        "Lead-Zinc Smelting",
        "t/yr",
        60_000,
        0.4,
        (2.0e-3, 0.4e-3, 0.6e-3, 0.0, 1.6, 0.45),
        True,
        "heavy_metals,hazardous_chemicals",
    ),
    "3120": (
        "钢铁",
        "Iron and Steel",
        "t/yr",
        2.0e6,
        0.1,
        (0.3e-3, 0.6e-3, 0.45e-3, 0.03e-3, 1.8, 0.55),
        True,
        "",
    ),
    "3011": (
        "水泥",
        "Cement",
        "t clinker/yr",
        1.5e6,
        0.2,
        (0.12e-3, 0.45e-3, 0.12e-3, 0.0, 0.85, 0.11),
        True,
        "",
    ),
    "4411": (
        "热电",
        "Thermal Power",
        "MW",
        1320,
        0.0,
        (0.5, 0.8, 0.1, 0.02, 4100.0, 1500.0),
        True,
        "coal",
    ),
    "2511": (
        "石化",
        "Petrochemical",
        "t crude/yr",
        1.5e6,
        0.0,
        (0.1e-3, 0.15e-3, 0.03e-3, 0.3e-3, 0.25, 0.08),
        True,
        "hazardous_chemicals,vocs",
    ),
    "2614": (
        "化工",
        "Chemical",
        "t/yr",
        25_000,
        0.8,
        (0.1e-3, 0.25e-3, 0.05e-3, 1.5e-3, 1.0, 0.35),
        None,
        "hazardous_chemicals,vocs",
    ),
    "2631": (
        "农药",
        "Agrochemical",
        "t/yr",
        3_000,
        0.6,
        (0.2e-3, 0.3e-3, 0.1e-3, 5e-3, 2.0, 0.8),
        False,
        "hazardous_chemicals,vocs",
    ),
    "2710": (
        "制药",
        "Pharmaceutical",
        "t/yr",
        300,
        0.7,
        (0.5e-3, 1e-3, 0.2e-3, 25e-3, 8.0, 3.0),
        False,
        "hazardous_chemicals,vocs",
    ),
    "1713": (
        "印染",
        "Dyeing and Finishing",
        "10^4 m/yr",
        3_000,
        0.6,
        (0.5e-3, 2e-3, 0.3e-3, 0.8e-3, 3.5, 1.2),
        False,
        "water_intensive",
    ),
    "2221": (
        "纸业",
        "Paper",
        "t/yr",
        50_000,
        0.6,
        (0.2e-3, 0.45e-3, 0.08e-3, 0.02e-3, 0.9, 0.33),
        False,
        "water_intensive",
    ),
    "3360": (
        "表面处理",
        "Surface Treatment",
        "m2/yr",
        150_000,
        0.6,
        (0.0, 1e-6, 2e-7, 2e-6, 0.004, 0.0015),
        False,
        "heavy_metals,hazardous_chemicals",
    ),
    "3670": (
        "汽车零部件",
        "Auto Parts",
        "sets/yr",
        200_000,
        0.8,
        (0.0, 2e-6, 3e-6, 2.5e-5, 0.01, 0.004),
        False,
        "vocs",
    ),
    "3981": (
        "电子元件",
        "Electronic Components",
        "10^4 pcs/yr",
        20_000,
        0.9,
        (0.0, 1e-5, 1e-5, 8e-5, 0.05, 0.02),
        False,
        "",
    ),
    "1310": (
        "粮油加工",
        "Grain Milling",
        "t/yr",
        15_000,
        0.7,
        (0.0, 2e-5, 1.5e-4, 0.0, 0.012, 0.005),
        False,
        "",
    ),
    "3311": (
        "钢结构",
        "Steel Structures",
        "t/yr",
        8_000,
        0.8,
        (0.0, 3e-5, 2e-4, 4e-4, 0.08, 0.03),
        False,
        "vocs",
    ),
    "2929": (
        "塑料制品",
        "Plastic Products",
        "t/yr",
        3_000,
        0.8,
        (0.0, 2e-5, 5e-5, 1e-3, 0.3, 0.12),
        False,
        "vocs",
    ),
    "0313": (
        "生猪养殖",
        "Pig Farming",
        "head/yr",
        3_000,
        0.8,
        (0.0, 0.0, 2e-5, 0.0, 0.05, 0.01),
        False,
        "livestock",
    ),
    "4430": (
        "热力",
        "Heat Supply",
        "t/h",
        40,
        0.5,
        (0.02, 0.3, 0.02, 0.01, 1000.0, 540.0),
        False,
        "",
    ),
    "3031": (
        "新型墙材",
        "Building Bricks",
        "10^4 bricks/yr",
        6_000,
        0.5,
        (0.004, 0.003, 0.002, 0.0, 1.2, 0.45),
        False,
        "",
    ),
    "1019": (
        "石料",
        "Quarry",
        "t/yr",
        300_000,
        0.5,
        (0.0, 2e-6, 5e-5, 0.0, 0.003, 0.001),
        False,
        "mining",
    ),
}
EMISSION_COLS = ["so2_t", "nox_t", "pm_t", "vocs_t", "co2_t", "energy_tce"]


def facility_record(
    code: str,
    xy,
    rng,
    *,
    stage: str = "existing",
    scale: float = 1.0,
    capacity: float | None = None,
) -> dict:
    """One facility with capacity-based emissions (t/yr)."""
    zh, en, unit, med, sig, fac, two_high, tags = SECTORS[code]
    cap = capacity if capacity is not None else med * scale * float(rng.lognormal(0, sig))
    cap = float(round(cap, 0)) if cap >= 100 else float(round(cap, 1))
    noise = rng.lognormal(0.0, 0.2, len(fac))
    em = [round(float(cap * k * n), 3) for k, n in zip(fac, noise, strict=True)]
    if two_high is None:  # chemicals: large plants count as two-high
        two_high = cap >= 80_000
    tag = ",".join(t for t in (["two_high"] if two_high else []) + tags.split(",") if t)
    return dict(
        sector=code,
        stage=stage,
        capacity=cap,
        capacity_unit=unit,
        **dict(zip(EMISSION_COLS, em, strict=True)),
        two_high=bool(two_high),
        tags=tag,
        x=float(xy[0]),
        y=float(xy[1]),
    )


def _zone_geom(units: gpd.GeoDataFrame, key: str, shrink: float = 80.0):
    g = shapely.union_all(units.geometry[units._zone == key].values)
    return g.buffer(-shrink)


# planted access-management conflicts: (zone key, sector, stage, capacity, note)
PLANTED = [
    ("red_0", "1019", "existing", 250_000, "quarry inside the ecological red line"),
    ("red_2", "2614", "proposed", 8_000, "proposed chemical plant inside the red line"),
    ("red_1", "3311", "existing", 3_000, "metal workshop inside the red line"),
    (
        "water_first_1",
        "3360",
        "existing",
        60_000,
        "electroplating in a first-grade water source zone",
    ),
    (
        "water_second_0",
        "1713",
        "existing",
        2_000,
        "dyeing mill in a second-grade water source zone",
    ),
    ("water_second_1", "0313", "existing", 8_000, "pig farm in a second-grade water source zone"),
    ("water_quasi_0", "2221", "proposed", 60_000, "proposed paper mill in a quasi-protection zone"),
    (
        "high",
        "3011",
        "proposed",
        1_200_000,
        "proposed two-high cement line in a high-emission air unit",
    ),
    (
        "high",
        "2614",
        "proposed",
        100_000,
        "proposed two-high chemical plant in a high-emission air unit",
    ),
    ("park_1", "2614", "proposed", 40_000, "proposed VOCs source in the chemical park (offsets)"),
    ("park_0", "3670", "proposed", 500_000, "proposed VOCs/NOx source in the development zone"),
    ("town", "2929", "proposed", 4_000, "proposed VOCs source in the county town"),
    ("soil", "3360", "proposed", 80_000, "proposed heavy-metal plant on polluted farmland"),
    ("farm", "3212", "proposed", 20_000, "proposed smelter in a priority farmland unit"),
    ("weak", "3031", "proposed", 8_000, "proposed brick kiln in a weak-diffusion air unit"),
]


def build_facilities(f: dict, units: gpd.GeoDataFrame, rng) -> gpd.GeoDataFrame:
    """Industrial and agricultural facilities, clustered in parks and the town."""
    recs: list[dict] = []
    p0, p1, p2 = (_zone_geom(units, f"park_{i}", 60.0) for i in range(3))
    town = _zone_geom(units, "town", 60.0)

    def stage():
        return "proposed" if rng.random() < 0.09 else "existing"

    # smelter cluster: the majors, fixed positions in the west half of the park
    sx, sy = f["smelter_xy"]
    majors = [
        ("3212", 100_000, (-1.2, 0.6)),
        ("3212", 40_000, (-1.5, -0.4)),
        ("3120", 2.0e6, (-0.2, 0.7)),
        ("3011", 1.5e6, (0.6, 0.9)),
        ("4411", 1320, (0.2, -0.6)),
        ("2511", 1.5e6, (1.2, -0.7)),
    ]
    for code, cap, (dx, dy) in majors:
        recs.append(facility_record(code, km(sx + dx, sy + dy), rng, capacity=cap))
    f["smelters"] = [(sx - 1.2, sy + 0.6), (sx - 1.5, sy - 0.4)]
    east = p1.intersection(box(*km(sx + 0.3, sy - 3), *km(sx + 3, sy + 3)))
    plan = [
        (east, {"2614": 18, "2631": 5, "2710": 6, "3360": 8}),
        (p1, {"3311": 15, "4430": 2}),
        (
            p0,
            {
                "3670": 90,
                "3981": 70,
                "1713": 25,
                "2929": 50,
                "3311": 40,
                "2221": 6,
                "3360": 12,
                "4430": 2,
            },
        ),
        (p2, {"2929": 40, "3981": 40, "2710": 8, "2614": 6, "3360": 6}),
    ]
    for geom, counts in plan:
        for code, n in counts.items():
            for xy in points_in(geom, n, rng):
                recs.append(facility_record(code, xy, rng, stage=stage()))
    town_mix = {"1310": 30, "3311": 60, "2929": 50, "3670": 60, "3981": 50, "1713": 10, "4430": 5}
    for code, n in town_mix.items():
        for xy in points_in(town, n, rng):
            recs.append(facility_record(code, xy, rng, stage=stage(), scale=0.3))
    # rural scatter near villages, outside protected, park and town units
    protected = units[(units.unit_class == 1) & (units.subtype != "farmland_priority")]
    avoid = shapely.union_all(
        [
            *protected.geometry.buffer(150).values,
            f["town"].buffer(300),
            *(g.buffer(300) for _, _, g in f["parks"]),
            f["water_body"].buffer(100),
        ]
    )
    ok_area = f["outline"].buffer(-200).difference(avoid)
    rural = {
        "0313": 150,
        "1310": 90,
        "3311": 80,
        "2929": 60,
        "3031": 30,
        "3670": 45,
        "3981": 45,
        "1019": 4,
    }
    vs = f["vseeds"]
    shapely.prepare(ok_area)
    for code, n in rural.items():
        got = 0
        while got < n:
            v = vs[rng.integers(len(vs))]
            xy = v + rng.normal(0, 900, 2)
            if code == "1019":
                xy = np.array(
                    km(*rng.choice([(-27.0, 3.5), (-2.0, -23.0), (-26.5, -6.0), (15.0, -14.0)]))
                ) + rng.normal(0, 300, 2)
            if shapely.contains_xy(ok_area, *xy):
                recs.append(facility_record(code, xy, rng, stage=stage(), scale=0.4))
                got += 1
    n_regular = len(recs)
    # planted conflicts
    for key, code, st, cap, note in PLANTED:
        g = _zone_geom(units, key, 120.0 if not key.startswith("water_first") else 60.0)
        if key == "soil":
            g = g.intersection(Point(km(sx + 5, sy - 6)).buffer(2500))
        xy = points_in(g, 1, rng)[0]
        if key == "high":  # close to the smelter park, where PM2.5 exceeds the standard
            cand = points_in(g, 40, rng)
            xy = cand[np.argmin(np.hypot(*(cand - np.array(km(sx, sy))).T))]
        r = facility_record(code, xy, rng, stage=st, capacity=cap)
        r["note"] = note
        r["zone"] = key
        recs.append(r)
    df = pd.DataFrame(recs)
    df.insert(0, "facility_id", [f"F{i + 1:05d}" for i in range(len(df))])
    names, names_en = _firm_names(df, rng)
    df.insert(1, "name", names)
    df.insert(2, "name_en", names_en)
    f["planted"] = df.iloc[n_regular:][["facility_id", "sector", "stage", "zone", "note"]]
    gdf = gpd.GeoDataFrame(
        df.drop(columns=["x", "y", "note", "zone"]),
        geometry=gpd.points_from_xy(df.x, df.y),
        crs=PROJ_CRS,
    )
    return gdf


def _firm_names(df: pd.DataFrame, rng) -> tuple[list[str], list[str]]:
    seen: dict[str, int] = {}
    zh_out, en_out = [], []
    for code in df.sector:
        zh, en = SECTORS[code][0], SECTORS[code][1]
        wz, we = FIRM_WORDS[rng.integers(len(FIRM_WORDS))]
        base = f"青溪{wz}{zh}"
        n = seen.get(base, 0) + 1
        seen[base] = n
        suffix_zh = "有限公司" if n == 1 else f"有限公司第{n}分厂"
        suffix_en = "Co., Ltd." if n == 1 else f"Co., Ltd. Plant {n}"
        if code == "0313":
            zh_out.append(f"{wz}生猪养殖场" if n == 1 else f"{wz}生猪养殖场{n}号场")
            en_out.append(f"{we} Pig Farm" if n == 1 else f"{we} Pig Farm No. {n}")
            continue
        zh_out.append(base + suffix_zh)
        en_out.append(f"Qingxi {we} {en} {suffix_en}")
    return zh_out, en_out


# ----------------------------------------------------------------------------- projects

# id, geometry kind, zone key, near (x, y km), size (ha or km), sector, capacity, unit,
# emissions (so2, nox, pm, vocs, co2, energy) or None, two_high, tags, name zh, name en, note
PROJECTS: list[tuple] = [
    (
        "P001",
        "point",
        "park_2",
        None,
        None,
        "3981",
        30_000,
        "10^4 pcs/yr",
        (0.0, 0.3, 0.3, 2.4, 1500.0, 600.0),
        False,
        "",
        "新型电子元器件生产线项目",
        "New electronic components line",
        "allowed: clean project in an industrial park",
    ),
    (
        "P002",
        "point",
        "general",
        (10.0, -3.5),
        None,
        "1310",
        20_000,
        "t/yr",
        (0.0, 0.4, 3.0, 0.0, 240.0, 100.0),
        False,
        "",
        "粮食烘干加工中心项目",
        "Grain drying and milling centre",
        "allowed: small agro-processing in a general unit",
    ),
    (
        "P003",
        "point",
        "red_0",
        None,
        None,
        "1019",
        500_000,
        "t/yr",
        (0.0, 1.0, 25.0, 0.0, 1500.0, 500.0),
        False,
        "mining",
        "建筑石料矿开采项目",
        "Construction stone quarry",
        "prohibited: mining inside the ecological red line",
    ),
    (
        "P004",
        "point",
        "water_first_0",
        None,
        None,
        "2614",
        10_000,
        "t/yr",
        (1.0, 2.5, 0.5, 15.0, 10_000.0, 3500.0),
        False,
        "hazardous_chemicals,vocs",
        "精细化工中间体项目",
        "Fine chemical intermediates plant",
        "prohibited: chemical plant in a first-grade drinking-water source zone",
    ),
    (
        "P005",
        "polygon",
        "water_second_1",
        None,
        8.0,
        "3360",
        200_000,
        "m2/yr",
        (0.0, 0.2, 0.04, 0.4, 800.0, 300.0),
        False,
        "heavy_metals,hazardous_chemicals",
        "电镀集中加工区项目",
        "Electroplating centre",
        "prohibited: polluting project in a second-grade drinking-water source zone",
    ),
    (
        "P006",
        "polygon",
        "park_1",
        None,
        35.0,
        "3120",
        1_000_000,
        "t/yr",
        (300.0, 600.0, 450.0, 30.0, 1_800_000.0, 550_000.0),
        True,
        "two_high",
        "钢铁产能置换升级项目",
        "Steel capacity-replacement upgrade",
        "restricted: two-high project in a park, capacity replacement and 2:1 offsets",
    ),
    (
        "P007",
        "polygon",
        "high",
        None,
        25.0,
        "3011",
        1_000_000,
        "t clinker/yr",
        (120.0, 450.0, 120.0, 0.0, 850_000.0, 110_000.0),
        True,
        "two_high",
        "新型干法水泥熟料生产线项目",
        "Dry-process cement clinker line",
        "prohibited/restricted: new two-high capacity in a high-emission air unit",
    ),
    (
        "P008",
        "polygon",
        "park_0_edge",
        None,
        20.0,
        "3670",
        300_000,
        "sets/yr",
        (0.0, 0.6, 0.9, 7.5, 3000.0, 1200.0),
        False,
        "vocs",
        "汽车零部件涂装项目",
        "Auto parts coating plant",
        "restricted: straddles the development zone and an air unit",
    ),
    (
        "P009",
        "line",
        "pipeline",
        None,
        None,
        "5720",
        5.0e8,
        "m3/yr",
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        False,
        "linear_infrastructure",
        "县域天然气输气管道工程",
        "County natural gas pipeline",
        "restricted: linear infrastructure crossing water zones",
    ),
    (
        "P010",
        "line",
        "road",
        None,
        None,
        "4812",
        18.0,
        "km",
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        False,
        "linear_infrastructure",
        "西部山区县道改建工程",
        "Western hills county road",
        "restricted: road through the red line (unavoidable)",
    ),
    (
        "P011",
        "point",
        "park_1",
        None,
        None,
        "2614",
        50_000,
        "t/yr",
        None,
        False,
        "hazardous_chemicals,vocs",
        "有机化工原料扩建项目",
        "Organic chemicals expansion",
        "needs information: emissions not given (null)",
    ),
    (
        "P012",
        "point",
        "general",
        (-4.0, -12.0),
        None,
        None,
        5_000,
        "t/yr",
        (0.0, 0.5, 0.8, 6.0, 2000.0, 800.0),
        False,
        "",
        "新材料加工项目（行业待定）",
        "New materials processing (sector unknown)",
        "needs information: sector not given",
    ),
    (
        "P013",
        "polygon",
        "soil",
        None,
        30.0,
        "4416",
        20,
        "MW",
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        False,
        "new_energy,polluted_land",
        "污染耕地农光互补光伏发电项目",
        "PV plant on contaminated farmland",
        "allowed: new energy on strictly controlled farmland",
    ),
    (
        "P014",
        "polygon",
        "soil",
        None,
        15.0,
        "0220",
        15,
        "ha",
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        False,
        "afforestation,polluted_land,carbon_sink",
        "污染耕地退耕还林碳汇项目",
        "Afforestation of contaminated farmland",
        "allowed: afforestation adds a carbon sink",
    ),
    (
        "P015",
        "point",
        "general",
        (-8.0, -3.0),
        None,
        "4411",
        700,
        "MW",
        (350.0, 560.0, 70.0, 14.0, 2_870_000.0, 1_050_000.0),
        True,
        "two_high,coal",
        "2×350MW燃煤热电联产项目",
        "2x350 MW coal-fired CHP plant",
        "prohibited: two-high coal plant outside a park",
    ),
    (
        "P016",
        "point",
        "park_2",
        None,
        None,
        "2710",
        500,
        "t/yr",
        (0.25, 0.5, 0.1, 12.5, 4000.0, 1500.0),
        False,
        "hazardous_chemicals,vocs",
        "化学原料药生产项目",
        "Active pharmaceutical ingredients plant",
        "restricted: VOCs source in a key unit, 2:1 offsets",
    ),
    (
        "P017",
        "point",
        "water_quasi_1",
        None,
        None,
        "0313",
        10_000,
        "head/yr",
        (0.0, 0.0, 0.2, 0.0, 500.0, 100.0),
        False,
        "livestock",
        "规模化生猪养殖场项目",
        "Large pig farm",
        "restricted: livestock in a quasi-protection zone",
    ),
    (
        "P018",
        "point",
        "park_2",
        None,
        None,
        "3981",
        8_000,
        "10^4 pcs/yr",
        (0.0, 0.08, 0.08, 0.6, 400.0, 160.0),
        False,
        "",
        "片式电容器生产项目",
        "Chip capacitor plant",
        "allowed: clean project in an industrial park",
    ),
    (
        "P019",
        "line",
        "powerline",
        None,
        None,
        "4420",
        220,
        "kV",
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        False,
        "linear_infrastructure",
        "220千伏输变电工程",
        "220 kV transmission line",
        "allowed/restricted: line across ecological space",
    ),
    (
        "P020",
        "point",
        "soil",
        None,
        None,
        "4210",
        50_000,
        "t/yr",
        (20.0, 5.0, 3.0, 0.0, 8000.0, 3000.0),
        False,
        "heavy_metals,hazardous_waste",
        "废铅蓄电池再生利用项目",
        "Lead-acid battery recycling",
        "prohibited: heavy-metal emissions on polluted farmland",
    ),
    (
        "P021",
        "polygon",
        "park_0",
        None,
        12.0,
        "1713",
        5_000,
        "10^4 m/yr",
        (2.5, 10.0, 1.5, 4.0, 17_500.0, 6000.0),
        False,
        "water_intensive",
        "高档面料印染项目",
        "Fabric dyeing and finishing plant",
        "restricted: dyeing in the development zone",
    ),
    (
        "P022",
        "point",
        "town",
        None,
        None,
        "6450",
        30,
        "MW IT load",
        (0.0, 0.0, 0.0, 0.0, 150_000.0, 60_000.0),
        False,
        "energy_intensive",
        "县城数据中心项目",
        "County data centre",
        "allowed: no emissions, energy use above 10,000 tce",
    ),
    (
        "P023",
        "polygon",
        "farm",
        None,
        10.0,
        "2614",
        20_000,
        "t/yr",
        (2.0, 5.0, 1.0, 30.0, 20_000.0, 7000.0),
        False,
        "hazardous_chemicals,vocs",
        "农药中间体项目",
        "Pesticide intermediates plant",
        "prohibited: chemical plant on priority farmland",
    ),
    (
        "P024",
        "point",
        "general",
        (9.0, -1.2),
        None,
        "4620",
        50_000,
        "m3/d",
        (0.0, 0.0, 0.0, 0.5, 5000.0, 2000.0),
        False,
        "",
        "城东污水处理厂扩建项目",
        "Chengdong wastewater plant expansion",
        "allowed: environmental infrastructure",
    ),
    (
        "P025",
        "line",
        "outfall",
        None,
        None,
        "4620",
        10_000,
        "m3/d",
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        False,
        "outfall",
        "工业污水排放口及管道工程",
        "Industrial sewage outfall pipe",
        "prohibited: outfall into a second-grade zone",
    ),
    (
        "P026",
        "point",
        "general",
        (4.0, 20.0),
        None,
        "2511",
        2_000_000,
        "t crude/yr",
        (200.0, 300.0, 60.0, 600.0, 500_000.0, 160_000.0),
        True,
        "two_high,hazardous_chemicals,vocs",
        "炼化一体化项目",
        "Integrated refinery",
        "prohibited: two-high refinery outside a park",
    ),
]


#: Verdict each demo project is meant to exercise (documentation and tests; not in the file).
EXPECTED = {p[0]: p[-1] for p in PROJECTS}


def build_projects(f: dict, units: gpd.GeoDataFrame, rng) -> gpd.GeoDataFrame:
    """Proposed projects (points, lines, polygons) exercising every screening verdict."""
    rows = []
    for (
        pid,
        kind,
        zone,
        near,
        size,
        sector,
        cap,
        unit,
        em,
        two_high,
        tags,
        zh,
        en,
        _note,
    ) in PROJECTS:
        geom = _project_geom(f, units, rng, kind, zone, near, size)
        rec = dict(
            project_id=pid,
            name=zh,
            name_en=en,
            sector=sector,
            stage="proposed",
            capacity=float(cap),
            capacity_unit=unit,
        )
        for col, v in zip(EMISSION_COLS, em or [None] * 6, strict=True):
            rec[col] = v
        rec.update(
            two_high=two_high,
            tags=",".join(t for t in tags.split(",") if t),
            **_descriptions(zh, en, cap, unit),
            geometry=geom,
        )
        rows.append(rec)
    return gpd.GeoDataFrame(rows, crs=PROJ_CRS)


#: Capacity units of the demo projects in Chinese (the English text keeps them as written).
_UNITS_ZH = {
    "t/yr": "吨/年",
    "t clinker/yr": "吨熟料/年",
    "t crude/yr": "吨原油/年",
    "m3/yr": "立方米/年",
    "m3/d": "立方米/日",
    "m2/yr": "平方米/年",
    "10^4 pcs/yr": "万件/年",
    "10^4 m/yr": "万米/年",
    "sets/yr": "套/年",
    "head/yr": "头/年",
    "km": "千米",
    "ha": "公顷",
    "MW": "兆瓦",
    "MW IT load": "兆瓦（IT负荷）",
    "kV": "千伏",
}


def _descriptions(zh: str, en: str, cap: float, unit: str) -> dict:
    """``description`` (Chinese) and ``description_en``, numbers written out (1,000,000)."""
    n = f"{cap:,.0f}" if float(cap) == int(cap) else f"{cap:,}"
    return {
        "description": f"拟在青溪县建设{zh}，规模{n} {_UNITS_ZH.get(unit, unit)}。",
        "description_en": f"Proposed: {en}, {n} {unit}.",
    }


def _project_geom(f, units, rng, kind, zone, near, size):
    if kind == "line":
        pts = {
            "pipeline": [
                (-3.6, 9.0),
                (-3.3, 4.0),
                (-2.6, river_y(-2.6)),
                (-2.0, -4.0),
                (-1.0, -9.0),
            ],
            "road": [(-27.0, -3.0), (-21.0, -6.5), (-16.0, -9.0), (-10.0, -12.0)],
            "powerline": [(-23.0, 13.0), (-17.0, 11.0), (-11.0, 10.5), (-4.0, 10.0)],
            "outfall": [
                (-5.2, river_y(-5.2) + 1.6),
                (-5.0, river_y(-5.0) + 0.8),
                (-5.0, river_y(-5.0)),
            ],
        }[zone]
        return LineString([km(x, y) for x, y in pts])
    if zone == "park_0_edge":
        park = shapely.union_all(units.geometry[units._zone == "park_0"].values)
        c = park.exterior.interpolate(0.1, normalized=True)
    else:
        g = shapely.union_all(units.geometry[units._zone == zone].values)
        if near is not None:
            g = g.intersection(Point(km(*near)).buffer(4000))
        shrink = 100.0 if size is None else np.sqrt(size * 1e4) * 0.8 + 50
        if zone.startswith("water_first"):
            shrink = 40.0
        if zone == "soil":  # strictly controlled farmland: close to the smelters
            sx, sy = f["smelter_xy"]
            g = g.intersection(Point(km(sx + 4, sy - 5)).buffer(3000))
        c = Point(points_in(g.buffer(-shrink), 1, rng)[0])
        if zone == "high":  # next to the smelter park, where PM2.5 exceeds the standard
            cand = points_in(g.buffer(-shrink), 40, rng)
            c = Point(cand[np.argmin(np.hypot(*(cand - np.array(km(*f["smelter_xy"]))).T))])
    if kind == "point":
        return c
    side = np.sqrt(size * 1e4)
    w, h = side * 1.3, side / 1.3
    return shapely.affinity.rotate(
        box(c.x - w / 2, c.y - h / 2, c.x + w / 2, c.y + h / 2), float(rng.uniform(-30, 30))
    )


# ----------------------------------------------------------------------------- grids

ROADS = [  # local km
    [(-28.0, 3.0), (-15.0, 4.5), (-5.0, 3.5), (3.0, 3.5), (10.0, 5.0), (18.0, 5.5), (28.0, 3.0)],
    [(3.0, -22.0), (2.5, -10.0), (3.0, 1.0), (1.0, 12.0), (-1.0, 22.0)],
    [(3.0, 1.0), (10.0, 0.5), (17.0, 0.0), (24.0, -8.0), (26.0, -14.0)],
    [(-20.0, 18.0), (-8.0, 10.0), (3.0, 1.0), (12.0, -12.0), (15.0, -20.0)],
]
AREA_SOURCES = {  # t/yr totals: town, roads, rural (farmland burning, rural households)
    "nox": (350.0, 900.0, 40.0),
    "so2": (60.0, 15.0, 20.0),
    "pm25": (150.0, 100.0, 180.0),
    "vocs": (900.0, 350.0, 150.0),
    "co2": (450_000.0, 380_000.0, 60_000.0),
}
PM25_FRACTION = 0.6
GRID_META = {
    "nox": ("NOx", "nitrogen oxides (as NO2)", "nox_t"),
    "so2": ("SO2", "sulphur dioxide", "so2_t"),
    "pm25": ("PM2.5", "fine particulate matter", "pm_t"),
    "vocs": ("VOCs", "volatile organic compounds", "vocs_t"),
    "co2": ("CO2", "carbon dioxide", "co2_t"),
}


def build_grids(f: dict, fac: gpd.GeoDataFrame, lc: dict) -> dict:
    """1 km emission grids (t/cell/yr) and PM2.5 concentration (ug/m3)."""
    tr, shape = grid_frame(f, 1000.0)
    gx, gy = cell_centres(tr, shape)
    inside = shapely.contains_xy(f["outline"], X0 + gx * KM, Y0 + gy * KM)
    # weights of the area sources
    tx, ty = f["town"].centroid.x, f["town"].centroid.y
    w_town = np.exp(-((X0 + gx * KM - tx) ** 2 + (Y0 + gy * KM - ty) ** 2) / (2 * 2200.0**2))
    roads = shapely.union_all([LineString([km(x, y) for x, y in r]) for r in ROADS])
    d = shapely.distance(roads, shapely.points(X0 + gx * KM, Y0 + gy * KM))
    w_road = np.exp(-(d**2) / (2 * 700.0**2))
    # cropland share per 1 km cell from the 30 m land cover
    ltr = lc["transform"]
    rows, cols = np.nonzero(lc["lc"] == 40)
    cx = ltr.c + (cols + 0.5) * ltr.a
    cy = ltr.f + (rows + 0.5) * ltr.e
    ci = ((tr.f - cy) // 1000).astype(int)
    cj = ((cx - tr.c) // 1000).astype(int)
    crop = np.zeros(shape)
    np.add.at(crop, (ci, cj), 1.0)
    weights = []
    for w in (w_town, w_road, crop):
        w = np.where(inside, w, 0.0)
        weights.append(w / w.sum())
    ex = fac[fac.stage == "existing"]
    fi = ((tr.f - ex.geometry.y.values) // 1000).astype(int)
    fj = ((ex.geometry.x.values - tr.c) // 1000).astype(int)
    out = {}
    for key, (label, long, col) in GRID_META.items():
        pts = np.zeros(shape)
        vals = ex[col].to_numpy(float) * (PM25_FRACTION if key == "pm25" else 1.0)
        np.add.at(pts, (fi, fj), vals)
        area = sum(t * w for t, w in zip(AREA_SOURCES[key], weights, strict=True))
        grid = (pts + area).astype("float32")
        out[key] = dict(grid=grid, points=float(vals.sum()), area=float(sum(AREA_SOURCES[key])))
        src = (
            f"existing facilities in data/facilities.gpkg summed per cell"
            f"{' x PM2.5 fraction 0.6 of pm_t' if key == 'pm25' else ''} + area sources "
            f"(county town, roads, rural) {AREA_SOURCES[key]} t/yr"
        )
        write_tif(
            f"grids/{key}.tif",
            grid,
            tr,
            -9999.0,
            dict(
                units="t/cell/yr",
                quantity="amount",
                pollutant=label,
                cell_size_m="1000",
                description=f"annual {long} emissions, t per 1 km cell per year (synthetic)",
                source=src,
            ),
            f"{label} emissions (t/cell/yr)",
        )
    # PM2.5 annual mean concentration: background + smoothed, wind-shifted precursors
    prec = out["pm25"]["grid"] + 0.25 * out["so2"]["grid"] + 0.15 * out["nox"]["grid"]
    prec = prec + 0.05 * out["vocs"]["grid"]
    sm = gaussian_filter(prec.astype(float), 1.6, mode="nearest")
    sm = np.roll(np.roll(sm, 1, axis=0), 1, axis=1)  # wind from the NW: shift to the SE
    conc = 30.5 + 2.5 * np.clip((gx + 28) / 56, 0, 1) + 22.0 * np.sqrt(sm / sm.max())
    conc = np.clip(conc, 30.0, 55.0).astype("float32")
    out["conc"] = conc
    write_tif(
        "grids/pm25_conc.tif",
        np.round(conc, 2),
        tr,
        -9999.0,
        dict(
            units="ug/m3",
            quantity="concentration",
            pollutant="PM2.5",
            cell_size_m="1000",
            standard="GB 3095-2012 grade II annual mean 35 ug/m3",
            description="annual mean PM2.5 concentration, ug/m3 (synthetic)",
        ),
        "PM2.5 annual mean (ug/m3)",
    )
    out["transform"] = tr
    return out


# ----------------------------------------------------------------------------- farmland

BLOCKS = [  # field blocks, local km: soil-risk zone first, then priority farmland, then general
    (19.0, -2.8),
    (21.8, -6.0),
    (16.5, -6.2),
    (24.0, -0.5),
    (19.5, -9.5),
    (8.0, 14.0),
    (4.5, -11.0),
    (6.5, -8.0),
    (23.0, 10.0),
    (12.0, -9.5),
    (14.0, 11.0),
    (-2.5, -6.0),
    (2.0, 17.5),
]


def contamination(x_km: np.ndarray, y_km: np.ndarray, f: dict) -> np.ndarray:
    """Relative smelter impact: plume to the SE (wind from the NW) + downstream river bank."""
    d = np.array([1.0, -1.0]) / np.sqrt(2.0)
    out = np.zeros_like(x_km, dtype=float)
    for (sx, sy), wgt in zip(f["smelters"], (1.0, 0.5), strict=True):
        vx, vy = x_km - sx, y_km - sy
        along = vx * d[0] + vy * d[1]
        cross = np.abs(vx * d[1] - vy * d[0])
        a = np.maximum(along, 0.0)
        sig = 0.8 + 0.35 * a
        plume = np.exp(-a / 7.0) * np.exp(-(cross**2) / (2 * sig**2)) * (along > -0.8)
        near = np.exp(-(vx**2 + vy**2) / (2 * 1.0**2))
        out += wgt * (plume + near)
    sx = f["smelters"][0][0]
    dr = np.abs(y_km - river_y(x_km))
    out += (
        0.9
        * np.exp(-(dr**2) / (2 * 0.6**2))
        * np.exp(-np.maximum(x_km - sx, 0) / 10.0)
        * (x_km > sx - 0.5)
    )
    return out


def build_parcels(f: dict, units: gpd.GeoDataFrame, rng) -> gpd.GeoDataFrame:
    """Field-like rectangles (0.5-5 ha) in rotated blocks on the plain."""
    excl = units[
        units.subtype.isin(
            ["red_line", "ecological_space", "urban", "industrial_park", "weak_diffusion"]
        )
        | (units._zone.str.startswith("water_f"))
    ]
    vill = [Point(p).buffer(350) for p in f["vseeds"]]
    plain = (
        f["outline"]
        .buffer(-100)
        .difference(
            shapely.union_all([*excl.geometry.buffer(50).values, f["water_body"].buffer(80), *vill])
        )
    )
    polys, uses, blocks = [], [], []
    taken = Polygon()
    for b, (bx, by) in enumerate(BLOCKS):
        ang = float(rng.uniform(-25, 25))
        half = 1300.0
        us, vs = [], []
        v = -half
        row = 0
        while v < half:
            h = float(rng.uniform(70, 150))
            u = -half
            while u < half:
                w = float(np.clip(rng.uniform(60, 320), 5600 / h, 48000 / h))
                us.append((u + 2, u + w - 2))
                vs.append((v + 2, v + h - 2))
                u += w
            v += h + (8.0 if row % 5 == 4 else 0.0)
            row += 1
        us, vs = np.array(us), np.array(vs)
        corners = np.stack(
            [
                np.column_stack([us[:, 0], vs[:, 0]]),
                np.column_stack([us[:, 1], vs[:, 0]]),
                np.column_stack([us[:, 1], vs[:, 1]]),
                np.column_stack([us[:, 0], vs[:, 1]]),
            ],
            1,
        )
        a = np.deg2rad(ang)
        rx = corners[..., 0] * np.cos(a) - corners[..., 1] * np.sin(a)
        ry = corners[..., 0] * np.sin(a) + corners[..., 1] * np.cos(a)
        cx, cy = km(bx, by)
        rects = shapely.polygons(np.stack([rx + cx, ry + cy], -1))
        area = plain.intersection(Point(cx, cy).buffer(1900)).difference(taken)
        shapely.prepare(area)
        keep = shapely.contains(area, rects)
        rects = rects[keep]
        taken = taken.union(shapely.union_all(rects).convex_hull) if len(rects) else taken
        p_paddy = 0.85 if b < 5 else 0.65
        r = rng.random(len(rects))
        uses += np.where(
            r < p_paddy, "paddy", np.where(r < p_paddy + 0.22, "dry", "orchard")
        ).tolist()
        polys += list(rects)
        blocks += [b] * len(rects)
    polys = np.array(polys, dtype=object)
    cen = shapely.centroid(polys)
    vs = f["vseeds"]
    cxy = shapely.get_coordinates(cen)
    near = np.argmin(
        (cxy[:, None, 0] - vs[None, :, 0]) ** 2 + (cxy[:, None, 1] - vs[None, :, 1]) ** 2, axis=1
    )
    r = rng.random(len(polys))
    owner = np.where(
        r < 0.75,
        "household_contract",
        np.where(r < 0.87, "cooperative", np.where(r < 0.95, "family_farm", "collective")),
    )
    gdf = gpd.GeoDataFrame(
        dict(
            parcel_id=[f"FL{i + 1:06d}" for i in range(len(polys))],
            land_use=uses,
            village=[f["village_names"][k][0] for k in near],
            owner_type=owner,
        ),
        geometry=polys,
        crs=PROJ_CRS,
    )
    return gdf


# GB 15618-2018 (mg/kg): screening (paddy, other) and intervention, by pH band
# (<=5.5, 5.5-6.5, 6.5-7.5, >7.5); used only to report the classes of the samples.
GB15618 = {
    "cd": ((0.3, 0.4, 0.6, 0.8), (0.3, 0.3, 0.3, 0.6), (1.5, 2.0, 3.0, 4.0)),
    "hg": ((0.5, 0.5, 0.6, 1.0), (1.3, 1.8, 2.4, 3.4), (2.0, 2.5, 4.0, 6.0)),
    "as": ((30, 30, 25, 20), (40, 40, 30, 25), (200, 150, 120, 100)),
    "pb": ((80, 100, 140, 240), (70, 90, 120, 170), (400, 500, 700, 1000)),
    "cr": ((250, 250, 300, 350), (150, 150, 200, 250), (800, 850, 1000, 1300)),
}


def soil_class(df: pd.DataFrame) -> np.ndarray:
    """1 priority protection, 2 safe utilisation, 3 strict control (Cd, Hg, As, Pb, Cr)."""
    band = np.digitize(df.ph.to_numpy(), [5.5, 6.5, 7.5], right=True)
    paddy = (df.land_use == "paddy").to_numpy()
    cls = np.ones(len(df), dtype=int)
    for el, (scr_p, scr_o, itv) in GB15618.items():
        v = df[el].to_numpy()
        scr = np.where(paddy, np.array(scr_p)[band], np.array(scr_o)[band])
        cls = np.maximum(cls, np.where(v > np.array(itv)[band], 3, np.where(v > scr, 2, 1)))
    return cls


def build_samples(f: dict, parcels: gpd.GeoDataFrame, rng) -> gpd.GeoDataFrame:
    """Soil samples: lognormal background, enriched downwind and downstream of the smelters."""
    cen = parcels.geometry.centroid
    fx, fy = (cen.x.values - X0) / KM, (cen.y.values - Y0) / KM
    w = 1.0 + 5.0 * contamination(fx, fy, f)
    pick = np.sort(rng.choice(len(parcels), 560, replace=False, p=w / w.sum()))
    xy = np.column_stack([cen.x.values[pick], cen.y.values[pick]]) + rng.uniform(
        -5, 5, (len(pick), 2)
    )
    lu = np.where(parcels.land_use.values[pick] == "paddy", "paddy", "other")
    # other samples: off-parcel farmland, orchards and waste land in the plain
    plain = (
        f["outline"]
        .buffer(-300)
        .difference(
            shapely.union_all(
                [
                    f["red_blobs"][0].buffer(2000),
                    f["red_blobs"][1].buffer(2000),
                    f["red_blobs"][2].buffer(2000),
                    f["town"],
                    *(g for _, _, g in f["parks"]),
                    f["water_body"].buffer(50),
                    shapely.union_all(parcels.geometry.values).buffer(20),
                ]
            )
        )
    )
    extra = np.vstack(
        [points_in(plain, 70, rng), points_in(plain.intersection(f["soil_risk"]), 40, rng)]
    )
    xy = np.vstack([xy, extra])
    lu = np.concatenate([lu, np.full(len(extra), "other")])
    x_km, y_km = (xy[:, 0] - X0) / KM, (xy[:, 1] - Y0) / KM
    c = contamination(x_km, y_km, f)
    n = len(xy)

    def ln(median, sigma):
        return median * rng.lognormal(0.0, sigma, n)

    df = pd.DataFrame(
        dict(
            sample_id=[f"S{i + 1:04d}" for i in range(n)],
            cd=ln(0.15, 0.35) * (1 + 32.0 * c**1.5),
            hg=ln(0.08, 0.4) * (1 + 4.0 * c),
            **{"as": ln(8.0, 0.3) * (1 + 5.0 * c)},
            pb=ln(30.0, 0.3) * (1 + 12.0 * c**1.2),
            cr=ln(60.0, 0.25),
            cu=ln(25.0, 0.3) * (1 + 1.5 * c),
            ni=ln(28.0, 0.3),
            zn=ln(80.0, 0.3) * (1 + 6.0 * c),
        )
    )
    for col, nd in (
        ("cd", 3),
        ("hg", 3),
        ("as", 2),
        ("pb", 1),
        ("cr", 1),
        ("cu", 1),
        ("ni", 1),
        ("zn", 1),
    ):
        df[col] = df[col].round(nd)
    ph = np.where(lu == "paddy", rng.normal(5.6, 0.45, n), rng.normal(6.2, 0.6, n))
    df["ph"] = np.clip(ph, 4.5, 8.0).round(2)
    df["land_use"] = lu
    day = rng.integers(0, 214, n)
    df["sampled"] = (pd.Timestamp("2023-04-01") + pd.to_timedelta(day, unit="D")).strftime(
        "%Y-%m-%d"
    )
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=PROJ_CRS)


# ----------------------------------------------------------------------------- main


def main() -> int:
    t0 = time.time()
    rng = np.random.default_rng(SEED)
    f = build_frame(rng)
    f["village_names"] = village_names(len(f["vseeds"]), rng)
    units = build_units(f)
    write_zone_layers(f, units)
    build_dem(f, rng)
    lc = build_landcover(f, units, rng)
    fac = build_facilities(f, units, rng)
    write_vector(to_geo(fac), "facilities.gpkg", layer="facilities")
    prj = build_projects(f, units, rng)
    write_vector(to_geo(prj, WGS84), "projects.geojson", rfc7946=True)
    grids = build_grids(f, fac, lc)
    parcels = build_parcels(f, units, rng)
    write_vector(to_geo(parcels), "parcels.gpkg", layer="parcels")
    samples = build_samples(f, parcels, rng)
    write_vector(to_geo(samples), "soil_samples.gpkg", layer="soil_samples")
    summary(f, grids)
    build_edition2()
    print(f"generated in {time.time() - t0:.1f} s")
    return 0


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"CHECK FAILED: {what}")


def summary(f: dict, grids: dict) -> None:
    """Check the written files and print a short report."""
    ug = gpd.read_file(HERE / "units.gpkg", layer="units")
    u49 = ug.to_crs(PROJ_CRS)
    outline_g = gpd.read_file(HERE / "outline.geojson")
    outline = outline_g.to_crs(PROJ_CRS).geometry.iloc[0]
    codes = ug.code
    _check(codes.str.fullmatch(rf"ZH{ADMIN}[123]\d{{4}}").all(), "code pattern")
    _check(codes.is_unique, "codes unique")
    _check((codes.str[8].astype(int) == ug.unit_class).all(), "class digit == unit_class")
    _check(bool(ug.is_valid.all()), "units valid")
    _check(bool(shapely.coverage_is_valid(ug.geometry.values)), "units form a valid coverage")
    rel = u49.area.sum() / outline.area - 1
    overlap = u49.area.sum() - shapely.union_all(u49.geometry.values).area
    gap = outline.difference(shapely.union_all(u49.geometry.values)).area
    _check(abs(rel) < 1e-6, "sum of unit areas == outline area")
    print(
        f"outline: {outline.area / 1e6:.1f} km2 (EPSG:4549), {len(outline.exterior.coords)} "
        f"vertices; bounds {tuple(round(float(v), 3) for v in outline_g.total_bounds)}"
    )
    print(f"units: {len(ug)}; by class {ug.unit_class.value_counts().sort_index().to_dict()}")
    print(
        f"  sum of unit areas / outline area - 1 = {rel:.1e}; overlap {overlap:.3f} m2; "
        f"gap {gap:.3f} m2; coverage valid in EPSG:4490"
    )
    share = u49.area.groupby(u49.unit_class).sum()
    print("  area share by class:", (share / share.sum()).round(3).to_dict())
    print("  by subtype:", ug.groupby(["unit_class", "subtype"]).size().to_dict())

    fac = gpd.read_file(HERE / "facilities.gpkg").to_crs(PROJ_CRS)
    _check(
        bool(shapely.contains_xy(outline, fac.geometry.x, fac.geometry.y).all()),
        "facilities inside the outline",
    )
    _check(fac.facility_id.is_unique, "facility ids unique")
    print(
        f"facilities: {len(fac)} ({(fac.stage == 'proposed').sum()} proposed, "
        f"{fac.two_high.sum()} two-high); all inside the outline"
    )
    j = gpd.sjoin(fac, u49[["code", "subtype", "geometry"]], predicate="within")
    print("  planted conflicts (facility, sector, stage, unit, subtype, note):")
    for r in f["planted"].itertuples():
        u = j[j.facility_id == r.facility_id].iloc[0]
        print(f"    {r.facility_id} {r.sector} {r.stage:8s} {u.code} {u.subtype:22s} {r.note}")
    ex = fac[fac.stage == "existing"]
    print("  grid totals, t/yr (grid sum = existing facilities + area sources):")
    for key, (label, _, col) in GRID_META.items():
        tot = float(grids[key]["grid"].astype(float).sum())
        fac_t = float(ex[col].sum()) * (PM25_FRACTION if key == "pm25" else 1.0)
        area_t = grids[key]["area"]
        _check(abs(tot - fac_t - area_t) <= 1e-5 * tot, f"grid total {key}")
        print(
            f"    {label:6s} grid {tot:14,.1f} = facilities {fac_t:14,.1f} + area {area_t:10,.1f}"
        )
    conc = grids["conc"]
    print(
        f"  PM2.5 concentration: {conc.min():.1f}-{conc.max():.1f} ug/m3, "
        f"{(conc > 35).sum()} of {conc.size} cells above 35"
    )
    with rasterio.open(HERE / "grids" / "pm25_conc.tif") as src:
        pts = u49.representative_point()
        v = np.array([x[0] for x in src.sample(list(zip(pts.x, pts.y, strict=True)))])
    air = u49.subtype.isin(["high_emission", "industrial_park", "urban"]).to_numpy()
    print(
        f"  key air/park/town units with PM2.5 > 35 at their centre: {(v[air] > 35).sum()} "
        f"of {air.sum()}"
    )

    prj = gpd.read_file(HERE / "projects.geojson")
    pj = gpd.sjoin(
        prj.to_crs(PROJ_CRS), u49[["code", "subtype", "geometry"]], predicate="intersects"
    )
    print(f"projects: {len(prj)} ({prj.geom_type.value_counts().to_dict()})")
    for r in prj.itertuples():
        hit = pj[pj.project_id == r.project_id]
        kinds = ",".join(sorted(set(hit.subtype)))
        print(f"    {r.project_id} {r.geometry.geom_type:10s} {len(hit):2d} units [{kinds}]")
        print(f"         expected: {EXPECTED[r.project_id]}")

    parcels = gpd.read_file(HERE / "parcels.gpkg").to_crs(PROJ_CRS)
    samples = gpd.read_file(HERE / "soil_samples.gpkg").to_crs(PROJ_CRS)
    ha = parcels.area / 1e4
    inter = shapely.union_all(parcels.geometry.values).area - parcels.area.sum()
    _check(abs(inter) < 1.0, "parcels do not overlap")
    _check(bool(parcels.is_valid.all()), "parcels valid")
    sj = gpd.sjoin(samples, parcels[["parcel_id", "geometry"]], predicate="within")
    cls = np.bincount(soil_class(samples), minlength=4)
    print(
        f"parcels: {len(parcels)} ({ha.min():.2f}-{ha.max():.2f} ha, "
        f"{parcels.land_use.value_counts().to_dict()}); no overlaps"
    )
    print(
        f"soil samples: {len(samples)}, {len(sj)} inside parcels "
        f"({sj.parcel_id.nunique()} parcels sampled); GB 15618-2018 classes: priority "
        f"{cls[1]}, safe utilisation {cls[2]}, strict control {cls[3]}"
    )
    soil_units = u49[u49.subtype == "soil_pollution_risk"].geometry.union_all()
    in_risk = samples.within(soil_units)
    print(
        f"  strict-control samples inside soil pollution-risk units: "
        f"{int((soil_class(samples[in_risk]) == 3).sum())} of {cls[3]}"
    )
    sizes = sorted(
        (p.stat().st_size, p.relative_to(HERE))
        for p in HERE.rglob("*")
        if p.is_file() and p.suffix in (".gpkg", ".geojson", ".tif")
    )
    total = sum(s for s, _ in sizes)
    print(f"files: {len(sizes)}, {total / 1e6:.1f} MB in all")


# ----------------------------------------------------------------------------- edition 2


def build_edition2() -> tuple[Path, Path]:
    """The demo's second edition (动态更新): ``units_v2.gpkg`` and ``rules_v2.yaml``.

    Made from the first edition's files (so they are not rebuilt): general unit
    ZH33990130015 split in two (the east half gets ZH33990130097), ZH33990130012 and
    ZH33990130014 merged (ZH33990130014 retired), general unit ZH33990130054 reclassified as
    a key air (high-emission) unit ZH33990120017 with that access list, priority farmland
    unit ZH33990110028 shrunk by its part north of 29.94°N (to ZH33990130025), a clause
    added to the industrial parks' risk list and one reworded in the county town's spatial
    list; in the rules, EMI-01's de-minimis lowered from 1 to 0.25 t/yr.  Run
    ``python data/generate.py edition2`` to write only these two files.
    """
    units = gpd.read_file(HERE / "units.gpkg", layer="units")
    u = units.set_index("code", drop=False)
    rows = {c: u.loc[c].to_dict() for c in u.index}
    # 1. split ZH33990130015 along the meridian through its centroid (cut in EPSG:4490,
    #    so the outer boundary keeps its vertices and the tiling stays exact)
    g = rows["ZH33990130015"]["geometry"]
    x0, y0, x1, y1 = g.bounds
    cut = box(x0 - 1, y0 - 1, g.centroid.x, y1 + 1)
    rows["ZH33990130015"]["geometry"] = shapely.intersection(g, cut)
    east = dict(rows["ZH33990130015"], code="ZH33990130097", geometry=shapely.difference(g, cut))
    east["name"] = rows["ZH33990130015"]["name"].replace("片区", "东片区")
    east["name_en"] = rows["ZH33990130015"]["name_en"] + " (east)"
    rows["ZH33990130097"] = east
    # 2. merge ZH33990130014 into ZH33990130012
    rows["ZH33990130012"]["geometry"] = shapely.union(
        rows["ZH33990130012"]["geometry"], rows.pop("ZH33990130014")["geometry"]
    )
    # 3. reclassify ZH33990130054 as a key air unit (code class digit 2)
    tmpl = u[u["subtype"] == "high_emission"].iloc[0]
    r = dict(rows.pop("ZH33990130054"))
    r.update(
        {
            k: tmpl[k]
            for k in (
                "unit_class",
                "element",
                "subtype",
                *[c for c in units.columns if c.startswith("access_")],
            )
        }
    )
    r["code"] = "ZH33990120017"
    r["name"] = r["name"].replace("一般管控单元", "大气环境高排放重点管控单元")
    r["name_en"] = r["name_en"].replace(
        "general control unit", "high-emission air key control unit"
    )
    rows["ZH33990120017"] = r
    # 4. priority farmland ZH33990110028 loses its part north of 29.94°N to ZH33990130025
    cut = box(119.8, 29.94, 119.95, 30.0)
    strip = shapely.intersection(rows["ZH33990110028"]["geometry"], cut)
    rows["ZH33990110028"]["geometry"] = shapely.difference(rows["ZH33990110028"]["geometry"], cut)
    rows["ZH33990130025"]["geometry"] = shapely.union(rows["ZH33990130025"]["geometry"], strip)
    # 5. access-list clauses
    for r in rows.values():
        if r["subtype"] == "industrial_park":
            r["access_risk"] += "3. 园区建立环境风险隐患排查治理制度，定期开展应急演练。"
            r["access_risk_en"] += (
                " 3. The park keeps a hazard inspection system and holds regular emergency drills."
            )
        if r["subtype"] == "urban":
            r["access_spatial"] = r["access_spatial"].replace(
                "禁止在居住区周边", "禁止在居住区及学校、医院周边"
            )
            r["access_spatial_en"] = r["access_spatial_en"].replace(
                "housing", "housing, schools and hospitals", 1
            )
    out = gpd.GeoDataFrame(list(rows.values()), columns=units.columns, crs=units.crs)
    for c in out.columns:
        if c != "geometry" and out[c].dtype == object:
            out[c] = out[c].astype(str)
    out["unit_class"] = out["unit_class"].astype("int64")
    out = out.sort_values(["unit_class", "code"], kind="stable").reset_index(drop=True)
    out = out.set_geometry(shapely.normalize(out.geometry.values), crs=units.crs)

    # the tiling, checked in EPSG:4490 where the cuts were made (deg² → m² at 30°N)
    m2 = 111_320.0**2 * np.cos(np.radians(30.0))
    union = shapely.union_all(out.geometry.values).area
    _check(
        abs(shapely.area(out.geometry.values).sum() - union) * m2 < 1.0,
        "edition 2 units overlap < 1 m2",
    )
    _check(abs(union - units.union_all().area) * m2 < 1.0, "edition 2 covers the county")
    units_path = write_vector(out, "units_v2.gpkg", layer="units")
    text = (HERE / "rules.yaml").read_text(encoding="utf-8")
    head, rest = text.split("  - id: EMI-01\n", 1)
    block, tail = rest.split("  - id: EMI-04\n", 1)
    block = (
        block.replace("1吨/年", "0.25吨/年")
        .replace("under 1 t/yr", "under 0.25 t/yr")
        .replace("1 t/yr or more", "0.25 t/yr or more")
        .replace("{pollutant: so2, ge: 1}", "{pollutant: so2, ge: 0.25}")
        .replace("{pollutant: nox, ge: 1}", "{pollutant: nox, ge: 0.25}")
    )
    head = head.replace(
        "version: 1\n",
        "# Edition 2 (made by data/generate.py build_edition2): EMI-01 tightened.\nversion: 1\n",
        1,
    )
    rules_path = HERE / "rules_v2.yaml"
    rules_path.write_text(
        head + "  - id: EMI-01\n" + block + "  - id: EMI-04\n" + tail, encoding="utf-8"
    )
    print(f"edition 2: {len(out)} units -> {units_path.name}, {rules_path.name}")
    return units_path, rules_path


def build_newenergy() -> list[Path]:
    """New-energy demo layers (issue 14): a closed mine, a contaminated former factory site
    (with GB 36600 samples), farmland, shrub forest and a permanent-basic-farmland plot,
    a substation, a road.  Deterministic; existing files are not touched.

        python data/generate.py newenergy
    """
    from shapely.geometry import LineString, Point, box

    x0, y0 = gpd.GeoSeries([Point(119.796, 29.897)], crs=GEO_CRS).to_crs(PROJ_CRS).iloc[0].coords[0]

    def plot(dx, dy, w, h):
        return box(x0 + dx, y0 + dy, x0 + dx + w, y0 + dy + h)

    rows = [  # id, land use, name, geometry (metres from the anchor)
        ("NE01", "mine", "关闭矿山（采石场）", plot(0, 0, 600, 400)),
        ("NE02", "construction", "原化工厂污染地块", plot(800, 0, 350, 300)),
        ("NE03", "cropland", "严格管控类耕地", plot(0, 600, 300, 300)),
        ("NE04", "cropland", "严格管控类耕地", plot(320, 600, 300, 300)),
        ("NE05", "shrub_forest", "灌木林地", plot(800, 600, 400, 300)),
        ("NE06", "permanent_basic_farmland", "永久基本农田", plot(0, 1100, 400, 300)),
        ("NE07", "subsidence", "采煤沉陷区（非耕地）", plot(1400, 0, 500, 500)),
    ]
    plots = gpd.GeoDataFrame(
        {
            "plot_id": [r[0] for r in rows],
            "land_use": [r[1] for r in rows],
            "name": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs=PROJ_CRS,
    )
    rng = np.random.default_rng(36600)
    pts = [
        Point(x0 + 800 + 50 + 250 * rng.random(), y0 + 50 + 200 * rng.random()) for _ in range(6)
    ]
    samples = gpd.GeoDataFrame(
        {
            "sample_id": [f"S{i + 1:02d}" for i in range(6)],
            "Arsenic": [18.0, 45.0, 72.0, 130.0, 25.0, 61.0],
            "Cadmium": [3.0, 12.0, 30.0, 70.0, 5.0, 21.0],
            "Lead": [300.0, 500.0, 900.0, 1200.0, 350.0, 820.0],
            "land_class": [2, 2, 2, 2, 2, 2],
        },
        geometry=pts,
        crs=PROJ_CRS,
    )
    sub = gpd.GeoDataFrame(
        {"name": ["110 kV 变电站"]}, geometry=[Point(x0 + 1200, y0 - 300)], crs=PROJ_CRS
    )
    road = gpd.GeoDataFrame(
        {"name": ["县道"]},
        geometry=[LineString([(x0 - 200, y0 - 100), (x0 + 2200, y0 - 100)])],
        crs=PROJ_CRS,
    )
    out = []
    for frame, name in (
        (plots, "newenergy_plots"),
        (samples, "newenergy_samples"),
        (sub, "substations"),
        (road, "roads"),
    ):
        write_vector(to_geo(frame), f"{name}.gpkg", layer=name)
        out.append(HERE / f"{name}.gpkg")
    print(f"new energy: {len(plots)} plots, {len(samples)} samples, substation, road")
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["newenergy"]:
        build_newenergy()
        sys.exit(0)
    if sys.argv[1:] == ["edition2"]:
        build_edition2()
        sys.exit(0)
    sys.exit(main())
