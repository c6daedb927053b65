"""Settlement export operator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from portone_provider.client.validation import require_aware, require_choice, require_page_size
from portone_provider.exceptions import PortOneValidationError
from portone_provider.export import FILE_FORMATS, check_lookback, check_statuses, export_payments, format_summary
from portone_provider.hooks.portone import PortOneHook

if TYPE_CHECKING:
    from airflow.sdk import Context


class PortOneExportPaymentsOperator(BaseOperator):
    """Export the payments of a time window to a JSON Lines or CSV file and summarise them.

    The window defaults to the DAG run's data interval. Payments are streamed page by
    page (1,000 a request) straight to the file. The task returns, and logs, a summary:
    the path, the row count, and counts and per-currency totals of sales and refunds,
    apart and netted, overall and per pay method and PG provider.

    Sales count on the day paid and refunds on the day of each ``cancel_history`` entry,
    so a payment paid on day D and refunded on D+1 appears in both days' exports.

    :param output_dir: folder for the file; created if missing. (templated)
    :param filename: file name; defaults to ``portone_payments_<since>_<until>.<format>``. (templated)
    :param since: start of the window, inclusive: an aware datetime or an ISO 8601 string
        with an offset. Defaults to the data interval start. (templated)
    :param until: end of the window, exclusive. Defaults to the data interval end. (templated)
    :param statuses: payment statuses to export: paid, cancelled, failed, ready.
    :param file_format: ``"jsonl"`` (one payment as PortOne returns it per line) or
        ``"csv"`` (fixed columns, buyer details left out).
    :param refund_lookback: how long before ``since`` a payment may have been paid and
        still have a partial refund inside the window: a timedelta, or days as a number
        or numeric string. Default 31 days. (templated)
    :param page_size: payments per list request, 1 to 1000.
    :param log_every_pages: log progress every this many pages (0 turns it off).
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = ("output_dir", "filename", "since", "until", "refund_lookback")
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        output_dir: str,
        filename: str | None = None,
        since: Any = None,
        until: Any = None,
        statuses: Sequence[str] = ("paid", "cancelled"),
        file_format: str = "jsonl",
        refund_lookback: timedelta | float = timedelta(days=31),
        page_size: int = 1000,
        log_every_pages: int = 10,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_dir = output_dir
        self.filename = filename
        self.since = since
        self.until = until
        self.statuses = check_statuses(statuses)
        self.file_format = require_choice("file_format", file_format, FILE_FORMATS)
        self.refund_lookback = refund_lookback
        if not _is_template(refund_lookback):
            check_lookback(refund_lookback)
        self.page_size = require_page_size(page_size)
        self.log_every_pages = log_every_pages
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        since = require_aware("since", self.since if self.since is not None else context["data_interval_start"])
        until = require_aware("until", self.until if self.until is not None else context["data_interval_end"])
        if not self.output_dir or not str(self.output_dir).strip():
            raise PortOneValidationError(
                "Missing output_dir: pass the folder the export file is written to."
            )

        filename = self.filename or _default_filename(since, until, self.file_format)
        path = f"{str(self.output_dir).rstrip('/')}/{filename}"
        self.log.info(
            "Exporting PortOne payments %s from %s to %s (statuses %s) into %s",
            self.file_format,
            since.isoformat(),
            until.isoformat(),
            ", ".join(self.statuses),
            path,
        )

        summary = export_payments(
            self.hook.get_conn(),
            since=since,
            until=until,
            path=path,
            file_format=self.file_format,
            statuses=self.statuses,
            refund_lookback=check_lookback(self.refund_lookback),
            page_size=self.page_size,
            log_every_pages=self.log_every_pages,
        )
        self.log.info("Settlement summary\n%s", format_summary(summary))
        return summary


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def _default_filename(since, until, file_format: str) -> str:
    return f"portone_payments_{since:%Y%m%dT%H%M%S%z}_{until:%Y%m%dT%H%M%S%z}.{file_format}"
