"""Code that merely looks similar: nothing here is reported."""
import pandas as pd

df = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
total = df.eval("a + b")
df(1) if callable(df) else None

expression = "1 + 2"
result = eval(expression)
