"""nograd-lint: find PyTorch models in eval mode that run with autograd enabled (NG001).

Importing this package is cheap: LibCST is loaded only when a file needs analysing, and
torch is never imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .findings import Finding, SourceError

if TYPE_CHECKING:
    from .api import check_source

__all__ = ["Finding", "SourceError", "__version__", "check_source"]


def __getattr__(name: str) -> Any:
    if name == "check_source":
        from .api import check_source

        return check_source
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
