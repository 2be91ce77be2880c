"""``relatedInformation``: the places that explain a diagnostic, such as where its model was
put in eval mode, for editors that show them.

The analysis is patched at interpreter start to attach one related place to every finding
(the line above it), so that this test holds whichever findings the analysis explains.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lsp_client import env_running_first
from tests.test_lsp import BUFFER, start_server

pytest.importorskip("pygls", reason="pygls is in the lsp and test extras")

PATCH = """
import dataclasses
from nograd_lint import api, findings

real_check_source = api.check_source

def check_source(*args, **kwargs):
    return [
        dataclasses.replace(
            x, related=(findings.Related(x.line - 1, 4, x.line - 1, 16, "put in eval mode here"),)
        )
        for x in real_check_source(*args, **kwargs)
    ]

api.check_source = check_source
"""


@pytest.mark.parametrize("shown", [True, False], ids=["client-shows-it", "client-does-not"])
def test_related_information_points_at_the_eval_call(
    tmp_path: Path, subprocess_env: dict, shown: bool
) -> None:
    env = env_running_first(subprocess_env, tmp_path / "startup", PATCH)
    uri = (tmp_path / "evaluate.py").as_uri()
    capabilities = {"textDocument": {"publishDiagnostics": {"relatedInformation": shown}}}
    with start_server(tmp_path, env) as client:
        client.initialize(tmp_path, capabilities=capabilities)
        client.open(uri, BUFFER)
        diagnostics = client.wait_for_diagnostics(uri)["diagnostics"]
    assert len(diagnostics) == 2
    if not shown:
        assert all("relatedInformation" not in d for d in diagnostics)
        return
    # "    model.eval()" on the lines above the two findings (0-based lines 4 and 12).
    assert [d["relatedInformation"] for d in diagnostics] == [
        [
            {
                "location": {
                    "uri": uri,
                    "range": {
                        "start": {"line": line, "character": 4},
                        "end": {"line": line, "character": 16},
                    },
                },
                "message": "put in eval mode here",
            }
        ]
        for line in (4, 12)
    ]
