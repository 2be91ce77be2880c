"""Suppression comments, as flake8 understands them."""


def suppressed(model, x):
    model.eval()
    a = model(x)  # noqa: NG001
    b = model(x)  # noqa
    c = model(x)  # NOQA:NG001
    d = model(x)  # noqa: NG
    e = model(x)  # noqa: E501  # expect: NG001:9
    f = model(x)  # noqa: NG002  # expect: NG001
    g = model(  # noqa: NG001
        x,
    )
    # flake8 reads noqa on the line a report starts on (physical lines inside brackets
    # are separate for it), so a comment on the closing line does not suppress:
    h = model(  # expect: NG001:9
        x,
    )  # noqa: NG001
    return a, b, c, d, e, f, g, h


def not_suppressed(model, x):
    model.eval()
    return model(x)  # expect: NG001
