"""Work run in spawned processes by the concurrency test. It imports no Airflow and no test fixtures."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor


def look_up_payments(
    url: str, api_key: str, api_secret: str, imp_uids: list[str], threads: int, per_thread: int, seed: int, start, results
) -> None:
    """Look payments up from ``threads`` threads sharing one client, and put a report on ``results``.

    The report counts the look-ups that returned the requested payment and lists
    every error as text, so the parent can fail with the first one.
    """
    from portone_provider.client import PortOneClient

    start.wait(30)
    client = PortOneClient(api_key, api_secret, base_url=url, timeout=10)

    def work(thread_index: int) -> tuple[int, list[str]]:
        rng = random.Random(seed * 100 + thread_index)
        found = 0
        errors = []
        for _ in range(per_thread):
            imp_uid = rng.choice(imp_uids)
            try:
                payment = client.get_payment(imp_uid)
            except Exception as error:  # reported to the parent, which fails the test
                errors.append(f"{type(error).__name__}: {error}")
                continue
            if payment.get("imp_uid") == imp_uid:
                found += 1
            else:
                errors.append(f"asked for {imp_uid}, got {payment.get('imp_uid')}")
        return found, errors

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(work, range(threads)))
    client.close()

    results.put({"seed": seed, "found": sum(found for found, _ in outcomes), "errors": [e for _, errs in outcomes for e in errs]})
