"""Regular expressions compiled on first use.

flake8 imports the plugin on every run, and an editor runs flake8 on every save: compiling
the catalog's and the pre-filter's patterns at import cost a few milliseconds of that,
mostly for patterns a file without candidates never tries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


class LazyPattern:
    """A :class:`re.Pattern` that compiles itself the first time it is searched."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def search(self, string: str, pos: int = 0, endpos: int = 2**63 - 1) -> re.Match[str] | None:
        return self.compiled().search(string, pos, endpos)

    def match(self, string: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled().match(string, pos)

    def finditer(self, string: str) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string)

    def findall(self, string: str) -> list[Any]:
        return self.compiled().findall(string)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"
