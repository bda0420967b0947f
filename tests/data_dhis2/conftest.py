"""Fixtures of the DHIS2 tests: the loopback DHIS2 server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from data_dhis2.loopback_dhis2 import State, serve


@pytest.fixture()
def dhis2_server() -> Iterator[tuple[str, State]]:
    """(base URL, state) of a loopback DHIS2 server on 127.0.0.1 at a random port."""
    with serve() as srv:
        yield srv
