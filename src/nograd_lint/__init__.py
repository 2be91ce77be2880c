"""nograd-lint: find PyTorch models in eval mode that run with autograd enabled (NG001).

Importing this package is cheap: LibCST is loaded only when a file needs analysing, and
torch is never imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import SourceError

if TYPE_CHECKING:
    from .api import check_source
    from .findings import Finding

__all__ = ["Finding", "SourceError", "__version__", "check_source"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: flake8 imports the package for every run, and most files it
    # lints never come near a finding.
    if name == "check_source":
        from .api import check_source

        return check_source
    if name == "Finding":
        from .findings import Finding

        return Finding
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
