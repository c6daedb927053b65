"""Reliability suite: injected faults, bad input, secrets, concurrency and a long export under faults."""
