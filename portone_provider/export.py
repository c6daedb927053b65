"""Stream the payments of a time window to a JSON Lines or CSV file, with a settlement summary.

Which lists are read, because PortOne filters each status list on the time of the
payment's *current* status:

- ``paid`` over ``[since - refund_lookback, until)``: payments paid in the window, and
  payments paid earlier that had a partial refund inside it (they stay ``paid``).
- ``cancelled`` from ``since`` up to now: payments paid in the window and fully
  refunded later (their ``cancelled_at`` is after the window), and payments with a
  refund inside the window.
- ``ready`` and ``failed`` over ``[since, until)``.

Rows from the paid and cancelled lists are kept when the payment was paid or refunded
inside the window. Each payment is written once, even if it moves from paid to
cancelled while the export runs.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portone_provider.client.validation import PAYMENT_STATUSES, require_aware, require_choice, require_page_size
from portone_provider.client.windows import to_inclusive_seconds
from portone_provider.exceptions import PortOneValidationError
from portone_provider.settlement import SettlementSummary

if TYPE_CHECKING:
    from portone_provider.client import PageInfo, PortOneClient

log = logging.getLogger(__name__)

FILE_FORMATS = ("jsonl", "csv")

#: Columns of a CSV export. Buyer contact details are left out of CSV on purpose.
CSV_COLUMNS = (
    "imp_uid",
    "merchant_uid",
    "status",
    "pay_method",
    "pg_provider",
    "currency",
    "amount",
    "cancel_amount",
    "started_at",
    "paid_at",
    "cancelled_at",
    "failed_at",
    "name",
    "cancel_history",
)

#: How far past "now" the cancelled list is read, in case PortOne's clock runs ahead of ours.
CLOCK_SKEW_ALLOWANCE = timedelta(days=1)


def check_statuses(statuses: Iterable[str]) -> tuple[str, ...]:
    """Return the export statuses if each is a payment status and there is at least one."""
    if isinstance(statuses, str):
        statuses = (statuses,)
    checked = tuple(dict.fromkeys(require_choice("statuses", value, PAYMENT_STATUSES) for value in statuses))
    if not checked:
        raise PortOneValidationError(
            f"Invalid statuses {statuses!r}: name at least one of {', '.join(PAYMENT_STATUSES)}."
        )
    return checked


def check_lookback(value: Any) -> timedelta:
    """Return the refund look-back as a timedelta; a number or numeric string means days."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            pass
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value < 36500:
        value = timedelta(days=value)
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise PortOneValidationError(
            f"Invalid refund_lookback {value!r}: expected a timedelta or a number of days, zero or more."
        )
    return value


def export_payments(
    client: PortOneClient,
    *,
    since: datetime,
    until: datetime,
    path: str | os.PathLike,
    file_format: str = "jsonl",
    statuses: Iterable[str] = ("paid", "cancelled"),
    refund_lookback: timedelta | float = timedelta(days=31),
    page_size: int = 1000,
    log_every_pages: int = 10,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write the window's payments to ``path`` and return the settlement summary.

    The file is written next to ``path`` under a temporary name and moved into place
    only when complete, so a failed run never leaves a half-written export behind.

    :param since: start of the window, inclusive, time-zone aware.
    :param until: end of the window, exclusive, time-zone aware.
    :param refund_lookback: how long before ``since`` a payment may have been paid and
        still be partially refunded inside the window. Refunds of older payments that
        stay ``paid`` are not found.
    """
    since = require_aware("since", since)
    until = require_aware("until", until)
    statuses = check_statuses(statuses)
    file_format = require_choice("file_format", file_format, FILE_FORMATS)
    refund_lookback = check_lookback(refund_lookback)
    page_size = require_page_size(page_size)
    seconds = to_inclusive_seconds(since, until)
    now = now or datetime.now(timezone.utc)

    window_start = seconds[0] if seconds else 0
    window_end = seconds[1] + 1 if seconds else 0
    summary = SettlementSummary(since=window_start, until=window_end)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")

    def report(page: PageInfo) -> None:
        if log_every_pages and page.page % log_every_pages == 0:
            log.info(
                "Export progress: %s page %d, %d of %d rows listed, %d rows written",
                page.status,
                page.page,
                page.rows,
                page.total,
                summary.rows,
            )

    seen: set[str] = set()
    with open(partial, "w", encoding="utf-8", newline="") as handle:
        writer = _open_writer(handle, file_format)
        if seconds is not None:
            for status in statuses:
                status_since, status_until = _list_window(status, since, until, refund_lookback, now)
                payments = client.iter_payments(
                    status, since=status_since, until=status_until, page_size=page_size, on_page=report
                )
                for payment in payments:
                    if not _keep(payment, status, summary, seen):
                        continue
                    seen.add(payment.get("imp_uid"))
                    writer(payment)
                    summary.add(payment)
    os.replace(partial, target)

    result = {
        "path": str(target),
        "format": file_format,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "statuses": list(statuses),
        **summary.to_dict(),
    }
    log.info(
        "Exported %d payments to %s: %d sales, %d refunds, net %s",
        result["rows"],
        target,
        result["sales_count"],
        result["refunds_count"],
        result["net"],
    )
    return result


def format_summary(summary: dict[str, Any]) -> str:
    """Render an export summary as a small text table, one line per pay method and PG provider."""
    lines = [
        f"PortOne payments {summary['since']} .. {summary['until']}: {summary['rows']} rows in {summary['path']}",
        f"  total        sales {summary['sales_count']:>6} {_totals(summary['sales'])}; "
        f"refunds {summary['refunds_count']:>5} {_totals(summary['refunds'])}; net {_totals(summary['net'])}",
    ]
    for title, group in (("pay method", "by_pay_method"), ("PG provider", "by_pg_provider")):
        lines.append(f"  by {title}:")
        for name, tally in summary[group].items():
            lines.append(
                f"    {name:<14} sales {tally['sales_count']:>6} {_totals(tally['sales'])}; "
                f"refunds {tally['refunds_count']:>5} {_totals(tally['refunds'])}; net {_totals(tally['net'])}"
            )
    return "\n".join(lines)


def _totals(amounts: dict[str, Any]) -> str:
    if not amounts:
        return "0"
    return ", ".join(f"{currency} {amount}" for currency, amount in amounts.items())


def _list_window(
    status: str, since: datetime, until: datetime, lookback: timedelta, now: datetime
) -> tuple[datetime, datetime]:
    if status == "paid":
        return since - lookback, until
    if status == "cancelled":
        return since, max(until, now + CLOCK_SKEW_ALLOWANCE)
    return since, until


def _keep(payment: Any, status: str, summary: SettlementSummary, seen: set[str]) -> bool:
    if not isinstance(payment, dict) or payment.get("imp_uid") in seen:
        return False
    if status in ("paid", "cancelled"):
        return summary.settles(payment)
    return True


def _open_writer(handle, file_format: str):
    if file_format == "jsonl":

        def write_json_line(payment: dict) -> None:
            handle.write(json.dumps(payment, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")

        return write_json_line

    writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()

    def write_csv_row(payment: dict) -> None:
        row = dict(payment)
        row["cancel_history"] = json.dumps(payment.get("cancel_history") or [], ensure_ascii=False)
        writer.writerow(row)

    return write_csv_row
