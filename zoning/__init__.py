"""zoning — ecological-environment zoning control (三线一单) for environmental planners."""

__version__ = "0.1.0"
