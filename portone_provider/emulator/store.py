"""In-memory payment store with the indexes and queries behind the payment endpoints.

Every status has a list of `(status_time, imp_uid)` keys kept sorted, where
status_time is the time of the payment's current status (see
`PaymentRecord.status_time`). The pseudo status "all" indexes every payment
the same way. A time-window query bisects that list and sorts only the
window. The sorted window is cached until the next change, so paging through
one window sorts it once.
"""

from __future__ import annotations

import gc
import math
import threading
from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, TypeVar

from .clock import EmulatorClock
from .records import PAYMENT_STATUSES, PaymentRecord

LIST_STATUSES = ("all",) + PAYMENT_STATUSES
SORTINGS = ("-started", "started", "-paid", "paid", "-updated", "updated")

_SORT_FIELDS = {"started": "started_at", "paid": "paid_at", "updated": "updated_at"}
_WINDOW_CACHE_SIZE = 8
# put_many() rebuilds the indexes instead of inserting one by one above this size.
_BULK_THRESHOLD = 1000

T = TypeVar("T")


class PageOutOfRangeError(ValueError):
    """The requested page lies beyond the last page of a non-empty result."""

    def __init__(self, page: int, total: int, limit: int) -> None:
        last_page = max(1, math.ceil(total / limit))
        super().__init__(f"page {page} is beyond the last page {last_page} ({total} payments, limit {limit})")
        self.page = page
        self.total = total
        self.limit = limit


@dataclass
class Page:
    """One page of payments in PortOne's PagedPaymentAnnotation shape."""

    total: int
    previous: int
    next: int
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "previous": self.previous, "next": self.next, "list": self.items}


class PaymentStore:
    """Thread-safe payment records indexed by imp_uid, merchant_uid and status time."""

    def __init__(self, clock: EmulatorClock | None = None) -> None:
        self._clock = clock or EmulatorClock()
        self._lock = threading.RLock()
        self._records: dict[str, PaymentRecord] = {}
        self._by_merchant: dict[str, list[PaymentRecord]] = {}
        self._by_status: dict[str, list[tuple[int, str]]] = {status: [] for status in LIST_STATUSES}
        # The (status, status_time, merchant_uid) under which each payment is indexed now.
        self._index_keys: dict[str, tuple[str, int, str]] = {}
        self._version = 0
        self._window_cache: OrderedDict[tuple[Any, ...], tuple[int, list[PaymentRecord]]] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __contains__(self, imp_uid: object) -> bool:
        with self._lock:
            return imp_uid in self._records

    @property
    def version(self) -> int:
        """Counter that grows on every change to the stored payments."""
        with self._lock:
            return self._version

    # Writes

    def load(self, payments: Iterable[Mapping[str, Any] | PaymentRecord]) -> int:
        """Replace every stored payment with `payments` and return the new count."""
        with _cyclic_gc_paused():
            records = [_to_record(payment) for payment in payments]
        with self._lock, _cyclic_gc_paused():
            self._records = {}
            for record in records:
                self._records[record.imp_uid] = record
            self._rebuild_indexes()
            return len(self._records)

    def put(self, payment: Mapping[str, Any] | PaymentRecord) -> bool:
        """Add or replace one payment and return True when it replaced one."""
        added, replaced = self.put_many([payment])
        return replaced == 1

    def put_many(self, payments: Iterable[Mapping[str, Any] | PaymentRecord]) -> tuple[int, int]:
        """Add or replace payments and return the counts (added, replaced).

        Every payment is validated before the first one is stored, so an
        invalid payment stores nothing.
        """
        with _cyclic_gc_paused():
            records = [_to_record(payment) for payment in payments]
        with self._lock:
            added = replaced = 0
            bulk = len(records) > _BULK_THRESHOLD
            for record in records:
                previous = self._records.get(record.imp_uid)
                if previous is None:
                    added += 1
                else:
                    replaced += 1
                    if not bulk:
                        self._unindex(previous)
                self._records[record.imp_uid] = record
                if not bulk:
                    self._index(record)
            if bulk:
                self._rebuild_indexes()
            self._version += 1
            return added, replaced

    def remove(self, imp_uid: str) -> bool:
        """Delete one payment and return whether it existed."""
        with self._lock:
            record = self._records.pop(imp_uid, None)
            if record is None:
                return False
            self._unindex(record)
            self._version += 1
            return True

    def update(self, imp_uid: str, mutate: Callable[[PaymentRecord], T]) -> T:
        """Change one payment in place under the store lock and return mutate's result.

        `mutate` receives the live record and may change any field. Afterwards
        the store re-indexes the record and sets its updated_at to the
        emulator clock's now. Raises KeyError when imp_uid is unknown. When
        `mutate` raises, the record keeps whatever it changed and is re-indexed.
        """
        with self._lock:
            record = self._records[imp_uid]
            self._unindex(record)
            try:
                result = mutate(record)
            finally:
                imp_uid_changed = record.imp_uid != imp_uid
                record.imp_uid = imp_uid
                record.updated_at = self._clock.now()
                self._index(record)
                self._version += 1
            if imp_uid_changed:
                raise ValueError(
                    f"mutate changed imp_uid of {imp_uid!r}, which was restored. Use remove() and put() to rename."
                )
            return result

    # Reads

    def get(self, imp_uid: str) -> dict[str, Any] | None:
        """Return a copy of one payment in PortOne's shape, or None."""
        with self._lock:
            record = self._records.get(imp_uid)
            return None if record is None else record.to_dict()

    def all(self) -> list[dict[str, Any]]:
        """Return copies of every payment in PortOne's shape, ordered by (started_at, imp_uid)."""
        with self._lock:
            records = sorted(self._records.values(), key=attrgetter("started_at", "imp_uid"))
            return [record.to_dict() for record in records]

    def get_raw(self, imp_uid: str) -> dict[str, Any] | None:
        """Return one payment with the internal last-change time as `_updated_at`, or None."""
        with self._lock:
            record = self._records.get(imp_uid)
            if record is None:
                return None
            raw = record.to_dict()
            raw["_updated_at"] = record.updated_at
            return raw

    def get_many(self, imp_uids: Iterable[str] = (), merchant_uids: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Return the payments found, in request order, skipping unknown ids.

        A merchant_uid stands for its newest payment by started_at.
        """
        with self._lock:
            found = [self._records[uid].to_dict() for uid in imp_uids if uid in self._records]
            for merchant_uid in merchant_uids:
                matches = self._by_merchant.get(merchant_uid)
                if matches:
                    found.append(max(matches, key=attrgetter("started_at", "imp_uid")).to_dict())
            return found

    def find(self, merchant_uid: str, status: str | None = None, sorting: str = "-started") -> dict[str, Any] | None:
        """Return the first payment of a merchant_uid in `sorting` order, or None."""
        with self._lock:
            matches = self._merchant_matches(merchant_uid, status, sorting)
            return matches[0].to_dict() if matches else None

    def find_all(
        self, merchant_uid: str, status: str | None = None, sorting: str = "-started", page: int = 1, limit: int = 20
    ) -> Page:
        """Return one page of the payments of a merchant_uid. Raises PageOutOfRangeError."""
        with self._lock:
            return _paginate(self._merchant_matches(merchant_uid, status, sorting), page, limit)

    def list_by_status(
        self, status: str, from_ts: int, to_ts: int, sorting: str = "-started", page: int = 1, limit: int = 20
    ) -> Page:
        """Return one page of payments whose current status time lies in [from_ts, to_ts].

        `status` is one of LIST_STATUSES, and both bounds are inclusive.
        Raises PageOutOfRangeError for a page beyond the last one.
        """
        if status not in LIST_STATUSES:
            raise ValueError(f"invalid status {status!r}: expected one of {list(LIST_STATUSES)}")
        sort_key, descending = _sort_order(sorting)
        with self._lock:
            cache_key = (status, from_ts, to_ts, sorting)
            cached = self._window_cache.get(cache_key)
            if cached is not None and cached[0] == self._version:
                self._window_cache.move_to_end(cache_key)
                window = cached[1]
            else:
                keys = self._by_status[status]
                start = bisect_left(keys, (from_ts,))
                stop = bisect_left(keys, (to_ts + 1,))
                window = [self._records[imp_uid] for _, imp_uid in keys[start:stop]]
                window.sort(key=sort_key, reverse=descending)
                self._window_cache[cache_key] = (self._version, window)
                if len(self._window_cache) > _WINDOW_CACHE_SIZE:
                    self._window_cache.popitem(last=False)
            return _paginate(window, page, limit)

    def count_by_status(self) -> dict[str, int]:
        with self._lock:
            return {status: len(keys) for status, keys in self._by_status.items()}

    # Indexes

    def _merchant_matches(self, merchant_uid: str, status: str | None, sorting: str) -> list[PaymentRecord]:
        sort_key, descending = _sort_order(sorting)
        matches = [
            record
            for record in self._by_merchant.get(merchant_uid, ())
            if status is None or record.status == status
        ]
        matches.sort(key=sort_key, reverse=descending)
        return matches

    def _rebuild_indexes(self) -> None:
        self._by_merchant = {}
        self._by_status = {status: [] for status in LIST_STATUSES}
        self._index_keys = {}
        for record in self._records.values():
            self._by_merchant.setdefault(record.merchant_uid, []).append(record)
            status_time = record.status_time
            key = (status_time, record.imp_uid)
            self._by_status[record.status].append(key)
            self._by_status["all"].append(key)
            self._index_keys[record.imp_uid] = (record.status, status_time, record.merchant_uid)
        for keys in self._by_status.values():
            keys.sort()
        self._version += 1

    def _index(self, record: PaymentRecord) -> None:
        self._by_merchant.setdefault(record.merchant_uid, []).append(record)
        status_time = record.status_time
        key = (status_time, record.imp_uid)
        insort(self._by_status[record.status], key)
        insort(self._by_status["all"], key)
        self._index_keys[record.imp_uid] = (record.status, status_time, record.merchant_uid)

    def _unindex(self, record: PaymentRecord) -> None:
        status, status_time, merchant_uid = self._index_keys.pop(record.imp_uid)
        key = (status_time, record.imp_uid)
        for index_name in (status, "all"):
            keys = self._by_status[index_name]
            position = bisect_left(keys, key)
            if position < len(keys) and keys[position] == key:
                del keys[position]
        matches = self._by_merchant.get(merchant_uid, [])
        if record in matches:
            matches.remove(record)
        if not matches:
            self._by_merchant.pop(merchant_uid, None)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many records are created.

    Records hold no reference cycles, but each wave of allocations makes the
    collector rescan every live record, which slows a load of 100,000
    payments noticeably. Reference counting still frees memory meanwhile.
    The collector is re-enabled only if it was enabled before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _to_record(payment: Mapping[str, Any] | PaymentRecord) -> PaymentRecord:
    if isinstance(payment, PaymentRecord):
        return payment
    return PaymentRecord.from_dict(payment)


def _sort_order(sorting: str) -> tuple[Callable[[PaymentRecord], Any], bool]:
    """Return the sort key and whether it is descending. Ties sort by imp_uid."""
    if sorting not in SORTINGS:
        raise ValueError(f"invalid sorting {sorting!r}: expected one of {list(SORTINGS)}")
    descending = sorting.startswith("-")
    field_name = _SORT_FIELDS[sorting.lstrip("-")]
    return attrgetter(field_name, "imp_uid"), descending


def _paginate(records: list[PaymentRecord], page: int, limit: int) -> Page:
    total = len(records)
    if total == 0:
        if page == 1:
            return Page(total=0, previous=0, next=0, items=[])
        raise PageOutOfRangeError(page, total, limit)
    last_page = math.ceil(total / limit)
    if page > last_page:
        raise PageOutOfRangeError(page, total, limit)
    start = (page - 1) * limit
    items = [record.to_dict() for record in records[start : start + limit]]
    return Page(
        total=total,
        previous=page - 1 if page > 1 else 0,
        next=page + 1 if page < last_page else 0,
        items=items,
    )
