"""What each rule is, for outputs that carry rule metadata (SARIF, editors)."""

from __future__ import annotations

from dataclasses import dataclass

DOCS_URL = "https://github.com/nograd-lint/nograd-lint/blob/main/docs/rules/{code}.md"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    explanation: str
    fix: str

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code)


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
        "decorate the function with `@torch.no_grad()`. `nograd-lint --fix` does the former."
    ),
)

RULES = {NG001_RULE.code: NG001_RULE}
