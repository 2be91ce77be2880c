"""Functions, classes and call sites: what decides the grad mode a function body runs in.

A function whose every call site in the module runs with autograd disabled (directly, or
through callers that are themselves only called that way) runs with autograd disabled. The
flow pass records call sites as it goes; :func:`resolve_entry_grad` settles them afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

import libcst as cst

from .nodes import within_any
from .state import Grad


@dataclass(eq=False)
class CallSite:
    grad: Grad
    #: The function the call is in, when ``grad`` is that function's ``ENTRY`` mode.
    caller: Optional["FunctionInfo"]


@dataclass(eq=False)
class FunctionInfo:
    node: Union[cst.FunctionDef, cst.Lambda]
    #: Set when decorators, framework hooks or the enclosing code decide the grad mode;
    #: None when the call sites decide it.
    fixed_grad: Optional[Grad] = None
    sites: list[CallSite] = field(default_factory=list)
    #: Passed around as a value (``map(f, xs)``, ``Thread(target=f)``): callers unknown.
    escapes: bool = False
    resolved: Grad = Grad.ENABLED

    def entry_grad(self) -> Grad:
        return self.fixed_grad if self.fixed_grad is not None else Grad.ENTRY


@dataclass(eq=False)
class ClassInfo:
    """Facts gathered from every method of a class, for class-wide eval state."""

    node: cst.ClassDef
    lightning: bool = False
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    eval_attrs: set[str] = field(default_factory=set)
    trained_attrs: set[str] = field(default_factory=set)
    frozen_attrs: set[str] = field(default_factory=set)
    trains_itself: bool = False

    def is_eval(self, attr: str) -> bool:
        """``self.<attr>`` put in eval mode somewhere and never back in train mode."""
        if self.trains_itself or within_any(attr, self.trained_attrs):
            return False
        return attr in self.eval_attrs

    def is_frozen(self, attr: str) -> bool:
        return within_any(attr, self.frozen_attrs)


def _protected(site: CallSite) -> bool:
    if site.grad in (Grad.DISABLED, Grad.MAYBE):
        return True
    return site.grad is Grad.ENTRY and site.caller is not None and site.caller.resolved in (Grad.DISABLED, Grad.MAYBE)


def resolve_entry_grad(functions: list[FunctionInfo]) -> None:
    """Greatest fixpoint: start from "disabled" for every function with only known call
    sites, and switch to "enabled" any that has one unprotected site, until nothing moves."""
    open_ = []
    for info in functions:
        if info.fixed_grad is not None:
            info.resolved = info.fixed_grad
        elif info.sites and not info.escapes:
            info.resolved = Grad.DISABLED
            open_.append(info)
        else:
            info.resolved = Grad.ENABLED
    changed = True
    while changed:
        changed = False
        for info in open_:
            if info.resolved is Grad.DISABLED and not all(_protected(site) for site in info.sites):
                info.resolved = Grad.ENABLED
                changed = True


class Scope:
    """Function definitions visible by name: the module's, or a function's nested ones."""

    def __init__(self, parent: Optional["Scope"] = None) -> None:
        self.parent = parent
        self.functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}

    def lookup(self, name: str) -> Optional[FunctionInfo]:
        return self._find("functions", name)

    def lookup_class(self, name: str) -> Optional[ClassInfo]:
        return self._find("classes", name)

    def _find(self, table: str, name: str):
        scope: Optional[Scope] = self
        while scope is not None:
            found = getattr(scope, table).get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None
