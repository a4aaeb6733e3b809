"""Whole product runs (read → evaluate → write) that ``zoning demo`` and the commands call."""
