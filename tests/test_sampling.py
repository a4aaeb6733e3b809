"""The one sampling kernel: cells under points and cell-centre labels, on arrays + Affine."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from shapely.geometry import box

from zoning.errors import InputError
from zoning.io.raster import grid_from_array
from zoning.sampling import as_grid, cell_labels, cell_of, sample_points

T = Affine(10.0, 0.0, 0.0, 0.0, -10.0, 30.0)  # 3 x 3 cells of 10 m, top-left at (0, 30)


def test_cell_of_rows_columns_and_edges():
    row, col, inside = cell_of(T, (3, 3), [5, 29.9, 10, 31, -1, np.nan], [25, 0.1, 20, 5, 5, 5])
    assert inside.tolist() == [True, True, True, False, False, False]
    assert row[:3].tolist() == [0, 2, 1] and col[:3].tolist() == [0, 2, 1]


def test_sample_points_no_value_is_nan_never_zero():
    arr = np.array([[1.0, 2.0, np.nan], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    vals = sample_points((arr, T, "EPSG:4549"), [5, 25, 15, 100], [25, 25, 5, 5])
    assert vals[0] == 1.0 and vals[2] == 8.0
    assert np.isnan(vals[1]) and np.isnan(vals[3])


def test_sample_points_masked_integer_and_declared_units():
    arr = np.ma.array([[1, 2, 3]] * 3, mask=[[0, 1, 0]] * 3)
    vals = sample_points((arr, T, None), [5, 15, 25], [5, 5, 5])
    assert vals[0] == 1.0 and np.isnan(vals[1]) and vals[2] == 3.0
    g = grid_from_array(np.full((3, 3), 2.0), T, "EPSG:4549", units="kg/cell/yr", nodata=-1)
    assert sample_points(g, [5], [5])[0] == pytest.approx(2e-3)  # read in t/yr


def test_sample_points_bottom_up_grid_matches_top_down():
    arr = np.arange(9.0).reshape(3, 3)
    up = Affine(10.0, 0.0, 0.0, 0.0, 10.0, 0.0)  # row 0 at the bottom
    top = sample_points(grid_from_array(arr, up, "EPSG:4549"), [5, 25], [5, 25])
    raw = sample_points((arr, up, "EPSG:4549"), [5, 25], [5, 25])
    assert top.tolist() == raw.tolist() == [0.0, 8.0]


def test_cell_labels_centres_and_ties_to_lowest_rank():
    polys = np.array([box(0, 0, 20, 30), box(10, 0, 30, 30), None], dtype=object)
    labels = cell_labels(polys, (3, 3), T)
    assert labels[:, 0].tolist() == [1, 1, 1] and labels[:, 2].tolist() == [2, 2, 2]
    assert labels[:, 1].tolist() == [1, 1, 1]  # shared column: the first polygon
    labels = cell_labels(polys, (3, 3), T, rank=np.array([1, 0, 2]))
    assert labels[:, 1].tolist() == [2, 2, 2]  # ... or the one of lowest rank
    assert (cell_labels(np.array([shapely.Point(1, 1)]), (3, 3), T) == 0).all()


def test_cell_labels_refuse_rotated_grids_and_bad_grids():
    with pytest.raises(InputError, match="rotated"):
        cell_labels(np.array([box(0, 0, 1, 1)]), (3, 3), Affine(1, 0.5, 0, 0, -1, 3))
    with pytest.raises(InputError, match="expected a Grid"):
        as_grid([1, 2, 3], "pm25")
