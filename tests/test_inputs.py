"""Inputs of a run (zoning.inputs): the library names parameters, the command line flags."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from zoning.cli import main
from zoning.errors import InputError
from zoning.inputs import load_units, rules_path_for


def test_library_names_the_parameter():
    with pytest.raises(InputError, match="parameter 'units_coords'") as err:
        load_units(None, units_coords="gcj02")
    assert "--" not in str(err.value)
    with pytest.raises(InputError, match="parameter 'rules'") as err:
        rules_path_for(None, "my_units.gpkg")
    assert "--rules" not in str(err.value)


def test_command_line_names_the_flag(tmp_path):
    res = CliRunner().invoke(
        main, ["export", "--units-coords", "gcj02", "--out", str(tmp_path / "u.geojson")]
    )
    assert res.exit_code == 2
    assert "--units-coords" in res.output and "without --units" in res.output
    assert "units_coords" not in res.output
    assert not (tmp_path / "u.geojson").exists()


RULES_TWO_LAYERS = """
version: 1
name: {zh: 测试规则, en: Test rules}
layers:
  red_line: {path: red_line.gpkg, zh: 生态保护红线, en: Red line}
  red_again: {path: red_line.gpkg, zh: 同一文件, en: Same file}
rules:
  - id: RED-01
    dimension: spatial
    clause: {zh: 红线内禁止新建工业项目。, en: No new industry in the red line.}
    message: {zh: 工业项目位于红线内, en: Industry inside the red line}
    outcome: prohibited
    when:
      all:
        - sector: [C]
        - near: {layer: red_line, within_m: 0}
"""


@pytest.fixture
def screening_files(tmp_path):
    import geopandas as gpd
    from conftest import make_units
    from shapely.geometry import box

    make_units().to_file(tmp_path / "units.gpkg")
    red = gpd.GeoDataFrame(
        {"name": ["红线"]}, geometry=[box(500000, 3300000, 501000, 3301000)], crs="EPSG:4549"
    )
    red.to_file(tmp_path / "red_line.gpkg")
    (tmp_path / "rules.yaml").write_text(RULES_TWO_LAYERS, encoding="utf-8")
    (tmp_path / "site.txt").write_text("x, y\n501500, 3300500\n", encoding="utf-8")
    return tmp_path


def test_each_input_is_read_for_its_hash_once(screening_files, monkeypatch):
    """A screening run opens every input at most once for its hash: a file read as bytes
    (rule file, vertex list) is hashed from those bytes, a layer file two rule layers name
    is hashed once, and a second run in the same process opens none but
    the files it parses; the hashes in
    result.json are the files' SHA-256."""
    import builtins
    import hashlib
    import json
    from collections import Counter
    from pathlib import Path

    from zoning.io import digest

    tmp = screening_files
    digest._cache.clear()
    opened: Counter = Counter()

    def counting_open(path, *args, **kw):
        opened[Path(path).resolve().name] += 1
        return builtins.open(path, *args, **kw)

    monkeypatch.setattr(digest, "open", counting_open, raising=False)
    args = ["screen", str(tmp / "site.txt"), "--crs", "EPSG:4549", "--sector", "3981"]
    args += ["--units", str(tmp / "units.gpkg"), "--rules", str(tmp / "rules.yaml")]
    res = CliRunner().invoke(main, args + ["--out", str(tmp / "a"), "--format", "html"])
    assert res.exit_code == 0, res.output
    assert opened == {"units.gpkg": 1, "rules.yaml": 1, "red_line.gpkg": 1, "site.txt": 1}
    data = json.loads((tmp / "a" / "result.json").read_text(encoding="utf-8"))
    inputs = data["inputs"]
    assert set(inputs) == {"project", "rules", "units", "layer:red_line.gpkg"}
    assert inputs["layer:red_line.gpkg"]["layers"] == ["red_again", "red_line"]
    for entry in inputs.values():
        want = hashlib.sha256(Path(entry["path"]).read_bytes()).hexdigest()
        assert entry["sha256"] == want, entry
    res = CliRunner().invoke(main, args + ["--out", str(tmp / "b"), "--format", "html"])
    assert res.exit_code == 0, res.output
    # read again to be parsed (hashed from those bytes); the layers GDAL reads are not
    # opened again for their hash
    assert opened == {"units.gpkg": 1, "rules.yaml": 2, "red_line.gpkg": 1, "site.txt": 2}
    again = json.loads((tmp / "b" / "result.json").read_text(encoding="utf-8"))["inputs"]
    assert again == inputs


def test_a_changed_file_is_hashed_again(tmp_path):
    import hashlib
    import os

    from zoning.io.digest import file_sha256, read_bytes

    f = tmp_path / "a.txt"
    f.write_bytes(b"one")
    assert read_bytes(f) == b"one"
    assert file_sha256(f) == hashlib.sha256(b"one").hexdigest()
    f.write_bytes(b"two!")
    os.utime(f, ns=(1, 1))
    assert file_sha256(f) == hashlib.sha256(b"two!").hexdigest()
    from zoning.errors import DataSourceError

    with pytest.raises(DataSourceError, match="cannot read the file"):
        file_sha256(tmp_path / "missing.gpkg")
