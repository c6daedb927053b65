"""Constants of the stack test, and the measurements its terminal summary prints."""

from __future__ import annotations

STACK_API_KEY = "stack_api_key"
#: A recognisable secret, searched for in every file the stack wrote.
STACK_API_SECRET = "stack_secret_Vq4mT9xL2wRz"
#: Seconds for the whole scenario once the components are up: every run, the barcode payment included.
SCENARIO_TIMEOUT = 300.0

#: Lines the tests add for the "stack measurements" section of pytest's terminal summary.
MEASUREMENTS: list[str] = []
