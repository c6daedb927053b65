"""Command line for the emulator: `portone-emulator` and `python -m portone_provider.emulator`."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path
from types import FrameType

from .server import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_BULK_DAY,
    DEFAULT_START,
    EmulatorServer,
    resolve_loopback_host,
)

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8765
DEFAULT_MAX_LIFETIME_SECONDS = 3600.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portone-emulator",
        description=(
            "Serve a local test double of PortOne's REST API V1 on a loopback address. "
            "It is not PortOne and never moves money."
        ),
    )
    # Network
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to listen on: 127.x.x.x, ::1 or localhost (default: %(default)s)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="TCP port to listen on, or 0 for a free port (default: %(default)s)"
    )
    parser.add_argument(
        "--port-file",
        type=Path,
        help="write the bound port to this file once the server listens. The file is removed on exit.",
    )

    # Data
    parser.add_argument(
        "--dataset",
        default="demo",
        help='initial payments: "demo" (generated), "empty" or the path of a JSON file (default: %(default)s)',
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the demo data (default: %(default)s)")
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=DEFAULT_START,
        help="first KST day of the demo data, YYYY-MM-DD (default: %(default)s)",
    )
    parser.add_argument("--days", type=int, default=4, help="number of demo days (default: %(default)s)")
    parser.add_argument(
        "--per-day", type=int, default=1500, help="ordinary demo payments per day (default: %(default)s)"
    )
    parser.add_argument(
        "--bulk-paid",
        type=int,
        default=0,
        metavar="N",
        help="also add N paid card payments on --bulk-day, for benchmarks (default: %(default)s)",
    )
    parser.add_argument(
        "--bulk-day",
        type=date.fromisoformat,
        default=DEFAULT_BULK_DAY,
        help="KST day of the --bulk-paid payments, YYYY-MM-DD (default: %(default)s)",
    )

    # Credentials
    parser.add_argument(
        "--api-key",
        default=os.environ.get("PORTONE_EMULATOR_API_KEY", DEFAULT_API_KEY),
        help="API key (imp_key) that getToken accepts (default: $PORTONE_EMULATOR_API_KEY or %(default)s)",
    )
    parser.add_argument(
        "--api-secret",
        default=os.environ.get("PORTONE_EMULATOR_API_SECRET", DEFAULT_API_SECRET),
        help="API secret (imp_secret) that getToken accepts (default: $PORTONE_EMULATOR_API_SECRET or the demo secret)",
    )

    # Lifetime and logging
    parser.add_argument(
        "--max-lifetime",
        type=_positive_seconds,
        default=DEFAULT_MAX_LIFETIME_SECONDS,
        metavar="SECONDS",
        help="stop by itself after this many seconds (default: %(default)s)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more: -v for INFO, -vv for DEBUG with one line per request (default: WARNING)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGINT, SIGTERM or the maximum lifetime. Returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        resolve_loopback_host(args.host)
    except ValueError as exc:
        parser.error(str(exc))

    try:
        server = EmulatorServer(
            args.api_key,
            args.api_secret,
            host=args.host,
            port=args.port,
            dataset=args.dataset,
            seed=args.seed,
            start=args.start,
            days=args.days,
            per_day=args.per_day,
            bulk_paid=args.bulk_paid,
            bulk_day=args.bulk_day,
        )
        server.start()
    except (OSError, ValueError) as exc:
        print(f"portone-emulator: error: could not start: {exc}", file=sys.stderr)
        return 1
    # The loaded payments live until exit or reset. Freezing them keeps the
    # cyclic garbage collector from rescanning them while requests are served.
    gc.freeze()

    stop_requested = threading.Event()
    previous_handlers = _install_signal_handlers(stop_requested)
    try:
        if args.port_file is not None:
            _write_port_file(args.port_file, server.port)
        _print_banner(server, args)
        if not stop_requested.wait(args.max_lifetime):
            logger.warning("maximum lifetime of %s s reached, stopping", args.max_lifetime)
    finally:
        server.stop()
        _restore_signal_handlers(previous_handlers)
        if args.port_file is not None:
            args.port_file.unlink(missing_ok=True)
    return 0


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"invalid lifetime {text!r}: expected a number of seconds above 0")
    return value


def _configure_logging(verbosity: int) -> None:
    if verbosity == 0:
        level = logging.WARNING
    elif verbosity == 1:
        level = logging.INFO
    else:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _install_signal_handlers(stop_requested: threading.Event) -> dict[int, object]:
    def request_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("received signal %d, stopping", signum)
        stop_requested.set()

    previous: dict[int, object] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, request_stop)
        except ValueError:
            # signal.signal works only in the main thread. Elsewhere the
            # caller's handlers stay, and the lifetime limit still applies.
            break
    return previous


def _restore_signal_handlers(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]


def _write_port_file(path: Path, port: int) -> None:
    """Write the port through a temporary file, so a reader never sees a partial number."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(f"{port}\n", encoding="utf-8")
    os.replace(temporary, path)


def _print_banner(server: EmulatorServer, args: argparse.Namespace) -> None:
    lines = [
        "PortOne V1 API emulator: a local test double, NOT PortOne. It never moves money.",
        f"  URL:       {server.url}",
        f"  Payments:  {len(server.store)} (dataset {args.dataset}, seed {args.seed})",
        f"  API key:   {server.api_key} (the secret is not shown)",
        f"  Control:   {server.url}/_emulator/health",
        f"  Stops after {args.max_lifetime:g} s, on Ctrl+C or on SIGTERM.",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
