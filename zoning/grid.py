"""The one grid type: a single-band grid in a file or in memory (array + Affine + CRS),
with its quantity and units, read by windows (:meth:`Grid.read`) so that a grid never has
to fit in memory; and the true areas of its cells.

Build one with :func:`zoning.io.raster.open_grid` (files) or
:func:`zoning.io.raster.grid_from_array` (arrays).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from affine import Affine
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from zoning.errors import CRSError, InputError
from zoning.quantities import EXTENSIVE, UNITS, UnitSpec, _norm_units, declared_units_label

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


def _reopen_grid(args: dict) -> Grid:
    """A grid open on a file, opened again (on a Dask worker) as it was opened here, by
    the reader that opened it (``args["opener"]``, set by :func:`zoning.io.raster.open_grid`:
    the ground floor does not import the readers)."""
    opener = args["opener"]
    return opener(
        args["source"], **{k: v for k, v in args.items() if k not in ("source", "opener")}
    )


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
    #: the file's identity when it was opened (device, inode, size, mtime, ctime, and for
    #: a small file a digest of its bytes; zoning.io.raster.file_fingerprint), or None
    _file_id: tuple | None = field(default=None, repr=False)

    def __reduce_ex__(self, protocol):
        # a grid open on a file travels (to a Dask worker) as how to open it again there
        if self._dataset is not None and self._open_args is not None:
            return (_reopen_grid, (self._open_args,))
        return super().__reduce_ex__(protocol)

    def renamed(self, name: str) -> Grid:
        """The same grid (same cells, same open file) under another name."""
        from dataclasses import replace

        out = replace(self, name=name)
        if self._open_args is not None:
            out._open_args = {**self._open_args, "name": name}
        return out

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

    @property
    def raw_dtype(self) -> np.dtype:
        """The dtype of the stored (raw) values."""
        if self._array is not None:
            return self._array.dtype
        return np.dtype(self._dataset.dtypes[self.band - 1])

    @property
    def raw_is_output(self) -> bool:
        """Whether raw values with the nodata value masked are the output values (no
        scale, factor, mask band or masked array): they can be read as stored."""
        return self.is_plain and not np.ma.isMaskedArray(self._array)

    def cell_areas_m2(self, row0: int = 0, nrows: int | None = None) -> np.ndarray:
        """True cell areas (m2) of rows ``row0 .. row0 + nrows`` (one value per row)."""
        nrows = self.height - row0 if nrows is None else nrows
        return cell_areas_m2(self.transform, self.crs, np.arange(row0, row0 + nrows))

    # reading --------------------------------------------------------------------------
    def read_raw(
        self,
        row0: int = 0,
        col0: int = 0,
        nrows: int | None = None,
        ncols: int | None = None,
        *,
        mask: bool = True,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw values of a window (north-up) and a mask of invalid cells (or None; always
        None with ``mask=False``, for a caller that masks the nodata value itself)."""
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
            if self._mask_band and mask:
                invalid = self._dataset.read_masks(self.band, window=win) == 0
            if self._flip:
                raw = raw[::-1]
                invalid = None if invalid is None else invalid[::-1]
        if not mask:
            return raw, None
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

    def read_cells(self, rows, cols) -> np.ndarray:
        """Values (float64, output units, NaN where missing) of the cells at ``rows``,
        ``cols`` (north-up indices inside the grid): only those cells (a file: the window
        around them) are read."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if not rows.size:
            return np.full(rows.shape, np.nan)
        if self._array is not None:
            raw = self._array[rows, cols]
            invalid = np.ma.getmaskarray(raw) if np.ma.isMaskedArray(raw) else None
            raw = np.ma.getdata(raw)
            if self.nodata is not None:
                nd = np.isnan(raw) if math.isnan(self.nodata) else raw == self.nodata
                invalid = nd if invalid is None else (invalid | nd)
        else:
            r0, c0 = int(rows.min()), int(cols.min())
            block, inv = self.read_raw(r0, c0, int(rows.max()) - r0 + 1, int(cols.max()) - c0 + 1)
            raw = block[rows - r0, cols - c0]
            invalid = None if inv is None else inv[rows - r0, cols - c0]
        out = raw.astype("float64", copy=True)
        if self.scale != 1.0:
            out *= self.scale
        if self.offset != 0.0:
            out += self.offset
        if self.factor != 1.0:
            out *= self.factor
        if self.quantity == "flux":
            out *= cell_areas_m2(self.transform, self.crs, rows)
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
