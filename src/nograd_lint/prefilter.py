"""A text test that rules out most files before anything is parsed.

Every NG001 finding needs a model put in eval mode in the same module, which the source
must spell as ``.eval()`` or ``.train(False)`` / ``.train(mode=False)`` / ``.train(0)``, or
as a call that returns an eval-mode model: ``.to_torchscript()``, or ``from_pretrained`` of a
class named like a model (``AutoModel``, ``UNet2DConditionModel``; ``analysis.catalog``).
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
from collections.abc import Iterator

from .analysis.catalog import (
    EVAL_COPY_METHODS,
    MODEL_METHODS,
    MODULE_BASE_NAMES,
    PRETRAINED_LOADERS,
    loads_eval_model,
)

#: What may stand between two tokens: blanks, newlines, ``\`` continuations, comments.
GAP = _GAP = r"(?:\s|\\|#[^\n]*\n)*"
#: ``(model.eval)()`` is an eval call too, hence the closing brackets before the call's.
_EVAL = re.compile(rf"\.{_GAP}eval{_GAP}(?:\){_GAP})*\(")
#: ``train`` with one argument that LibCST reads as a false literal, maybe parenthesised,
#: maybe given as ``mode=``, maybe with a trailing comma: ``False``, ``0``, ``0x0``, ``0_0``.
_TRAIN_FALSE = re.compile(
    rf"\.{_GAP}train{_GAP}(?:\){_GAP})*\({_GAP}(?:mode{_GAP}={_GAP})?(?:\({_GAP})*"
    rf"(?:False\b|0[xXoObB]?[0_]*(?![\w.]))"
)
_COPY_NAMES = tuple(sorted(EVAL_COPY_METHODS))
_EVAL_COPY = re.compile(rf"\.{_GAP}(?:{'|'.join(_COPY_NAMES)}){_GAP}(?:\){_GAP})*\(")
_LOADER_NAMES = tuple(sorted(PRETRAINED_LOADERS))
_LOADER_CALL = re.compile(rf"\.{_GAP}(?:{'|'.join(_LOADER_NAMES)}){_GAP}(?:\){_GAP})*\(")
#: The class name right before a loader's dot: ``AutoModel`` in ``(AutoModel\n).from_pretrained(``.
#: Looked for only in a window before each loader call: a pattern that starts with the class
#: name is tried at every identifier of the file, and cost seconds on diffusers.
_OWNER = re.compile(r"([A-Za-z_]\w*)(?:[\s\\)])*\Z")
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
MODEL_METHOD_CALL = _MODEL_METHOD = re.compile(
    rf"\.{_GAP}(?:{'|'.join(sorted(MODEL_METHODS))}){_GAP}(?:\){_GAP})*\("
)
_MODEL_WORDS = ("torch", *sorted(MODULE_BASE_NAMES), *_LOADER_NAMES)

#: Words without which no finding is possible, for a screen on raw bytes.
_BYTE_WORDS = tuple(
    word.encode()
    for word in ("eval", "train", *_COPY_NAMES, *_LOADER_NAMES, *_MODEL_WORDS, *MODEL_METHODS)
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
    return might_have_eval_findings(source) or might_keep_graphs(source)


def might_keep_graphs(source: str) -> bool:
    """False when ``source`` cannot hold an NG002 finding: no loop, or no model."""
    if "for" not in source and "while" not in source:
        return False
    if any(word in source for word in _MODEL_WORDS):
        return True
    return _MODEL_METHOD.search(source) is not None


def might_have_eval_findings(source: str) -> bool:
    """False when ``source`` cannot contain an NG001 finding."""
    if ".eval(" in source:
        return True
    if "eval" in source and _EVAL.search(source) is not None:
        return True
    if "train" in source and _TRAIN_FALSE.search(source) is not None:
        return True
    if any(name in source for name in _COPY_NAMES) and _EVAL_COPY.search(source) is not None:
        return True
    return any(name in source for name in _LOADER_NAMES) and any(
        owner is None or loads_eval_model(owner) for owner in _loader_owners(source)
    )
