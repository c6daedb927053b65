"""Refund rules shared by the client and the cancel operator, free of Airflow imports.

- Refund account checks for virtual-account (``vbank``) refunds: the bank code and the
  account number stay strings, so leading zeros survive, and logs show at most the
  account's last four digits.
- Amount helpers: exact :class:`~decimal.Decimal` arithmetic, and the JSON form PortOne
  receives (an int for whole amounts, otherwise the exact decimal).
- Cancel intents: what a cancel task records before it sends ``POST /payments/cancel``,
  and how a later try decides from ``cancel_history`` whether that cancel was applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from portone_provider.exceptions import PortOneValidationError

#: Currencies without a minor unit: refunds in them must be whole numbers.
ZERO_DECIMAL_CURRENCIES = frozenset({"KRW", "JPY", "VND"})
#: Decimal places allowed in amounts of every other currency (USD cents).
MINOR_UNIT_PLACES = 2

#: PG providers whose cancels PortOne may accept but approve later. PortOne's V1 spec
#: says this of ``paypal_v2``: a cancel is approved once the status is ``cancelled``
#: and ``cancel_history`` lists the request. Until then it is pending.
PENDING_PG_PROVIDERS = frozenset({"paypal_v2"})

#: Values PortOne accepts for Naver Pay's ``extra.requester``.
REQUESTERS = ("customer", "admin")

_BANK_CODE = re.compile(r"\d{2,3}")
_DIGITS = re.compile(r"\d+")
_PHONE = re.compile(r"\+?[0-9][0-9-]*")


@dataclass(frozen=True)
class RefundAccount:
    """The account a virtual-account payment is refunded to."""

    holder: str
    bank: str
    account: str
    tel: str | None = None

    @property
    def masked_account(self) -> str:
        """The account number with all but its last four digits hidden."""
        return mask_account(self.account)


def check_refund_account(
    holder: Any = None, bank: Any = None, account: Any = None, tel: Any = None
) -> RefundAccount | None:
    """Return the checked refund account, or ``None`` when no refund field is given.

    Holder, bank and account go together: one of them alone is rejected. The bank
    code is 2 or 3 digits (PortOne's codes depend on the PG, for example ``"88"`` or
    ``"088"`` for Shinhan) and the account number contains digits only.
    """
    given = {"refund_holder": holder, "refund_bank": bank, "refund_account": account}
    if all(value is None for value in given.values()):
        if tel is not None:
            raise PortOneValidationError(
                f"Invalid refund_tel {tel!r}: it is only sent with a refund account. Pass refund_holder, "
                "refund_bank and refund_account too, or leave refund_tel unset."
            )
        return None

    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise PortOneValidationError(
            f"Missing {', '.join(missing)}: a refund account needs refund_holder, refund_bank and "
            "refund_account together. Pass all three, or none for a payment that is not a virtual account."
        )

    return RefundAccount(
        holder=_check_holder(holder),
        bank=_check_bank(bank),
        account=_check_account(account),
        tel=_check_tel(tel) if tel is not None else None,
    )


def require_refund_account(payment: Mapping[str, Any], account: RefundAccount | None) -> None:
    """Raise unless a virtual-account payment comes with a refund account.

    PortOne cannot send money back to a virtual account, so it needs the buyer's own
    bank account for the refund.
    """
    if payment.get("pay_method") != "vbank" or account is not None:
        return
    raise PortOneValidationError(
        f"Missing refund account for payment {payment.get('imp_uid')}: it was paid by virtual account "
        "(pay_method 'vbank'), so PortOne needs refund_holder, refund_bank and refund_account, for "
        "example refund_holder='홍길동', refund_bank='088', refund_account='110123456789'."
    )


def mask_account(account: str | None) -> str:
    """Return ``account`` with every digit but the last four replaced by ``*``."""
    if not account:
        return ""
    if len(account) <= 4:
        return "****"
    return "****" + account[-4:]


def check_requester(value: Any) -> str | None:
    """Return Naver Pay's ``extra.requester`` if it is ``customer`` or ``admin``."""
    if value is None:
        return None
    if value not in REQUESTERS:
        raise PortOneValidationError(
            f"Invalid requester {value!r}: expected 'customer' (the buyer asked for the refund) or "
            "'admin' (the merchant did), or leave it unset."
        )
    return value


# Amounts


def check_currency_places(name: str, amount: Decimal, currency: str | None) -> Decimal:
    """Raise unless ``amount`` fits the currency: whole KRW, JPY and VND, cents otherwise."""
    if currency is None:
        return amount
    if currency in ZERO_DECIMAL_CURRENCIES:
        if amount != amount.to_integral_value():
            raise PortOneValidationError(
                f"Invalid {name} {amount}: {currency} amounts are whole numbers. Round it, for example "
                f"{amount.to_integral_value()}."
            )
        return amount
    if amount != amount.quantize(Decimal(1).scaleb(-MINOR_UNIT_PLACES)):
        raise PortOneValidationError(
            f"Invalid {name} {amount}: {currency} amounts have at most {MINOR_UNIT_PLACES} decimal places."
        )
    return amount


def to_wire_amount(name: str, amount: Decimal) -> int | float:
    """Return ``amount`` as the JSON number PortOne receives, without rounding.

    Whole amounts become ints. Others become the float whose shortest representation
    is the same decimal, so JSON carries ``12.34`` exactly. An amount with more
    significant digits than a float keeps is rejected instead of rounded.
    """
    if amount == amount.to_integral_value():
        return int(amount)
    as_float = float(amount)
    if Decimal(repr(as_float)) != amount:
        raise PortOneValidationError(
            f"Invalid {name} {amount}: it has more significant digits than a JSON number keeps exactly. "
            "Round it to the currency's minor unit."
        )
    return as_float


def to_plain_number(amount: Decimal) -> int | float:
    """Return ``amount`` as an int when whole, else a float, for XCom and reports."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


def payment_decimal(payment: Mapping[str, Any], name: str) -> Decimal:
    """Read an amount field of a payment as an exact Decimal (a missing one counts as 0)."""
    value = payment.get(name)
    if value is None:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"PortOne sent a non-numeric {name}: {value!r}")
    # str() of a float is its shortest repr, so 12.34 stays 12.34.
    return Decimal(str(value))


def cancellable_amount(payment: Mapping[str, Any]) -> Decimal:
    """Return what can still be refunded: ``amount - cancel_amount``, PortOne's checksum."""
    return payment_decimal(payment, "amount") - payment_decimal(payment, "cancel_amount")


def sum_entries(entries: Iterable[Mapping[str, Any]]) -> Decimal:
    """Add the ``amount`` of cancel_history entries exactly."""
    return sum((payment_decimal(entry, "amount") for entry in entries), Decimal(0))


# Cancel intents


def entry_key(entry: Mapping[str, Any], index: int) -> str:
    """Identify a cancel_history entry: its ``cancellation_id``, else its position and content."""
    cancellation_id = entry.get("cancellation_id")
    if cancellation_id:
        return str(cancellation_id)
    return f"#{index}:{entry.get('cancelled_at')}:{entry.get('amount')}"


def history_keys(payment: Mapping[str, Any]) -> list[str]:
    """Return the keys of every cancel_history entry of ``payment``."""
    return [entry_key(entry, index) for index, entry in enumerate(payment.get("cancel_history") or [])]


def new_entries(payment: Mapping[str, Any], keys_before: Iterable[str]) -> list[dict[str, Any]]:
    """Return the cancel_history entries that are not among ``keys_before``."""
    known = set(keys_before)
    history = payment.get("cancel_history") or []
    return [dict(entry) for index, entry in enumerate(history) if entry_key(entry, index) not in known]


@dataclass
class CancelIntent:
    """A cancel a task is about to send, or has sent, stored before the request.

    :ivar imp_uid: the payment the cancel is for (resolved from a merchant_uid if needed).
    :ivar merchant_uid: the merchant_uid the task was given, if any.
    :ivar amount: the requested partial amount as a decimal string, ``None`` for a full refund.
    :ivar checksum: the cancellable amount sent as ``checksum`` by the latest request.
    :ivar keys_before: keys of the cancel_history entries that existed before the first request.
    :ivar state: ``sending`` (sent, outcome unknown), ``pending`` (accepted, not approved)
        or ``done`` (applied).
    :ivar sends: how many cancel requests the task has sent for this intent.
    """

    imp_uid: str
    merchant_uid: str | None
    amount: str | None
    checksum: str
    keys_before: list[str] = field(default_factory=list)
    state: str = "sending"
    sends: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> CancelIntent:
        """Rebuild an intent stored by :meth:`to_json`; raise ``ValueError`` when it is not one."""
        if not isinstance(data, Mapping):
            raise ValueError(f"stored cancel intent is not an object: {data!r}")
        try:
            return cls(
                imp_uid=str(data["imp_uid"]),
                merchant_uid=data.get("merchant_uid"),
                amount=data.get("amount"),
                checksum=str(data["checksum"]),
                keys_before=[str(key) for key in data.get("keys_before") or []],
                state=str(data.get("state") or "sending"),
                sends=int(data.get("sends") or 0),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"stored cancel intent is incomplete ({error}): {data!r}") from error

    @property
    def requested(self) -> Decimal | None:
        """The requested partial amount, or ``None`` for a full refund."""
        return None if self.amount is None else Decimal(self.amount)

    def created_entries(self, payment: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """Return the cancel_history entries that fulfil this intent, or ``None`` if it is not applied.

        A partial intent is applied once a new entry of exactly the requested amount
        exists. A full intent is applied once the payment is ``cancelled``; the entries
        returned are all the new ones. A refund of the same amount made by someone else
        in the meantime counts as this one, so the mistake can only be a missing refund,
        never a second one.
        """
        created = new_entries(payment, self.keys_before)
        if self.requested is None:
            return created if payment.get("status") == "cancelled" else None
        for entry in created:
            if payment_decimal(entry, "amount") == self.requested:
                return [entry]
        return None


def cancel_applied(
    payment: Mapping[str, Any],
    *,
    requested: Decimal | None,
    rest_before: Decimal | None,
) -> bool:
    """Tell whether the payment PortOne returned from a cancel shows that cancel applied.

    A full cancel is applied when the status is ``cancelled``. A partial one is applied
    when the cancellable rest dropped by the requested amount, or, with the rest before
    unknown, when cancel_history has an entry of that amount. Otherwise PortOne accepted
    the cancel but left it pending (PayPal approves some cancels later).
    """
    if requested is None:
        return payment.get("status") == "cancelled" and cancellable_amount(payment) == 0
    if rest_before is not None:
        return cancellable_amount(payment) == rest_before - requested
    history = payment.get("cancel_history") or []
    return any(payment_decimal(entry, "amount") == requested for entry in history)


def _check_holder(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PortOneValidationError(
            f"Invalid refund_holder {value!r}: expected the account holder's name as text, for example '홍길동'."
        )
    return value.strip()


def _check_bank(value: Any) -> str:
    if not isinstance(value, str):
        raise PortOneValidationError(
            f"Invalid refund_bank {value!r}: pass the bank code as text so leading zeros stay, "
            "for example refund_bank='004' or '88'."
        )
    code = value.strip()
    if not _BANK_CODE.fullmatch(code):
        raise PortOneValidationError(
            f"Invalid refund_bank {value!r}: expected a bank code of 2 or 3 digits as PortOne lists "
            "them for the PG, for example '004' (KB Kookmin) or '88' (Shinhan at KG Inicis)."
        )
    return code


def _check_account(value: Any) -> str:
    if not isinstance(value, str):
        raise PortOneValidationError(
            f"Invalid refund_account of type {type(value).__name__}: pass the account number as text "
            "so leading zeros stay, for example refund_account='01012345678901'."
        )
    number = value.strip()
    if not _DIGITS.fullmatch(number):
        raise PortOneValidationError(
            f"Invalid refund_account {mask_account(_digits_only(number))} ({len(number)} characters): "
            "expected digits only. Remove hyphens and spaces."
        )
    return number


def _check_tel(value: Any) -> str:
    if not isinstance(value, str) or not _PHONE.fullmatch(value.strip()):
        raise PortOneValidationError(
            f"Invalid refund_tel {value!r}: expected a phone number of digits and hyphens, "
            "for example '010-1234-5678'."
        )
    return value.strip()


def _digits_only(text: str) -> str:
    return "".join(character for character in text if character.isdigit())
