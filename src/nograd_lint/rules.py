"""The registry of rules: what each rule is, for every front end (the command's selection,
flake8, SARIF, the language server, ``nograd-lint rule``). The full documentation of each
rule ships in the package, beside this module."""

from __future__ import annotations

from typing import NamedTuple

DOCS_URL = (
    "https://github.com/nograd-lint/nograd-lint/blob/main/src/nograd_lint/rule_docs/{code}.md"
)

#: The prefix of every code; flake8's entry point is registered under it, so flake8's own
#: ``--select``/``--extend-select``/``--ignore`` reach every rule.
PREFIX = "NG"


class Rule(NamedTuple):
    code: str
    name: str
    summary: str
    explanation: str
    fix: str
    #: The shapes of the rule's message, ``{placeholders}`` filled by ``findings.py``; one per
    #: situation the user should be able to tell apart.
    messages: tuple[str, ...] = ()
    #: ruff's notion: a safe fix keeps the program's behaviour, an unsafe one may change it,
    #: so ``--fix`` applies it only with ``--unsafe-fixes``.
    fix_is_safe: bool = False
    #: Whether ``--fix`` and the editors' quick fixes have an edit for the rule at all (a
    #: rule whose remedy is the user's decision has none).
    autofix: bool = True
    #: Whether the rule runs when nothing selects it: a rule still proving its precision can
    #: ship off until it is selected by code or prefix.
    default_enabled: bool = True

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code)

    def documentation(self) -> str:
        """The rule's page (Markdown), read from the installed package."""
        from importlib import resources

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
    messages=(
        "forward pass of eval-mode model '{model}' runs with autograd enabled; "
        "wrap it in torch.no_grad() or torch.inference_mode()",
    ),
)

NG002_RULE = Rule(
    code="NG002",
    name="graph-kept-across-iterations",
    summary="A value that carries an autograd graph is kept past its loop iteration",
    explanation=(
        "A tensor computed with autograd enabled carries its graph. Stored inside a loop "
        "somewhere that outlives the iteration (an accumulator such as `total += loss`, a "
        "list such as `losses.append(loss)`, an attribute, a global) it keeps that graph "
        "alive: without any backward of the graph, every saved activation of every "
        "iteration stays in memory; after its backward, the saved tensors are freed but the "
        "chain of graph nodes still grows by one iteration's worth every iteration."
    ),
    fix=(
        "Store `value.detach()` (it keeps the tensor's type and device), or `value.item()` "
        "for a Python number (which synchronises with the GPU every iteration). "
        "`nograd-lint --fix --unsafe-fixes` adds `.detach()`; the fix is unsafe because a "
        "later backward through the stored value would no longer reach the graph."
    ),
    messages=(
        "'{value}' kept in '{target}' across loop iterations holds its autograd graph and "
        "every saved activation (no backward runs on it); store '{detached}', or '.item()' "
        "for a number",
        "'{value}' kept in '{target}' across loop iterations holds its autograd graph: the "
        "backward freed the saved tensors, but the chain of graph nodes grows every "
        "iteration; store '{detached}', or '.item()' for a number",
        "'{value}' feeds '{target}' back to the next iteration's forward with its autograd "
        "graph, which grows every iteration; detach the state ('{target} = {target}.detach()') "
        "before each step",
        "'{value}' kept in '{target}' across loop iterations is a {kind} whose elements hold "
        "their autograd graphs; fill it with detached values ('.detach()'), or '.item()' for "
        "numbers",
    ),
)

NG003_RULE = Rule(
    code="NG003",
    name="needless-retain-graph",
    summary="retain_graph=True where no later gradient call uses the graph",
    explanation=(
        "A backward pass frees the saved tensors of the graph it differentiates; "
        "retain_graph=True keeps them alive until the graph itself is gone. That is needed "
        "only when another backward or autograd.grad runs through the same graph. When "
        "nothing does, the saved activations outlive the step, and whatever still refers to "
        "the graph (a running loss, a hidden state, a list of outputs) keeps them alive for "
        "good: memory grows every iteration."
    ),
    fix=(
        "Remove `retain_graph=True`. `nograd-lint --fix --unsafe-fixes` does; the fix is "
        "unsafe because code the analysis cannot see (a caller, a hook) could still "
        "differentiate the graph, which would then raise an error at its backward."
    ),
    messages=(
        "'{callee}({flag})' keeps the graph's saved tensors, but no later gradient call "
        "uses that graph; remove {flag}",
        "'{callee}(..., {flag})' keeps the graph's saved tensors, but no later gradient call "
        "uses that graph; remove {flag}",
    ),
)

NG004_RULE = Rule(
    code="NG004",
    name="eval-mode-left-for-training",
    summary="A validation phase leaves the model in eval mode for the next training step",
    explanation=(
        "A loop that trains, then validates with model.eval() and never calls model.train() "
        "again before the next training step trains every later epoch in eval mode: dropout "
        "is off and batch normalisation uses, and no longer updates, its running "
        "statistics. Results change silently and the compute of the run is partly wasted."
    ),
    fix=(
        "Call `model.train()` at the start of each epoch, or in the training function before "
        "its first forward pass, or have the validation code restore the mode it found "
        "(`was_training = model.training ... model.train(was_training)`). There is no "
        "automatic fix: where training starts is the author's decision."
    ),
    messages=(
        "'{model}' is left in eval mode here, and the next iteration trains it in eval mode "
        "at line {line}; call '{restore}' before that training step",
        "'{model}' is left in eval mode here, and the training step that follows it in the "
        "same iteration, at line {line}, runs in eval mode; call '{restore}' before that "
        "training step",
    ),
    autofix=False,
)

RULES = {rule.code: rule for rule in (NG001_RULE, NG002_RULE, NG003_RULE, NG004_RULE)}
"""Every rule, by code, in code order."""
