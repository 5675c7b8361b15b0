"""The indicator engine: definitions (``indicators/**/*.yaml``), computation, statistics.

Public API::

    from nhvmetrics.engine.definitions import load_definitions, Definition
    from nhvmetrics.engine.compute import compute_area, ComputeResult
    from nhvmetrics.engine.stats import wilson, clopper_pearson, kaplan_meier
    from nhvmetrics.engine.suppression import apply_suppression

Modules import polars lazily from the command line's point of view: nothing here is imported
by ``nhvmetrics --help``.
"""
