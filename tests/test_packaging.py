"""What a user installs: ``python -m nograd_lint``, and the sdist and wheel built from this checkout.

The distributions are built by setuptools' own backend from a copy of the checkout, without
the network, so the metadata asserted here is exactly what ``pip install .`` would publish.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

from tests.conftest import ROOT, tool

OFFENDING = "import torch\n\n\ndef predict(model, x):\n    model.eval()\n    return model(x)\n"

#: Left out of the copy: environments, caches and earlier build output.
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "venv-*",
    ".matrix",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*_cache",
    ".hypothesis",
)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=120)


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    (tmp_path / "infer.py").write_text(OFFENDING)
    as_module = _run(sys.executable, "-m", "nograd_lint", "infer.py", cwd=tmp_path)
    as_script = _run(tool("nograd-lint"), "infer.py", cwd=tmp_path)
    assert as_module.returncode == 1, as_module.stderr
    assert "infer.py:6:12: NG001 " in as_module.stdout
    assert (as_module.stdout, as_module.returncode) == (as_script.stdout, as_script.returncode)


def test_python_dash_m_reports_the_version(tmp_path: Path) -> None:
    from nograd_lint import __version__

    result = _run(sys.executable, "-m", "nograd_lint", "--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"nograd-lint {__version__}"


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    setuptools = pytest.importorskip("setuptools", reason="setuptools is in the test group")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(
            f"needs setuptools >= 77 (the build requirement), found {setuptools.__version__}"
        )
    tree = tmp_path_factory.mktemp("checkout") / "nograd-lint"
    shutil.copytree(ROOT, tree, ignore=IGNORED)
    out = tree / "out"
    out.mkdir()
    # Built in a child process: the backend works in the current directory and edits sys.argv.
    code = f"from setuptools import build_meta as b; b.build_sdist({str(out)!r}); b.build_wheel({str(out)!r})"
    result = _run(sys.executable, "-c", code, cwd=tree)
    assert result.returncode == 0, result.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def metadata(dists: dict[str, Path]) -> Message:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(wheel.read(name).decode())


def test_sdist_ships_the_package_and_no_partial_test_suite(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "LICENSE", "src/nograd_lint/__main__.py"} <= names
    assert "src/nograd_lint/cli.py" in names
    in_folders = sorted(n for n in names if "/" in n and not n.startswith("src/"))
    assert in_folders == [], "besides top-level files, only the package under src/"


def test_wheel_carries_the_license(dists: dict[str, Path], metadata: Message) -> None:
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        (license_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        text = wheel.read(license_name).decode()
    assert text.startswith("MIT License") and "nograd-lint developers" in text


def test_wheel_depends_on_libcst_flake8_and_old_pythons_tomli(metadata: Message) -> None:
    requires = metadata.get_all("Requires-Dist")
    core = sorted(r for r in requires if "extra ==" not in r)
    assert [re.split(r"[<>=;\s]", r)[0] for r in core] == ["flake8", "libcst", "tomli"]
    (tomli,) = [r for r in core if r.startswith("tomli")]
    assert tomli.replace(" ", "").endswith(';python_version<"3.11"')


def test_published_extras_are_the_ones_the_package_serves(metadata: Message) -> None:
    # tests/ and benchmarks/ are not in the wheel, so extras for them would install nothing usable.
    assert metadata.get_all("Provides-Extra") == ["lsp"]


def test_metadata_links_and_python_versions(metadata: Message) -> None:
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL"))
    assert urls["Source"] == "https://github.com/nograd-lint/nograd-lint"
    assert urls["Issues"] == "https://github.com/nograd-lint/nograd-lint/issues"
    versions = [
        c.rsplit(":: ", 1)[1]
        for c in metadata.get_all("Classifier")
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert versions == ["3.9", "3.10", "3.11", "3.12", "3.13"]
    assert metadata["Requires-Python"] == ">=3.9"


def test_readme_links_work_on_the_package_index(metadata: Message) -> None:
    # The README is the index page's description: a relative link there points nowhere.
    description = metadata.get_payload()
    assert "# nograd-lint" in description
    targets = re.findall(r"\]\(([^)\s]+)\)", description)
    assert targets, "the README links to the documentation"
    relative = [t for t in targets if not t.startswith("https://")]
    assert relative == []


def test_benchmark_smoke_tests_skip_with_a_reason_without_torch() -> None:
    # `make test TORCH=`: the linter's tests run, the benchmark smoke tests report why they skip.
    code = (
        "import sys; sys.modules['torch'] = None; import pytest;"
        "sys.exit(pytest.main(['-q', '-rs', '-p', 'no:cacheprovider', 'tests/test_bench_smoke.py']))"
    )
    result = _run(sys.executable, "-c", code, cwd=ROOT)
    # pytest exits 5 when a module-level skip leaves no test to run.
    assert result.returncode == 5, result.stdout[-2000:]
    assert "1 skipped" in result.stdout
    assert "the benchmarks need torch and the bench dependency group" in result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_plain_make_lists_every_target() -> None:
    phony = re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert phony is not None
    result = _run("make", "--no-print-directory", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    listed = dict(re.findall(r"^  ([a-z-]+) +(.*)$", result.stdout, re.MULTILINE))
    assert sorted(listed) == sorted(phony.group(1).split())
    assert all(description.strip() for description in listed.values())
