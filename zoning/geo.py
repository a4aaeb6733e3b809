"""Coordinate reference systems used for measuring, shared by every module.

Areas are computed in an equal-area CRS, never in degrees: :data:`EQUAL_AREA` (EPSG:6933,
WGS 84 / NSIDC EASE-Grid 2.0 Global, cylindrical equal-area, valid nationwide).  Lengths and
distances use a local conformal CRS (a CGCS2000 Gauss-Krüger zone in China, UTM elsewhere),
chosen where they are measured.
"""

from __future__ import annotations

#: The equal-area CRS for every area (m², km², ha) the toolkit reports.
EQUAL_AREA = "EPSG:6933"

#: WGS 84 longitude/latitude, the CRS of every GeoJSON and web-map output (RFC 7946).
WGS84 = "EPSG:4326"
