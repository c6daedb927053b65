"""Searches over the files a stack run left behind: leaked secrets and triggerer warnings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

#: Airflow 3.3's triggerer logs "Triggerer's async thread was blocked ..." when its event
#: loop was held longer than ``[triggerer] blocked_main_thread_warning_threshold``.
#: "blocked the event loop" is matched too, for other wordings of the same warning.
BLOCKED_LOOP_PATTERN = re.compile(r"Triggerer's async thread was blocked|blocked the event loop", re.IGNORECASE)

#: Celery's line for each task message a worker takes from the broker.
CELERY_RECEIVED_PATTERN = re.compile(r"Task \S*execute_workload\[[0-9a-f-]+\] received")


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def files_containing(paths: Iterable[Path], needle: str) -> list[Path]:
    """Return the files whose bytes contain ``needle`` (UTF-8)."""
    encoded = needle.encode("utf-8")
    return [path for path in paths if encoded in path.read_bytes()]


def matching_lines(paths: Iterable[Path], pattern: re.Pattern[str]) -> list[str]:
    """Return ``file: line`` for every line of ``paths`` that matches ``pattern``."""
    found = []
    for path in paths:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if pattern.search(line):
                found.append(f"{path.name}: {line[:300]}")
    return found


def count_matches(path: Path, pattern: re.Pattern[str]) -> int:
    return len(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
