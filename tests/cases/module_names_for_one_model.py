"""A training script at module level: the wrapper and the module it holds are one model."""
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

model = build_model().cuda()
ddp_model = DDP(model, device_ids=[0])
optimizer = torch.optim.SGD(ddp_model.parameters(), lr=0.1)
ddp_model.train()
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(ddp_model(x), y)
        loss.backward()
        optimizer.step()
    model.eval()  # expect: NG004:5
    with torch.no_grad():
        accuracy = sum((model(x).argmax(1) == y).sum().item() for x, y in val_loader)

encoder = build_encoder()
fast_encoder = torch.compile(encoder)
fast_encoder.eval()
features = encoder(images)  # expect: NG001

# ``global`` in a function may bind ``head`` to another module: not one model any more.
head = build_head()
fast_head = torch.compile(head)


def replace_head():
    global head
    head = build_head()


fast_head.eval()
logits = head(features)
