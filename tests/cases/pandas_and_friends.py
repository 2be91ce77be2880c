"""Things called eval that are not nn.Module.eval."""
import numexpr
import pandas as pd

frame = pd.DataFrame({"a": [1, 2]})
result = frame.eval("a * 2")
frame.eval("b = a + 1", inplace=True)
frame(1)

query = frame.query("a > 1")
value = eval("1 + 1")
expression = numexpr.evaluate("2 * 3")


class Env:
    def eval(self, source):
        return source

    def __call__(self, x):
        return x


env = Env()
env.eval("x")
env(3)

sympy_expr = build_expr()
sympy_expr.evalf()
sympy_expr(1)


def torch_and_paddle_side_by_side(x):
    import paddle  # noqa: F401
    import torch

    net = torch.nn.Linear(2, 2).eval()
    return net(x)  # expect: NG001:12
