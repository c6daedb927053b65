"""Airflow hook for the PortOne REST API V1."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from portone_provider.client.urls import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, check_base_url, is_loopback_host
from portone_provider.exceptions import PortOneConfigurationError, PortOneError

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from portone_provider.client import PortOneClient


def _client_class() -> type[PortOneClient]:
    # Imported on first use: DAG files import the hook through the operators, and the
    # client with requests and every API area is not needed to parse them.
    from portone_provider.client import PortOneClient

    return PortOneClient

#: Connection extras the hook reads, with the form labels shown in the Airflow UI.
CONNECTION_EXTRAS = ("tier_code", "timeout")


class PortOneHook(BaseHook):
    """Interact with PortOne's REST API V1 through an Airflow Connection.

    The Connection contains the API key as its login, the API secret as its password and,
    optionally, the base URL as its host (default ``https://api.iamport.kr``). Extras:
    ``tier_code`` (sub-merchant tier, sent as the ``Tier`` header) and ``timeout``
    (seconds per request, default 30).

    Every public method of :class:`~portone_provider.client.PortOneClient` is available
    on the hook, so a task can write ``PortOneHook().get_payment("imp_...")``.

    :param portone_conn_id: id of the Connection of type ``portone``.
    """

    conn_name_attr = "portone_conn_id"
    default_conn_name = "portone_default"
    conn_type = "portone"
    hook_name = "PortOne"

    def __init__(self, portone_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.portone_conn_id = portone_conn_id
        self._client: PortOneClient | None = None
        self._client_lock = threading.Lock()

    def get_conn(self) -> PortOneClient:
        """Return the PortOne client for the Connection, created once per hook."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    connection = self.get_connection(self.portone_conn_id)
                    settings = client_settings(connection, connection.extra_dejson)
                    self._client = _client_class()(**settings, on_new_token=mask_secret)
        return self._client

    def test_connection(self) -> tuple[bool, str]:
        """Fetch an access token with the Connection's credentials and report the outcome."""
        try:
            client = self.get_conn()
            client.get_access_token()
        except PortOneError as error:
            return False, str(error)
        return True, f"Connection to PortOne at {client.base_url} works: an access token was issued."

    def __getattr__(self, name: str) -> Any:
        # Expose the client's public calls on the hook without repeating each signature.
        if not name.startswith("_") and callable(getattr(_client_class(), name, None)):
            return getattr(self.get_conn(), name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self):
        client_names = [name for name in dir(_client_class()) if not name.startswith("_")]
        return sorted(set(super().__dir__()) | set(client_names))


def client_settings(connection: Connection, extras: dict[str, Any]) -> dict[str, Any]:
    """Turn an Airflow Connection into :class:`PortOneClient` keyword arguments.

    The API secret is registered with Airflow's secrets masker here, so it is masked in
    task logs before the first request. Both plain extras (``tier_code``) and the
    prefixed form older UIs write (``extra__portone__tier_code``) are read.
    """
    settings = connection_settings(connection, extras)
    mask_secret(settings["api_secret"])
    return settings


def connection_settings(connection: Connection, extras: dict[str, Any]) -> dict[str, Any]:
    """Check a Connection and return client keyword arguments, without masking the secret.

    Callers register ``api_secret`` with the secrets masker themselves: the hook with
    ``mask_secret``, a trigger on the triggerer's event loop with ``amask_secret``.
    """
    conn_id = connection.conn_id
    api_key = connection.login
    api_secret = connection.password
    if not api_key or not api_key.strip():
        raise PortOneConfigurationError(
            f"Missing API key in Connection {conn_id!r}: set its Login field (labelled 'API key') "
            "to the PortOne REST API key."
        )
    if not api_secret or not api_secret.strip():
        raise PortOneConfigurationError(
            f"Missing API secret in Connection {conn_id!r}: set its Password field (labelled "
            "'API secret') to the PortOne REST API secret."
        )

    return {
        "api_key": api_key,
        "api_secret": api_secret,
        "base_url": _checked_base_url(connection),
        "tier_code": _extra_text(extras, "tier_code"),
        "timeout": _extra_timeout(extras, conn_id),
    }


def _checked_base_url(connection: Connection) -> str:
    # The client's own message names base_url, a word the Connection form never shows.
    try:
        return check_base_url(base_url_from_connection(connection))
    except PortOneConfigurationError as error:
        raise PortOneConfigurationError(
            f"Invalid Host in Connection {connection.conn_id!r}, the PortOne base URL: {error}"
        ) from None


def base_url_from_connection(connection: Connection) -> str:
    """Build the base URL from the Connection's host (a full URL or a bare host name) and port."""
    host = (connection.host or "").strip()
    if not host:
        return DEFAULT_BASE_URL
    if "://" in host:
        return host

    hostname = host.split("/", 1)[0]
    scheme = "http" if is_loopback_host(hostname) else "https"
    if connection.port and ":" not in hostname:
        host = host.replace(hostname, f"{hostname}:{connection.port}", 1)
    return f"{scheme}://{host}"


def _extra_text(extras: dict[str, Any], name: str) -> str | None:
    value = extras.get(name)
    if value in (None, ""):
        value = extras.get(f"extra__portone__{name}")
    if value in (None, ""):
        return None
    return str(value).strip() or None


def _extra_timeout(extras: dict[str, Any], conn_id: str) -> float:
    value = _extra_text(extras, "timeout")
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        timeout = float(value)
    except ValueError:
        timeout = float("nan")
    if not timeout > 0 or timeout == float("inf"):
        raise PortOneConfigurationError(
            f"Invalid timeout {value!r} in the extras of Connection {conn_id!r}: expected a number "
            f"of seconds greater than zero, for example {DEFAULT_TIMEOUT:g}."
        )
    return timeout
