"""The module's import table: local names to qualified names.

A cheap stand-in for LibCST's ``QualifiedNameProvider`` (about 100x a plain parse): the
analysis only ever asks "is this expression torch's ``no_grad``?", so a dict filled as
``import`` statements go by is enough.
"""

from __future__ import annotations

import libcst as cst

from .catalog import OTHER_FRAMEWORKS
from .nodes import dotted_name


class ImportTable:
    """Maps the first component of a dotted name to what it was imported as."""

    def __init__(self, assume_torch: bool = True) -> None:
        # ``torch`` means torch even in fragments that never import it (notebook cells,
        # snippets): not recognising ``torch.no_grad()`` would be a false alarm. The autofix
        # asks what the imports themselves bind (``assume_torch=False``).
        self._bindings: dict[str, str] = {"torch": "torch"} if assume_torch else {}
        #: Top-level packages imported anywhere in the module (absolute imports).
        self.packages: set[str] = set()

    def is_other_framework(self) -> bool:
        """Imports another deep-learning framework and never torch: not PyTorch code."""
        return "torch" not in self.packages and not self.packages.isdisjoint(OTHER_FRAMEWORKS)

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name)
                if full is None:
                    continue
                self.packages.add(full.split(".", 1)[0])
                if alias.asname is not None:
                    local = dotted_name(alias.asname.name)
                    if local:
                        self._bindings[local] = full
                else:  # ``import torch.autograd`` binds ``torch``
                    head = full.split(".", 1)[0]
                    self._bindings[head] = head
            return
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = dotted_name(node.module)
        if module is None:
            return
        self.packages.add(module.split(".", 1)[0])
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = dotted_name(alias.asname.name) if alias.asname is not None else name
            if local:
                self._bindings[local] = f"{module}.{name}"

    def forget(self, local: str) -> None:
        """``torch = something_else`` shadows the import."""
        self._bindings.pop(local, None)

    def local_name(self, qualified: str) -> str | None:
        """The first local name bound to exactly ``qualified`` (``T`` for ``torch`` after
        ``import torch as T``), if any."""
        return next(
            (local for local, target in self._bindings.items() if target == qualified), None
        )

    def resolve(self, expr: cst.BaseExpression) -> str | None:
        """The qualified name of ``expr`` if it starts with an imported name, else None."""
        name = dotted_name(expr)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self._bindings.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target
