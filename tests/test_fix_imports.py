"""How the fix spells ``torch.no_grad``: never an ``import torch`` that changes what the
module needs or what ``torch`` means, never a name used before it is bound."""

from __future__ import annotations

import pytest

from nograd_lint.fix import fix_source

CALL = "model.eval()\nout = model(x)\n"

REFUSED = {
    "try_import": (
        "try:\n    import torch\nexcept ImportError:\n    torch = None\n" + CALL,
        "conditionally",
    ),
    "if_available": (
        "from transformers import is_torch_available\nif is_torch_available():\n"
        "    import torch\n" + CALL,
        "conditionally",
    ),
    "imported_later": (CALL + "import torch\n", "after"),
    "numpy_as_torch": ("import numpy as torch\n" + CALL, "something other than torch"),
    "rebound_in_function": (
        "import torch\n\ndef f(model, torch):\n    model.eval()\n    return model(1)\n",
        "something other than torch",
    ),
    "from_import_later": (CALL + "from torch import no_grad\n", "after"),
}


@pytest.mark.parametrize("source, reason", REFUSED.values(), ids=list(REFUSED))
def test_unsafe_torch_spelling_is_refused(source: str, reason: str) -> None:
    result = fix_source(source)
    assert result.text == source
    assert not result.fixed
    assert len(result.skipped) == 1 and reason in result.skipped[0].reason
    assert len(result.remaining) == 1


def test_existing_import_above_is_used() -> None:
    source = "import os\nimport torch\n" + CALL
    assert fix_source(source).text == (
        "import os\nimport torch\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)\n"
    )


def test_import_added_when_torch_is_nowhere() -> None:
    assert fix_source(CALL).text == (
        "import torch\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)\n"
    )


def test_torch_reimported_in_a_function_is_still_torch() -> None:
    source = (
        "import torch\n\ndef f(model):\n    import torch\n    model.eval()\n    return model(1)\n"
    )
    result = fix_source(source)
    assert len(result.fixed) == 1
    assert "    with torch.no_grad():\n        return model(1)\n" in result.text


def test_only_statements_after_a_late_import_are_fixed() -> None:
    source = "model.eval()\na = model(x)\nimport torch\nb = model(x)\n"
    result = fix_source(source)
    assert [f.line for f in result.fixed] == [4]
    assert [s.finding.line for s in result.skipped] == [2]
    assert result.text.endswith("import torch\nwith torch.no_grad():\n    b = model(x)\n")
