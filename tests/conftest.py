"""Root fixtures. Subsystem fixtures live in each tests/<area>/conftest.py; the fake Discord
is a plugin so that any test can use it."""

import os
from collections.abc import Iterator

import pytest

from tests.pg import Cluster, binaries

pytest_plugins = ["tests.fakediscord.fixtures"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the session (tests/pg.py); `make test` installs
    the binaries. Missing binaries skip these tests locally and fail them in CI."""
    found = binaries()
    if found is None:
        message = "PostgreSQL is not installed here: `make test` installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = Cluster(found).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A new, empty database of its own for each test."""
    return pg_cluster.create_database()
