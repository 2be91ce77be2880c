"""A LibCST call's arguments as the catalog reads them (:class:`.catalog.Arg`), so that the
analysis and the ``ast`` screen (``ast_names.call_args``) answer the same questions with the
same functions."""

from __future__ import annotations

import libcst as cst

from .catalog import Arg
from .nodes import literal_bool


def call_args(call: cst.Call) -> tuple[Arg, ...]:
    return tuple(
        Arg(
            arg.keyword.value if arg.keyword is not None else None,
            bool(arg.star),
            literal_bool(arg.value),
        )
        for arg in call.args
    )
