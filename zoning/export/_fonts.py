"""A CJK font for static maps: found on the system, never guessed, said which.

matplotlib's own DejaVu Sans has no CJK glyphs, so Chinese labels drawn with it come out
as empty boxes.  :func:`cjk_font` looks for a font that has them: first among the fonts
matplotlib already knows, then through fontconfig (``fc-list :lang=zh``), then at the
paths where Debian, Fedora, Alpine and macOS install WenQuanYi or Noto CJK.  The file
found is registered with ``font_manager.fontManager.addfont``.  When none is found,
:func:`map_language` falls back to English and logs a warning (never boxes).
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Families known to carry Simplified-Chinese glyphs, in order of preference.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimSun",
)

#: Where distributions install such fonts (tried when fontconfig is absent).
KNOWN_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

#: A character every Chinese map label needs (区, as in 保护区).
_PROBE = ord("区")


@dataclass(frozen=True)
class CJKFont:
    """A font with CJK glyphs: its family name (what matplotlib is told) and its file."""

    family: str
    path: str

    def describe(self) -> str:
        return f"{self.family} ({Path(self.path).name})"


def _has_cjk(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        return _PROBE in FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False


def _register(path: str) -> CJKFont | None:
    from matplotlib import font_manager

    if not Path(path).is_file() or not _has_cjk(path):
        return None
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    return CJKFont(family, path)


def _fc_list() -> list[str]:
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})


@functools.lru_cache(maxsize=1)
def cjk_font() -> CJKFont | None:
    """The CJK font static maps use, or None when the system has none (cached)."""
    from matplotlib import font_manager

    known = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known and _has_cjk(known[family]):
            return _found(CJKFont(family, known[family]), "matplotlib's font list")
    for path in _fc_list():
        font = _register(path)
        if font is not None:
            return _found(font, "fontconfig")
    for path in KNOWN_PATHS:
        font = _register(path)
        if font is not None:
            return _found(font, "a known path")
    log.warning(
        "no CJK font found: Chinese map labels would be empty boxes, so static maps are "
        "drawn in English (install one, e.g. apt-get install fonts-wqy-microhei or "
        "fonts-noto-cjk)"
    )
    return None


def _found(font: CJKFont, how: str) -> CJKFont:
    log.info("static maps: CJK font %s, found through %s", font.describe(), how)
    return font


def map_language(lang: str) -> tuple[str, CJKFont | None]:
    """The language a static map is drawn in, and the CJK font for it.

    Chinese needs a CJK font; without one the map is drawn in English and a warning says
    so.  English maps still use the CJK font when there is one (for names in Chinese).
    """
    font = cjk_font()
    if lang == "zh" and font is None:
        log.warning("static map requested in Chinese, drawn in English: no CJK font found")
        return "en", None
    return lang, font
