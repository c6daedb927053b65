"""Facts about the machine and the software versions, for the report's header."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

_VERSIONS_PROBE = (
    "import json\nfrom importlib import metadata\nnames = {names!r}\nversions = {{}}\n"
    "for name in names:\n    try:\n        versions[name] = metadata.version(name)\n"
    "    except metadata.PackageNotFoundError:\n        pass\nprint(json.dumps(versions))\n"
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty_name = line.split("=", 1)[1].strip().strip('"')
                return f"{pretty_name} ({platform.platform()})"
    except OSError:
        pass
    return platform.platform()


def package_versions(names: list[str], python: str | None = None) -> dict[str, str]:
    """Return the installed versions of ``names``, in this interpreter or in ``python``."""
    if python is None:
        versions = {}
        for name in names:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                pass
        return versions
    completed = subprocess.run(
        [python, "-c", _VERSIONS_PROBE.format(names=names)], capture_output=True, text=True, timeout=60
    )
    return json.loads(completed.stdout) if completed.returncode == 0 else {}


def describe(peers_python: str | None) -> dict[str, str]:
    """Return the machine's facts as label → text, in the order the report lists them."""
    memory = memory_gib()
    main = package_versions(["apache-airflow", "requests", "urllib3", "httpx"])
    facts = {
        "CPU": cpu_model(),
        "Cores": f"{os.cpu_count()} logical, {len(os.sched_getaffinity(0))} usable by this process",
        "Memory": f"{memory:.1f} GiB" if memory else "unknown",
        "OS": os_name(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Main environment": ", ".join(f"{name} {version}" for name, version in main.items()),
    }
    if peers_python:
        peers = package_versions(["iamporter", "iamport-rest-client", "requests", "urllib3"], peers_python)
        facts["Peers' environment"] = ", ".join(f"{name} {version}" for name, version in peers.items())
    return facts
