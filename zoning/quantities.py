"""Quantities and units of measure of grid cells: the registry every reader and writer uses.

A :class:`Grid` knows what its cells hold — its *quantity* — and in which units:

``amount``
    an amount per cell, e.g. ``t/cell/yr`` (emission inventories such as MEIC or a
    provincial 1 km inventory).  Read as t/yr per cell; ``people/cell`` (WorldPop
    counts) as people per cell.  Summed over units.
``flux``
    an amount per area and time, e.g. ``kg m-2 s-1`` (EDGAR, ODIAC).  Read as t/yr per
    cell, multiplied by the *true* area of each cell (ellipsoidal for longitude/latitude
    grids, so cells shrink towards the poles).
``concentration``
    e.g. ``µg/m³``; read in µg/m³ (``mg/m3`` converted).  Concentrations are averaged,
    never summed.
``intensive``
    any other value that is averaged, never summed: elevation (``m``), slope
    (``degree``), shares (``%``, ``1``), densities (``people/km2``), irradiation
    (``kWh/m2/yr``) ...  Read in the declared units (any spelling is accepted: nothing
    is converted).
``unknown``
    a grid that declares neither its quantity nor known units.  Its values are read as
    stored and its units are *unknown*: never assumed to be t/cell/yr (outputs say so).

"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from zoning.errors import InputError

log = logging.getLogger(__name__)


Quantity = Literal["amount", "flux", "concentration", "intensive"]
QUANTITIES: tuple[str, ...] = ("amount", "flux", "concentration", "intensive")

#: The quantity of a grid that declares neither its quantity nor known units: its values
#: are read as they are, its units are unknown (never assumed to be t/cell/yr).
UNKNOWN = "unknown"

#: Quantities that are summed over a unit (the others are averaged, never summed).
EXTENSIVE: tuple[str, ...] = ("amount", "flux")

#: Seconds in the 365-day year used to turn per-second fluxes into annual amounts.
SECONDS_PER_YEAR = 365 * 86400.0

#: Output units of each quantity once read (an intensive grid keeps its declared units;
#: an amount in people stays in people).
OUTPUT_UNITS: dict[str, str] = {
    "amount": "t/yr",  # per cell
    "flux": "t/yr",  # per cell, after multiplying by the true cell area
    "concentration": "µg/m³",
}


@dataclass(frozen=True)
class UnitSpec:
    """A known spelling of units: its quantity, the factor to the output units, and the
    labels people read (``label``: the declared units; ``output``: units once read)."""

    quantity: str
    factor: float
    label: str
    output: str


#: Declared units (normalised, see ``_norm_units``) → :class:`UnitSpec`.
UNITS: dict[str, UnitSpec] = {}

#: Declared units → (quantity, factor).  amount: factor to t/yr per cell (people: to
#: people per cell); flux: factor to t per m2 per yr; concentration: factor to µg/m³;
#: intensive: 1 (averaged in the declared units).  Keys are normalised (see _norm_units).
UNIT_FACTORS: dict[str, tuple[str, float]] = {}

#: Quantity names found in files' metadata (``quantity`` tag) that mean an intensive grid.
_INTENSIVE_TAGS = {
    "intensive",
    "elevation",
    "dem",
    "height",
    "slope",
    "share",
    "fraction",
    "density",
    "irradiation",
    "temperature",
    "precipitation",
}


def _norm_units(text: str) -> str:
    s = str(text).strip().lower()
    for a, b in (
        ("µ", "u"),
        ("μ", "u"),
        ("³", "3"),
        ("²", "2"),
        ("⁻¹", "-1"),
        ("⁻²", "-2"),
        ("·", " "),
        ("*", " "),
        ("^", ""),
        ("per", "/"),
        ("year", "yr"),
    ):
        s = s.replace(a, b)
    s = re.sub(r"\s+", " ", s).strip()
    # "kg m-2 s-1" and "kg/m2/s" spell the same thing: turn "x-1" into "/x"
    parts = s.replace("/", " /").split()
    out = []
    for p in parts:
        m = re.fullmatch(r"/?([a-z]+)(-?\d)?", p)
        if m and (m.group(2) or "").startswith("-"):
            power = m.group(2)[1:]
            out.append("/" + m.group(1) + ("" if power == "1" else power))
        else:
            out.append(p)
    return "".join(out).replace(" ", "")


def _pretty(text: str) -> str:
    """``ug/m3`` → ``µg/m³``, ``kg m-2 s-1`` → ``kg m⁻² s⁻¹``: units as people write them."""
    s = re.sub(r"\bug\b|\bug(?=/)", "µg", text)
    s = re.sub(r"(?<=[a-zA-Z])3\b", "³", s)
    s = re.sub(r"(?<=[a-zA-Z])2\b", "²", s)
    return s.replace("-1", "⁻¹").replace("-2", "⁻²").replace("-3", "⁻³")


def _register(
    spellings: tuple[str, ...], quantity: str, factor: float, output: str | None = None
) -> None:
    """Register spellings of one unit; the first, made pretty, is its label."""
    label = _pretty(spellings[0])
    spec = UnitSpec(quantity, factor, label, output or OUTPUT_UNITS.get(quantity, label))
    for s in spellings:
        UNITS[_norm_units(s)] = spec
        UNIT_FACTORS[_norm_units(s)] = (quantity, factor)


for _m, _f in {"t": 1.0, "kt": 1e3, "Gg": 1e3, "kg": 1e-3, "g": 1e-6}.items():
    _register(
        (f"{_m}/cell/yr", f"{_m} cell-1 yr-1", f"{_m}/yr", f"{_m} yr-1", f"{_m}/cell/a", f"{_m}/a"),
        "amount",
        _f,
    )
    _register((f"{_m} m-2 yr-1", f"{_m}/m2/yr"), "flux", _f)
    _register((f"{_m} km-2 yr-1", f"{_m}/km2/yr"), "flux", _f / 1e6)
    _register((f"{_m} ha-1 yr-1", f"{_m}/ha/yr"), "flux", _f / 1e4)
    _register((f"{_m} m-2 s-1", f"{_m}/m2/s"), "flux", _f * SECONDS_PER_YEAR)
_register(("t/cell/yr", "吨/格/年", "吨/年"), "amount", 1.0)
_register(
    ("people/cell", "persons/cell", "inhabitants/cell", "people", "人/格", "人"),
    "amount",
    1.0,
    "people",
)
_register(("ug/m3", "ug m-3", "微克/立方米"), "concentration", 1.0)
_register(("mg/m3", "mg m-3", "毫克/立方米"), "concentration", 1e3)
_register(("ng/m3", "ng m-3"), "concentration", 1e-3)
for _spellings in (
    ("m", "metre", "metres", "meter", "meters", "米"),
    ("°", "degree", "degrees", "deg", "度"),
    ("%", "percent", "pct", "百分比"),
    ("1", "share", "fraction", "ratio", "比例"),
    ("people/km2", "people km-2", "persons/km2", "inhabitants/km2", "人/km2", "人/平方公里"),
    ("people/ha", "persons/ha", "人/公顷"),
    ("kWh/m2/yr", "kWh m-2 yr-1", "kWh/m2/a", "kWh/m2"),
    ("kWh/m2/day", "kWh m-2 d-1", "kWh/m2/d"),
    ("MJ/m2/yr", "MJ m-2 yr-1", "MJ/m2/a"),
    ("W/m2", "W m-2"),
    ("mm/yr", "mm yr-1", "mm/a", "毫米/年"),
    ("mm", "毫米"),
    ("°C", "degC", "deg C", "celsius", "摄氏度"),
    ("t/ha", "t ha-1", "吨/公顷"),
    ("m/s", "m s-1"),
):
    _register(_spellings, "intensive", 1.0)

#: zh renderings of the words in unit labels (symbols stay as they are).
_ZH_WORDS = (
    ("units unknown", "单位未知"),
    ("unknown", "单位未知"),
    (" per cell", "/格"),
    ("/cell", "/格"),
    ("cells", "格"),
    ("/yr", "/年"),
    ("/day", "/日"),
    ("people", "人"),
)


def units_label(units: str | None, lang: str = "en") -> str:
    """Units as people read them in ``lang``: ``t/yr`` → ``t/年``, ``µg/m³`` unchanged,
    None (not declared) → ``units unknown`` / ``单位未知``."""
    text = units or "units unknown"
    if lang == "zh":
        for a, b in _ZH_WORDS:
            text = text.replace(a, b)
    return text


def declared_units_label(units: str | None, lang: str = "en") -> str:
    """Declared units as people read them: ``ug/m3`` → ``µg/m³``, ``t/cell/yr`` →
    ``t/格/年`` in zh; unregistered spellings as given; None → ``units unknown``."""
    if not units:
        return units_label(None, lang)
    spec = UNITS.get(_norm_units(units))
    return units_label(spec.label if spec is not None else _pretty(str(units)), lang)


def unit_factor(units: str, quantity: Quantity) -> float:
    """The conversion factor of ``units`` for ``quantity`` (see :data:`UNIT_FACTORS`).

    Raises
    ------
    InputError
        When the units are unknown or belong to another quantity.
    """
    key = _norm_units(units)
    found = UNIT_FACTORS.get(key)
    known = sorted({UNITS[k].label for k, (q, _) in UNIT_FACTORS.items() if q == quantity})
    if found is None:
        raise InputError(
            f"units '{units}' are not known for a {quantity} grid; known: {known}",
            field="units",
            fix="declare the grid's units, e.g. units='t/cell/yr'"
            + ("" if quantity == "intensive" else ", or declare it an intensive grid"),
        )
    if found[0] != quantity:
        raise InputError(
            f"units '{units}' are those of a {found[0]}, but the grid was declared a {quantity}",
            field="quantity",
            fix=f"declare quantity='{found[0]}' or give {quantity} units {known}",
        )
    return found[1]


def _quantity_of(units: str) -> str | None:
    found = UNIT_FACTORS.get(_norm_units(units))
    return None if found is None else found[0]


def declare(
    quantity: str | None,
    units: str | None,
    found_units: str | None,
    source,
    found_quantity: str | None = None,
) -> tuple[str, str | None]:
    """(quantity, units) of a grid from what the caller and the file's metadata declare.

    Units never invented: a grid declaring neither gets quantity ``unknown`` and units
    None (read as they are).  A flux needs its units (to convert them).
    """
    if quantity is not None and quantity not in QUANTITIES:
        raise InputError(
            f"quantity was '{quantity}' but is expected to be in {QUANTITIES}",
            source=source,
            field="quantity",
            fix="declare amount (per cell), flux (per m2 and time), concentration or "
            "intensive (elevation, slope, shares, densities: averaged)",
        )
    if quantity is None and found_quantity:
        tag = str(found_quantity).strip().lower()
        if tag in QUANTITIES:
            quantity = tag
        elif tag in _INTENSIVE_TAGS:
            quantity = "intensive"
        else:
            raise InputError(
                f"the grid's metadata declares quantity '{found_quantity}', which is not "
                f"one of {QUANTITIES}",
                source=source,
                field="quantity",
                fix="declare what its cells hold in `quantities` (or open_grid's quantity=), "
                "e.g. intensive",
            )
    if units is None and found_units:
        known = _quantity_of(found_units)
        if known is not None and quantity in (None, known):
            units = found_units
        elif known is not None:
            unit_factor(found_units, quantity)  # raises: the metadata says another quantity
        elif quantity == "intensive":
            units = found_units  # averaged in its own units: nothing to convert
        else:
            log.warning(
                "%s: the units '%s' in the grid's metadata are not recognised%s; taken as "
                "unknown (declare the grid's units: grid_units, or open_grid's units=)",
                source,
                found_units,
                f" for a {quantity} grid" if quantity else "",
            )
    if units is not None:
        if quantity is None:
            quantity = _quantity_of(units)
            if quantity is None:
                unit_factor(units, "amount")  # raises: units nobody can interpret
        if not (quantity == "intensive" and _quantity_of(units) is None):
            unit_factor(units, quantity)  # raises on unknown or mismatched units
    if quantity is None:
        quantity = UNKNOWN
    if quantity == "flux" and units is None:
        raise InputError(
            "a flux grid needs its units to be converted into amounts, and none are declared",
            source=source,
            field="units",
            fix="declare them in `grid_units` (or open_grid's units=), e.g. 'kg m-2 s-1'",
        )
    return quantity, units
