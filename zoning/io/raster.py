"""Reading grids: GeoTIFF and NetCDF (through rasterio/GDAL), or arrays with an Affine.

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

Every conversion is an explicit factor from :data:`UNIT_FACTORS`; a year is 365 days
(:data:`SECONDS_PER_YEAR`).  Nodata values, GDAL mask bands and NaN are all treated as
missing; scale and offset (e.g. NetCDF ``scale_factor``/``add_offset``) are applied.

Reading is block by block (:meth:`Grid.read`): a grid never has to fit in memory.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
from affine import Affine
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from zoning.errors import CRSError, DataSourceError, InputError

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


# --- cell areas --------------------------------------------------------------------------


def _authalic_integral(lat_rad: np.ndarray, a: float, e2: float) -> np.ndarray:
    """∫ of the ellipsoid's area element over latitude (per radian of longitude)."""
    s = np.sin(lat_rad)
    if e2 == 0:
        return a * a * s
    e = math.sqrt(e2)
    b2 = a * a * (1 - e2)
    return 0.5 * b2 * (s / (1 - e2 * s * s) + np.arctanh(e * s) / e)


def cell_areas_m2(
    transform: Affine, crs: CRS, rows: np.ndarray | None = None, height: int = 1
) -> np.ndarray:
    """True area in m2 of the cells of each row (one value per row).

    For a longitude/latitude grid, the exact area of each cell on the CRS's ellipsoid;
    for a projected grid, the nominal cell area ``|a * e|`` in square metres.
    """
    rows = np.arange(height) if rows is None else np.asarray(rows)
    if crs.is_geographic:
        ell = crs.ellipsoid
        a = ell.semi_major_metre
        inv_f = ell.inverse_flattening
        f = 0.0 if not inv_f else 1.0 / inv_f
        e2 = f * (2 - f)
        lat_top = transform.f + rows * transform.e
        lat_bot = lat_top + transform.e
        hi = np.radians(np.clip(np.maximum(lat_top, lat_bot), -90, 90))
        lo = np.radians(np.clip(np.minimum(lat_top, lat_bot), -90, 90))
        dlon = math.radians(abs(transform.a))
        return dlon * (_authalic_integral(hi, a, e2) - _authalic_integral(lo, a, e2))
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return np.full(rows.shape, abs(transform.a * transform.e) * unit * unit, dtype="float64")


# --- the grid ---------------------------------------------------------------------------


@dataclass
class Grid:
    """A single-band grid, in a file or in memory, with its quantity and units.

    Build one with :func:`open_grid` (files) or :func:`grid_from_array` (arrays); the
    rows are always read north-up (a bottom-up NetCDF is flipped on reading).
    """

    name: str
    transform: Affine
    crs: CRS
    width: int
    height: int
    quantity: str
    units: str | None
    nodata: float | None = None
    scale: float = 1.0
    offset: float = 0.0
    source: str | None = None
    band: int = 1
    _array: np.ndarray | None = field(default=None, repr=False)
    _dataset: object | None = field(default=None, repr=False)
    _flip: bool = field(default=False, repr=False)
    _mask_band: bool = field(default=False, repr=False)
    _open_args: dict | None = field(default=None, repr=False)

    def __reduce_ex__(self, protocol):
        # a grid open on a file travels (to a Dask worker) as how to open it again there
        if self._dataset is not None and self._open_args is not None:
            return (_reopen_grid, (self._open_args,))
        return super().__reduce_ex__(protocol)

    # derived --------------------------------------------------------------------------
    @property
    def declared(self) -> bool:
        """Whether the grid's units were declared (else they are unknown)."""
        return self.units is not None

    @property
    def spec(self) -> UnitSpec | None:
        """The registered units (None: not declared, or an intensive grid's own units)."""
        return None if self.units is None else UNITS.get(_norm_units(self.units))

    @property
    def output_units(self) -> str:
        """Units of the values :meth:`read` returns (``t/yr`` per cell, ``µg/m³``, the
        declared units of an intensive grid, ``unknown`` when none were declared)."""
        if self.units is None:
            return "unknown"
        spec = self.spec
        return spec.output if spec is not None else self.units

    @property
    def summed(self) -> bool:
        """Whether values are amounts summed over a unit (False: averaged, never summed;
        a grid of unknown quantity is summed only when asked)."""
        return self.quantity in EXTENSIVE

    def units_label(self, lang: str = "en") -> str:
        """The declared units as people read them (``µg/m³``, ``t/格/年``, ``单位未知``)."""
        return declared_units_label(self.units, lang)

    @property
    def factor(self) -> float:
        """Factor from declared units to output units (per m2 for a flux; 1 when the
        units are unknown or an intensive grid's own)."""
        spec = self.spec
        return 1.0 if spec is None else spec.factor

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        t = self.transform
        x0, x1 = t.c, t.c + t.a * self.width
        y0, y1 = t.f, t.f + t.e * self.height
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    @property
    def is_plain(self) -> bool:
        """Whether raw values are already output values (no scale, factor or mask band)."""
        return (
            self.quantity != "flux"
            and self.factor == 1.0
            and self.scale == 1.0
            and self.offset == 0.0
            and not self._mask_band
            and not self._flip
        )

    def cell_areas_m2(self, row0: int = 0, nrows: int | None = None) -> np.ndarray:
        """True cell areas (m2) of rows ``row0 .. row0 + nrows`` (one value per row)."""
        nrows = self.height - row0 if nrows is None else nrows
        return cell_areas_m2(self.transform, self.crs, np.arange(row0, row0 + nrows))

    # reading --------------------------------------------------------------------------
    def read_raw(
        self, row0: int = 0, col0: int = 0, nrows: int | None = None, ncols: int | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw values of a window (north-up) and a mask of invalid cells (or None)."""
        nrows = self.height - row0 if nrows is None else nrows
        ncols = self.width - col0 if ncols is None else ncols
        if self._array is not None:
            raw = self._array[row0 : row0 + nrows, col0 : col0 + ncols]
            invalid = None
            if np.ma.isMaskedArray(raw):
                invalid = np.ma.getmaskarray(raw)
                raw = raw.data
        else:
            from rasterio.windows import Window

            r0 = self.height - row0 - nrows if self._flip else row0
            win = Window(col0, r0, ncols, nrows)
            raw = self._dataset.read(self.band, window=win)
            invalid = None
            if self._mask_band:
                invalid = self._dataset.read_masks(self.band, window=win) == 0
            if self._flip:
                raw = raw[::-1]
                invalid = None if invalid is None else invalid[::-1]
        if self.nodata is not None:
            nd = (raw == self.nodata) if not math.isnan(self.nodata) else np.isnan(raw)
            invalid = nd if invalid is None else (invalid | nd)
        return raw, invalid

    def read(
        self, row0: int = 0, col0: int = 0, nrows: int | None = None, ncols: int | None = None
    ) -> np.ndarray:
        """Values of a window in output units (float64), NaN where missing.

        Amounts and fluxes come as t/yr per cell (people per cell), concentrations as
        µg/m³, intensive grids in their declared units, undeclared grids as stored.
        """
        nrows = self.height - row0 if nrows is None else nrows
        raw, invalid = self.read_raw(row0, col0, nrows, ncols)
        out = raw.astype("float64", copy=True)
        if self.scale != 1.0:
            out *= self.scale
        if self.offset != 0.0:
            out += self.offset
        factor = self.factor
        if factor != 1.0:
            out *= factor
        if self.quantity == "flux":
            out *= self.cell_areas_m2(row0, nrows)[:, None]
        if invalid is not None:
            out[invalid] = np.nan
        return out

    def read_preview(self, max_cells: int = 2_000_000) -> tuple[np.ndarray, Affine]:
        """Every k-th cell (k chosen so at most ``max_cells`` remain), for maps.

        Read block by block; values in output units, NaN where missing.  Returns the
        array and its transform.
        """
        k = max(1, math.ceil(math.sqrt(self.width * self.height / max(1, max_cells))))
        if k == 1:
            return self.read(), self.transform
        parts = []
        step = k * max(1, 4096 // k)
        for r0 in range(0, self.height, step):
            block = self.read(r0, 0, min(step, self.height - r0), self.width)
            parts.append(block[::k, ::k])
        return np.vstack(parts), self.transform @ Affine.scale(k, k)

    def close(self) -> None:
        """Close the file behind the grid (arrays: nothing to do)."""
        if self._dataset is not None:
            self._dataset.close()
            self._dataset = None

    def __enter__(self) -> Grid:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_crs(crs, source) -> CRS:
    if crs is None:
        raise CRSError(
            "the grid declares no coordinate reference system",
            source=source,
            fix="pass crs= (e.g. EPSG:4549 or EPSG:4326) or add a CRS to the file",
        )
    try:
        return CRS.from_user_input(crs)
    except ProjCRSError as exc:
        raise CRSError(
            f"'{crs}' is not a known CRS",
            source=source,
            fix="give an EPSG code such as EPSG:4490 or EPSG:4549",
        ) from exc


def _check_transform(transform: Affine, source) -> None:
    if transform.b != 0 or transform.d != 0:
        raise InputError(
            "rotated or sheared grids are not supported",
            source=source,
            fix="warp the grid to a north-up grid first (gdalwarp)",
        )
    if transform.a == 0 or transform.e == 0:
        raise InputError(
            "the grid has a zero cell size", source=source, fix="check the grid's geotransform"
        )


def _declare(
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
                fix="declare what its cells hold, e.g. --quantity NAME=intensive",
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
                "unknown (declare them with --grid-units NAME=UNITS)",
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
            fix="declare them, e.g. --grid-units NAME='kg m-2 s-1'",
        )
    return quantity, units


def grid_from_array(
    array: np.ndarray,
    transform: Affine,
    crs,
    /,
    *,
    name: str = "grid",
    nodata: float | None = None,
    quantity: Quantity | None = None,
    units: str | None = None,
    scale: float = 1.0,
    offset: float = 0.0,
) -> Grid:
    """A grid from a 2-D array (masked arrays are respected) and its Affine transform.

    Parameters
    ----------
    array : ndarray, 2-D
        Cell values, first row at the top when ``transform.e < 0`` (the usual case).
    transform : Affine
        Cell (0, 0) corner and cell size; rotation is not supported.
    crs : str, int or CRS
        The grid's CRS.
    name : str, optional (default: "grid")
        Used in column names (``<name>_sum``).
    nodata : float, optional (default: None)
        Value of missing cells; NaN is always missing.
    quantity : {"amount", "flux", "concentration", "intensive"}, optional
        (default: from units, else ``unknown``)
    units : str, optional (default: None, units unknown; never assumed)
    scale, offset : float, optional (default: 1, 0)
        Applied to raw values: ``value = raw * scale + offset``.
    """
    arr = np.asanyarray(array)
    if arr.ndim != 2:
        raise InputError(
            f"the grid array has {arr.ndim} dimensions; expected 2",
            field=name,
            fix="pass one band, e.g. array[0]",
        )
    transform = Affine(*tuple(transform)[:6])
    _check_transform(transform, name)
    crs = _check_crs(crs, name)
    quantity, units = _declare(quantity, units, None, name)
    flip = transform.e > 0
    if flip:  # store north-up
        arr = arr[::-1]
        transform = Affine(
            transform.a, 0, transform.c, 0, -transform.e, transform.f + transform.e * arr.shape[0]
        )
    if np.issubdtype(arr.dtype, np.floating) and nodata is None:
        nodata = float("nan")
    return Grid(
        name=name,
        transform=transform,
        crs=crs,
        width=arr.shape[1],
        height=arr.shape[0],
        quantity=quantity,
        units=units,
        nodata=nodata,
        scale=float(scale),
        offset=float(offset),
        _array=arr,
    )


def _reopen_grid(args: dict) -> Grid:
    return open_grid(args["source"], **{k: v for k, v in args.items() if k != "source"})


def open_grid(
    source: str | PathLike,
    /,
    *,
    name: str | None = None,
    quantity: Quantity | None = None,
    units: str | None = None,
    band: int = 1,
    variable: str | None = None,
    crs=None,
) -> Grid:
    """Open a grid file (GeoTIFF, NetCDF, anything GDAL reads) without reading its cells.

    Parameters
    ----------
    source : path
        The file; for a NetCDF with several variables, name one with ``variable`` (or
        pass ``NETCDF:"file.nc":var``).
    name : str, optional (default: the file's stem)
    quantity : {"amount", "flux", "concentration", "intensive"}, optional
        What the cells hold.  Default: the file's ``quantity`` tag, else from ``units``,
        else from the file's units metadata (band ``units``, NetCDF ``units``), else
        ``unknown`` (values read as stored, units unknown: never assumed).
    units : str, optional (default: the file's units metadata, else None: unknown)
    band : int, optional (default: 1)
    variable : str, optional (default: None)
        NetCDF variable (subdataset) to read.
    crs : optional (default: None)
        CRS to assume when the file declares none.

    Returns
    -------
    Grid
        Open on the file; close it (or use it as a context manager) when done.
    """
    import rasterio
    from rasterio.enums import MaskFlags
    from rasterio.errors import RasterioIOError

    path = str(source)
    if not path.upper().startswith(("NETCDF:", "/VSI", "HDF5:")) and not Path(path).exists():
        raise DataSourceError(
            "file not found",
            source=path,
            fix="check the path (relative paths start in the current folder)",
        )
    try:
        ds = rasterio.open(path)
    except RasterioIOError as exc:
        raise DataSourceError(
            f"cannot open the grid ({exc})",
            source=path,
            fix="give a GeoTIFF or NetCDF file GDAL can read",
        ) from exc
    opened = path
    if ds.count == 0 and ds.subdatasets:
        subs = {s.split(":")[-1]: s for s in ds.subdatasets}
        ds.close()
        if variable is None and len(subs) == 1:
            variable = next(iter(subs))
        if variable not in subs:
            raise DataSourceError(
                f"the file holds several variables {sorted(subs)}",
                source=path,
                field="variable",
                fix="name one, e.g. variable='emi_nox'",
            )
        opened = subs[variable]
        ds = rasterio.open(opened)
    try:
        if not 1 <= band <= ds.count:
            raise DataSourceError(
                f"band {band} does not exist; the grid has {ds.count}",
                source=path,
                field="band",
                fix="pick a band in 1..count",
            )
        grid_crs = _check_crs(ds.crs if ds.crs is not None else crs, path)
        transform = ds.transform
        _check_transform(transform, path)
        tags = {**ds.tags(), **ds.tags(band)}  # band tags win over dataset tags
        found_units = ds.units[band - 1] or tags.get("units") or tags.get("NC_GLOBAL#units")
        found_q = tags.get("quantity")
        quantity, units = _declare(quantity, units, found_units, path, found_q)
        flags = ds.mask_flag_enums[band - 1]
        mask_band = not (MaskFlags.all_valid in flags or MaskFlags.nodata in flags)
        flip = transform.e > 0
        if flip:
            transform = Affine(
                transform.a, 0, transform.c, 0, -transform.e, transform.f + transform.e * ds.height
            )
        nodata = ds.nodatavals[band - 1]
        if nodata is None and ds.dtypes[band - 1].startswith("float"):
            nodata = float("nan")
        grid = Grid(
            name=name or variable or Path(path.split(":")[-1].strip('"')).stem,
            transform=transform,
            crs=grid_crs,
            width=ds.width,
            height=ds.height,
            quantity=quantity,
            units=units,
            nodata=nodata,
            scale=float(ds.scales[band - 1] or 1.0),
            offset=float(ds.offsets[band - 1] or 0.0),
            source=path,
            band=band,
            _dataset=ds,
            _flip=flip,
            _mask_band=mask_band,
        )
        grid._open_args = {
            "source": opened,
            "name": grid.name,
            "quantity": None if quantity == UNKNOWN else quantity,
            "units": units,
            "band": band,
            "crs": grid_crs.to_wkt(),
        }
    except Exception:
        ds.close()
        raise
    log.debug(
        "opened %s: %s x %s, %s, %s (%s)",
        path,
        grid.width,
        grid.height,
        grid.crs.to_string(),
        grid.quantity,
        grid.units,
    )
    return grid


def read_grid(
    source: str | PathLike, /, *, units: str | None = None
) -> tuple[np.ndarray, object, CRS]:
    """A grid the rules name, as (float64 array with NaN for no data, Affine, CRS).

    Read through :func:`zoning.io.raster.open_grid`, so nodata, masks, scale and offset
    and the declared units are honoured as in ``zoning stats``.  ``units``: the units the
    rule file declares (its thresholds are in them): the values are returned in those
    units, converted from the grid's own when it declares others of the same kind; a grid
    declaring none is taken to hold them.  Units of another kind, or two intensive units
    that differ, are refused: which of the two is right cannot be told.
    """
    grid = open_grid(source)
    try:
        if units is None:
            return grid.read(), grid.transform, grid.crs
        if not grid.declared:
            grid.close()
            grid = open_grid(source, units=units)
        want = UNITS.get(_norm_units(units))
        have = grid.spec
        same = _norm_units(units) == _norm_units(grid.units)
        if not same and (
            want is None
            or have is None
            or want.quantity != have.quantity
            or want.quantity == "intensive"
        ):
            raise InputError(
                f"the rule file declares units '{units}' for the grid, but the grid "
                f"declares '{grid.units}'",
                source=str(source),
                field="units",
                fix="correct the units: in the rule file's grids: or in the grid's metadata",
            )
        values = grid.read()
        if want is not None and want.factor != 1.0:
            values /= want.factor  # from output units back into the declared ones
        if want is not None and want.quantity == "flux":
            values /= grid.cell_areas_m2()[:, None]
        if not same:
            log.info(
                "%s: values converted from %s to %s, as the rule file declares",
                source,
                grid.units_label(),
                declared_units_label(units),
            )
        return values, grid.transform, grid.crs
    finally:
        grid.close()
