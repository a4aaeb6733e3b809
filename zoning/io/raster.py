"""Reading grids: GeoTIFF and NetCDF (through rasterio/GDAL), or arrays with an Affine.

A :class:`~zoning.grid.Grid` knows what its cells hold and in which units: the quantities
(``amount``, ``flux``, ``concentration``, ``intensive``, ``unknown``) are described in
:mod:`zoning.quantities`.

Every conversion is an explicit factor from :data:`UNIT_FACTORS`; a year is 365 days
(:data:`SECONDS_PER_YEAR`).  Nodata values, GDAL mask bands and NaN are all treated as
missing; scale and offset (e.g. NetCDF ``scale_factor``/``add_offset``) are applied.

Reading is block by block (:meth:`Grid.read`): a grid never has to fit in memory.
"""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import CRS

from zoning.errors import DataSourceError, InputError
from zoning.grid import (
    Grid,
    _authalic_integral,
    _check_crs,
    _check_transform,
    cell_areas_m2,
)
from zoning.quantities import (
    EXTENSIVE,
    OUTPUT_UNITS,
    QUANTITIES,
    SECONDS_PER_YEAR,
    UNIT_FACTORS,
    UNITS,
    UNKNOWN,
    Quantity,
    UnitSpec,
    _norm_units,
    _pretty,
    _quantity_of,
    declared_units_label,
    unit_factor,
    units_label,
)
from zoning.quantities import declare as _declare

log = logging.getLogger(__name__)

#: Re-exported: the grid type (zoning.grid) and the units registry (zoning.quantities)
#: were here before and are still importable from here.
__all__ = [
    "EXTENSIVE",
    "OUTPUT_UNITS",
    "QUANTITIES",
    "SECONDS_PER_YEAR",
    "UNITS",
    "UNIT_FACTORS",
    "UNKNOWN",
    "Grid",
    "Quantity",
    "UnitSpec",
    "_authalic_integral",
    "_norm_units",
    "_pretty",
    "_quantity_of",
    "cell_areas_m2",
    "declared_units_label",
    "grid_from_array",
    "open_grid",
    "read_grid",
    "unit_factor",
    "units_label",
]


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


#: Files up to this size are also identified by their bytes (see :func:`file_fingerprint`).
DIGEST_MAX_BYTES = 32 * 2**20


def file_identity(path) -> tuple | None:
    """(device, inode, size, mtime_ns, ctime_ns) of a regular file, or None: a file
    rewritten or replaced gets another identity (its ctime changes on any write)."""
    import os
    import stat

    try:
        st = os.stat(path)
    except (OSError, ValueError, TypeError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _single_file(ds, path) -> bool:
    """Whether the dataset ``ds`` opened at ``path`` reads that one file and no other (not
    a VRT, no sidecar mask or metadata file): only then does the file's fingerprint say
    whether its values changed."""
    import os

    if ds.driver == "VRT":
        return False
    try:
        files = [os.path.realpath(f) for f in (ds.files or [])]
    except Exception:  # noqa: BLE001 - a driver that cannot list its files: not plain
        return False
    return files == [os.path.realpath(path)]


def file_fingerprint(path) -> tuple | None:
    """:func:`file_identity` and, for a file of at most :data:`DIGEST_MAX_BYTES`, the
    BLAKE2 digest of its bytes (a small file can be rewritten within one tick of the
    file system's clock, same size, same times; a larger one takes longer to write than
    a tick), or None (not a regular file)."""
    import hashlib

    ident = file_identity(path)
    if ident is None:
        return None
    digest = None
    if ident[2] <= DIGEST_MAX_BYTES:
        h = hashlib.blake2b(digest_size=20)
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest()
    return (*ident, digest)


def _open(path: str):
    """``rasterio.open`` with GDAL's multi-threaded decoding (``GDAL_NUM_THREADS``, read
    when a GeoTIFF is opened): a window of many compressed tiles is decoded on every
    core, the same values, about twice as fast on 2 cores.  A ``GDAL_NUM_THREADS`` set
    in the environment wins (e.g. 1 where other work has the cores)."""
    import os

    import rasterio

    with rasterio.Env(GDAL_NUM_THREADS=os.environ.get("GDAL_NUM_THREADS") or "ALL_CPUS"):
        return rasterio.open(path)


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
        ds = _open(path)
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
        ds = _open(opened)
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
            # what the cached statistics of zoning.exact are keyed on (None: not a plain
            # file, e.g. NETCDF:"f.nc":var or /vsicurl/, or a dataset that reads other
            # files too, e.g. a VRT or a .msk / .aux.xml beside it: never cached)
            _file_id=file_fingerprint(path) if _single_file(ds, path) else None,
        )
        grid._open_args = {
            "opener": open_grid,
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
