"""The emulator process the benchmarks measure against, and its control API.

The emulator runs in its own process, so its request handling never competes with a
measured client for the same interpreter lock. It starts with no demo data and exactly
``bulk_paid`` paid payments on one KST day, so streaming that day returns exactly that
many rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

KST = timezone(timedelta(hours=9))
API_KEY = "bench_api_key"
API_SECRET = "bench_api_secret_9Tq4"
# Seconds the emulator serves before stopping by itself, in case the runner dies.
MAX_LIFETIME_SECONDS = 3600
START_TIMEOUT_SECONDS = 120
READY_ID_PREFIX = "imp_bench_ready_"


def kst_day_bounds(day: date) -> tuple[int, int]:
    """Return the UNIX seconds of ``day``'s KST midnight and of the next one."""
    start = datetime(day.year, day.month, day.day, tzinfo=KST)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


class EmulatorProcess:
    """A ``portone-emulator`` subprocess on 127.0.0.1 with a free port.

    :param bulk_paid: paid payments generated on ``bulk_day``.
    :param bulk_day: KST day of those payments.
    """

    def __init__(self, *, bulk_paid: int, bulk_day: date) -> None:
        self.bulk_paid = bulk_paid
        self.bulk_day = bulk_day
        self.url = ""
        self._process: subprocess.Popen | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="portone-bench-")

    def start(self) -> None:
        """Start the emulator and wait until it has loaded the payments and listens."""
        port_file = Path(self._folder.name) / "emulator.port"
        command = [
            sys.executable, "-m", "portone_provider.emulator",
            "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file),
            "--dataset", "empty",
            "--bulk-paid", str(self.bulk_paid), "--bulk-day", self.bulk_day.isoformat(),
            "--api-key", API_KEY, "--api-secret", API_SECRET,
            "--max-lifetime", str(MAX_LIFETIME_SECONDS),
        ]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not port_file.exists() or not port_file.read_text().strip():
            if self._process.poll() is not None:
                raise RuntimeError(f"the emulator exited with status {self._process.returncode} while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not listen within {START_TIMEOUT_SECONDS} s")
            time.sleep(0.1)
        self.url = f"http://127.0.0.1:{int(port_file.read_text().strip())}"

    def stop(self) -> None:
        """Stop the emulator with SIGTERM, or SIGKILL after 10 s."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._folder.cleanup()

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call the emulator's control API under ``/_emulator`` and return the decoded JSON."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def reset_stats(self) -> None:
        self.control("POST", "/_emulator/stats/reset")

    def stats(self) -> dict[str, Any]:
        """Return the request counters since the last reset."""
        return self.control("GET", "/_emulator/stats")

    def list_paid_ids(self, count: int) -> list[str]:
        """Return the first ``count`` imp_uids of the bulk day in ``paid_at`` order."""
        token = self._api("POST", "/users/getToken", {"imp_key": API_KEY, "imp_secret": API_SECRET})["access_token"]
        since, until = kst_day_bounds(self.bulk_day)
        ids: list[str] = []
        page = 1
        while len(ids) < count:
            query = f"page={page}&limit=1000&from={since}&to={until - 1}&sorting=paid"
            body = self._api("GET", f"/payments/status/paid?{query}", token=token)
            ids.extend(payment["imp_uid"] for payment in body["list"])
            if not body["next"]:
                break
            page = body["next"]
        if len(ids) < count:
            raise RuntimeError(f"the emulator lists {len(ids)} paid payments on {self.bulk_day}, expected {count}")
        return ids[:count]

    def add_ready_payments(self, count: int, day: date) -> list[str]:
        """Add ``count`` unpaid (ready) payments started on ``day``, outside the bulk day."""
        since, _ = kst_day_bounds(day)
        payments = [
            {
                "imp_uid": f"{READY_ID_PREFIX}{index:05d}",
                "merchant_uid": f"BENCH-READY-{index:05d}",
                "amount": 1000 + index,
                "status": "ready",
                "pay_method": "card",
                "started_at": since + index,
                "name": "벤치마크 대기 결제",
            }
            for index in range(count)
        ]
        self.control("POST", "/_emulator/payments", {"payments": payments})
        return [payment["imp_uid"] for payment in payments]

    def _api(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["response"]
