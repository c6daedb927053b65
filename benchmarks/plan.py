"""The plan of the HTTP cases: each case's variants, its floor, its warm-up and its target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

BULK_PAID = 100_000
BULK_DAY = date(2026, 11, 2)
LOOKUP_IDS = 1_000
BATCH_IDS = 10_000
SMALL_STREAM_ROWS = 10_000
TRIGGER_COUNT = 200
# B5's schedule: each wait starts at its own offset within the first poke interval, polls
# at once, then POKE_INTERVAL seconds after its previous poll ends, and once more at the
# deadline POLL_DURATION seconds after its start.
POKE_INTERVAL_SECONDS = 1.0
POLL_DURATION_SECONDS = 6.0
# Delay the emulator adds to each of B5's polls, as a stand-in for the network round trip
# to PortOne that loopback lacks. NOTE: an assumed figure, not a measured one.
POLL_LATENCY_SECONDS = 0.05
# Waits still running this long after the start are cancelled: a client that blocks the
# loop would otherwise run for TRIGGER_COUNT × polls × latency seconds.
POLL_TIME_LIMIT_SECONDS = POKE_INTERVAL_SECONDS + POLL_DURATION_SECONDS + 1.0

MAIN = "main"
PEERS = "peers"


@dataclass(frozen=True)
class Variant:
    """One way of doing a case's work, run in a fresh worker process per repetition.

    :param key: short identifier, unique within the case.
    :param client: the client as the table names it.
    :param call: the call measured, as the table shows it.
    :param function: ``module:function`` the worker runs.
    :param interpreter: ``main`` (the project's virtual environment) or ``peers``.
    :param count: ids looked up, or rows streamed at most.
    :param compared: whether the variant does the floor's work, so a ratio means something.
    """

    key: str
    client: str
    call: str
    function: str
    interpreter: str
    count: int
    compared: bool = True


@dataclass(frozen=True)
class Case:
    """A benchmark case: its variants, the floor's key, a warm-up variant and the target text."""

    case_id: str
    title: str
    floor: str
    warmup: str
    target: str
    variants: tuple[Variant, ...]

    def variant(self, key: str) -> Variant:
        return next(variant for variant in self.variants if variant.key == key)


RAW = "benchmarks.cases.raw"
OURS = "benchmarks.cases.ours"
PEER = "benchmarks.cases.peers"

B1 = Case(
    case_id="B1",
    title=f"{LOOKUP_IDS:,} single payment look-ups",
    floor="floor",
    warmup="floor",
    target="exactly 1 token request; wall time within 1.10x of the floor",
    variants=(
        Variant("floor", "raw requests.Session", "GET /payments/{imp_uid} loop, one token", f"{RAW}:single_lookups", MAIN, LOOKUP_IDS),
        Variant(
            "floor-peers-env",
            "raw requests.Session, peers' environment",
            "the floor's loop on requests 2.26 / urllib3 1.26",
            f"{RAW}:single_lookups",
            PEERS,
            LOOKUP_IDS,
        ),
        Variant("ours", "portone_provider", "PortOneClient.get_payment", f"{OURS}:single_lookups", MAIN, LOOKUP_IDS),
        Variant("iamporter", "iamporter 0.2.4", "Iamporter.find_payment", f"{PEER}:iamporter_single_lookups", PEERS, LOOKUP_IDS),
        Variant("iamport-rest-client", "iamport-rest-client 0.9.0", "Iamport.find", f"{PEER}:iamport_rest_single_lookups", PEERS, LOOKUP_IDS),
    ),
)

B2 = Case(
    case_id="B2",
    title=f"stream the {BULK_PAID:,} paid payments of one day",
    floor="floor",
    warmup="floor",
    target=(
        "101 requests (1 token + 100 pages); wall time within 1.10x of the floor; peak RSS growth "
        "under 30 MB, and no larger at 100,000 rows than at 10,000"
    ),
    variants=(
        Variant("floor", "raw requests.Session", "GET /payments/status/paid loop, limit=1000", f"{RAW}:stream_paid", MAIN, BULK_PAID),
        Variant(
            "floor-peers-env",
            "raw requests.Session, peers' environment",
            "the floor's loop on requests 2.26 / urllib3 1.26",
            f"{RAW}:stream_paid",
            PEERS,
            BULK_PAID,
        ),
        Variant("ours", "portone_provider", "PortOneClient.iter_payments, 100,000 rows", f"{OURS}:stream_paid", MAIN, BULK_PAID),
        Variant(
            "floor-10k",
            "raw requests.Session",
            "the floor's loop, first 10,000 rows",
            f"{RAW}:stream_paid",
            MAIN,
            SMALL_STREAM_ROWS,
            compared=False,
        ),
        Variant(
            "ours-10k",
            "portone_provider",
            "PortOneClient.iter_payments, first 10,000 rows",
            f"{OURS}:stream_paid",
            MAIN,
            SMALL_STREAM_ROWS,
            compared=False,
        ),
        Variant("iamporter", "iamporter 0.2.4", "iamporter.api.Payments.get_status loop, limit=1000", f"{PEER}:iamporter_stream_paid", PEERS, BULK_PAID),
        Variant(
            "iamport-rest-client",
            "iamport-rest-client 0.9.0",
            "Iamport._get loop, limit=1000",
            f"{PEER}:iamport_rest_stream_paid",
            PEERS,
            BULK_PAID,
        ),
    ),
)

B3 = Case(
    case_id="B3",
    title=f"{BATCH_IDS:,} ids looked up",
    floor="floor",
    warmup="floor-batched",
    target="100 look-up requests (plus 1 token request) for the batched call",
    variants=(
        Variant("floor", "raw requests.Session", "10,000 × GET /payments/{imp_uid}, one token", f"{RAW}:single_lookups", MAIN, BATCH_IDS),
        Variant("floor-batched", "raw requests.Session", "100 × GET /payments?imp_uid[]=… (100 ids each)", f"{RAW}:batched_lookups", MAIN, BATCH_IDS),
        Variant("ours", "portone_provider", "PortOneClient.get_payments (batched)", f"{OURS}:batched_lookups", MAIN, BATCH_IDS),
        Variant("iamporter", "iamporter 0.2.4", "10,000 × Iamporter.find_payment (no batched call)", f"{PEER}:iamporter_single_lookups", PEERS, BATCH_IDS),
        Variant(
            "iamport-rest-client",
            "iamport-rest-client 0.9.0",
            "10,000 × Iamport.find (no batched call)",
            f"{PEER}:iamport_rest_single_lookups",
            PEERS,
            BATCH_IDS,
        ),
    ),
)

TRIGGERS = "benchmarks.cases.triggers"

B5 = Case(
    case_id="B5",
    title=f"{TRIGGER_COUNT} payment waits polled from one event loop",
    floor="floor",
    warmup="floor",
    target="no blocked loop (no watchdog wake-up over 0.1 s late); achieved polls within 10% of expected",
    variants=(
        Variant("floor", "raw httpx.AsyncClient", "GET /payments/{imp_uid} per wait, one token", f"{TRIGGERS}:floor_polls", MAIN, TRIGGER_COUNT),
        Variant("ours", "portone_provider", "PortOnePaymentTrigger.run()", f"{TRIGGERS}:trigger_polls", MAIN, TRIGGER_COUNT),
        Variant(
            "iamporter",
            "iamporter 0.2.4",
            "Iamporter.find_payment called from coroutines (no async API)",
            f"{PEER}:iamporter_polls",
            PEERS,
            TRIGGER_COUNT,
        ),
        Variant(
            "iamport-rest-client",
            "iamport-rest-client 0.9.0",
            "Iamport.find called from coroutines (no async API)",
            f"{PEER}:iamport_rest_polls",
            PEERS,
            TRIGGER_COUNT,
        ),
    ),
)

HTTP_CASES = (B1, B2, B3)
