"""The indicator engine: definitions (``indicators/**/*.yaml``), computation, statistics.

Public API::

    from nhvmetrics.engine.definitions import load_definitions, Definition, check_files
    from nhvmetrics.engine.compute import compute_area, ComputeResult, OUTPUT_COLUMNS
    from nhvmetrics.engine.stats import wilson, clopper_pearson, kaplan_meier, quartiles
    from nhvmetrics.engine.suppression import apply_suppression
    from nhvmetrics.engine.output import write_table          # csv / parquet / xlsx / json
    from nhvmetrics.engine.testing import run_case             # a definition's own test cases
    from nhvmetrics.engine.catalogue import catalogue_markdown, definition_text

Modules: ``expr`` (the condition language), ``columns`` (canonical columns per area and
table), ``definitions`` (loader and checks), ``compute`` (the polars engine), ``stats``,
``suppression``, ``output``, ``testing``, ``catalogue``.  Nothing here is imported by
``nhvmetrics --help``.
"""
