"""Intent records that let a retried task find out what its earlier try already did.

Operators that move money or issue something write what they are about to do into
Airflow 3.3's ``task_state_store`` *before* the request. The store is scoped to the
task instance and survives retries, so the next try reads the intent back and checks
PortOne's state instead of sending the request again.

Where the context has no ``task_state_store`` (Airflow before 3.3, or ``execute``
called by hand), the intent is kept for this try only, and a warning explains that
protection across retries then depends on PortOne look-ups alone.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

#: How long an intent outlives its task. Retries of one task instance lie within it.
INTENT_RETENTION = timedelta(days=30)


class IntentStore:
    """A narrow view of ``context["task_state_store"]`` for at-most-once operators.

    :param context: the task context passed to ``execute``.
    :param prefix: key prefix, so two intents of one task do not collide.
    """

    def __init__(self, context: Any, prefix: str = "portone") -> None:
        store = None
        if hasattr(context, "get"):
            store = context.get("task_state_store")
        self._store = store
        self._prefix = prefix
        self._local: dict[str, Any] = {}
        if store is None:
            log.warning(
                "This Airflow has no task_state_store (it arrived in Airflow 3.3): a retry after a lost "
                "answer is detected by looking the payment up at PortOne only."
            )

    @property
    def durable(self) -> bool:
        """Whether intents survive a retry of the task (a real ``task_state_store``)."""
        return self._store is not None

    def get(self, key: str) -> Any:
        """Return the stored value for ``key``, or ``None``."""
        name = f"{self._prefix}:{key}"
        if self._store is None:
            return self._local.get(name)
        return self._store.get(name)

    def set(self, key: str, value: Any) -> None:
        """Store a JSON value for ``key``, kept across retries where the store allows it."""
        name = f"{self._prefix}:{key}"
        if self._store is None:
            self._local[name] = value
            return
        self._store.set(name, value, retention=INTENT_RETENTION)

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        name = f"{self._prefix}:{key}"
        if self._store is None:
            self._local.pop(name, None)
            return
        self._store.delete(name)
