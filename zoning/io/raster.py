"""Reading grids: GeoTIFF and NetCDF (through rasterio/GDAL), or arrays with an Affine.

A :class:`Grid` knows what its cells hold — its *quantity* — and in which units:

``amount``
    an amount per cell, e.g. ``t/cell/yr`` (emission inventories such as MEIC or a
    provincial 1 km inventory).  Read as t/yr per cell.
``flux``
    an amount per area and time, e.g. ``kg m-2 s-1`` (EDGAR, ODIAC).  Read as t/yr per
    cell, multiplied by the *true* area of each cell (ellipsoidal for longitude/latitude
    grids, so cells shrink towards the poles).
``concentration``
    e.g. ``ug/m3``; read in ug/m3 (``mg/m3`` converted).  Concentrations are averaged,
    never summed.

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

Quantity = Literal["amount", "flux", "concentration"]
QUANTITIES: tuple[str, ...] = ("amount", "flux", "concentration")

#: Seconds in the 365-day year used to turn per-second fluxes into annual amounts.
SECONDS_PER_YEAR = 365 * 86400.0

#: Output units of each quantity once read.
OUTPUT_UNITS: dict[str, str] = {
    "amount": "t/yr",  # per cell
    "flux": "t/yr",  # per cell, after multiplying by the true cell area
    "concentration": "ug/m3",
}

#: Declared units → (quantity, factor).  amount: factor to t/yr per cell; flux: factor to
#: t per m2 per yr; concentration: factor to ug/m3.  Keys are normalised (see _norm_units).
UNIT_FACTORS: dict[str, tuple[str, float]] = {}


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


def _register(spellings: tuple[str, ...], quantity: str, factor: float) -> None:
    for s in spellings:
        UNIT_FACTORS[_norm_units(s)] = (quantity, factor)


for _m, _f in {"t": 1.0, "kt": 1e3, "Gg": 1e3, "kg": 1e-3, "g": 1e-6}.items():
    _register((f"{_m}/cell/yr", f"{_m} cell-1 yr-1", f"{_m}/yr", f"{_m} yr-1"), "amount", _f)
    _register((f"{_m} m-2 yr-1", f"{_m}/m2/yr"), "flux", _f)
    _register((f"{_m} km-2 yr-1", f"{_m}/km2/yr"), "flux", _f / 1e6)
    _register((f"{_m} ha-1 yr-1", f"{_m}/ha/yr"), "flux", _f / 1e4)
    _register((f"{_m} m-2 s-1", f"{_m}/m2/s"), "flux", _f * SECONDS_PER_YEAR)
_register(("ug/m3", "ug m-3"), "concentration", 1.0)
_register(("mg/m3", "mg m-3"), "concentration", 1e3)
_register(("ng/m3", "ng m-3"), "concentration", 1e-3)

#: Default declared units of each quantity when a grid says nothing.
DEFAULT_UNITS: dict[str, str] = {
    "amount": "t/cell/yr",
    "flux": "kg m-2 s-1",
    "concentration": "ug/m3",
}


def unit_factor(units: str, quantity: Quantity) -> float:
    """The conversion factor of ``units`` for ``quantity`` (see :data:`UNIT_FACTORS`).

    Raises
    ------
    InputError
        When the units are unknown or belong to another quantity.
    """
    key = _norm_units(units)
    found = UNIT_FACTORS.get(key)
    known = sorted({k for k, (q, _) in UNIT_FACTORS.items() if q == quantity})
    if found is None:
        raise InputError(
            f"units '{units}' are not known for a {quantity} grid; known: {known}",
            field="units",
            fix="declare the grid's units, e.g. units='t/cell/yr'",
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
    units: str
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
    def output_units(self) -> str:
        """Units of the values :meth:`read` returns (``t/yr`` per cell, or ``ug/m3``)."""
        return OUTPUT_UNITS[self.quantity]

    @property
    def factor(self) -> float:
        """Factor from declared units to output units (per m2 for a flux)."""
        return unit_factor(self.units, self.quantity)

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

        Amounts and fluxes come as t/yr per cell, concentrations as ug/m3.
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
    quantity: str | None, units: str | None, found_units: str | None, source
) -> tuple[str, str]:
    if quantity is not None and quantity not in QUANTITIES:
        raise InputError(
            f"quantity was '{quantity}' but is expected to be in {QUANTITIES}",
            source=source,
            field="quantity",
            fix="declare amount (t/cell/yr), flux (kg m-2 s-1) or concentration",
        )
    units = units or (found_units if found_units and _quantity_of(found_units) else None)
    if quantity is None:
        quantity = _quantity_of(units) if units else None
        if quantity is None:
            quantity = "amount"
            log.warning(
                "%s: the grid declares no quantity or known units; taking it as an "
                "amount per cell in t/cell/yr (declare quantity= and units= to "
                "silence this)",
                source,
            )
    units = units or DEFAULT_UNITS[quantity]
    unit_factor(units, quantity)  # raises on unknown or mismatched units
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
    quantity : {"amount", "flux", "concentration"}, optional (default: from units, else amount)
    units : str, optional (default: the quantity's default, e.g. ``t/cell/yr``)
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
    quantity : {"amount", "flux", "concentration"}, optional
        What the cells hold.  Default: from ``units``, else from the file's units
        metadata (band ``units``, NetCDF ``units``), else an amount in t/cell/yr (logged).
    units : str, optional (default: the file's units metadata, else the quantity's default)
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
        quantity, units = _declare(quantity or found_q, units, found_units, path)
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
            "quantity": quantity,
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


def read_grid(source: str | PathLike, /) -> tuple[np.ndarray, object, CRS]:
    """A grid the rules name, as (float64 array with NaN for no data, Affine, CRS).

    Read through :func:`zoning.io.raster.open_grid`, so nodata, masks, scale and offset
    and the declared units are honoured as in ``zoning stats``.
    """
    grid = open_grid(source)
    try:
        return grid.read(), grid.transform, grid.crs
    finally:
        grid.close()
