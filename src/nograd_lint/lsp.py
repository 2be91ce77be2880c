"""``nograd-lint lsp``: every rule as a language server over stdio (the optional extra ``lsp``).

This module only parses arguments and starts the server: pygls is imported when the
server starts, so the linter and its flake8 plugin never need it.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ._version import __version__

#: Packages of the ``lsp`` extra; a missing one gets an install hint instead of a traceback.
#: The hint always names pygls: lsprotocol comes with it, and without the extra both are
#: missing, lsprotocol first, a name users never asked for.
_LSP_PACKAGES = {"pygls", "lsprotocol"}
_PYGLS_REQUIREMENT = "pygls>=2.0"
_LOG_LEVELS = ("error", "warning", "info", "debug")


def install_hint() -> str:
    """The line printed when the server cannot start: what is missing and the command that
    installs it into the Python running nograd-lint (the extra is not on the index yet)."""
    import shlex  # only on this error path

    python = shlex.quote(sys.executable or "python")
    return (
        "nograd-lint lsp: needs pygls >= 2.0 (the 'lsp' extra), which this Python cannot "
        f"import; install it with: {python} -m pip install '{_PYGLS_REQUIREMENT}'"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nograd-lint lsp",
        description="Serve nograd-lint diagnostics and quick fixes to an editor over stdio "
        "(Language Server Protocol).",
    )
    parser.add_argument(
        "--debounce-ms",
        type=int,
        default=300,
        metavar="MS",
        help="quiet time after an edit before the buffer is linted again (default: 300)",
    )
    parser.add_argument(
        "--log-file",
        metavar="PATH",
        help="append the server's log to PATH, to debug an editor set-up (default: warnings "
        "and errors on stderr, which most editors show in their language-server log)",
    )
    parser.add_argument(
        "--log-level",
        choices=_LOG_LEVELS,
        default="info",
        help="how much --log-file gets; 'debug' includes every message exchanged (default: info)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _log_to(path: str, level: str) -> None:
    """Send the log of the server and of pygls to ``path``; a path that cannot be opened
    raises OSError."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())


def main(argv: list[str] | None = None) -> int:
    """Serve over stdin/stdout until the editor sends ``exit``; then 0 if it sent
    ``shutdown`` first and 1 if not, as the protocol specifies. 2 when pygls is missing
    or the log file cannot be opened."""
    options = build_parser().parse_args(argv)
    if options.log_file:
        try:
            _log_to(options.log_file, options.log_level)
        except OSError as error:
            print(f"nograd-lint lsp: cannot write the log file: {error}", file=sys.stderr)
            return 2
    try:
        from .lsp_server import create_server
    except ImportError as error:
        package = (error.name or "").split(".")[0]
        if package not in _LSP_PACKAGES:
            raise
        print(install_hint(), file=sys.stderr)
        return 2
    server = create_server(debounce_s=max(options.debounce_ms, 0) / 1000)
    try:
        server.start_io()
    finally:
        server.workers.close()
    if server.exit_code is not None:
        return server.exit_code
    return 0 if server.shut_down else 1  # the editor closed the pipe without ``exit``


if __name__ == "__main__":
    sys.exit(main())
