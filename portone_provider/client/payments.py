"""Payment look-ups and lists: ``/payments``, ``/payments/find``, ``/payments/status``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from portone_provider.client.base import quote_segment
from portone_provider.client.operations import operation
from portone_provider.client.validation import (
    LIST_STATUSES,
    PAYMENT_STATUSES,
    SORTINGS,
    require_choice,
    require_id,
    require_ids,
    require_page_size,
)
from portone_provider.client.windows import split_seconds, to_inclusive_seconds
from portone_provider.exceptions import PortOneNotFoundError

log = logging.getLogger(__name__)

#: Most ids PortOne accepts in one ``GET /payments`` request.
MAX_IDS_PER_REQUEST = 100

#: Default ``sorting`` per listed status: ascending on the time PortOne filters by, so
#: pages of a window in the past keep their order while the export reads them.
DEFAULT_SORTING = {"paid": "paid", "ready": "started", "failed": "updated", "cancelled": "updated", "all": "updated"}


@dataclass
class PaymentLookup:
    """Result of a batched look-up: the payments found and the ids PortOne did not return."""

    payments: list[dict] = field(default_factory=list)
    missing_imp_uids: list[str] = field(default_factory=list)
    missing_merchant_uids: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every requested id was found."""
        return not self.missing_imp_uids and not self.missing_merchant_uids


@dataclass(frozen=True)
class PageInfo:
    """Progress of a list call, passed to the ``on_page`` callback of :meth:`iter_payments`."""

    status: str
    page: int
    total: int
    rows: int
    window: tuple[int, int]


class PaymentsMixin:
    """Payment look-up and list calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("getPaymentByImpUid", "GET", "/payments/{imp_uid}")
    def get_payment(self, imp_uid: str) -> dict:
        """Return one payment by its PortOne id (``GET /payments/{imp_uid}``).

        :raises PortOneNotFoundError: PortOne has no payment with this ``imp_uid``.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("GET", f"/payments/{quote_segment(imp_uid)}")

    @operation(
        "getPaymentListByImpUid", "GET", "/payments", params={"imp_uids": "imp_uid[]", "merchant_uids": "merchant_uid[]"}
    )
    def get_payments(self, imp_uids: Iterable[str] = (), merchant_uids: Iterable[str] = ()) -> list[dict]:
        """Return the payments for many ids, 100 ids a request (``GET /payments``).

        Ids PortOne does not return are logged as a warning; use :meth:`lookup_payments`
        to receive them.
        """
        lookup = self.lookup_payments(imp_uids=imp_uids, merchant_uids=merchant_uids)
        if not lookup.complete:
            log.warning(
                "PortOne returned no payment for %d imp_uid(s) and %d merchant_uid(s): %s",
                len(lookup.missing_imp_uids),
                len(lookup.missing_merchant_uids),
                ", ".join((lookup.missing_imp_uids + lookup.missing_merchant_uids)[:20]),
            )
        return lookup.payments

    @operation(
        "getPaymentListByImpUid", "GET", "/payments", params={"imp_uids": "imp_uid[]", "merchant_uids": "merchant_uid[]"}
    )
    def lookup_payments(self, imp_uids: Iterable[str] = (), merchant_uids: Iterable[str] = ()) -> PaymentLookup:
        """Look up many payments and report the ids PortOne does not know.

        PortOne returns HTTP 207 when only some ids are found and 404 when none are, so
        both count as partial results here, not as errors.
        """
        imp_list = _unique(require_ids("imp_uids", imp_uids))
        merchant_list = _unique(require_ids("merchant_uids", merchant_uids))
        requested = [("imp_uid[]", value) for value in imp_list] + [("merchant_uid[]", value) for value in merchant_list]

        result = PaymentLookup()
        found_imp: set[str] = set()
        found_merchant: set[str] = set()
        for start in range(0, len(requested), MAX_IDS_PER_REQUEST):
            chunk = requested[start : start + MAX_IDS_PER_REQUEST]
            for payment in self._get_payment_chunk(chunk):
                result.payments.append(payment)
                found_imp.add(payment.get("imp_uid"))
                found_merchant.add(payment.get("merchant_uid"))

        result.missing_imp_uids = [value for value in imp_list if value not in found_imp]
        result.missing_merchant_uids = [value for value in merchant_list if value not in found_merchant]
        return result

    def _get_payment_chunk(self, params: list[tuple[str, str]]) -> list[dict]:
        try:
            envelope = self._call("GET", "/payments", params=params, idempotent=True, accept_statuses=frozenset({207}))
        except PortOneNotFoundError:
            return []
        payments = envelope.get("response") or []
        return [payment for payment in payments if isinstance(payment, dict)]

    @operation(
        "getPaymentByMerchantUid",
        "GET",
        "/payments/find/{merchant_uid}/{payment_status}",
        params={"status": "payment_status"},
    )
    def find_payment(self, merchant_uid: str, status: str | None = None, *, sorting: str | None = None) -> dict:
        """Return the payment for a merchant's order id (``GET /payments/find/...``).

        When several payments share the ``merchant_uid`` (a failed try, then a paid one),
        PortOne returns the first by ``sorting`` (default ``-started``: the newest).

        :param status: return only a payment in this status (ready, paid, cancelled, failed).
        :raises PortOneNotFoundError: no payment matches.
        """
        merchant_uid = require_id("merchant_uid", merchant_uid)
        path = f"/payments/find/{quote_segment(merchant_uid)}"
        if status is not None:
            path += "/" + require_choice("status", status, PAYMENT_STATUSES)
        params = {"sorting": require_choice("sorting", sorting, SORTINGS)} if sorting is not None else None
        return self.request("GET", path, params=params)

    @operation(
        "getPaymentsByStatus",
        "GET",
        "/payments/status/{payment_status}",
        params={"status": "payment_status", "since": "from", "until": "to", "page_size": "limit"},
        implicit=("page",),
        local=("on_page",),
    )
    def iter_payments(
        self,
        status: str,
        *,
        since: datetime,
        until: datetime,
        sorting: str | None = None,
        page_size: int = 1000,
        on_page: Callable[[PageInfo], None] | None = None,
    ) -> Iterator[dict]:
        """Stream the payments in ``status`` whose status time lies in ``[since, until)``.

        PortOne filters on the time of each payment's current status: ``paid_at`` for
        paid, ``cancelled_at`` (the last cancel) for cancelled, ``failed_at`` for failed
        and ``started_at`` for ready. Windows longer than 90 days are split, and pages
        are fetched one at a time, so memory stays flat however many rows there are.

        :param status: all, ready, paid, cancelled or failed.
        :param since: start of the window, inclusive; a time-zone-aware datetime.
        :param until: end of the window, exclusive; a time-zone-aware datetime.
        :param sorting: PortOne ``sorting``; defaults to ascending on the filtered time.
        :param page_size: rows per request, 1 to 1000.
        :param on_page: called after each page with a :class:`PageInfo`.
        """
        status = require_choice("status", status, LIST_STATUSES)
        page_size = require_page_size(page_size)
        sorting = require_choice("sorting", sorting or DEFAULT_SORTING[status], SORTINGS)
        seconds = to_inclusive_seconds(since, until)
        return self._iter_pages(status, seconds, sorting, page_size, on_page)

    def _iter_pages(self, status, seconds, sorting, page_size, on_page) -> Iterator[dict]:
        if seconds is None:
            return

        rows = 0
        for first, last in split_seconds(*seconds):
            page = 1
            first_total = None
            while page:
                params = {"page": page, "limit": page_size, "from": first, "to": last, "sorting": sorting}
                body = self.request("GET", f"/payments/status/{status}", params=params) or {}
                listed = body.get("list") or []
                total = int(body.get("total") or 0)

                if first_total is None:
                    first_total = total
                elif total != first_total:
                    # NOTE: rows that change status while a window is paged shift the pages,
                    # so one row may be skipped or repeated. Callers that must be exact
                    # compare the total before and after and read the window again.
                    log.warning(
                        "PortOne %s list changed while paging (total %d, now %d); rows may shift between pages",
                        status,
                        first_total,
                        total,
                    )

                rows += len(listed)
                yield from listed
                if on_page is not None:
                    on_page(PageInfo(status=status, page=page, total=total, rows=rows, window=(first, last)))

                next_page = int(body.get("next") or 0)
                page = next_page if next_page > page and listed else 0


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))

