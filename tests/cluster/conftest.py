from __future__ import annotations

import pytest

from tests.support.postgres import PostgresCluster


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> str:
    """An empty database of the throwaway cluster for one test: its servers migrate it."""
    name = postgres.create_database("cluster")
    yield postgres.url(name)
    postgres.drop_database(name)
