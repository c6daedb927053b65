"""Measured functions, one module per client: ``raw`` (the floor), ``ours`` and ``peers``.

Each function takes the worker's spec dict and returns a dict with ``rows``, the number
of payments it received, so the runner can check that every variant did the same work.
"""
