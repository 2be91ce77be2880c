"""`nograd-lint lsp` in an environment without the lsp extra names the package to install.

Runs without pygls: the missing packages are simulated in a child process, so this holds
wherever the test suite runs, including environments that lack the extra.
"""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest


def _serve_without(packages: tuple[str, ...], subprocess_env: dict) -> subprocess.CompletedProcess:
    code = (
        "import sys\n"
        f"for name in {packages!r}: sys.modules[name] = None\n"
        "from nograd_lint.cli import main\n"
        "sys.exit(main(['lsp']))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env,
        check=False,
    )


@pytest.mark.parametrize(
    "missing",
    [("pygls", "lsprotocol"), ("pygls",), ("lsprotocol",)],
    ids=["without the extra", "pygls alone missing", "lsprotocol alone missing"],
)
def test_the_hint_names_pygls_and_how_to_install_it(
    missing: tuple[str, ...], subprocess_env: dict
) -> None:
    result = _serve_without(missing, subprocess_env)
    python = shlex.quote(sys.executable)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "nograd-lint lsp: needs pygls >= 2.0 (the 'lsp' extra), which this Python cannot "
        f"import; install it with: {python} -m pip install 'pygls>=2.0'\n"
    )


def test_an_unrelated_import_error_is_not_disguised(subprocess_env: dict) -> None:
    result = _serve_without(("nograd_lint.fix",), subprocess_env)
    assert result.returncode == 1
    assert "pip install" not in result.stderr
    assert "nograd_lint.fix" in result.stderr
