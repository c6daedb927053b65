"""Local emulator of PortOne's REST API V1, a test double for tests, demos and benchmarks.

It is not PortOne and never moves money. See `EmulatorServer` for the
in-process API and `python -m portone_provider.emulator --help` for the CLI.
Nothing in this package imports Airflow.
"""

from .clock import EmulatorClock
from .dataset import generate_bulk_paid, generate_demo_payments, load_payments
from .faults import FaultRegistry, FaultRule
from .server import EmulatorServer
from .store import PaymentStore
from .tokens import TokenRegistry

__all__ = [
    "EmulatorClock",
    "EmulatorServer",
    "FaultRegistry",
    "FaultRule",
    "PaymentStore",
    "TokenRegistry",
    "generate_bulk_paid",
    "generate_demo_payments",
    "load_payments",
]
