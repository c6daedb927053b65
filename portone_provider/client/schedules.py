"""Scheduled billing-key payments: ``/subscribe/payments/schedule`` and friends.

PortOne charges each scheduled entry with the billing key at ``schedule_at`` and
reports the result to the ``notice_url`` webhook. Times are UNIX seconds; the methods
also take aware datetimes. A list query may span at most three months.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import (
    SCHEDULE_STATUSES,
    drop_unset,
    optional_choice,
    optional_id_list,
    optional_int,
    optional_id,
    optional_number,
    optional_text,
    optional_texts,
    require_number,
    require_object_list,
    require_timestamp,
)
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id
from portone_provider.exceptions import PortOneValidationError

#: Keys every entry of ``schedules`` must have, as PortOne's ScheduleAnnotation requires.
SCHEDULE_REQUIRED_KEYS = ("merchant_uid", "schedule_at", "amount", "currency", "name")


class SchedulesMixin:
    """Payment-schedule calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("schedule", "POST", "/subscribe/payments/schedule")
    def schedule_payments(
        self,
        customer_uid: str,
        schedules: list[dict[str, Any]],
        *,
        customer_id: str | None = None,
        checking_amount: int | None = None,
        card_number: str | None = None,
        expiry: str | None = None,
        birth: str | None = None,
        pwd_2digit: str | None = None,
        cvc: str | None = None,
        pg: str | None = None,
        channelKey: str | None = None,
    ) -> list[dict]:
        """Schedule payments with the billing key ``customer_uid`` (``POST /subscribe/payments/schedule``).

        Each entry of ``schedules`` needs ``merchant_uid``, ``schedule_at`` (UNIX seconds
        or an aware datetime), ``amount``, ``currency`` and ``name``, and may carry the
        other fields of PortOne's ScheduleAnnotation (``buyer_name``, ``notice_url``, ...).
        With card fields and an unknown ``customer_uid``, PortOne first issues the key.
        The call is never retried by the client and waits for its payment rate limit.

        :param checking_amount: amount charged and refunded at once to test the card (0: no test).
        :returns: the scheduled entries as PortOne stored them.
        """
        customer_uid = require_id("customer_uid", customer_uid)
        listed = require_object_list("schedules", schedules, required_keys=SCHEDULE_REQUIRED_KEYS)
        entries = [_check_schedule(index, entry) for index, entry in enumerate(listed)]
        body: dict[str, Any] = {"customer_uid": customer_uid, "schedules": entries}
        body.update(
            optional_texts(
                customer_id=customer_id,
                card_number=card_number,
                expiry=expiry,
                birth=birth,
                pwd_2digit=pwd_2digit,
                cvc=cvc,
                pg=pg,
                channelKey=channelKey,
            )
        )
        body.update(drop_unset({"checking_amount": optional_int("checking_amount", checking_amount, minimum=0)}))

        self._wait_for_payment_slot()
        return self.request("POST", "/subscribe/payments/schedule", json=body, idempotent=False)

    @operation("unschedule", "POST", "/subscribe/payments/unschedule", params={"merchant_uids": "merchant_uid"})
    def unschedule_payments(
        self, *, customer_uid: str | None = None, merchant_uids: list[str] | None = None
    ) -> list[dict]:
        """Revoke scheduled payments (``POST /subscribe/payments/unschedule``).

        With ``merchant_uids`` only those entries are revoked; with ``customer_uid``
        alone every pending entry of that billing key is. Revoking an entry twice
        fails at PortOne, so the client never retries the call.

        :returns: the revoked entries.
        """
        body = drop_unset(
            {
                "customer_uid": optional_id("customer_uid", customer_uid),
                "merchant_uid": optional_id_list("merchant_uids", merchant_uids),
            }
        )
        if not body:
            raise PortOneValidationError(
                "Missing customer_uid and merchant_uids: pass merchant_uids to revoke those schedules, "
                "or customer_uid to revoke every schedule of that billing key."
            )
        return self.request("POST", "/subscribe/payments/unschedule", json=body, idempotent=False)

    @operation("findSchedulesByRange", "GET", "/subscribe/payments/schedule")
    def find_schedules(
        self,
        schedule_from: int | datetime,
        schedule_to: int | datetime,
        *,
        schedule_status: str | None = None,
        page: int | None = None,
        limit: int | None = None,
        sorting: str | None = None,
    ) -> Any:
        """Return one page of the schedules whose ``schedule_at`` lies in a range.

        Calls ``GET /subscribe/payments/schedule``. The range may span three months at most.

        :param schedule_from: start, UNIX seconds or an aware datetime.
        :param schedule_to: end, UNIX seconds or an aware datetime.
        :param schedule_status: scheduled, executed or revoked.
        """
        first = require_timestamp("schedule_from", schedule_from)
        last = require_timestamp("schedule_to", schedule_to)
        _check_range("schedule_from", first, "schedule_to", last)
        query = drop_unset(
            {
                "schedule_from": first,
                "schedule_to": last,
                "schedule_status": optional_choice("schedule_status", schedule_status, SCHEDULE_STATUSES),
                "page": optional_int("page", page, minimum=1),
                "limit": optional_int("limit", limit, minimum=1),
                "sorting": optional_text("sorting", sorting),
            }
        )
        return self.request("GET", "/subscribe/payments/schedule", params=query)

    @operation("getScheduleByMid", "GET", "/subscribe/payments/schedule/{merchant_uid}")
    def get_schedule(self, merchant_uid: str) -> dict:
        """Return the schedule entry of ``merchant_uid`` with its ``schedule_status``.

        :raises PortOneNotFoundError: nothing is scheduled under ``merchant_uid``.
        """
        merchant_uid = require_id("merchant_uid", merchant_uid)
        return self.request("GET", f"/subscribe/payments/schedule/{quote_segment(merchant_uid)}")

    @operation("updateScheduleByMid", "PUT", "/subscribe/payments/schedule/{merchant_uid}")
    def update_schedule(self, merchant_uid: str, schedule_at: int | datetime) -> dict:
        """Move a pending schedule entry to ``schedule_at`` (``PUT .../schedule/{merchant_uid}``).

        The call sets a value, so repeating it after a lost response is harmless and it is
        retried like a read.
        """
        merchant_uid = require_id("merchant_uid", merchant_uid)
        body = {"schedule_at": require_timestamp("schedule_at", schedule_at)}
        path = f"/subscribe/payments/schedule/{quote_segment(merchant_uid)}"
        return self.request("PUT", path, json=body, idempotent=True)

    @operation("rescheduleByMid", "POST", "/subscribe/payments/schedule/{merchant_uid}/reschedule")
    def reschedule_payment(self, merchant_uid: str, schedule_at: int | datetime) -> dict:
        """Schedule a failed entry once more at ``schedule_at`` (``POST .../{merchant_uid}/reschedule``)."""
        merchant_uid = require_id("merchant_uid", merchant_uid)
        body = {"schedule_at": require_timestamp("schedule_at", schedule_at)}
        path = f"/subscribe/payments/schedule/{quote_segment(merchant_uid)}/reschedule"
        return self.request("POST", path, json=body, idempotent=False)

    @operation("retryScheduleByMid", "POST", "/subscribe/payments/schedule/{merchant_uid}/retry")
    def retry_scheduled_payment(self, merchant_uid: str) -> dict:
        """Charge a failed schedule entry again now (``POST .../{merchant_uid}/retry``).

        The call moves money, so the client never repeats it.
        """
        merchant_uid = require_id("merchant_uid", merchant_uid)
        path = f"/subscribe/payments/schedule/{quote_segment(merchant_uid)}/retry"
        return self.request("POST", path, idempotent=False)

    @operation(
        "findSchedulesByCustomer",
        "GET",
        "/subscribe/payments/schedule/customers/{customer_uid}",
        params={"since": "from", "until": "to", "schedule_status": "schedule-status"},
    )
    def find_schedules_by_customer(
        self,
        customer_uid: str,
        since: int | datetime,
        until: int | datetime,
        *,
        page: int | None = None,
        schedule_status: str | None = None,
    ) -> Any:
        """Return one page of a billing key's schedules, newest ``schedule_at`` first.

        Calls ``GET /subscribe/payments/schedule/customers/{customer_uid}``.

        :param since: sent as ``from``: UNIX seconds or an aware datetime.
        :param until: sent as ``to``; at most three months after ``since``.
        :param schedule_status: scheduled, executed or revoked.
        """
        path = f"/subscribe/payments/schedule/customers/{quote_segment(require_id('customer_uid', customer_uid))}"
        return self.request("GET", path, params=_customer_schedule_query(since, until, page, schedule_status))

    @operation(
        "findSchedulesByCustomer",
        "GET",
        "/subscribe/customers/{customer_uid}/schedules",
        params={"since": "from", "until": "to", "schedule_status": "schedule-status"},
    )
    def get_customer_schedules(
        self,
        customer_uid: str,
        since: int | datetime,
        until: int | datetime,
        *,
        page: int | None = None,
        schedule_status: str | None = None,
    ) -> Any:
        """Return one page of a billing key's schedules (``GET /subscribe/customers/{customer_uid}/schedules``).

        PortOne serves the same data as :meth:`find_schedules_by_customer` on this path.
        """
        path = f"/subscribe/customers/{quote_segment(require_id('customer_uid', customer_uid))}/schedules"
        return self.request("GET", path, params=_customer_schedule_query(since, until, page, schedule_status))


def _check_schedule(index: int, entry: dict[str, Any]) -> dict[str, Any]:
    """Check one ScheduleAnnotation entry and convert its time and amounts for JSON."""
    label = f"schedules[{index}]"
    checked = dict(entry)
    checked["merchant_uid"] = require_id(f"{label}.merchant_uid", entry["merchant_uid"])
    checked["schedule_at"] = require_timestamp(f"{label}.schedule_at", entry["schedule_at"])
    checked["amount"] = require_number(f"{label}.amount", entry["amount"])
    for key in ("tax_free", "vat_amount"):
        if entry.get(key) is not None:
            checked[key] = optional_number(f"{label}.{key}", entry[key])
    return drop_unset(checked)


def _check_range(first_name: str, first: int, last_name: str, last: int) -> None:
    if last < first:
        raise PortOneValidationError(
            f"Invalid range: {last_name} {last} is before {first_name} {first}. Swap the two values."
        )


def _customer_schedule_query(since: Any, until: Any, page: Any, schedule_status: Any) -> dict[str, Any]:
    first = require_timestamp("since", since)
    last = require_timestamp("until", until)
    _check_range("since", first, "until", last)
    return drop_unset(
        {
            "from": first,
            "to": last,
            "page": optional_int("page", page, minimum=1),
            "schedule-status": optional_choice("schedule_status", schedule_status, SCHEDULE_STATUSES),
        }
    )
