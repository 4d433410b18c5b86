from __future__ import annotations

import httpx
import pytest

from livecommerce.kit.runtime import Runtime
from tests.search.helpers import Finder


@pytest.fixture
def find(client: httpx.AsyncClient, runtime: Runtime) -> Finder:
    return Finder(client, runtime)
