"""The README's layout table and the analysis package's docstring name every module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import nograd_lint.analysis

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "nograd_lint"


def _layout_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Layout", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize(
    "module", sorted(p.name for p in (*PACKAGE.glob("*.py"), *PACKAGE.glob("analysis/*.py")))
)
def test_the_readme_layout_names_every_module(module: str) -> None:
    assert re.search(rf"`(?:[\w/]*/)?{re.escape(module)}`", _layout_table()), module


@pytest.mark.parametrize(
    "module", sorted(p.stem for p in PACKAGE.glob("analysis/*.py") if p.stem != "__init__")
)
def test_the_analysis_package_lists_every_module(module: str) -> None:
    assert f":mod:`.{module}`" in (nograd_lint.analysis.__doc__ or ""), module
