from __future__ import annotations

import os

import pytest


@pytest.fixture
def postgres_url() -> str:  # replaced by the throwaway-cluster fixture
    url = os.environ.get("HURRINET_TEST_PG")
    if not url:
        pytest.skip("no PostgreSQL")
    return url
