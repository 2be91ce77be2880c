"""Rebinding to a compiled, scripted or parallel wrapper keeps eval mode."""
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP


def scripted(model, x):
    model.eval()
    model = torch.jit.script(model)
    return model(x)  # expect: NG001


def compiled(model, x):
    model.eval()
    fast = torch.compile(model, mode="reduce-overhead")
    return fast(x)  # expect: NG001


def data_parallel(model, x):
    model.eval()
    model = nn.DataParallel(model).cuda()
    return model(x)  # expect: NG001


def distributed(model, x, rank):
    model.eval()
    model = DDP(model, device_ids=[rank])
    return model(x)  # expect: NG001


def traced(model, example):
    model.eval()
    traced_model = torch.jit.trace(model, example)
    return traced_model(example)  # expect: NG001


def scripted_then_frozen_under_no_grad(model, x):
    model.eval()
    model = torch.jit.freeze(torch.jit.script(model))
    with torch.no_grad():
        return model(x)


def other_function_result_is_not_a_model(model, x):
    model.eval()
    model = make_new(model)
    return model(x)


def called_through_a_wrapper_call(model, x, accelerator):
    model.eval()
    a = accelerator.unwrap_model(model)(x)  # expect: NG001:9
    b = torch.compile(model)(x)  # expect: NG001:9
    c = make_new(model)(x)
    return a, b, c


def ipex_optimised(model, x):
    import intel_extension_for_pytorch as ipex

    model = ipex.optimize(model.eval(), dtype=torch.bfloat16)
    return model(x)  # expect: NG001


def quantized(model, x):
    model.eval()
    qmodel = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    return qmodel(x)  # expect: NG001


def lightning_to_torchscript(model, x):
    # LightningModule.to_torchscript() returns an eval-mode script (documented), and leaves
    # the module itself in the mode it was in
    script = model.to_torchscript()
    out = script(x)  # expect: NG001
    traced = model.to_torchscript(method="trace").to("cpu")
    traced(x)  # expect: NG001
    model(x)
    with torch.no_grad():
        script(x)
    return out


def to_torchscript_then_train(model, x):
    script = model.to_torchscript()
    script.train()
    return script(x)


def hugging_face_from_pretrained(inputs, texts):
    # transformers' and diffusers' from_pretrained return models in eval mode (documented)
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")
    encoded = tokenizer(texts)  # a tokenizer, not a module
    model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased").to("cuda")
    out = model(**encoded)  # expect: NG001:11
    unet, loading_info = UNet2DConditionModel.from_pretrained("unet", output_loading_info=True)
    unet(inputs)  # expect: NG001
    pipe = StableDiffusionPipeline.from_pretrained("sd")
    image = pipe("a photo")  # a pipeline, not a module
    net = EfficientNet.from_pretrained("efficientnet-b0")  # not named like a Hugging Face model
    net(inputs)
    flax_encoder = FlaxCLIPTextModel.from_pretrained("clip")  # JAX: there is no autograd graph
    flax_encoder(inputs, train=False)
    tf_model = TFBertModel.from_pretrained("bert-base-uncased")  # TensorFlow, likewise
    tf_model(inputs)
    with torch.no_grad():
        model(**encoded)
    return out, image


def from_pretrained_then_fine_tuned(inputs, optimizer):
    model = AutoModel.from_pretrained("bert-base-uncased")
    loss = model(**inputs).loss
    loss.backward()
    optimizer.step()


def from_pretrained_then_train(inputs):
    model = AutoModel.from_pretrained("bert-base-uncased")
    model.train()
    return model(**inputs)


def eval_through_the_wrapper_name(model, x):
    # ``fast`` holds ``model`` itself: putting either in eval mode puts both.
    fast = torch.compile(model)
    fast.eval()
    return model(x)  # expect: NG001


def eval_of_the_module_after_wrapping(rank, x):
    model = build_model().to(rank)
    ddp = DDP(model, device_ids=[rank])
    model.eval()
    return ddp(x)  # expect: NG001


def train_through_the_wrapper_name(model, x):
    fast = torch.compile(model)
    model.eval()
    fast.train()
    return model(x)


def eval_of_a_copy(model, x):
    frozen = torch.jit.script(model)
    frozen.eval()
    return model(x)
