"""Own time of one ``cProfile`` run, summed by package, to show where a client spends its time."""

from __future__ import annotations

import pstats
import re
import sysconfig
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
# "<method 'recv_into' of '_socket.socket' objects>" or "<built-in method _json.scanstring>"
_C_OWNER = re.compile(r"of '([\w.]+)' objects|built-in method ([\w.]+)")


def package_of(filename: str, function: str) -> str:
    """Name the package a profiled function belongs to.

    Functions implemented in C have no file; they are named after the type or module
    that owns them, for example ``_socket`` for ``socket.recv_into``.
    """
    if filename == "~":
        match = _C_OWNER.search(function)
        owner = (match.group(1) or match.group(2)) if match else "builtins"
        return f"{owner.split('.')[0]} (C)"

    if filename.startswith("<frozen "):
        return filename.removeprefix("<frozen ").removesuffix(">").split(".")[0]

    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    try:
        return path.resolve().relative_to(REPO).parts[0]
    except ValueError:
        pass
    try:
        relative = path.resolve().relative_to(_STDLIB)
    except ValueError:
        return path.name
    return relative.parts[0].removesuffix(".py")


def own_time_by_package(profile_path: str | Path) -> dict[str, float]:
    """Return each package's share of the profiled own time, largest first, summing to 1."""
    stats = pstats.Stats(str(profile_path))
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, function), (_calls, _primitive, own_time, _cumulative, _callers) in stats.stats.items():
        totals[package_of(filename, function)] += own_time

    whole = sum(totals.values()) or 1.0
    shares = {name: seconds / whole for name, seconds in totals.items()}
    return dict(sorted(shares.items(), key=lambda item: -item[1]))


def format_shares(shares: dict[str, float], top: int = 6) -> str:
    """Render the largest shares as ``name 41%, name 12%, …``."""
    parts = [f"{name} {share:.0%}" for name, share in list(shares.items())[:top]]
    rest = sum(list(shares.values())[top:])
    if rest >= 0.005:
        parts.append(f"other {rest:.0%}")
    return ", ".join(parts)
