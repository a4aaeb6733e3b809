"""PostGIS: read units from a table and export them to one (a real PostgreSQL server).

The server comes from ``ZONING_TEST_PG`` (a ``postgresql://`` URI of a database with the
PostGIS extension); ``scripts/test-db.sh`` starts one and prints it, and ``.ci/run`` sets it.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
from click.testing import CliRunner
from conftest import make_units

from zoning.cli import main
from zoning.errors import DataSourceError
from zoning.export.units import export_units
from zoning.io.postgis import split_uri
from zoning.io.vector import read_units

PG = os.environ.get("ZONING_TEST_PG")
# on CI the database tests must run, never be skipped
needs_pg = pytest.mark.skipif(
    not PG and not os.environ.get("CI"), reason="set ZONING_TEST_PG (see scripts/test-db.sh)"
)


@pytest.fixture
def table() -> str:
    if not PG:
        pytest.fail("CI is set but ZONING_TEST_PG is not: start the database (scripts/test-db.sh)")
    if not re.fullmatch(r"postgresql://\S+", PG):
        pytest.fail(f"ZONING_TEST_PG is not a single postgresql:// URI: {PG!r}")
    return f"units_{uuid.uuid4().hex[:8]}"


def test_uri_parsing_and_redaction():
    url, schema, name = split_uri("postgresql://u:secret@h:5432/db?table=zoning.units")
    assert (schema, name) == ("zoning", "units") and url.startswith("postgresql+psycopg://")
    with pytest.raises(DataSourceError, match=r"no table.*\?table=NAME") as err:
        split_uri("postgresql://u:secret@h/db")
    assert "secret" not in str(err.value)
    with pytest.raises(DataSourceError, match="plain table name"):
        split_uri("postgresql://h/db?table=units;drop")


@needs_pg
def test_export_then_read_round_trip(table):
    units = make_units()
    target = export_units(units, f"{PG}?table={table}")
    assert table in str(target) and ":zoning@" not in str(target)
    back = read_units(f"{PG}?table={table}")
    assert back.crs.to_epsg() == 4549
    assert sorted(back["code"]) == sorted(units["code"])
    assert back.geometry.area.sum() == pytest.approx(units.geometry.area.sum())
    assert set(back["name"]) == set(units["name"])  # Chinese text survives


@needs_pg
def test_cli_validate_and_map_from_postgis(tmp_path, table):
    units = make_units()
    units.loc[1, "code"] = units.loc[0, "code"]
    export_units(units, f"{PG}?table={table}")
    res = CliRunner().invoke(
        main, ["validate", f"{PG}?table={table}", "--out", str(tmp_path / "p.geojson")]
    )
    assert res.exit_code == 1 and "duplicate_code" in res.output
    res = CliRunner().invoke(main, ["map", PG, "--layer", table, "--out", str(tmp_path / "m.html")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.html").stat().st_size > 10_000


@needs_pg
def test_missing_table_and_bad_password_are_clear_errors(table):
    with pytest.raises(DataSourceError, match=r"no geometry column \(or does not exist\)"):
        read_units(f"{PG}?table=nope_{table}")
    bad = PG.replace("zoning:zoning@", "zoning:wrong@")
    with pytest.raises(DataSourceError, match="cannot read from the database") as err:
        read_units(f"{bad}?table={table}")
    assert "wrong" not in str(err.value)


@needs_pg
def test_export_twice_replaces_the_table(table):
    export_units(make_units(), f"{PG}?table={table}")
    export_units(make_units(2, 1), f"{PG}?table={table}")
    assert len(read_units(f"{PG}?table={table}")) == 2
