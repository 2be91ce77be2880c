"""The two ways a file can fail to be analysed, in a module of their own: every front end
imports them, most runs never build a finding, and these cost nothing to import."""

from __future__ import annotations


class SourceError(Exception):
    """The source could not be analysed (undecodable, not Python, too deeply nested).

    ``str()`` is one line meant for people, e.g. ``syntax error at 3:7: ...``.
    """


class InternalError(SourceError):
    """The analysis failed on valid source: a bug in nograd-lint, reported like bad input so
    that one file never stops a whole run."""
