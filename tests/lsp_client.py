"""A minimal Language Server Protocol client over a subprocess's stdio, for tests.

Real servers (pylsp, ours) are started as editors start them and spoken to in JSON-RPC with
``Content-Length`` framing; every wait has a deadline, so a silent server fails a test
instead of hanging the suite.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

#: Seconds any single wait may take before the test fails.
DEFAULT_TIMEOUT_S = 30.0

Message = dict[str, Any]

#: One line as LSP counts them: ended by \n, \r\n or \r (not by \f or \u2028 as in str.splitlines).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class LspError(AssertionError):
    """The server answered with an error, closed the pipe, or stayed silent too long."""


class LspClient:
    """Drives one language-server process; use it as a context manager."""

    def __init__(
        self,
        command: Sequence[str],
        cwd: Path,
        env: dict | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.timeout_s = timeout_s
        self._process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._ids = itertools.count(1)
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        self._notifications: list[Message] = []
        #: Every notification received, in order, for tests about what was (not) sent.
        self.history: list[Message] = []
        self._responses: dict[int, Message] = {}
        self._requests: dict[int, str] = {}
        self._stderr: list[bytes] = []
        self._write_lock = threading.Lock()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # -- context manager -------------------------------------------------------------------

    def __enter__(self) -> LspClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the server down politely, and kill it if it does not go."""
        if self._process.poll() is None:
            try:
                self.request("shutdown", None, timeout_s=5)
                self.notify("exit", None)
                self._process.wait(timeout=5)
            except (LspError, OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait(timeout=5)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream:
                stream.close()

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    @property
    def pid(self) -> int:
        return self._process.pid

    def wait(self, timeout_s: float) -> int:
        """The server's exit status, once it exits (``subprocess.TimeoutExpired`` if not)."""
        return self._process.wait(timeout=timeout_s)

    # -- sending ---------------------------------------------------------------------------

    def _send(self, message: Message) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        with self._write_lock:
            assert self._process.stdin is not None
            self._process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout_s: float | None = None) -> Any:
        """Send a request and return its result (an error response raises LspError)."""
        return self.reply(self.send_request(method, params), timeout_s)

    def send_request(self, method: str, params: Any) -> int:
        """Send a request without waiting; :meth:`reply` waits for the answer to its id."""
        request_id = next(self._ids)
        self._requests[request_id] = method
        self._send({"id": request_id, "method": method, "params": params})
        return request_id

    def reply(self, request_id: int, timeout_s: float | None = None) -> Any:
        """The result of an earlier request (an error response raises LspError)."""
        method = self._requests.pop(request_id, "request")
        response = self._wait(
            lambda: self._responses.pop(request_id, None), f"a reply to {method}", timeout_s
        )
        if "error" in response:
            raise LspError(f"{method} failed: {response['error']}")
        return response.get("result")

    def initialize(
        self, root: Path, initialization_options: Any = None, capabilities: Message | None = None
    ) -> Any:
        """The handshake every editor starts with; ``capabilities`` are merged into a plain
        client's. Returns the server's capabilities."""
        plain_client = {
            "general": {"positionEncodings": ["utf-16"]},
            "textDocument": {
                "publishDiagnostics": {"versionSupport": True},
                "codeAction": {
                    "codeActionLiteralSupport": {
                        "codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}
                    }
                },
                "synchronization": {"didSave": True},
            },
        }
        result = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": merged(plain_client, capabilities or {}),
                "initializationOptions": initialization_options,
            },
        )
        self.notify("initialized", {})
        return result["capabilities"]

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": version,
                    "text": text,
                }
            },
        )

    # -- receiving -------------------------------------------------------------------------

    def wait_for_diagnostics(
        self,
        uri: str,
        accept: Callable[[Message], bool] = lambda params: True,
        timeout_s: float | None = None,
    ) -> Message:
        """The params of the first not yet seen publishDiagnostics for ``uri`` that ``accept``s."""

        def match(params: Message) -> bool:
            return params["uri"] == uri and accept(params)

        return self.wait_for_notification("textDocument/publishDiagnostics", match, timeout_s)

    def wait_for_notification(
        self,
        method: str,
        accept: Callable[[Message], bool] = lambda params: True,
        timeout_s: float | None = None,
    ) -> Message:
        """Params of the first notification of ``method`` that ``accept``s. It is consumed, and
        so are the earlier ones of that method: later waits see only what came after it."""

        def find() -> Message | None:
            for index, message in enumerate(self._notifications):
                if message["method"] == method and accept(message.get("params")):
                    self._notifications[: index + 1] = [
                        m for m in self._notifications[:index] if m["method"] != method
                    ]
                    return message["params"]
            return None

        return self._wait(find, f"a {method} notification", timeout_s)

    def received(self, method: str) -> list[Message]:
        """Params of every ``method`` notification received so far, consumed or not."""
        self._pump(0)
        return [message["params"] for message in self.history if message["method"] == method]

    def _wait(self, find: Callable[[], Any], what: str, timeout_s: float | None) -> Any:
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LspError(
                    f"timed out waiting for {what}; server stderr:\n{self.stderr[-3000:]}"
                )
            self._pump(remaining)

    def _pump(self, timeout_s: float) -> None:
        """Sort at least one incoming message (waiting up to ``timeout_s``), then any others ready."""
        try:
            message = (
                self._inbox.get(timeout=timeout_s) if timeout_s > 0 else self._inbox.get_nowait()
            )
        except queue.Empty:
            return
        while True:
            if message is None:
                raise LspError(f"the server closed its output; stderr:\n{self.stderr[-3000:]}")
            self._sort(message)
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                return

    def _sort(self, message: Message) -> None:
        if "method" not in message:
            self._responses[message["id"]] = message
        elif "id" in message:
            self._answer_server_request(message)
        else:
            self._notifications.append(message)
            self.history.append(message)

    def _answer_server_request(self, message: Message) -> None:
        # Progress tokens, capability registration, configuration: accept, with no settings.
        result: Any = None
        if message["method"] == "workspace/configuration":
            result = [None for _ in message["params"]["items"]]
        self._send({"id": message["id"], "result": result})

    def _read_stdout(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        try:
            while True:
                length = None
                while True:
                    header = stream.readline()
                    if not header:
                        return
                    header = header.strip()
                    if not header:
                        break
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length is None:
                    continue
                self._inbox.put(json.loads(stream.read(length)))
        except (OSError, ValueError):
            return
        finally:
            self._inbox.put(None)

    def _drain_stderr(self) -> None:
        stream = self._process.stderr
        assert stream is not None
        try:
            for line in iter(stream.readline, b""):
                self._stderr.append(line)
        except (OSError, ValueError):
            return


def merged(base: Message, extra: Message) -> Message:
    """``base`` with ``extra`` merged in, nested dictionaries key by key."""
    result = dict(base)
    for key, value in extra.items():
        result[key] = (
            merged(result[key], value)
            if isinstance(value, dict) and isinstance(result.get(key), dict)
            else value
        )
    return result


def utf16_offset(text: str, line: int, character: int) -> int:
    """Index into ``text`` of an LSP position (UTF-16 code units, the protocol's default)."""
    lines = _LINE.findall(text)
    start = sum(len(item) for item in lines[:line])
    if line >= len(lines):
        return len(text)
    units = 0
    for index, char in enumerate(lines[line]):
        if units >= character or char in "\r\n":
            return start + index
        units += 2 if ord(char) > 0xFFFF else 1
    return start + len(lines[line])


def apply_text_edits(text: str, edits: Sequence[Message]) -> str:
    """``text`` with LSP TextEdits (ranges in the original text, not overlapping) applied."""
    spans = []
    for edit in edits:
        start, end = edit["range"]["start"], edit["range"]["end"]
        spans.append(
            (
                utf16_offset(text, start["line"], start["character"]),
                utf16_offset(text, end["line"], end["character"]),
                edit["newText"],
            )
        )
    for start, end, new_text in sorted(spans, reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


def env_running_first(env: dict, directory: Path, code: str) -> dict:
    """``env`` with ``code`` run at the start of every Python process (as ``sitecustomize``):
    in the server and in its worker processes alike, to patch what they import."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(code)
    paths = [str(directory), env.get("PYTHONPATH", "")]
    return {**env, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}
