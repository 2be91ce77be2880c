"""Editor-latency figures for ``nograd-lint lsp``: ``python -m tests.lsp_timing``.

Each figure is the wall time an editor waits, measured over stdio against a real server
that has been up for a few seconds:
quick fixes on a 2,100-line buffer for an editor without ``codeAction/resolve``, a small
buffer opened while a 100,000-line buffer is being analysed, and an edit that supersedes a
running analysis of that large buffer. Timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.lsp_client import LspClient

SMALL = "def f(model, x):\n    model.eval()\n    return model(x)\n"


def script(lines: int) -> str:
    """Plain helper functions with an eval-mode forward pass in every tenth function."""
    parts = ["import torch\n\n"]
    count = 2
    index = 0
    while count < lines:
        if index % 10 == 0:
            block = (
                f"\ndef predict_{index}(model, x):\n    model.eval()\n    y = model(x)\n"
                "    return y.argmax(-1)\n"
            )
        else:
            block = (
                f"\ndef helper_{index}(a, b):\n    total = 0\n    for item in a:\n"
                "        total += item * b\n    if total > 10:\n        return total - 1\n"
                "    return total\n"
            )
        parts.append(block)
        count += block.count("\n")
        index += 1
    return "".join(parts)


def server(root: Path) -> LspClient:
    """A server as an editor has it a few seconds after start: one small buffer linted."""
    command = shutil.which("nograd-lint") or str(Path(sys.executable).parent / "nograd-lint")
    client = LspClient([command, "lsp"], cwd=root, timeout_s=600)
    client.initialize(root)  # no codeAction/resolve support
    first = (root / "first.py").as_uri()
    client.open(first, SMALL)
    client.wait_for_diagnostics(first)
    time.sleep(3)
    return client


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def code_action_at(client: LspClient, uri: str, line: int) -> list:
    position = {"line": line, "character": 0}
    return client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {"start": position, "end": position},
            "context": {"diagnostics": []},
        },
    )


def quick_fixes(root: Path) -> None:
    uri = (root / "medium.py").as_uri()
    with server(root) as client:
        client.open(uri, script(2100))
        diagnostics = client.wait_for_diagnostics(uri)["diagnostics"]
        lines = [d["range"]["start"]["line"] for d in diagnostics]
        for label, line in [("first", lines[0]), ("again", lines[0]), ("next finding", lines[1])]:
            seconds, actions = timed(functools.partial(code_action_at, client, uri, line))
            print(f"codeAction, 2,100 lines, {label}: {seconds:.2f} s ({len(actions)} actions)")


def small_behind_large(root: Path) -> None:
    large, small = (root / "large.py").as_uri(), (root / "small.py").as_uri()
    with server(root) as client:
        client.open(large, script(100_000))
        time.sleep(0.5)
        seconds, _ = timed(lambda: (client.open(small, SMALL), client.wait_for_diagnostics(small)))
        print(f"small buffer opened while 100,000 lines are analysed: {seconds:.2f} s")


def superseded(root: Path) -> None:
    large = (root / "large.py").as_uri()
    with server(root) as client:
        client.open(large, script(100_000))
        time.sleep(1.0)

        def edit() -> None:
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": large, "version": 2}, "contentChanges": [{"text": SMALL}]},
            )
            client.notify("textDocument/didSave", {"textDocument": {"uri": large}})
            client.wait_for_diagnostics(large, lambda p: p.get("version") == 2)

        seconds, _ = timed(edit)
        print(
            f"large buffer cut to 3 lines mid-analysis, until its new diagnostics: {seconds:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        quick_fixes(root)
        small_behind_large(root)
        superseded(root)


if __name__ == "__main__":
    main()
