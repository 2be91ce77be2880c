"""``python -m nograd_lint``: the standalone command, for environments whose scripts are not on PATH."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
