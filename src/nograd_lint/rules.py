"""What each rule is, for outputs that carry rule metadata (SARIF, editors, ``nograd-lint
rule``). The full documentation of each rule ships in the package, beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

DOCS_URL = (
    "https://github.com/nograd-lint/nograd-lint/blob/main/src/nograd_lint/rule_docs/{code}.md"
)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    explanation: str
    fix: str
    #: ruff's notion: a safe fix keeps the program's behaviour, an unsafe one may change it,
    #: so ``--fix`` applies it only with ``--unsafe-fixes``.
    fix_is_safe: bool = False

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code)

    def documentation(self) -> str:
        """The rule's page (Markdown), read from the installed package."""
        page = resources.files(__package__).joinpath("rule_docs").joinpath(f"{self.code}.md")
        return page.read_text(encoding="utf-8")


NG001_RULE = Rule(
    code="NG001",
    name="eval-mode-forward-with-grad",
    summary="Forward pass of an eval-mode model with autograd enabled",
    explanation=(
        "model.eval() changes how layers behave but does not stop autograd: a forward call "
        "outside torch.no_grad() or torch.inference_mode() records the autograd graph and "
        "keeps every intermediate activation alive for a backward pass that never comes, "
        "costing memory (GPU memory above all), time and energy."
    ),
    fix=(
        "Wrap the inference in `with torch.no_grad():` (or `torch.inference_mode()`), or "
        "decorate the function with `@torch.no_grad()`. `nograd-lint --fix --unsafe-fixes` "
        "does the former; the fix is unsafe because outputs made under no_grad can no longer "
        "be back-propagated through."
    ),
)

RULES = {NG001_RULE.code: NG001_RULE}
