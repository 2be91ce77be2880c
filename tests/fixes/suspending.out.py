import torch


def stream(model, batches):
    model.eval()
    for batch in batches:
        with torch.no_grad():
            features = model(batch)
        yield features
        logits = model(batch); yield logits
    for out in model(batches):
        yield out


async def serve(model, queue):
    model.eval()
    request = await queue.get()
    with torch.no_grad():
        reply = model(request)
    pair = [model(request), await queue.get()]
    async with model(request) as session:
        await session.flush()
    return reply, pair
