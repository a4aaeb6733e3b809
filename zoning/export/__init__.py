"""Writers: GeoJSON (RFC 7946), GeoPackage, CSV, GeoParquet, offline web maps, reports."""
