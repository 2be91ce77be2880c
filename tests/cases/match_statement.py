"""match statements: Python 3.10 syntax, left out of the case files on older Pythons."""
import torch


def match_statement(model, x, command):
    match command:
        case "eval":
            model.eval()
        case "train":
            model.train()
    return model(x)  # expect: NG001


def match_case_body(model, x, command):
    model.eval()
    match command:
        case {"input": data} if data is not None:
            return model(data)  # expect: NG001:20
        case _:
            with torch.no_grad():
                return model(x)
