"""Rule selection: ruff's semantics for select, extend-select and ignore."""

from __future__ import annotations

import pytest

from nograd_lint.selection import DEFAULT, Layer, SelectionError, enabled_codes, split_codes

ALL = frozenset({"NG001", "NG002", "NG003", "NG004"})
BUT_NG002 = ALL - {"NG002"}
BUT_NG001 = ALL - {"NG001"}


def test_default_is_every_default_rule() -> None:
    assert enabled_codes([]) == DEFAULT == ALL


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (Layer(select=("NG001",)), {"NG001"}),
        (Layer(select=("NG",)), ALL),
        (Layer(select=("NG00",)), ALL),
        (Layer(ignore=("NG002",)), BUT_NG002),
        (Layer(ignore=("NG",)), set()),
        # The most specific prefix wins, whichever list it is in.
        (Layer(select=("NG002",), ignore=("NG",)), {"NG002"}),
        (Layer(select=("NG",), ignore=("NG002",)), BUT_NG002),
        (Layer(extend_select=("NG002",), ignore=("NG00",)), {"NG002"}),
        # A tie goes to ignore.
        (Layer(select=("NG002",), ignore=("NG002",)), set()),
        (Layer(select=(), extend_select=("NG001",)), {"NG001"}),
    ],
)
def test_one_layer(layer: Layer, expected: set[str]) -> None:
    assert enabled_codes([layer]) == expected


def test_later_select_replaces_earlier_layers() -> None:
    config = Layer(select=("NG001",), ignore=("NG002",))
    assert enabled_codes([config, Layer(select=("NG002",))]) == {"NG002"}


def test_later_extend_select_and_ignore_build_on_earlier_layers() -> None:
    config = Layer(select=("NG001",))
    assert enabled_codes([config, Layer(extend_select=("NG002",))]) == {"NG001", "NG002"}
    assert enabled_codes([Layer(ignore=("NG001",)), Layer()]) == BUT_NG001
    assert enabled_codes([Layer(), Layer(ignore=("NG001",))]) == BUT_NG001


@pytest.mark.parametrize("bad", ["NG9", "E501", "ng001", "", "NG0021"])
def test_unknown_codes_are_refused(bad: str) -> None:
    with pytest.raises(SelectionError, match="unknown rule code or prefix"):
        Layer(select=(bad,))
    with pytest.raises(SelectionError):
        Layer(ignore=(bad,))


def test_split_codes() -> None:
    assert split_codes(["NG001, NG002", "NG", ""]) == ("NG001", "NG002", "NG")
