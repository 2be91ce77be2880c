"""A text test that rules out most files before anything is parsed.

Every NG001 finding needs a model put in eval mode in the same module, which the source
must spell as ``.eval(`` or ``.train(False)`` / ``.train(mode=False)``. Only a few percent of
the files of large PyTorch code bases contain either.
"""

from __future__ import annotations

import re

_TRAIN_FALSE = re.compile(r"\.train\(\s*(?:mode\s*=\s*)?(?:False|0)\s*\)")


def might_have_findings(source: str) -> bool:
    """False when ``source`` cannot contain an NG001 finding; cheap enough for every file."""
    return ".eval(" in source or (".train(" in source and _TRAIN_FALSE.search(source) is not None)
