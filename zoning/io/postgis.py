"""PostGIS: read a table as a layer, and (for zoning.export) write one atomically.

A source is a URI ``postgresql://user:password@host:port/database`` and a table name,
given as ``?table=schema.name`` on the URI or as the ``layer`` argument.  Needs the
optional packages SQLAlchemy and psycopg (``pip install 'zoning[postgis]'``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd

from zoning.errors import CRSError, DataSourceError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_database_uri(source) -> bool:
    """Whether ``source`` names a PostgreSQL database rather than a file."""
    return str(source).startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def split_uri(uri: str, layer: str | None = None) -> tuple[str, str, str]:
    """(SQLAlchemy URL without the table, schema, table) of a database source."""
    parts = urlsplit(str(uri))
    query = dict(parse_qsl(parts.query))
    table = query.pop("table", None) or layer  # the URI's own table wins
    if not table:
        raise DataSourceError(
            "no table named for the database source",
            source=_redact(uri),
            fix="add ?table=NAME to the URI or pass `layer` NAME",
        )
    schema, _, name = table.rpartition(".")
    schema = schema or "public"
    for ident in (schema, name):
        if not _IDENT.match(ident):
            raise DataSourceError(
                f"'{table}' is not a plain table name",
                source=_redact(uri),
                field="table",
                fix="use letters, digits and underscores, optionally schema.table",
            )
    scheme = "postgresql+psycopg"
    url = urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), ""))
    return url, schema, name


def _redact(uri) -> str:
    parts = urlsplit(str(uri))
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return str(uri)


def _engine(url: str, uri: str, *, write: bool = False):
    try:
        import psycopg  # noqa: F401
        import sqlalchemy

        if write:
            import geoalchemy2  # noqa: F401
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise DataSourceError(
            "PostGIS needs SQLAlchemy, psycopg and (to write) GeoAlchemy2",
            source=_redact(uri),
            fix="pip install 'zoning[postgis]'",
        ) from exc
    return sqlalchemy.create_engine(url)


def read_table(uri: str, /, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a PostGIS table (its first geometry column) as a GeoDataFrame."""
    url, schema, table = split_uri(uri, layer)
    engine = _engine(url, uri)
    import sqlalchemy

    try:
        with engine.connect() as conn:
            row = conn.execute(
                sqlalchemy.text(
                    "SELECT f_geometry_column FROM geometry_columns "
                    "WHERE f_table_schema = :s AND f_table_name = :t ORDER BY 1 LIMIT 1"
                ),
                {"s": schema, "t": table},
            ).fetchone()
            if row is None:
                raise DataSourceError(
                    f"table {schema}.{table} has no geometry column (or does not exist)",
                    source=_redact(uri),
                    fix="check the table name, and that PostGIS is enabled in the database",
                )
            (geom_col,) = row
            sql = f'SELECT * FROM "{schema}"."{table}"'
            frame = gpd.read_postgis(sqlalchemy.text(sql), conn, geom_col=geom_col)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise DataSourceError(
            f"cannot read from the database ({exc.__class__.__name__}: {exc.orig or exc})",
            source=_redact(uri),
            fix="check host, port, user, password and database in the URI",
        ) from exc
    finally:
        engine.dispose()
    return frame  # an SRID of 0 leaves the frame without CRS: read_vector deals with it


def write_table(frame: gpd.GeoDataFrame, uri: str, /, layer: str | None = None) -> str:
    """Replace a PostGIS table with ``frame`` in one transaction (readers never see half)."""
    if frame.crs is None:
        raise CRSError("the layer has no CRS; PostGIS needs an SRID", fix="set a CRS first")
    url, schema, table = split_uri(uri, layer)
    engine = _engine(url, uri, write=True)
    import sqlalchemy

    try:
        # DDL is transactional in PostgreSQL: readers see the old table until the commit
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP TABLE IF EXISTS "{schema}"."{table}"'))
            frame.to_postgis(table, conn, schema=schema, if_exists="fail", index=False)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise DataSourceError(
            f"cannot write to the database ({exc.__class__.__name__})",
            source=_redact(uri),
            fix="check the URI and that the user may create tables",
        ) from exc
    finally:
        engine.dispose()
    return f"{_redact(uri).split('?')[0]}?table={schema}.{table}"
