"""Where the bundled demo region lives.

The demo region is a fictional county, 青溪县 (Qingxi County, admin code 339901), placed in
eastern China; see ``data/README.md``.  ``ZONING_DATA`` overrides the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from zoning.errors import DataSourceError

#: Admin code of the demo county.
DEMO_ADMIN_CODE = "339901"


def data_dir() -> Path:
    """The folder holding the bundled demo region."""
    env = os.environ.get("ZONING_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "data", here / "data"):
        if (candidate / "units.gpkg").exists():
            return candidate
    return here.parent / "data"


def demo_path(name: str) -> Path:
    """Path of a file of the demo region, e.g. ``demo_path("units.gpkg")``."""
    path = data_dir() / name
    if not path.exists():
        raise DataSourceError(
            "the bundled demo file is missing",
            source=path,
            fix="reinstall zoning from its repository (pip install -e .) or set ZONING_DATA "
            "to the folder holding the demo region; python data/generate.py rebuilds it.",
        )
    return path
