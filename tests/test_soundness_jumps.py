"""Soundness where control jumps and where the loop screen's narrower readings apply: each
snippet runs on every path (``findings_on_every_path``: the pre-filter, the screens and
pruning, flake8's tree) and must give the full analysis's findings, marked on its lines.

They come from an adversarial reading of the flow's handling of ``continue`` and ``break``
and of NG004's loop screen: a jump out of a ``torch.no_grad()`` block, a binding that hands
the eval state to another name (``list(model.children())[0]``, a method returning
``self``), a training step through a wrapper called at once, an eval call in an ``except``
type or a ``case`` guard, and names that the stdlib ``ast`` normalises but LibCST keeps as
written (a full-width letter in ``no_grad`` or ``train``).
"""

from __future__ import annotations

import pytest

from tests.test_soundness import findings_on_every_path
from tests.test_soundness_ng003_ng004 import expected

SNIPPETS: dict[str, str] = {
    "inner-train-between": """\
import torch
def fit(model, loader, opt, crit):
    for epoch in range(3):
        model.eval()
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        model.train()
""",
    "break-from-nograd": """\
import torch
def f(model, batches):
    model.eval()
    for x in batches:
        with torch.no_grad():
            if x:
                break
    return model(x)  # expect: NG001
""",
    "break-from-nograd-only": """\
import torch
def f(model, batches):
    model.eval()
    while True:
        with torch.no_grad():
            break
    return model(1)  # expect: NG001
""",
    "continue-from-nograd": """\
import torch
def f(model, batches):
    model.eval()
    for x in batches:
        model(x)  # expect: NG001
        with torch.no_grad():
            if x:
                continue
""",
    "train-flag": """\
import torch
def fit(model, loader, opt, crit, flag):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        model.eval()
        torch.save(model.state_dict(), 'p')
        model.train(flag)
""",
    "train-false": """\
import torch
def fit(model, loader, opt, crit, flag):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        model.eval()
        torch.save(model.state_dict(), 'p')
        model.train(False)  # expect: NG004
""",
    "ng004-continue-in-nograd": """\
import torch
def fit(model, loader, val, opt, crit, quick):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        with torch.no_grad():
            model.eval()  # expect: NG004
            for v in val:
                model(v)
            if quick:
                continue
        model.train()
""",
    "ng004-continue-outside-nograd": """\
import torch
def fit(model, loader, val, opt, crit, quick):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        model.eval()  # expect: NG004
        with torch.no_grad():
            for v in val:
                model(v)
        if quick:
            continue
        model.train()
""",
    "ng001-continue-nograd-maybe": """\
import torch
def f(model, batches):
    for x in batches:
        model(x)  # expect: NG001
        with torch.no_grad():
            model.eval()
            if x:
                continue
""",
    "ng001-break-infer": """\
import torch
def f(model, batches):
    model.eval()
    for x in batches:
        with torch.no_grad():
            y = model(x)
            if y is None:
                break
    out = model(batches[0])  # expect: NG001
    return out
""",
    "match-guard-eval": """\
import torch

def fit(model, loader, opt, crit, k):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        match k:
            case 1 if model.eval():  # expect: NG004
                pass
""",
    "match-guard-helper": """\
import torch

def evaluate(model, val):
    model.eval()
    return 1

def fit(model, loader, val, opt, crit, k):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        match k:
            case 1 if evaluate(model, val):  # expect: NG004
                pass
""",
    "except-type-helper": """\
import torch

def evaluate(model, val):
    model.eval()
    return ValueError

def fit(model, loader, val, opt, crit, k):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        try:
            k()
        except evaluate(model, val):  # expect: NG004
            pass
""",
    "dp-call": """\
import torch

from torch.nn import DataParallel
def fit(model, loader, opt, crit):
    for epoch in range(3):
        for x, y in loader:
            crit(DataParallel(model)(x), y).backward()
            opt.step()
        model.eval()  # expect: NG004
""",
    "subscript-children": """\
import torch

def fit(model, loader, opt, crit):
    sub = None
    for epoch in range(3):
        if sub is not None:
            for x, y in loader:
                crit(sub(x), y).backward()
                opt.step()
        model.eval()  # expect: NG004
        sub = list(model.children())[0]
        model.train()
""",
    "pretrained-in-loop": """\
import torch

from transformers import AutoModel
def fit(loader, opt, crit):
    m = None
    for epoch in range(3):
        if m is not None:
            for x, y in loader:
                crit(m(x), y).backward()
                opt.step()
        m = AutoModel.from_pretrained("x")
""",
    "while-test-eval": """\
import torch

def evaluate(model):
    model.eval()
    return 0.5
def fit(model, loader, opt, crit):
    while evaluate(model) < 0.9:
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
""",
    "ended-subscript-children": """\
import torch
import torch.nn as nn

def fit(model, loader, opt, crit):
    sub = None
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            if sub is not None:
                crit(sub(x), y).backward()
            opt.step()
        model.eval()  # expect: NG004
        sub = list(model.children())[0]
        model.train()
""",
    "ended-method-returns-self": """\
import torch
import torch.nn as nn

class Net(nn.Module):
    def me(self):
        return self

    def fit(self, loader, opt, crit):
        other = None
        for epoch in range(3):
            for x, y in loader:
                crit(self(x), y).backward()
                if other is not None:
                    crit(other(x), y).backward()
                opt.step()
            self.eval()  # expect: NG004
            other = self.me()
            self.train()
""",
    "ended-helper-returns-arg-kw": """\
import torch
import torch.nn as nn

def same(m=None):
    return m

def fit(model, loader, opt, crit):
    other = None
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            if other is not None:
                crit(other(x), y).backward()
            opt.step()
        model.eval()  # expect: NG004
        other = same(m=model)
        model.train()
""",
    "nfkc-no-grad-ng004": """\
import torch

def fit(model, loader, opt, crit):
    for epoch in range(3):
        for x, y in loader:
            with torch.\uff4eo_grad():
                crit(model(x), y).backward()
            opt.step()
        model.eval()  # expect: NG004
""",
    "nfkc-no-grad-ng001": """\
import torch

def f(model, x):
    model.eval()
    with torch.\uff4eo_grad():
        return model(x)  # expect: NG001
""",
    "plain-no-grad-ng004": """\
import torch

def fit(model, loader, opt, crit):
    for epoch in range(3):
        for x, y in loader:
            with torch.no_grad():
                crit(model(x), y).backward()
            opt.step()
        model.eval()
""",
    "nfkc-train": """\
import torch

def fit(model, loader, opt, crit):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        model.eval()  # expect: NG004
        model.\uff54rain()
""",
    "nfkc-receiver": """\
import torch

def fit(model, loader, opt, crit):
    for epoch in range(3):
        for x, y in loader:
            crit(model(x), y).backward()
            opt.step()
        model.eval()  # expect: NG004
        \uff4dodel.train()
""",
    "continue-in-finally": """\
import torch

def f(model, xs):
    for x in xs:
        try:
            model.eval()
        finally:
            continue
    return model(1)
""",
    "break-in-finally": """\
import torch

def f(model, xs):
    for x in xs:
        try:
            model(x)
        finally:
            model.eval()
            break
    return model(1)
""",
    "break-in-match": """\
import torch

def f(model, xs):
    for x in xs:
        match x:
            case 0:
                model.eval()
                break
            case _:
                continue
    return model(1)  # expect: NG001
""",
    "module-level-loop": """\
import torch

model = torch.nn.Linear(1, 1)
for x in range(3):
    if x:
        model.eval()
        break
model(1)  # expect: NG001
""",
    "while-else-break": """\
import torch

def f(model, xs):
    while xs:
        if xs.pop():
            model.eval()
            break
    else:
        model.train()
    return model(1)  # expect: NG001
""",
    "for-else-continue-outer": """\
import torch

def f(model, xs, ys):
    for x in xs:
        model(x)  # expect: NG001
        for y in ys:
            pass
        else:
            model.eval()
            continue
        model.train()
""",
    "async-for": """\
import torch

async def f(model, xs):
    async for x in xs:
        if x:
            model.eval()
            break
    return model(1)  # expect: NG001
""",
    "try-star": """\
import torch

def f(model, xs):
    for x in xs:
        try:
            model.eval()
            continue
        except* ValueError:
            pass
        finally:
            pass
    return model(1)
""",
    "continue-in-with-in-try-finally": """\
import torch

def f(model, xs):
    for x in xs:
        try:
            with torch.no_grad():
                model.eval()
                continue
        finally:
            model.train()
    return model(1)
""",
    "break-nested-def-loop": """\
import torch

def f(model, xs):
    for x in xs:
        def g():
            for y in xs:
                model.eval()
                break
        g()
        model(x)
""",
    # Handed on, the lambda may run at any time: it keeps the state where it is defined,
    # which the ``continue`` brings round in eval mode.
    "lambda-in-loop": """\
import torch

def f(model, xs, run):
    for x in xs:
        h = lambda: model(x)  # expect: NG001
        if x:
            model.eval()
            continue
        model.train()
        run(h)
""",
    # Only ever called, it runs where it is called: after ``train()``.
    "called-lambda-in-loop": """\
import torch

def f(model, xs):
    for x in xs:
        h = lambda: model(x)
        if x:
            model.eval()
            continue
        model.train()
        h()
""",
    "called-lambda-after-continue": """\
import torch

def f(model, xs):
    for x in xs:
        h = lambda: model(x)  # expect: NG001
        if x:
            model.eval()
            continue
        h()
""",
    "class-in-loop": """\
import torch

def f(model, xs):
    for x in xs:
        class A:
            for y in xs:
                model.eval()
                break
        model(x)
""",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_every_path_agrees(name: str) -> None:
    source = SNIPPETS[name]
    findings = findings_on_every_path(source)
    assert [(f.line, f.code) for f in findings] == expected(source), source
