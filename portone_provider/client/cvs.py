"""Convenience-store barcodes: ``POST /cvs`` and ``DELETE /cvs/{imp_uid}``.

PortOne issues a barcode (수납번호) through Galaxia Communications. The customer shows
it at a convenience store and pays there in cash or by card. Until then the payment
is ``ready``. ``DELETE /cvs/{imp_uid}`` revokes a barcode that is still unpaid.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from portone_provider.client.base import quote_segment
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_amount, require_aware, require_id
from portone_provider.exceptions import PortOneValidationError

#: Maximum lengths of the text fields of ``POST /cvs``, from PortOne's V1 OpenAPI spec.
MAX_LENGTHS = {
    "merchant_uid": 40,
    "name": 40,
    "buyer_name": 16,
    "buyer_email": 64,
    "buyer_tel": 16,
    "buyer_addr": 128,
    "buyer_postcode": 8,
}

#: Optional text fields sent as given.
TEXT_FIELDS = ("barcode", "name", "buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode", "pg")


class CvsMixin:
    """Barcode calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("issueCvsPayment", "POST", "/cvs")
    def issue_cvs_barcode(
        self,
        merchant_uid: str,
        amount: Any,
        *,
        barcode: str | None = None,
        expired_at: datetime | int | str | None = None,
        name: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        buyer_addr: str | None = None,
        buyer_postcode: str | None = None,
        pg: str | None = None,
        confirm_url: str | None = None,
        notice_url: str | Iterable[str] | None = None,
        custom_data: Mapping[str, Any] | str | None = None,
    ) -> dict:
        """Issue or register a convenience-store barcode for an order (``POST /cvs``).

        The call is sent once and never repeated after a timeout or a 5xx, because a
        repeat could issue a second barcode for the same order. Look the order up
        with :meth:`find_payment` before issuing again.

        :param merchant_uid: the merchant's order id, at most 40 characters. PortOne
            rejects an order id that was already paid.
        :param amount: the amount to collect at the store, greater than zero.
        :param barcode: the merchant's own barcode number to register instead of a new
            one from Galaxia.
        :param expired_at: the last moment the store accepts payment: an aware datetime,
            an ISO 8601 string with an offset or UNIX seconds. It must lie in the
            future. Unset, PortOne applies the default agreed with Galaxia.
        :param name: order name, at most 40 characters.
        :param buyer_name: buyer's name, at most 16 characters.
        :param buyer_email: buyer's email address, at most 64 characters.
        :param buyer_tel: buyer's phone number, at most 16 characters.
        :param buyer_addr: buyer's address, at most 128 characters.
        :param buyer_postcode: buyer's postcode, at most 8 characters.
        :param pg: PG code, ``galaxia`` or ``galaxia.<store id>`` for a second Galaxia store id.
        :param confirm_url: http(s) URL PortOne calls to check whether a store may accept the payment.
        :param notice_url: http(s) URLs notified when the barcode is paid; one URL may be
            passed as a string.
        :param custom_data: a dict, sent as a JSON string, or a string sent as given.
        :returns: the new payment in status ``ready``. The emulator returns the barcode
            number in ``vbank_num`` and the due time in ``vbank_date``.
        """
        body = build_issue_body(
            merchant_uid,
            amount,
            barcode=barcode,
            expired_at=expired_at,
            name=name,
            buyer_name=buyer_name,
            buyer_email=buyer_email,
            buyer_tel=buyer_tel,
            buyer_addr=buyer_addr,
            buyer_postcode=buyer_postcode,
            pg=pg,
            confirm_url=confirm_url,
            notice_url=notice_url,
            custom_data=custom_data,
        )
        return self.request("POST", "/cvs", json=body, idempotent=False)

    @operation("revokeCvsPayment", "DELETE", "/cvs/{imp_uid}")
    def revoke_cvs_barcode(self, imp_uid: str) -> dict:
        """Revoke an unpaid barcode so no store accepts it any more (``DELETE /cvs/{imp_uid}``).

        Sent once and never repeated blindly. PortOne rejects a barcode that is already
        paid (cancel the payment instead) and, in the emulator, one already revoked.

        :returns: the payment after the revoke.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("DELETE", f"/cvs/{quote_segment(imp_uid)}", idempotent=False)


def build_issue_body(
    merchant_uid: Any,
    amount: Any,
    *,
    now: float | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Check the arguments of :meth:`CvsMixin.issue_cvs_barcode` and return the JSON body.

    Unset (``None``) optional fields are left out of the body. Raises
    :class:`~portone_provider.exceptions.PortOneValidationError` naming the argument.

    :param now: UNIX time that ``expired_at`` must be later than; defaults to the local clock.
    """
    unknown = sorted(set(fields) - set(TEXT_FIELDS) - {"expired_at", "confirm_url", "notice_url", "custom_data"})
    if unknown:
        raise PortOneValidationError(f"Unknown barcode fields {unknown}: check the spelling of the keyword arguments.")

    body: dict[str, Any] = {
        "merchant_uid": require_text("merchant_uid", require_id("merchant_uid", merchant_uid)),
        "amount": to_json_number(require_amount("amount", amount)),
    }

    for name in TEXT_FIELDS:
        value = fields.get(name)
        if value is not None:
            body[name] = require_text(name, value)

    if fields.get("expired_at") is not None:
        body["expired_at"] = require_future_seconds("expired_at", fields["expired_at"], now=now)
    if fields.get("confirm_url") is not None:
        body["confirm_url"] = require_http_url("confirm_url", fields["confirm_url"])

    notice_urls = require_http_urls("notice_url", fields.get("notice_url"))
    if notice_urls:
        body["notice_url"] = notice_urls

    if fields.get("custom_data") is not None:
        body["custom_data"] = custom_data_text(fields["custom_data"])
    return body


def require_text(name: str, value: Any) -> str:
    """Return ``value`` stripped if it is non-empty text within PortOne's length limit."""
    if not isinstance(value, str):
        raise PortOneValidationError(
            f"Invalid {name}: expected text, got {type(value).__name__} {value!r}. Pass it as a string."
        )
    stripped = value.strip()
    if not stripped:
        raise PortOneValidationError(f"Invalid {name}: got an empty string. Pass a value or leave {name} unset.")
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(stripped) > limit:
        raise PortOneValidationError(
            f"Invalid {name} {value!r}: it has {len(stripped)} characters, PortOne accepts at most {limit}. "
            "Shorten it."
        )
    return stripped


def require_future_seconds(name: str, value: Any, *, now: float | None = None) -> int:
    """Return ``value`` as whole UNIX seconds if it names a moment after ``now``.

    Accepts an aware datetime, an ISO 8601 string with an offset, or UNIX seconds as an
    integer or a string of digits (as an Airflow template renders one). A datetime's
    fraction of a second is dropped, so the due time never moves later than requested.
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool):
        raise PortOneValidationError(f"Invalid {name} {value!r}: expected a datetime or UNIX seconds.")
    if isinstance(value, int):
        seconds = value
    else:
        seconds = math.floor(require_aware(name, value).timestamp())

    current = time.time() if now is None else now
    if seconds <= current:
        given = value.isoformat() if isinstance(value, datetime) else value
        raise PortOneValidationError(
            f"Invalid {name} {given!r}: the moment has already passed (UNIX {seconds}, now {math.floor(current)}). "
            "Pass a due time in the future, or leave it unset for PortOne's default."
        )
    return seconds


def require_http_url(name: str, value: Any) -> str:
    """Return ``value`` if it is an absolute http or https URL with a host."""
    if not isinstance(value, str):
        raise PortOneValidationError(
            f"Invalid {name}: expected an http(s) URL as text, got {type(value).__name__} {value!r}."
        )
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PortOneValidationError(
            f"Invalid {name} {value!r}: expected an absolute http or https URL, "
            "such as 'https://shop.example.com/portone/webhook'."
        )
    return url


def require_http_urls(name: str, value: Any) -> list[str]:
    """Return a list of http(s) URLs from a list, a tuple or one URL as a string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [require_http_url(name, value)]
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise PortOneValidationError(
            f"Invalid {name}: expected a list of http(s) URLs, got {type(value).__name__} {value!r}."
        )
    return [require_http_url(f"{name}[{index}]", item) for index, item in enumerate(value)]


def custom_data_text(value: Any) -> str:
    """Return ``custom_data`` as the JSON string PortOne stores; a string is kept as given."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        raise PortOneValidationError(
            f"Invalid custom_data: expected a dict or a JSON string, got {type(value).__name__} {value!r}."
        )
    try:
        return json.dumps(dict(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PortOneValidationError(
            f"Invalid custom_data {value!r}: it cannot be written as JSON ({exc}). "
            "Use only strings, numbers, booleans, None, lists and dicts."
        ) from None


def to_json_number(amount: Decimal) -> int | float:
    """Return an amount as a JSON number: an integer when it is whole, else a float."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)
