"""Sensor that waits for a PortOne payment to be paid, in poke, reschedule or deferrable mode."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason
from airflow.sdk.configuration import conf
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)

from portone_provider.client.validation import require_id
from portone_provider.exceptions import PortOneError, PortOneNotFoundError
from portone_provider.hooks.portone import PortOneHook
from portone_provider.triggers.portone import (
    DEFAULT_PENDING_REVIEW_PGS,
    PaymentCheck,
    PortOnePaymentTrigger,
    check_payment,
    check_payment_ids,
    check_pending_review_pgs,
    check_status_lists,
    describe_payment,
    failure_message,
    is_transient,
    summarize_payment,
    timeout_message,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

#: task_state_store key holding when the current wait started, so retries keep the clock.
WAIT_START_KEY = "portone_sensor:wait_started"


class PortOnePaymentSensor(BaseSensorOperator):
    """Wait until a PortOne payment reaches a success status, and push its summary to XCom.

    The payment is looked up by ``imp_uid`` (``GET /payments/{imp_uid}``) or by
    ``merchant_uid`` (``GET /payments/find/{merchant_uid}``, the newest payment of the
    order). Pass exactly one of the two.

    Outcomes:

    - A success status ends the task with the payment summary as its return value:
      ``imp_uid``, ``merchant_uid``, ``status``, ``amount``, ``cancel_amount``,
      ``currency``, ``pay_method``, ``pg_provider``, ``paid_at``, ``failed_at``,
      ``cancelled_at``, ``fail_reason`` and ``cancel_reason``. Buyer name, e-mail,
      phone and address, card and account numbers and ``custom_data`` are left out
      so personal data does not land in XCom.
    - A failure status fails the task at once with ``AirflowFailException`` (no
      retry), naming the payment, the status and PortOne's reason.
    - Pending review: PGs in ``pending_review_pgs`` (PayPal and Paymentwall by
      default) report a payment under review as ``failed`` and may turn it ``paid``
      later. For those PGs a ``failed`` payment keeps the sensor waiting while its
      ``fail_reason`` is empty or names a review ("pending", "review", "대기", "보류"
      or "심사", case-insensitive). Any other ``fail_reason`` is a final failure.
    - When ``timeout`` passes first, ``AirflowSensorTimeout`` names the status the
      payment is still in, for example ``'ready'``. With ``soft_fail`` the task is
      skipped instead.
    - Transient errors (HTTP 5xx, 429, connection failures, a non-JSON page) are
      logged and the wait goes on, so they neither fail the task nor restart the
      timeout. Rejected credentials, an unknown ``imp_uid`` and other PortOne errors
      fail the task, and Airflow's ``retries`` apply. For ``merchant_uid`` a 404 means
      the order has no payment yet, so the wait goes on.

    Where the timeout is measured from:

    - ``poke``: from the first poke of the current try, as Airflow measures it.
    - ``reschedule``: from the first reschedule of the first try, as Airflow measures
      it, so retries keep the clock.
    - deferrable: from the first ``execute`` of the first try, kept in Airflow 3.3's
      ``task_state_store`` so neither a retry nor a second deferral restarts it. The
      trigger gets the deadline as ``end_time`` and ``defer()`` gets the remaining
      time as ``timeout``. Airflow 3.3 does not apply a sensor's ``timeout`` to a
      deferred task by itself: only ``defer(timeout=...)`` sets the task's trigger
      timeout, which the scheduler checks about every 15 s. If that fires before the
      trigger reports, the sensor looks the payment up once more and words the
      timeout the same way. ``airflow dags test`` runs triggers inline and ignores
      trigger timeouts, so there only ``end_time`` ends the wait.

    :param imp_uid: PortOne payment id, such as ``imp_123456789012``. (templated)
    :param merchant_uid: your order id. (templated)
    :param success_statuses: statuses that end the wait successfully. Default ``("paid",)``.
    :param failure_statuses: statuses that fail the task at once. Default
        ``("failed", "cancelled")``. A status in both lists, or one outside PortOne's
        ``ready``, ``paid``, ``cancelled``, ``failed``, raises ``ValueError`` here.
    :param pending_review_pgs: ``pg_provider`` codes whose ``failed`` may be a pending
        review (see above). An empty tuple turns the rule off.
    :param portone_conn_id: Connection of type ``portone``.
    :param deferrable: wait in the triggerer with :class:`PortOnePaymentTrigger`
        instead of a worker slot. Defaults to ``[operators] default_deferrable``.
    :param poke_interval: seconds between two looks at the payment.
    :param timeout: seconds before the sensor gives up.
    :param mode: ``poke`` or ``reschedule``; ignored when ``deferrable`` is true.
    """

    template_fields: Sequence[str] = ("imp_uid", "merchant_uid")
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        imp_uid: str | None = None,
        merchant_uid: str | None = None,
        success_statuses: Iterable[str] = ("paid",),
        failure_statuses: Iterable[str] = ("failed", "cancelled"),
        pending_review_pgs: Iterable[str] = DEFAULT_PENDING_REVIEW_PGS,
        portone_conn_id: str = PortOneHook.default_conn_name,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_payment_ids(imp_uid, merchant_uid)
        self.imp_uid = imp_uid
        self.merchant_uid = merchant_uid
        self.success_statuses, self.failure_statuses = check_status_lists(success_statuses, failure_statuses)
        self.pending_review_pgs = check_pending_review_pgs(pending_review_pgs)
        self.portone_conn_id = portone_conn_id
        self.deferrable = deferrable
        self._last_check: PaymentCheck | None = None
        self._last_payment: dict | None = None

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    # Poke and reschedule modes

    def execute(self, context: Context) -> Any:
        self._check_rendered_ids()
        if self.deferrable:
            return self._execute_deferrable(context)

        try:
            return super().execute(context)
        except AirflowSensorTimeout as error:
            deadline = f"after the sensor's timeout of {self.timeout:g} s"
            raise AirflowSensorTimeout(self._timeout_message(deadline)) from error

    def poke(self, context: Context) -> bool | PokeReturnValue:
        try:
            payment = self._fetch()
        except PortOneError as error:
            if not is_transient(error):
                raise
            self.log.warning("PortOne payment %s: transient error, waiting on (%s)", self._target(), error)
            return False

        check = check_payment(payment, self.success_statuses, self.failure_statuses, self.pending_review_pgs)
        self._last_check = check
        self._last_payment = payment
        target = self._target()

        if check.outcome == "success":
            self.log.info("PortOne payment %s is %r", target, check.status)
            return PokeReturnValue(is_done=True, xcom_value=summarize_payment(payment))
        if check.outcome == "failure":
            raise AirflowFailException(failure_message(target, payment, self.failure_statuses))

        if check.status is None:
            self.log.info("PortOne has no payment for %s yet; waiting", target)
        elif check.pending_review:
            self.log.info(
                "PortOne payment %s is 'failed' under review at %r; waiting for a final status",
                target,
                payment.get("pg_provider"),
            )
        else:
            expected = ", ".join(self.success_statuses)
            self.log.info("PortOne payment %s is %r; waiting for %s", target, check.status, expected)
        return False

    # Deferrable mode

    def _execute_deferrable(self, context: Context) -> Any:
        started = self._wait_started(context)
        deadline = started + timedelta(seconds=self.timeout)

        # One look before deferring: a payment that is already paid or failed needs no trigger.
        try:
            done = self.poke(context)
        except AirflowFailException as error:
            raise self._skip_if_soft_fail(error) from error
        if done:
            return done.xcom_value

        remaining = (deadline - datetime.now(timezone.utc)).total_seconds()
        if remaining <= 0:
            error = AirflowSensorTimeout(self._timeout_message(f"after the sensor's timeout of {self.timeout:g} s"))
            raise self._skip_if_soft_fail(error)

        self.log.info(
            "Deferring: the triggerer polls PortOne payment %s every %g s until %s",
            self._target(),
            self.poke_interval,
            deadline.isoformat(),
        )
        self.defer(
            trigger=PortOnePaymentTrigger(
                conn_id=self.portone_conn_id,
                imp_uid=self.imp_uid,
                merchant_uid=self.merchant_uid,
                success_statuses=self.success_statuses,
                failure_statuses=self.failure_statuses,
                pending_review_pgs=self.pending_review_pgs,
                poke_interval=self.poke_interval,
                end_time=deadline.isoformat(),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=remaining),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Turn the trigger's event into the task's result or a clear task failure."""
        if not isinstance(event, dict) or "status" not in event:
            raise AirflowException(
                f"PortOnePaymentTrigger sent an unexpected event {event!r} for payment {self._target()}."
            )

        status = event["status"]
        message = event.get("message") or ""
        if status == "success":
            self.log.info("%s", message)
            return event["payment"]
        if status == "failure":
            raise AirflowFailException(message)
        if status == "timeout":
            raise AirflowSensorTimeout(message)
        if status == "error":
            raise AirflowException(message)
        raise AirflowException(f"PortOnePaymentTrigger sent an unknown event status {status!r}: {message}")

    def execute_timed_out(self, context: Context) -> dict[str, Any]:
        """Report Airflow's own trigger timeout after one last look at the payment."""
        done = self.poke(context)
        if done:
            return done.xcom_value
        raise AirflowSensorTimeout(self._timeout_message(f"after the sensor's timeout of {self.timeout:g} s"))

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context):
        # The scheduler ends a deferred task whose trigger timeout passed with a bare
        # "Trigger timeout". A last look at the payment lets the message name its status.
        error = (next_kwargs or {}).get("error")
        if next_method == TRIGGER_FAIL_REPR and error == TriggerFailureReason.TRIGGER_TIMEOUT:
            return super().resume_execution("execute_timed_out", {}, context)
        return super().resume_execution(next_method, next_kwargs, context)

    def _wait_started(self, context: Context) -> datetime:
        """Return when this wait started, the same for every try and deferral of one run.

        A cleared task instance starts a new wait: the stored start carries the number
        of the first try it belongs to, which Airflow raises when a task is cleared.
        """
        now = datetime.now(timezone.utc)
        ti = context.get("ti")
        store = context.get("task_state_store")
        max_tries = getattr(ti, "max_tries", None)
        first_try = max_tries - (self.retries or 0) + 1 if isinstance(max_tries, int) else None

        if store is None:
            start_date = getattr(ti, "start_date", None)
            return start_date if isinstance(start_date, datetime) else now

        saved = store.get(WAIT_START_KEY)
        if isinstance(saved, dict) and saved.get("first_try") == first_try:
            try:
                return datetime.fromisoformat(saved["started_at"])
            except (KeyError, TypeError, ValueError):
                self.log.warning("Ignoring unreadable %s %r; the wait starts now", WAIT_START_KEY, saved)

        retention = timedelta(seconds=self.timeout) + timedelta(days=1)
        store.set(WAIT_START_KEY, {"started_at": now.isoformat(), "first_try": first_try}, retention=retention)
        return now

    # Shared steps

    def _fetch(self) -> dict | None:
        if self.imp_uid is not None:
            return self.hook.get_payment(self.imp_uid)
        try:
            return self.hook.find_payment(self.merchant_uid)
        except PortOneNotFoundError:
            return None

    def _check_rendered_ids(self) -> None:
        if self.imp_uid is not None:
            self.imp_uid = require_id("imp_uid", self.imp_uid)
        if self.merchant_uid is not None:
            self.merchant_uid = require_id("merchant_uid", self.merchant_uid)

    def _target(self) -> str:
        return describe_payment(self.imp_uid, self.merchant_uid, self._last_payment)

    def _timeout_message(self, deadline: str) -> str:
        return timeout_message(self._target(), self._last_check, self._last_payment, self.success_statuses, deadline)

    def _skip_if_soft_fail(self, error: AirflowException) -> AirflowException:
        """Return the exception to raise: a skip when soft_fail or never_fail is set, else ``error``.

        Airflow applies these flags in the base ``execute`` and ``resume_execution``,
        which the first look of deferrable mode does not pass through.
        """
        if self.soft_fail or self.never_fail:
            return AirflowSkipException(f"Skipping because soft_fail or never_fail is set: {error}")
        return error
