"""Shared fixtures: a headless Chromium with no network, and small synthetic layers."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """Opens local pages in headless Chromium with the network disabled.

    ``open(path)`` returns a Playwright page; ``page.console_errors`` lists the console
    errors and uncaught exceptions, ``page.requests`` every URL the page asked for.
    """

    def __init__(self, browser):
        self._browser = browser

    def open(self, path: str | Path, *, width: int = 1280, height: int = 900, wait_ms: int = 500):
        context = self._browser.new_context(
            offline=True, viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.console_errors = []
        page.requests = []
        page.on(
            "console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(wait_ms)
        return page


@pytest.fixture(scope="session")
def browser():
    exe = _chromium_path()
    if exe is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield Browser(b)
        b.close()


def make_units(
    n_cols: int = 3,
    n_rows: int = 2,
    size: float = 1000.0,
    crs="EPSG:4549",
    x0: float = 500000.0,
    y0: float = 3300000.0,
) -> gpd.GeoDataFrame:
    """A grid of square units, classes cycling 1, 2, 3, with valid codes."""
    rows = []
    k = 0
    for j in range(n_rows):
        for i in range(n_cols):
            cls = k % 3 + 1
            rows.append(
                {
                    "code": f"ZH339901{cls}{k + 1:04d}",
                    "name": f"单元{k + 1}",
                    "name_en": f"Unit {k + 1}",
                    "unit_class": cls,
                    "element": ["ecological", "air", "comprehensive"][k % 3],
                    "subtype": "",
                    "access_spatial": "1. 禁止新建工业项目。",
                    "access_spatial_en": "1. No new industrial projects.",
                    "geometry": box(
                        x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size
                    ),
                }
            )
            k += 1
    return gpd.GeoDataFrame(rows, crs=crs)


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Six 1 km square units tiling a 3 x 2 km region, in EPSG:4549."""
    return make_units()


def write_tif(
    path, arr, transform, /, *, nodata=None, tags=None, band_tags=None, units=None, block=None
):
    """A one-band float32 GeoTIFF in EPSG:4549 (``tags``: dataset tags, ``band_tags``: tags
    of band 1, ``units``: the band's unit, ``block``: square tiles of that size)."""
    import rasterio

    tiles = {"tiled": True, "blockxsize": block, "blockysize": block} if block else {}
    with rasterio.open(
        path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
        dtype="float32", crs="EPSG:4549", transform=transform, nodata=nodata, **tiles,
    ) as ds:  # fmt: skip
        ds.write(arr.astype("float32"), 1)
        if tags:
            ds.update_tags(**tags)
        if band_tags:
            ds.update_tags(1, **band_tags)
        if units:
            ds.units = (units,)
    return path
