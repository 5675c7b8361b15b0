"""nhvmetrics: NHV follow-up indicators from INCA-style registry exports."""

__version__ = "0.1.0"

AREAS = ("acc", "net", "anal", "pelvic")
