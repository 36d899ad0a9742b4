from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oracle.quartz import Quartz, missing


@pytest.fixture(scope="session")
def quartz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quartz]:
    why = missing()
    if why:
        pytest.skip(f"the Quartz oracle cannot run: {why}")
    q = Quartz(tmp_path_factory.mktemp("quartz-oracle"))
    yield q
    q.close()
