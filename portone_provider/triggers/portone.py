"""Deferrable wait for a PortOne payment: the trigger and the rules it shares with the sensor.

The rules live here so the sensor on the worker and the trigger on the triggerer
decide the same way. They fix which statuses end the wait, the pending-review
exception, which errors are transient, the fields of the XCom summary and the
wording of each outcome.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.log import amask_secret
from airflow.triggers.base import BaseTrigger, TriggerEvent

from portone_provider.client.aio import AsyncPortOneClient
from portone_provider.client.retry import RetryPolicy
from portone_provider.client.validation import PAYMENT_STATUSES, require_id
from portone_provider.exceptions import (
    PortOneAuthError,
    PortOneError,
    PortOneInvalidResponseError,
    PortOneNotFoundError,
    PortOneRateLimitError,
    PortOneServerError,
    PortOneTransportError,
    PortOneValidationError,
)
from portone_provider.hooks.portone import connection_settings


#: PGs that report a payment under review as ``failed`` before it turns ``paid``.
DEFAULT_PENDING_REVIEW_PGS = ("paypal", "paypal_v2", "paymentwall")
#: Words in ``fail_reason`` (compared case-insensitively) that mark a review, not a decline.
PENDING_REVIEW_MARKERS = ("pending", "review", "대기", "보류", "심사")
#: Fields of a payment kept in the XCom summary. Buyer contact details, card and
#: account numbers and ``custom_data`` are left out on purpose.
SUMMARY_FIELDS = (
    "imp_uid",
    "merchant_uid",
    "status",
    "amount",
    "cancel_amount",
    "currency",
    "pay_method",
    "pg_provider",
    "paid_at",
    "failed_at",
    "cancelled_at",
    "fail_reason",
    "cancel_reason",
)
#: Maximum wait in seconds between two polls after consecutive transient errors,
#: unless the poke interval itself is longer.
MAX_ERROR_BACKOFF = 300.0


# Payment wait rules shared by the sensor and the trigger


@dataclass(frozen=True)
class PaymentCheck:
    """Outcome of one look at a payment: ``success``, ``failure`` or ``waiting``."""

    outcome: str
    status: str | None
    pending_review: bool = False


def check_status_lists(success_statuses: Any, failure_statuses: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return both status lists as tuples, or raise naming the invalid value and the fix."""
    success = _status_tuple("success_statuses", success_statuses)
    failure = _status_tuple("failure_statuses", failure_statuses)
    if not success:
        raise PortOneValidationError(
            "Invalid success_statuses (): expected at least one status, for example ('paid',)."
        )
    overlap = [status for status in success if status in failure]
    if overlap:
        raise PortOneValidationError(
            f"Invalid statuses {overlap!r}: they are in both success_statuses {success!r} and "
            f"failure_statuses {failure!r}. Remove each from one of the two lists."
        )
    return success, failure


def _status_tuple(name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise PortOneValidationError(
            f"Invalid {name} {values!r}: expected a list or tuple of statuses, for example ('paid',)."
        )
    statuses = tuple(values)
    unknown = [status for status in statuses if status not in PAYMENT_STATUSES]
    if unknown:
        raise PortOneValidationError(
            f"Invalid {name} {statuses!r}: {unknown!r} are not PortOne payment statuses. "
            f"Use only {', '.join(PAYMENT_STATUSES)}."
        )
    return tuple(dict.fromkeys(statuses))


def check_pending_review_pgs(values: Any) -> tuple[str, ...]:
    """Return the PG codes as a tuple, or raise naming the invalid value."""
    if values is None:
        return ()
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise PortOneValidationError(
            f"Invalid pending_review_pgs {values!r}: expected a list of PG codes such as "
            f"{DEFAULT_PENDING_REVIEW_PGS!r}, or an empty tuple to turn the rule off."
        )
    codes = tuple(values)
    for code in codes:
        if not isinstance(code, str) or not code.strip():
            raise PortOneValidationError(
                f"Invalid pending_review_pgs {codes!r}: {code!r} is not a PG code. "
                "Use PortOne's pg_provider values, for example 'paypal_v2'."
            )
    return tuple(code.strip() for code in codes)


def check_payment_ids(imp_uid: Any, merchant_uid: Any) -> None:
    """Raise unless exactly one of the two ids is given; Jinja templates pass unchecked."""
    passed = [name for name, value in (("imp_uid", imp_uid), ("merchant_uid", merchant_uid)) if value is not None]
    if len(passed) != 1:
        raise PortOneValidationError(
            f"Invalid ids imp_uid={imp_uid!r}, merchant_uid={merchant_uid!r}: pass exactly one of them, "
            "imp_uid for PortOne's payment id or merchant_uid for your order id."
        )
    name = passed[0]
    value = imp_uid if name == "imp_uid" else merchant_uid
    if not (isinstance(value, str) and "{{" in value):
        require_id(name, value)


def is_pending_review(payment: Mapping[str, Any], pending_review_pgs: Iterable[str]) -> bool:
    """Tell whether a ``failed`` payment is a PG's pending review rather than a final decline.

    The rule: the payment's ``pg_provider`` is one of ``pending_review_pgs``, and its
    ``fail_reason`` is empty or names a review (contains one of
    :data:`PENDING_REVIEW_MARKERS`). Any other ``fail_reason`` is a final failure.
    """
    if payment.get("status") != "failed" or payment.get("pg_provider") not in tuple(pending_review_pgs):
        return False
    reason = (payment.get("fail_reason") or "").strip().casefold()
    if not reason:
        return True
    return any(marker in reason for marker in PENDING_REVIEW_MARKERS)


def check_payment(
    payment: Mapping[str, Any] | None,
    success_statuses: Iterable[str],
    failure_statuses: Iterable[str],
    pending_review_pgs: Iterable[str],
) -> PaymentCheck:
    """Decide whether the wait is over. ``None`` stands for a merchant_uid with no payment yet."""
    if payment is None:
        return PaymentCheck("waiting", None)

    status = payment.get("status")
    if status in tuple(success_statuses):
        return PaymentCheck("success", status)
    if status in tuple(failure_statuses):
        if is_pending_review(payment, pending_review_pgs):
            return PaymentCheck("waiting", status, pending_review=True)
        return PaymentCheck("failure", status)
    return PaymentCheck("waiting", status)


def is_transient(error: Exception) -> bool:
    """Tell whether an error may pass by itself, so the wait goes on: 5xx, 429, transport, non-JSON."""
    if isinstance(error, (PortOneServerError, PortOneRateLimitError, PortOneTransportError)):
        return True
    return isinstance(error, PortOneInvalidResponseError) and error.http_status < 400


def summarize_payment(payment: Mapping[str, Any]) -> dict[str, Any]:
    """Return the JSON summary pushed to XCom, without buyer contact fields."""
    return {name: payment.get(name) for name in SUMMARY_FIELDS}


def describe_payment(imp_uid: str | None, merchant_uid: str | None, payment: Mapping[str, Any] | None = None) -> str:
    """Name a payment in messages by the id waited on, and the other id once it is known."""
    if imp_uid is not None:
        text = f"imp_uid {imp_uid!r}"
        other = payment.get("merchant_uid") if payment else None
        return f"{text} (merchant_uid {other!r})" if other else text
    text = f"merchant_uid {merchant_uid!r}"
    other = payment.get("imp_uid") if payment else None
    return f"{text} (imp_uid {other!r})" if other else text


def failure_message(target: str, payment: Mapping[str, Any], failure_statuses: Iterable[str]) -> str:
    """Word a payment that reached a failure status, with PortOne's reason if it sent one."""
    status = payment.get("status")
    text = (
        f"PortOne payment {target} is {status!r}, one of the failure statuses "
        f"{tuple(failure_statuses)!r}, so the sensor fails without retrying"
    )
    reason = payment.get("fail_reason") if status == "failed" else payment.get("cancel_reason")
    if reason:
        text += f". PortOne's reason: {reason!r}"
    return text + "."


def timeout_message(
    target: str,
    check: PaymentCheck | None,
    payment: Mapping[str, Any] | None,
    success_statuses: Iterable[str],
    deadline: str,
) -> str:
    """Word a wait that ended by the sensor's timeout, with the last status seen."""
    expected = ", ".join(success_statuses)
    advice = "Raise the sensor's timeout, or check the payment in PortOne's admin console."
    if check is not None and check.status is None:
        return f"PortOne still has no payment for {target} {deadline}, so none reached {expected}. {advice}"

    if check is None:
        state = "could not be read before the timeout (see the warnings above)"
    elif check.pending_review:
        state = (
            f"is still 'failed' under review at {payment.get('pg_provider')!r} "
            "(a PG that reports pending reviews as failed)"
        )
    else:
        state = f"is still {check.status!r}"
    return f"PortOne payment {target} {state} {deadline}, so it never reached {expected}. {advice}"


# The trigger


class PortOnePaymentTrigger(BaseTrigger):
    """Poll one PortOne payment from the triggerer until it succeeds, fails or time runs out.

    It applies the same rules as :class:`~portone_provider.sensors.portone.PortOnePaymentSensor`
    and fires exactly one event whose payload is plain JSON, with ``status`` one of:

    - ``success``: ``payment`` contains the summary;
    - ``failure``: a failure status, named in ``payment`` and ``message``;
    - ``timeout``: ``end_time`` passed; ``message`` names the last status seen;
    - ``error``: a non-transient error such as rejected credentials, named in ``message``.

    Transient errors (5xx, 429, connection failures, a non-JSON page) never end the
    trigger: it logs them and polls again, doubling the wait after each consecutive
    error up to :data:`MAX_ERROR_BACKOFF`. All triggers of one connection id on one
    event loop share one :class:`~portone_provider.client.aio.AsyncPortOneClient`,
    so they share one access token.

    :param conn_id: Connection of type ``portone``.
    :param imp_uid: PortOne payment id; pass this or ``merchant_uid``.
    :param merchant_uid: merchant order id; its newest payment is watched, and a
        404 counts as "no payment yet".
    :param success_statuses: statuses that end the wait successfully.
    :param failure_statuses: statuses that end the wait with a failure event.
    :param pending_review_pgs: PG codes whose ``failed`` may be a pending review.
    :param poke_interval: seconds between two polls.
    :param end_time: ISO 8601 time with offset at which the wait ends, or ``None``.
    """

    def __init__(
        self,
        *,
        conn_id: str,
        imp_uid: str | None = None,
        merchant_uid: str | None = None,
        success_statuses: Iterable[str] = ("paid",),
        failure_statuses: Iterable[str] = ("failed", "cancelled"),
        pending_review_pgs: Iterable[str] = DEFAULT_PENDING_REVIEW_PGS,
        poke_interval: float = 60.0,
        end_time: str | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(conn_id, str) or not conn_id.strip():
            raise PortOneValidationError(f"Invalid conn_id {conn_id!r}: expected the id of a portone Connection.")
        check_payment_ids(imp_uid, merchant_uid)
        success, failure = check_status_lists(success_statuses, failure_statuses)
        if isinstance(poke_interval, bool) or not isinstance(poke_interval, (int, float)) or poke_interval <= 0:
            raise PortOneValidationError(
                f"Invalid poke_interval {poke_interval!r}: expected seconds greater than zero, for example 60."
            )

        self.conn_id = conn_id
        self.imp_uid = imp_uid
        self.merchant_uid = merchant_uid
        self.success_statuses = list(success)
        self.failure_statuses = list(failure)
        self.pending_review_pgs = list(check_pending_review_pgs(pending_review_pgs))
        self.poke_interval = float(poke_interval)
        self.end_time = end_time
        self._deadline = _parse_end_time(end_time)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and plain JSON keyword arguments that rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "conn_id": self.conn_id,
                "imp_uid": self.imp_uid,
                "merchant_uid": self.merchant_uid,
                "success_statuses": list(self.success_statuses),
                "failure_statuses": list(self.failure_statuses),
                "pending_review_pgs": list(self.pending_review_pgs),
                "poke_interval": self.poke_interval,
                "end_time": self.end_time,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until one event decides the wait, then yield it and return."""
        pool = _client_pool()
        try:
            lease = await pool.acquire(self.conn_id)
        except Exception as error:
            # An unknown conn_id (AirflowNotFoundException) or invalid Connection fields
            # (PortOneConfigurationError) end the wait with an error event the sensor reports.
            yield self._error_event(error)
            return

        try:
            event = await self._poll(pool, lease)
            yield event
        finally:
            await pool.release(self.conn_id, lease)

    async def _poll(self, pool: _ClientPool, lease: _Lease) -> TriggerEvent:
        client = lease.client
        target = describe_payment(self.imp_uid, self.merchant_uid)
        last_check: PaymentCheck | None = None
        last_payment: dict | None = None
        consecutive_errors = 0

        while True:
            try:
                payment = await self._fetch(client)
            except PortOneError as error:
                if isinstance(error, PortOneAuthError):
                    # Drop the client, so the next trigger reads the Connection again with fixed credentials.
                    await pool.retire(self.conn_id, lease)
                if not is_transient(error):
                    return self._error_event(error)
                consecutive_errors += 1
                wait = self._error_backoff(consecutive_errors)
                self.log.warning(
                    "PortOne payment %s: transient error %d in a row (%s); polling again in %.1f s",
                    target,
                    consecutive_errors,
                    error,
                    wait,
                )
            else:
                consecutive_errors = 0
                last_payment = payment
                last_check = check_payment(
                    payment, self.success_statuses, self.failure_statuses, self.pending_review_pgs
                )
                target = describe_payment(self.imp_uid, self.merchant_uid, payment)
                if last_check.outcome == "success":
                    message = f"PortOne payment {target} is {last_check.status!r}."
                    self.log.info("%s", message)
                    return self._payment_event("success", payment, message)
                if last_check.outcome == "failure":
                    return self._payment_event(
                        "failure", payment, failure_message(target, payment, self.failure_statuses)
                    )
                wait = self.poke_interval
                self.log.debug("PortOne payment %s is %r; polling again in %.1f s", target, last_check.status, wait)

            remaining = self._remaining_seconds()
            if remaining is not None and remaining <= 0:
                message = timeout_message(
                    target, last_check, last_payment, self.success_statuses, f"at the sensor's deadline {self.end_time}"
                )
                return self._payment_event("timeout", last_payment, message)
            if remaining is not None:
                wait = min(wait, remaining)
            await asyncio.sleep(wait)

    async def _fetch(self, client: AsyncPortOneClient) -> dict | None:
        if self.imp_uid is not None:
            return await client.get_payment(self.imp_uid)
        try:
            return await client.find_payment(self.merchant_uid)
        except PortOneNotFoundError:
            return None

    def _error_backoff(self, consecutive_errors: int) -> float:
        """Return the wait after a transient error: the poke interval, doubled per error in a row."""
        ceiling = max(self.poke_interval, MAX_ERROR_BACKOFF)
        return min(self.poke_interval * 2 ** (consecutive_errors - 1), ceiling)

    def _remaining_seconds(self) -> float | None:
        if self._deadline is None:
            return None
        return (self._deadline - datetime.now(timezone.utc)).total_seconds()

    def _payment_event(self, status: str, payment: Mapping[str, Any] | None, message: str) -> TriggerEvent:
        summary = summarize_payment(payment) if payment is not None else None
        return TriggerEvent({"status": status, "payment": summary, "message": message})

    def _error_event(self, error: BaseException) -> TriggerEvent:
        target = describe_payment(self.imp_uid, self.merchant_uid)
        message = f"Waiting for PortOne payment {target} failed: {type(error).__name__}: {error}"
        self.log.error("%s", message)
        return TriggerEvent({"status": "error", "payment": None, "message": message})


def _parse_end_time(end_time: str | None) -> datetime | None:
    if end_time is None:
        return None
    try:
        parsed = datetime.fromisoformat(end_time) if isinstance(end_time, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise PortOneValidationError(
            f"Invalid end_time {end_time!r}: expected an ISO 8601 string with a UTC offset, "
            "such as '2026-11-01T09:00:00+00:00', or None to wait without an end."
        )
    return parsed


# Clients shared by the triggers of one event loop


def trigger_retry_policy() -> RetryPolicy:
    """Return the retry policy of a trigger's client: short, since the poll loop retries too."""
    return RetryPolicy(max_retries=2, backoff=0.5, max_backoff=4.0)


@dataclass
class _Lease:
    client: AsyncPortOneClient
    users: int = 0
    retired: bool = False


class _ClientPool:
    """One client per connection id for the triggers of one event loop.

    The client is built on first use from the Connection (read with ``aget_connection``)
    and closed when its last trigger ends. A client whose credentials PortOne rejected
    is retired, so the next trigger reads the Connection again.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._leases: dict[str, _Lease] = {}

    async def acquire(self, conn_id: str) -> _Lease:
        async with self._lock:
            lease = self._leases.get(conn_id)
            if lease is None:
                lease = _Lease(await _build_client(conn_id))
                self._leases[conn_id] = lease
            lease.users += 1
            return lease

    async def retire(self, conn_id: str, lease: _Lease) -> None:
        async with self._lock:
            lease.retired = True
            if self._leases.get(conn_id) is lease:
                del self._leases[conn_id]

    async def release(self, conn_id: str, lease: _Lease) -> None:
        lease.users -= 1
        if lease.users > 0:
            return
        if self._leases.get(conn_id) is lease:
            del self._leases[conn_id]
        await lease.client.aclose()

    def __len__(self) -> int:
        return len(self._leases)


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ClientPool] = weakref.WeakKeyDictionary()


def _client_pool() -> _ClientPool:
    loop = asyncio.get_running_loop()
    pool = _POOLS.get(loop)
    if pool is None:
        pool = _ClientPool()
        _POOLS[loop] = pool
    return pool


async def _build_client(conn_id: str) -> AsyncPortOneClient:
    connection = await BaseHook.aget_connection(conn_id)
    extras = await connection.aextra_dejson()
    settings = connection_settings(connection, extras)
    await amask_secret(settings["api_secret"])

    # Building an httpx client loads the CA bundle into an SSL context, about 20 ms of
    # blocking file and CPU work (measured on a laptop-class VM), so it runs in a thread.
    return await asyncio.to_thread(
        AsyncPortOneClient, **settings, retry=trigger_retry_policy(), on_new_token=amask_secret
    )
