"""Helpers for the survey and results tests."""

from __future__ import annotations

import pytest

from trusted_traveler.feedback import performance


@pytest.fixture(autouse=True)
def _empty_dashboard_cache():
    """Figures are cached in-process; each test starts from what its own data says."""
    performance.cache.clear()
    yield
    performance.cache.clear()
