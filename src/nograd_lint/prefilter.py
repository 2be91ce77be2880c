"""A text test that rules out most files before anything is parsed.

Every NG001 finding needs a model put in eval mode in the same module, which the source
must spell as a call of one of the catalog's mode setters that can mean eval mode
(``.eval()``, or ``.train(False)`` / ``.train(mode=False)`` / ``.train(0)``), or as a call
that returns an eval-mode model: ``.to_torchscript()``, or ``from_pretrained`` of a class
named like a model (``AutoModel``, ``UNet2DConditionModel``). The words and patterns below
are built from ``analysis.catalog``, never written out.
Only a few percent of the files of large PyTorch code bases contain any. Python allows
spaces, line continuations and (inside brackets) comments between the tokens, so the
common spelling is a substring test and the rest is a regular expression, tried only when
the words are there at all.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from collections.abc import Iterable, Iterator

from .analysis.catalog import (
    EVAL_COPY_METHODS,
    MODE_SETTERS,
    MODEL_METHODS,
    MODULE_BASE_NAMES,
    PRETRAINED_LOADERS,
    RETAIN_GRAPH_KEYWORD,
    Mode,
    loads_eval_model,
)
from .lazy_pattern import LazyPattern

#: What may stand between two tokens: blanks, newlines, ``\`` continuations, comments.
GAP = _GAP = r"(?:\s|\\|#[^\n]*\n)*"


def word(names: Iterable[str]) -> str:
    """Any of ``names`` (identifiers) as a whole word at its start, as ``\\b(?:a|b)`` means,
    but written as ``a(?<!\\wa)``: a pattern that starts with ``\\b`` is tried at every
    position of a text, one that starts with a word is looked for as a substring first."""
    escaped = sorted(map(re.escape, names))
    return "(?:" + "|".join(rf"{name}(?<!\w{name})" for name in escaped) + ")"


def _method_call(names: tuple[str, ...]) -> str:
    """``.name(``, with gaps; ``(model.eval)()`` is a call too, hence the closing brackets
    before the call's."""
    alternatives = "|".join(map(re.escape, names))
    return rf"\.{_GAP}(?:{alternatives}){_GAP}(?:\){_GAP})*\("


def _false_flag(keyword: str) -> str:
    """The one argument of a setter's call that LibCST reads as a false literal, maybe
    parenthesised, maybe given by ``keyword``, maybe with a trailing comma: ``False``,
    ``0``, ``0x0``, ``0_0``."""
    return (
        rf"{_GAP}(?:{re.escape(keyword)}{_GAP}={_GAP})?(?:\({_GAP})*"
        rf"(?:False\b|0[xXoObB]?[0_]*(?![\w.]))"
    )


#: Setters that mean eval mode when called without arguments (``.eval()``), and those that
#: mean it given a false flag (``.train(False)``): ``catalog.mode_set``.
_EVAL_SETTERS = tuple(sorted(s.method for s in MODE_SETTERS if s.default is Mode.EVAL))
_FLAG_SETTERS = tuple(sorted((s.method, s.flag) for s in MODE_SETTERS if s.flag is not None))
_EVAL_SUBSTRINGS = tuple(f".{name}(" for name in _EVAL_SETTERS)
_EVAL = LazyPattern(_method_call(_EVAL_SETTERS)) if _EVAL_SETTERS else None
_FLAG_FALSE = [
    (method, LazyPattern(_method_call((method,)) + _false_flag(flag)))
    for method, flag in _FLAG_SETTERS
]
#: A flag setter called on a module class (``nn.Module.train(model, False)``: its flag comes
#: second, after any expression; ``catalog.mode_set`` with ``on_class``), whatever its
#: arguments. Matched right after each mention of a class name: a search for the name in a
#: pattern cost a third of the whole pre-filter.
_AFTER_MODULE_CLASS = LazyPattern(
    rf"{_GAP}(?:\){_GAP})*" + _method_call(tuple(method for method, _ in _FLAG_SETTERS))
)
_COPY_NAMES = tuple(sorted(EVAL_COPY_METHODS))
_EVAL_COPY = LazyPattern(_method_call(_COPY_NAMES))
_LOADER_NAMES = tuple(sorted(PRETRAINED_LOADERS))
_LOADER_CALL = LazyPattern(_method_call(_LOADER_NAMES))
#: The class name right before a loader's dot: ``AutoModel`` in ``(AutoModel\n).from_pretrained(``.
#: Looked for only in a window before each loader call: a pattern that starts with the class
#: name is tried at every identifier of the file, and cost seconds on diffusers.
_OWNER = LazyPattern(r"([A-Za-z_]\w*)(?:[\s\\)])*\Z")
_OWNER_WINDOW = 200


def _loader_owners(source: str) -> Iterator[str | None]:
    """The class name of each ``X.from_pretrained(`` call; None where it cannot be read
    plainly (a comment between, a name too far back), which the caller counts as a model."""
    for call in _LOADER_CALL.finditer(source):
        start = max(0, call.start() - _OWNER_WINDOW)
        owner = _OWNER.search(source, start, call.start())
        if (
            owner is None
            or not (owner.start() > start or start == 0)
            or "#" in source[source.rfind("\n", 0, owner.start()) + 1 : owner.start()]
        ):
            yield None
        else:
            yield owner.group(1)


#: NG002 needs a loop (or comprehension) and a model, which ``values.model_names`` knows by
#: the methods only modules have, a class with a module base, ``torch.nn`` or a loader.
MODEL_METHOD_CALL = _MODEL_METHOD = LazyPattern(_method_call(tuple(sorted(MODEL_METHODS))))
_MODEL_WORDS = ("torch", *sorted(MODULE_BASE_NAMES), *_LOADER_NAMES)

#: Words without which no finding is possible, for a screen on raw bytes.
_BYTE_WORDS = tuple(
    word.encode()
    for word in (
        *_EVAL_SETTERS,
        *(m for m, _ in _FLAG_SETTERS),
        *_COPY_NAMES,
        *_LOADER_NAMES,
        *_MODEL_WORDS,
        *MODEL_METHODS,
        RETAIN_GRAPH_KEYWORD,
    )
)


#: Encodings in which every ASCII character is its own byte and no other character uses
#: bytes below 0x80: a word in the text is the same word in the bytes. Python also reads
#: source in encodings where it is not (``# coding: utf-7`` spells ``.eval(`` as
#: ``+AC4AZQB2AGEAbAAo-``), which are decoded first.
_ASCII_SAFE = frozenset(
    {"ascii", "utf-8", "utf-8-sig", "latin-1", "iso8859-1", *(f"iso8859-{n}" for n in range(2, 17))}
    | {f"cp{n}" for n in range(1250, 1259)}
)


def might_have_findings_in_bytes(data: bytes) -> bool:
    """A superset of :func:`might_have_findings` on undecoded bytes, in whatever encoding
    Python would read them; True when they cannot be decoded (the decoder says why)."""
    if any(word in data for word in _BYTE_WORDS):
        return True
    try:
        encoding = codecs.lookup(tokenize.detect_encoding(io.BytesIO(data).readline)[0]).name
        if encoding in _ASCII_SAFE:
            return False
        return might_have_findings(data.decode(encoding))
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return True


def might_have_findings(source: str) -> bool:
    """False when ``source`` cannot contain a finding; cheap enough for every file."""
    return (
        might_have_eval_findings(source) or might_keep_graphs(source) or might_retain_graphs(source)
    )


def might_retain_graphs(source: str) -> bool:
    """False when ``source`` cannot hold an NG003 finding: it never spells the keyword."""
    return RETAIN_GRAPH_KEYWORD in source


def might_keep_graphs(source: str) -> bool:
    """False when ``source`` cannot hold an NG002 finding: no loop, or no model."""
    if "for" not in source and "while" not in source:
        return False
    if any(word in source for word in _MODEL_WORDS):
        return True
    return _MODEL_METHOD.search(source) is not None


def might_have_eval_findings(source: str) -> bool:
    """False when ``source`` cannot contain an NG001 finding."""
    if might_set_eval_mode(source):
        return True
    if any(name in source for name in _COPY_NAMES) and _EVAL_COPY.search(source) is not None:
        return True
    return any(name in source for name in _LOADER_NAMES) and any(
        owner is None or loads_eval_model(owner) for owner in _loader_owners(source)
    )


def might_set_eval_mode(source: str) -> bool:
    """False when ``source`` spells no call of a mode setter that can mean eval mode: no
    NG004 finding, whose periods begin only at such calls."""
    if any(call in source for call in _EVAL_SUBSTRINGS):
        return True
    if (
        _EVAL is not None
        and any(name in source for name in _EVAL_SETTERS)
        and _EVAL.search(source) is not None
    ):
        return True
    if any(method in source and flag.search(source) is not None for method, flag in _FLAG_FALSE):
        return True
    return any(_calls_on_class(source, name) for name in MODULE_BASE_NAMES)


def _calls_on_class(source: str, name: str) -> bool:
    """A flag setter called on the class ``name`` (or on any name ending so)."""
    start = source.find(name)
    while start != -1:
        start += len(name)
        if _AFTER_MODULE_CLASS.match(source, start) is not None:
            return True
        start = source.find(name, start)
    return False
