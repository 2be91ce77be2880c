# Exported from a notebook: top-level cells, an aliased import, chained .to().eval().
import torch as T
import torchvision

device = "cuda" if T.cuda.is_available() else "cpu"
net = torchvision.models.resnet18(weights=None).to(device).eval()

images = T.randn(8, 3, 224, 224, device=device)
logits = net(images)
probs = logits.softmax(dim=1)

with T.inference_mode():
    top5 = net(images).topk(5)

embedding = net.forward(images)  # noqa: NG001 - kept on purpose: we fine-tune on it below
