"""Size and build time of the offline zoning map for a national-scale unit layer.

Target (issue 2): 40,000 units give an HTML file of at most 8 MB.  Compared with folium's
own GeoJson layer on the same units, rounded to 5 decimals (the FINDINGS baseline).
Usage: python benchmarks/webmap_size.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

import folium  # noqa: E402
import shapely  # noqa: E402
from _synthetic import voronoi_units  # noqa: E402

from zoning.export.webmap import WebMap  # noqa: E402


def main(n: int = 40_000) -> None:
    units = voronoi_units(n)
    verts = int(shapely.get_num_coordinates(units.geometry.values).sum())
    print(f"{len(units)} units, {verts:,} vertices")
    tmp = tempfile.mkdtemp()
    t = time.perf_counter()
    wm = WebMap("benchmark", lang="zh")
    wm.add_units(units)  # class layers + element zones (geometry stored once)
    ours = wm.save(os.path.join(tmp, "ours.html"))
    t_ours = time.perf_counter() - t
    s_ours = os.path.getsize(ours) / 1e6
    print(f"zoning WebMap: {t_ours:.1f} s, {s_ours:.2f} MB (target <= 8 MB)")
    t = time.perf_counter()
    rounded = units.set_geometry(shapely.transform(units.geometry.values, lambda xy: xy.round(5)))
    m = folium.Map(tiles=None)
    folium.GeoJson(rounded, popup=folium.GeoJsonPopup(["code", "name", "access_spatial"])).add_to(m)
    peer = os.path.join(tmp, "folium.html")
    m.save(peer)
    t_peer = time.perf_counter() - t
    s_peer = os.path.getsize(peer) / 1e6
    print(f"folium GeoJson (5 decimals): {t_peer:.1f} s, {s_peer:.2f} MB")
    print(f"ratio ours/folium: size {s_ours / s_peer:.2f}x, time {t_ours / t_peer:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40_000)
