"""The hypothesis settings every property test shares, as the loaded default profile.

The normal test run is deterministic (derandomize: the same examples every run, so CI never
flakes); NHV_HYPOTHESIS_RANDOM=1 explores new examples and NHV_HYPOTHESIS_SCALE=20 runs 20× as
many (each test multiplies its own ``max_examples`` by :data:`SCALE`), e.g. before a release:

    NHV_HYPOTHESIS_RANDOM=1 NHV_HYPOTHESIS_SCALE=20 python -m pytest -q tests/properties
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "nhvmetrics",
    deadline=None,
    derandomize=os.environ.get("NHV_HYPOTHESIS_RANDOM") != "1",
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
settings.load_profile("nhvmetrics")
