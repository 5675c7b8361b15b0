"""The indicator engine: definitions (``indicators/**/*.yaml``), computation, statistics.

Public API::

    from nhvmetrics.engine.definitions import load_definitions, Definition, check_files
    from nhvmetrics.engine.compute import compute_area, ComputeResult, OUTPUT_COLUMNS
    from nhvmetrics.engine.stats import wilson, clopper_pearson, kaplan_meier, quartiles
    from nhvmetrics.engine.suppression import apply_suppression
    from nhvmetrics.engine.output import write_table          # csv / parquet / xlsx / json
    from nhvmetrics.engine.testing import run_case             # a definition's own test cases
    from nhvmetrics.engine.catalogue import catalogue_markdown, definition_text
    from nhvmetrics.engine.kinds import get_kind, register     # the kinds of indicator

Modules: ``expr`` (the condition language), ``definitions`` (loader and checks of the common
part), ``kind`` (the protocol of a kind and what the runner hands it), ``kinds/`` (one module
per kind: proportion, duration, count, distribution, survival, prem), ``compute`` (the generic
runner), ``strata`` (derived strata: age bands), ``stats``, ``suppression``, ``output``,
``testing``, ``catalogue``.  Column names and types come from :mod:`nhvmetrics.contract`.
Nothing here is imported by ``nhvmetrics --help``.
"""
