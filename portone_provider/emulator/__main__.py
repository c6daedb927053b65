"""Run the emulator with `python -m portone_provider.emulator`."""

import sys

from .cli import main

sys.exit(main())
