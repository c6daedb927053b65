"""Fixtures for the emulator tests: a running server on 127.0.0.1 and HTTP clients for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_helpers import API_KEY, API_SECRET, ApiClient, small_dataset

from portone_provider.emulator import EmulatorServer


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(api_key=API_KEY, api_secret=API_SECRET, port=0, dataset=small_dataset()) as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[ApiClient]:
    api_client = ApiClient(server)
    yield api_client
    api_client.close()


@pytest.fixture
def authed(client: ApiClient) -> ApiClient:
    """A client that already has a valid token."""
    client.login()
    return client
