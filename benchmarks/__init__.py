"""Side-by-side measurements of this provider, a raw ``requests`` loop and two PyPI clients.

``make bench`` runs ``python -m benchmarks`` and rewrites ``BENCHMARKS.md``. Nothing here
is part of the test suite. Modules that a worker of the peers' virtual environment
imports (``safety``, ``worker``, ``cases.peers``) use only the standard library and the
peer packages.
"""
