"""PyTorch references for the lessons: the post "Transfer learning with PyTorch" run step by step (the `lessons`
subcommand of Fixtures/generate_references.py).

`generate_lessons(out, seed, argv)` writes `Fixtures/references/lessons.h5`: one group per lesson (`01-load`,
`02-freeze`, `03-customize`, `04-train`, `05-evaluate`), each holding what the post's code produces on the
EMBEDDED pretrained model (`Fixtures/models/resnet18_w12_digits_source.pth`) and data (`Fixtures/data/target`),
and what its common mistakes produce, so that the Swift lessons can compare and the grader can recognise them.
The layout is specified in Fixtures/references/LESSONS.md.

Every computed float dataset carries `float64_error`: the largest |float32 value - the same computation in
float64| (the float64 twin starts from the same float32 weights and inputs cast to float64). Execution is CPU,
float32, single-threaded and deterministic; the same pinned versions give the same bytes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import platform
import shlex
import time
import traceback
from pathlib import Path

import h5py
import numpy as np
import PIL
import sklearn
import torch
import torchvision
from PIL import Image
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from torch import nn, optim
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.transforms import Compose, Normalize, ToTensor

from tlref.h5write import attribute_value, open_for_writing, replace_atomically, write_tensor
from tlref.portable import symmetric
from tlref.resnets import resnet
from tlref.traces import _ForwardRecorder

SCHEMA_VERSION = 1
GENERATOR = "Fixtures/generate_references.py"
FIXTURES = Path(__file__).resolve().parent.parent
DATA = FIXTURES / "data"
TARGET = DATA / "target"
CHECKPOINT = FIXTURES / "models" / "resnet18_w12_digits_source.pth"
BASE_WIDTH = 12
FEATURES = BASE_WIDTH * 8
"""fc's in_features: 96."""
CLASSES = 5
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

LR, MOMENTUM = 0.001, 0.9
TRAIN_BATCH = 5
EPOCHS = 5
RECORDED_STEPS = 3
"""K: the optimizer steps after which the parameters and changed buffers are stored (steps/1 .. steps/K)."""
EVAL_BATCH = 64
"""05-evaluate's batch size. It matters in train mode, where batch norm normalises with each batch's statistics."""
BN_BATCH = 5
"""02-freeze's batch-norm demonstration: the first BN_BATCH images of target/train (= 04-train's first batch)."""
BN_SHOWN = ("bn1", "layer4.1.bn2")
CUSTOMIZE_NS = (1, 2, 3)
UNFREEZE_LAYERS = 2
"""The post's `unfreeze_layers` value in `model.layer[-unfreeze_layers:]`."""

MAX_FULL_ELEMENTS = 4_096
"""In grads/, steps/ and mistakes/no_zero_grad/, a tensor with more elements (layer4's five convolution weights,
4,608 to 82,944 elements) is stored as its first SUBSET_ROWS rows along dim 0. In final/ such a tensor is stored
in full, as its difference from the checkpoint (final_delta/): float32 weights that moved a little compress about
8x better as a difference (1.1 MB -> 0.19 MB)."""
SUBSET_ROWS = 4

EXERCISE_LABELS = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
EXERCISE_PREDICTIONS = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1]
"""05-evaluate/exercise: 12 hand-made labels over 3 classes; class 2 is never predicted (precision 0/0 -> 0)."""


# ----------------------------------------------------------------------------------------------------- writing

def _attributes(node: h5py.HLObject, attributes: dict[str, object]) -> None:
    """Attributes in sorted key order (h5write's types: str, int64, float64, int64 array)."""
    for key in sorted(attributes):
        node.attrs[key] = attribute_value(attributes[key])


class _Writer:
    """Creates groups on demand (no timestamps) and writes checked float32/int64 datasets with float64_error."""

    def __init__(self, file: h5py.File) -> None:
        self.file = file

    def group(self, path: str, attributes: dict[str, object] | None = None) -> h5py.Group:
        node: h5py.Group = self.file
        for part in path.split("/"):
            node = node[part] if part in node else node.create_group(part, track_times=False)
        if attributes:
            _attributes(node, attributes)
        return node

    def tensor(self, path: str, tensor: torch.Tensor, twin: torch.Tensor | None = None, *,
               subset: bool = False, attributes: dict[str, object] | None = None) -> None:
        """Writes `tensor` at `path`. A float32 one gets `float64_error` = max |tensor - twin| (0 without a twin:
        a copied input). With `subset`, a tensor of more than MAX_FULL_ELEMENTS elements is stored as its first
        SUBSET_ROWS rows, with `full_shape`, `stored_rows`, `full_l2_norm` and `full_l2_norm_float64_error`;
        its float64_error is then the maximum over the FULL tensor."""
        folder, _, name = path.rpartition("/")
        group = self.group(folder)
        if tensor.dtype not in (torch.float32, torch.int64):
            raise ValueError(f"{path}: dtype {tensor.dtype}, expected float32 or int64")
        if not torch.isfinite(tensor.to(torch.float64)).all():
            raise ValueError(f"{path}: holds a non-finite value")
        if twin is not None and twin.shape != tensor.shape:
            raise ValueError(f"{path}: twin shape {tuple(twin.shape)} differs from {tuple(tensor.shape)}")
        extra: dict[str, object] = dict(attributes or {})
        stored = tensor
        if tensor.dtype == torch.float32:
            twin64 = tensor.to(torch.float64) if twin is None else twin.to(torch.float64)
            extra["float64_error"] = float((tensor.to(torch.float64) - twin64).abs().max()) if tensor.numel() else 0.0
            if subset and tensor.numel() > MAX_FULL_ELEMENTS:
                stored = tensor[:SUBSET_ROWS]
                norm = float(tensor.to(torch.float64).norm())
                extra.update(full_shape=list(tensor.shape), stored_rows=SUBSET_ROWS, full_l2_norm=norm,
                             full_l2_norm_float64_error=abs(norm - float(twin64.norm())))
        write_tensor(group, name, stored.detach().clone())
        _attributes(group[name], extra)

    def link(self, path: str, target: str) -> None:
        """An HDF5 hard link: `path` names the same dataset as `target`."""
        folder, _, name = path.rpartition("/")
        self.group(folder)[name] = self.file[target]


def _lines(names) -> str:
    return "\n".join(names)


def _shape(tensor: torch.Tensor) -> str:
    return "[" + ", ".join(str(size) for size in tensor.shape) + "]"


def _exception(error: BaseException) -> dict[str, str]:
    return {"type": type(error).__name__, "message": str(error),
            "display": "".join(traceback.format_exception_only(type(error), error)).strip()}


# -------------------------------------------------------------------------------------------------- the model

def _normalisation() -> tuple[list[float], list[float]]:
    dataset = json.loads((DATA / "dataset.json").read_text(encoding="utf-8"))
    mean, std = dataset["normalize"]["mean"], dataset["normalize"]["std"]
    if mean != [0.3057] * 3 or std != [0.327] * 3:
        raise ValueError(f"dataset.json normalize changed: mean {mean}, std {std}; update LESSONS.md")
    return mean, std


MEAN, STD = _normalisation()
TRANSFORM = Compose([ToTensor(), Normalize(MEAN, STD)])
"""The model's own preprocessing (the post's `transforms.Compose([..., ToTensor(), Normalize(mean, std)])`)."""


def pretrained() -> nn.Module:
    """The post's "load the pretrained model": build the architecture, load the embedded state dict."""
    model = resnet("resnet18", CLASSES, base_width=BASE_WIDTH)
    model.load_state_dict(torch.load(CHECKPOINT, weights_only=True))
    return model


def new_head(seed: int) -> nn.Linear:
    """`nn.Linear(96, 5)` with the portable rule of tlref/portable.py (the same distribution as PyTorch's default
    U(-1/sqrt(96), 1/sqrt(96))): weight = stream "fc.weight", bias = stream "fc.bias" under `seed`,
    `(u*2 - 1) * float32(1/sqrt(96))` in float32, row-major."""
    head = nn.Linear(FEATURES, CLASSES)
    bound = 1.0 / math.sqrt(FEATURES)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(symmetric("fc.weight", seed, (CLASSES, FEATURES), bound)))
        head.bias.copy_(torch.from_numpy(symmetric("fc.bias", seed, (CLASSES,), bound)))
    return head


def freeze_then_replace(seed: int) -> nn.Module:
    """The post's order: every parameter requires_grad False, THEN a new (trainable) fc."""
    model = pretrained()
    for parameter in model.parameters():
        parameter.requires_grad = False
    model.fc = new_head(seed)
    return model


def _trainable(model: nn.Module) -> list[str]:
    return [name for name, parameter in model.named_parameters() if parameter.requires_grad]


def _counts(model: nn.Module) -> dict[str, object]:
    trainable = [p for p in model.parameters() if p.requires_grad]
    frozen = [p for p in model.parameters() if not p.requires_grad]
    return {"trainable_count": sum(p.numel() for p in trainable), "frozen_count": sum(p.numel() for p in frozen),
            "trainable_tensors": len(trainable), "frozen_tensors": len(frozen),
            "trainable_names": _lines(_trainable(model))}


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in model.state_dict().items()}


# --------------------------------------------------------------------------------------------------- the data

def _folder(split: str, transform=TRANSFORM) -> ImageFolder:
    return ImageFolder(str(TARGET / split), transform=transform)


def _relative(path: str) -> str:
    return Path(path).relative_to(DATA).as_posix()


def _preprocess64(paths: list[str]) -> torch.Tensor:
    """The float64 twin of ToTensor + Normalize: PIL RGB bytes / 255, minus mean, over std, all in float64."""
    images = []
    for path in paths:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
        images.append(torch.from_numpy(pixels).permute(2, 0, 1))
    batch = torch.stack(images)
    mean = torch.tensor(MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)
    return (batch - mean) / std


def _batches(folder: ImageFolder, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The post's DataLoader without shuffling: ImageFolder order, the last batch possibly short."""
    return [(inputs, labels) for inputs, labels in DataLoader(folder, batch_size=batch_size, shuffle=False)]


def _twin(model: nn.Module) -> nn.Module:
    return copy.deepcopy(model).to(torch.float64)


# ------------------------------------------------------------------------------------------------- 01-load

def record_load(w: _Writer, seed: int) -> None:
    model = pretrained()
    state = model.state_dict()
    val = _folder("val")
    path, label = val.samples[0]
    image = val[0][0].unsqueeze(0)
    image64 = _preprocess64([path])
    model.eval()
    twin = _twin(model)

    recorders = []
    logits = {}
    for net, x in ((model, image), (twin, image.to(torch.float64))):
        recorder = _ForwardRecorder(None)
        handles = recorder.attach(net)
        with torch.no_grad():
            logits[net is twin] = net(x)
        for handle in handles:
            handle.remove()
        recorders.append(recorder)
    logits32, logits64 = logits[False], logits[True]
    probabilities = torch.softmax(logits32, dim=1)
    predicted = logits32.argmax(dim=1)

    w.group("01-load", {
        "keys": _lines(f"{key}\t{_shape(value)}" for key, value in state.items()),
        "state_dict_entries": len(state),
        "parameter_count": sum(p.numel() for p in model.parameters()),
        "parameter_tensors": len(list(model.parameters())),
        "buffer_count": sum(b.numel() for b in model.buffers()),
        "image": _relative(path), "label": label, "label_class": val.classes[label],
        "model_classes": _lines(json.loads(CHECKPOINT.with_suffix(".json").read_text(encoding="utf-8"))["classes"]),
        "checkpoint": CHECKPOINT.relative_to(FIXTURES.parent).as_posix(),
        "preprocessing": f"ImageFolder loader (PIL convert('RGB')) -> ToTensor() -> Normalize(mean={MEAN}, std={STD})",
        "mode": "eval, torch.no_grad()",
    })
    w.tensor("01-load/input", image, image64)
    w.tensor("01-load/logits", logits32, logits64)
    w.tensor("01-load/softmax", probabilities, torch.softmax(logits64, dim=1))
    w.tensor("01-load/predicted", predicted)

    ours, theirs = recorders
    w.group("01-load/activations", {"calls": ours.calls})
    written: dict[bytes, str] = {}
    for key in sorted(ours.outputs):
        tensor = ours.outputs[key]
        identity = repr((tuple(tensor.shape), tensor.dtype)).encode() + tensor.contiguous().numpy().tobytes()
        if identity in written:
            w.link(f"01-load/activations/{key}", f"01-load/activations/{written[identity]}")
        else:
            w.tensor(f"01-load/activations/{key}", tensor, theirs.outputs[key])
            written[identity] = key

    # Mistakes. (1) Forgot model.eval(): a single image cannot even run in train mode, layer4's batch norm sees
    # one value per channel. So train mode is recorded on a batch: the first image of each class of target/val.
    single = copy.deepcopy(model).train()
    try:
        with torch.no_grad():
            single(image)
        raise AssertionError("train-mode forward of one 32x32 image unexpectedly succeeded")
    except ValueError as error:
        single_error = _exception(error)
    firsts = [next(i for i, (_, c) in enumerate(val.samples) if c == k) for k in range(CLASSES)]
    batch = torch.stack([val[i][0] for i in firsts])
    batch64 = batch.to(torch.float64)
    with torch.no_grad():
        train_model, train_twin = copy.deepcopy(model).train(), copy.deepcopy(twin).train()
        train_logits, train_logits64 = train_model(batch), train_twin(batch64)
        batch_eval, batch_eval64 = model(batch), twin(batch64)
    with Image.open(path) as opened:
        rgb = opened.convert("RGB")
    raw = ToTensor()(rgb).unsqueeze(0)
    imagenet = Compose([ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD)])(rgb).unsqueeze(0)
    with torch.no_grad():
        raw_logits, raw_logits64 = model(raw), twin(raw.to(torch.float64))
        imagenet_logits, imagenet_logits64 = model(imagenet), twin(imagenet.to(torch.float64))
    w.group("01-load/mistakes", {
        "train_mode_single_image_exception_type": single_error["type"],
        "train_mode_single_image_exception_message": single_error["message"],
        "batch_images": _lines(_relative(val.samples[i][0]) for i in firsts),
        "batch_labels": [val.samples[i][1] for i in firsts],
        "imagenet_mean": str(list(IMAGENET_MEAN)), "imagenet_std": str(list(IMAGENET_STD)),
    })
    w.tensor("01-load/mistakes/train_mode_logits", train_logits, train_logits64)
    w.tensor("01-load/mistakes/train_mode_predicted", train_logits.argmax(dim=1))
    w.tensor("01-load/mistakes/batch_eval_logits", batch_eval, batch_eval64)
    w.tensor("01-load/mistakes/batch_eval_predicted", batch_eval.argmax(dim=1))
    w.tensor("01-load/mistakes/unnormalized_logits", raw_logits, raw_logits64)
    w.tensor("01-load/mistakes/unnormalized_predicted", raw_logits.argmax(dim=1))
    w.tensor("01-load/mistakes/imagenet_normalized_logits", imagenet_logits, imagenet_logits64)
    w.tensor("01-load/mistakes/imagenet_normalized_predicted", imagenet_logits.argmax(dim=1))

    print(f"01-load: {len(state)} state_dict entries, {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{_relative(path)} (label {label}) -> predicted {int(predicted)} "
          f"(p = {float(probabilities.max()):.4f}), logits {[round(v, 4) for v in logits32[0].tolist()]}; "
          f"{ours.calls} module calls, {len(written)} distinct activations")
    print(f"  mistakes: one image in train mode -> {single_error['type']}: {single_error['message']}")
    print(f"  train-mode batch predicted {train_logits.argmax(1).tolist()} vs eval {batch_eval.argmax(1).tolist()} "
          f"(labels {[val.samples[i][1] for i in firsts]}); unnormalized -> {int(raw_logits.argmax())}, "
          f"ImageNet-normalized -> {int(imagenet_logits.argmax())}")


# ----------------------------------------------------------------------------------------------- 02-freeze

def record_freeze(w: _Writer, seed: int) -> None:
    model = freeze_then_replace(seed)
    counts = _counts(model)
    w.group("02-freeze", {**counts, "keys": _lines(f"{k}\t{_shape(v)}" for k, v in model.state_dict().items()),
                          "frozen_names": _lines(n for n, p in model.named_parameters() if not p.requires_grad)})
    wrong = pretrained()
    wrong.fc = new_head(seed)
    for parameter in wrong.parameters():
        parameter.requires_grad = False
    wrong_counts = _counts(wrong)
    w.group("02-freeze/wrong_order", wrong_counts)

    train = _folder("train")
    inputs = torch.stack([train[i][0] for i in range(BN_BATCH)])
    before = _state(model)
    runs = {}
    for mode in ("train", "eval"):
        for dtype in (torch.float32, torch.float64):
            net = copy.deepcopy(model).to(dtype)
            net.train(mode == "train")
            net(inputs.to(dtype))  # as in a training loop: no no_grad, no backward
            runs[mode, dtype] = _state(net)
    changed = {mode: [key for key in before if not torch.equal(runs[mode, torch.float32][key], before[key])]
               for mode in ("train", "eval")}
    w.group("02-freeze/batchnorm", {
        "images": _lines(_relative(train.samples[i][0]) for i in range(BN_BATCH)),
        "changed_by_train_forward": _lines(changed["train"]), "changed_by_eval_forward": _lines(changed["eval"]),
        "changed_by_train_forward_count": len(changed["train"]),
        "changed_by_eval_forward_count": len(changed["eval"]),
        "requires_grad_true_count": counts["trainable_count"], "momentum": 0.1})
    for bn in BN_SHOWN:
        for leaf in ("running_mean", "running_var", "num_batches_tracked"):
            key = f"{bn}.{leaf}"
            w.tensor(f"02-freeze/batchnorm/before/{key}", before[key])
            for mode in ("train", "eval"):
                w.tensor(f"02-freeze/batchnorm/after_{mode}/{key}", runs[mode, torch.float32][key],
                         runs[mode, torch.float64][key] if leaf != "num_batches_tracked" else None)
    after_train = runs["train", torch.float32]
    moved = (after_train["bn1.running_mean"] - before["bn1.running_mean"]).abs().max()
    print(f"02-freeze: trainable {counts['trainable_count']} in {counts['trainable_tensors']} tensors "
          f"({counts['trainable_names'].replace(chr(10), ', ')}), frozen {counts['frozen_count']:,} in "
          f"{counts['frozen_tensors']} tensors; wrong order (replace, then freeze): trainable "
          f"{wrong_counts['trainable_count']}")
    print(f"  batch norm, all parameters frozen: a train-mode forward changed {len(changed['train'])} state_dict "
          f"entries (bn1.running_mean by up to {float(moved):.4g}, bn1.num_batches_tracked "
          f"{int(before['bn1.num_batches_tracked'])} -> {int(after_train['bn1.num_batches_tracked'])}); "
          f"an eval-mode forward changed {len(changed['eval'])}")


# -------------------------------------------------------------------------------------------- 03-customize

def _blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(f"{layer}.{index}", block) for layer in ("layer1", "layer2", "layer3", "layer4")
            for index, block in enumerate(getattr(model, layer))]


def _selection(model: nn.Module, interpretation: str, n: int | None) -> list[tuple[str, object]]:
    """(name, module or parameter) the interpretation unfreezes; see LESSONS.md."""
    if interpretation == "children":
        return list(model.named_children())[-n:]
    if interpretation == "blocks":
        return _blocks(model)[-n:]
    if interpretation == "tensors":
        return list(model.named_parameters())[-n:]
    if interpretation == "layer4_fc":
        return [("layer4", model.layer4), ("fc", model.fc)]
    raise ValueError(interpretation)


def record_customize(w: _Writer, seed: int) -> None:
    post_error = embedded_error = None
    unfreeze_layers = UNFREEZE_LAYERS
    torchvision_model = torchvision.models.resnet18(weights=None, num_classes=CLASSES)
    for net in (torchvision_model, freeze_then_replace(seed)):
        try:
            for parameter in net.layer[-unfreeze_layers:].parameters():
                parameter.requires_grad = True
            raise AssertionError("model.layer unexpectedly exists")
        except AttributeError as error:
            if post_error is None:
                post_error = _exception(error)
            else:
                embedded_error = _exception(error)
    w.group("03-customize", {
        "code": "for param in model.layer[-unfreeze_layers:].parameters():\n    param.requires_grad = True",
        "unfreeze_layers": UNFREEZE_LAYERS,
        "exception_type": post_error["type"], "exception_message": post_error["message"],
        "exception_display": post_error["display"],
        "exception_message_embedded_model": embedded_error["message"],
        "python_version": platform.python_version(),
        "children": _lines(name for name, _ in freeze_then_replace(seed).named_children())})
    summary = []
    for interpretation in ("children", "blocks", "tensors", "layer4_fc"):
        for n in (CUSTOMIZE_NS if interpretation != "layer4_fc" else (None,)):
            model = freeze_then_replace(seed)
            selected = _selection(model, interpretation, n)
            for _, item in selected:
                for parameter in (item.parameters() if isinstance(item, nn.Module) else [item]):
                    parameter.requires_grad = True
            counts = _counts(model)
            path = f"03-customize/{interpretation}" + (f"/{n}" if n is not None else "")
            w.group(path, {**counts, "selected": _lines(name for name, _ in selected)})
            summary.append(f"{interpretation}{'' if n is None else f'/{n}'} {counts['trainable_count']:,}")
    print(f"03-customize: model.layer[-{UNFREEZE_LAYERS}:] -> {post_error['display']}")
    print("  trainable counts: " + ", ".join(summary))


# -------------------------------------------------------------------------------------------------- 04-train

def post_training_model(seed: int) -> nn.Module:
    """04's setting: freeze all, replace fc (portable head), unfreeze layer4; train mode."""
    model = freeze_then_replace(seed)
    for parameter in model.layer4.parameters():
        parameter.requires_grad = True
    return model.train()


def _train(seed: int, dtype: torch.dtype, batches: list, zero_grad: bool, epochs: int) -> dict:
    """The post's loop (zero_grad, forward, loss, backward, step per batch) in `dtype`; records step 1's
    logits, loss and grads, the state after steps 1..RECORDED_STEPS, every batch loss and the final state."""
    model = post_training_model(seed).to(dtype)
    initial = _state(model)
    trainable = _trainable(model)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=LR, momentum=MOMENTUM)
    record: dict = {"losses": [], "steps": [], "initial": initial, "trainable": trainable}

    def snapshot() -> tuple[dict[str, torch.Tensor], list[str]]:
        state = _state(model)
        kept = {key: value for key, value in state.items()
                if key in trainable or not torch.equal(value, initial[key])}
        return kept, [key for key in state if key not in kept]

    step = 0
    for _ in range(epochs):
        for inputs, labels in batches:
            step += 1
            if zero_grad:
                optimizer.zero_grad()
            outputs = model(inputs.to(dtype))
            loss = criterion(outputs, labels)
            loss.backward()
            if step == 1:
                record.update(logits=outputs.detach().clone(), loss=loss.detach().clone(),
                              grads={n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None},
                              without_grad=[n for n, p in model.named_parameters() if p.grad is None])
            optimizer.step()
            record["losses"].append(loss.detach().clone())
            if step <= RECORDED_STEPS:
                record["steps"].append(snapshot())
    record["final"] = snapshot()
    record["model"] = model
    return record


def record_train(w: _Writer, seed: int) -> nn.Module:
    train = _folder("train")
    batches = _batches(train, TRAIN_BATCH)
    # The no-zero_grad mistake needs only its first RECORDED_STEPS (= 3 = one epoch) steps.
    runs = {(zero, dtype): _train(seed, dtype, batches, zero, EPOCHS if zero else 1)
            for zero in (True, False) for dtype in (torch.float32, torch.float64)}
    run, twin = runs[True, torch.float32], runs[True, torch.float64]
    head = new_head(seed)
    losses = torch.stack(run["losses"])
    losses64 = torch.stack(twin["losses"])
    per_epoch = torch.tensor([float(np.mean([float(v) for v in losses[e * len(batches):(e + 1) * len(batches)]]))
                              for e in range(EPOCHS)], dtype=torch.float32)
    per_epoch64 = losses64.view(EPOCHS, len(batches)).mean(dim=1)
    paths = [path for path, _ in train.samples]
    w.group("04-train", {
        "lr": LR, "momentum": MOMENTUM, "batch_size": TRAIN_BATCH, "epochs": EPOCHS,
        "steps_per_epoch": len(batches), "recorded_steps": RECORDED_STEPS, "shuffle": 0,
        "images": _lines(_relative(p) for p in paths), "trainable_names": _lines(run["trainable"]),
        "trainable_count": sum(run["initial"][n].numel() for n in run["trainable"]),
        "head_init": "portable: fc.weight = stream 'fc.weight', fc.bias = stream 'fc.bias' under --seed, "
                     "(u*2 - 1) * float32(1/sqrt(96)) in float32 (tlref/portable.py symmetric)",
        "max_full_elements": MAX_FULL_ELEMENTS, "subset_rows": SUBSET_ROWS,
        "mode": "model.train() throughout; frozen batch norms still update their running statistics"})
    w.tensor("04-train/initial/fc.weight", head.weight.detach())
    w.tensor("04-train/initial/fc.bias", head.bias.detach())
    first_inputs, first_targets = batches[0]
    w.tensor("04-train/input", first_inputs, _preprocess64(paths[:TRAIN_BATCH]))
    w.tensor("04-train/target", first_targets)
    w.tensor("04-train/logits", run["logits"], twin["logits"])
    w.tensor("04-train/loss", run["loss"], twin["loss"])
    w.group("04-train/grads", {"params_without_grad": _lines(run["without_grad"])})
    for name, grad in run["grads"].items():
        w.tensor(f"04-train/grads/{name}", grad, twin["grads"][name], subset=True)

    def steps(prefix: str, ours: dict, theirs: dict, first: int, last: int) -> None:
        for k in range(first, last + 1):
            (state, unchanged), (state64, _) = ours["steps"][k - 1], theirs["steps"][k - 1]
            w.group(f"{prefix}/steps/{k}", {"unchanged": _lines(unchanged)})
            w.tensor(f"{prefix}/steps/{k}/loss", ours["losses"][k - 1], theirs["losses"][k - 1])
            for key, value in state.items():
                w.tensor(f"{prefix}/steps/{k}/{key}", value, state64[key] if value.is_floating_point() else None,
                         subset=True)

    steps("04-train", run, twin, 1, RECORDED_STEPS)
    w.tensor("04-train/loss_per_batch", losses, losses64)
    w.tensor("04-train/loss_per_epoch", per_epoch, per_epoch64)
    final, unchanged = run["final"]
    final64 = twin["final"][0]
    checkpoint = torch.load(CHECKPOINT, weights_only=True)
    large = [key for key, value in final.items() if value.numel() > MAX_FULL_ELEMENTS]
    w.group("04-train/final", {"unchanged": _lines(unchanged), "steps": EPOCHS * len(batches),
                               "in_final_delta": _lines(large)})
    for key, value in final.items():
        if key not in large:
            w.tensor(f"04-train/final/{key}", value, final64[key] if value.is_floating_point() else None)
    w.group("04-train/final_delta", {"rule": "final = float32(checkpoint + delta), element-wise, checkpoint = "
                                             + CHECKPOINT.name})
    worst = 0.0
    for key in large:
        delta = final[key] - checkpoint[key]
        rebuilt = checkpoint[key] + delta
        error = float((rebuilt.to(torch.float64) - final[key].to(torch.float64)).abs().max())
        worst = max(worst, error)
        if error > 1e-9:
            raise AssertionError(f"final_delta/{key}: checkpoint + delta is {error} from the final value")
        # float64_error: against the float64 run's final value minus the checkpoint.
        w.tensor(f"04-train/final_delta/{key}", delta, final64[key] - checkpoint[key].to(torch.float64),
                 attributes={"reconstruction_error": error,
                             "reconstruction_inexact_elements": int((rebuilt != final[key]).sum())})

    wrong, wrong64 = runs[False, torch.float32], runs[False, torch.float64]
    w.group("04-train/mistakes/no_zero_grad", {"code": "the post's loop without optimizer.zero_grad()"})
    steps("04-train/mistakes/no_zero_grad", wrong, wrong64, 2, 2)
    w.tensor("04-train/mistakes/no_zero_grad/steps/3/loss", wrong["losses"][2], wrong64["losses"][2])

    delta = (wrong["steps"][1][0]["fc.weight"] - run["steps"][1][0]["fc.weight"]).abs().max()
    print(f"04-train: {len(run['trainable'])} trainable tensors, "
          f"{sum(run['initial'][n].numel() for n in run['trainable']):,} parameters; first batch loss "
          f"{float(run['loss']):.6f}; step losses {[round(float(v), 6) for v in run['losses'][:RECORDED_STEPS]]}")
    print(f"  loss per epoch {[round(v, 5) for v in per_epoch.tolist()]}; {len(run['without_grad'])} frozen "
          f"parameters without grad; final state: {len(final)} entries ({len(large)} of them in final_delta/)")
    print(f"  no zero_grad: step 3 loss {float(wrong['losses'][2]):.6f} (correct {float(run['losses'][2]):.6f}), "
          f"fc.weight after step 2 differs by up to {float(delta):.3g}")
    return run["model"]


# ----------------------------------------------------------------------------------------------- 05-evaluate

def _metrics(w: _Writer, prefix: str, labels: np.ndarray, predictions: np.ndarray, classes: int) -> dict:
    """sklearn's metrics (float64), stored as float32 with float64_error = the float32 rounding."""
    values: dict[str, np.ndarray] = {}
    per_class = precision_recall_fscore_support(labels, predictions, labels=list(range(classes)), zero_division=0)
    for name, value in zip(("precision", "recall", "f1", "support"), per_class):
        values[name] = np.asarray(value)
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(labels, predictions, labels=list(range(classes)),
                                                     average=average, zero_division=0)
        values.update({f"{average}_precision": np.float64(p), f"{average}_recall": np.float64(r),
                       f"{average}_f1": np.float64(f)})
    values["accuracy"] = np.float64(accuracy_score(labels, predictions))
    values["confusion_matrix"] = confusion_matrix(labels, predictions, labels=list(range(classes)))
    for name, value in values.items():
        if name in ("support", "confusion_matrix"):
            w.tensor(f"{prefix}/{name}", torch.from_numpy(np.asarray(value, dtype=np.int64)))
        else:
            as64 = torch.from_numpy(np.asarray(value, dtype=np.float64))
            w.tensor(f"{prefix}/{name}", as64.to(torch.float32), as64)
    return values


def _evaluate(model: nn.Module, batches: list, dtype: torch.dtype) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(inputs.to(dtype)) for inputs, _ in batches])


def record_evaluate(w: _Writer, final: nn.Module) -> None:
    val = _folder("val")
    batches = _batches(val, EVAL_BATCH)
    targets = torch.tensor(val.targets, dtype=torch.int64)
    final = copy.deepcopy(final).eval()
    twin = _twin(final).eval()
    logits, logits64 = _evaluate(final, batches, torch.float32), _evaluate(twin, batches, torch.float64)
    train_mode, train_mode64 = copy.deepcopy(final).train(), copy.deepcopy(twin).train()
    train_logits, train_logits64 = (_evaluate(train_mode, batches, torch.float32),
                                    _evaluate(train_mode64, batches, torch.float64))
    predicted, predicted_train = logits.argmax(dim=1), train_logits.argmax(dim=1)
    correct, correct_train = int((predicted == targets).sum()), int((predicted_train == targets).sum())
    w.group("05-evaluate", {
        "images": len(targets), "batch_size": EVAL_BATCH, "batches": len(batches),
        "last_batch": len(batches[-1][1]), "correct_eval": correct, "accuracy_eval": correct / len(targets),
        "correct_train": correct_train, "accuracy_train": correct_train / len(targets),
        "start": "04-train/final (the 04-train model after its 5 epochs)",
        "predicted_agree_with_float64": int((logits64.argmax(1) == predicted).all()),
        "predicted_train_agree_with_float64": int((train_logits64.argmax(1) == predicted_train).all())})
    w.tensor("05-evaluate/targets", targets)
    w.tensor("05-evaluate/logits_eval", logits, logits64)
    w.tensor("05-evaluate/predicted_eval", predicted)
    w.tensor("05-evaluate/logits_train", train_logits, train_logits64)
    w.tensor("05-evaluate/predicted_train", predicted_train)
    metrics = _metrics(w, "05-evaluate/metrics", targets.numpy(), predicted.numpy(), CLASSES)
    metrics_train = _metrics(w, "05-evaluate/metrics_train", targets.numpy(), predicted_train.numpy(), CLASSES)
    w.group("05-evaluate/metrics", {"predictions": "predicted_eval", "zero_division": 0})
    w.group("05-evaluate/metrics_train", {"predictions": "predicted_train", "zero_division": 0})

    labels, predictions = np.asarray(EXERCISE_LABELS), np.asarray(EXERCISE_PREDICTIONS)
    w.group("05-evaluate/exercise", {"classes": 3, "zero_division": 0})
    w.tensor("05-evaluate/exercise/labels", torch.from_numpy(labels.astype(np.int64)))
    w.tensor("05-evaluate/exercise/predictions", torch.from_numpy(predictions.astype(np.int64)))
    exercise = _metrics(w, "05-evaluate/exercise", labels, predictions, 3)

    print(f"05-evaluate: eval mode {correct}/{len(targets)} = {correct / len(targets):.4f}; train mode (batches "
          f"of {EVAL_BATCH}, ImageFolder order) {correct_train}/{len(targets)} = {correct_train / len(targets):.4f}")
    print(f"  eval-mode precision {np.round(metrics['precision'], 4).tolist()}, recall "
          f"{np.round(metrics['recall'], 4).tolist()}; macro P/R/F1 {metrics['macro_precision']:.4f} / "
          f"{metrics['macro_recall']:.4f} / {metrics['macro_f1']:.4f}; weighted F1 {metrics['weighted_f1']:.4f}")
    print(f"  train-mode macro P/R {metrics_train['macro_precision']:.4f} / {metrics_train['macro_recall']:.4f}")
    print(f"  confusion matrix (rows true, columns predicted): {metrics['confusion_matrix'].tolist()}")
    print(f"  exercise: confusion {exercise['confusion_matrix'].tolist()}, precision "
          f"{np.round(exercise['precision'], 4).tolist()}, recall {np.round(exercise['recall'], 4).tolist()}")


# ------------------------------------------------------------------------------------------------ the file

def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def root_attributes(seed: int, argv: list[str]) -> dict[str, object]:
    dataset = json.loads((DATA / "dataset.json").read_text(encoding="utf-8"))
    digests = dataset["tasks"]["target"]["sha256"]
    return {"schema_version": SCHEMA_VERSION, "generator": GENERATOR, "generator_args": shlex.join(argv),
            "torch_version": torch.__version__, "numpy_version": np.__version__, "h5py_version": h5py.__version__,
            "torchvision_version": torchvision.__version__, "sklearn_version": sklearn.__version__,
            "pillow_version": PIL.__version__, "python_version": platform.python_version(), "seed": seed,
            "kind": "lessons", "checkpoint": CHECKPOINT.relative_to(FIXTURES.parent).as_posix(),
            "checkpoint_sha256": _sha256(CHECKPOINT), "data": TARGET.relative_to(FIXTURES.parent).as_posix(),
            "data_sha256_train": digests["train"], "data_sha256_val": digests["val"],
            "normalize_mean": str(MEAN), "normalize_std": str(STD), "classes": _lines(_folder("val").classes)}


def generate_lessons(out: Path, seed: int, argv: list[str]) -> None:
    """The `lessons` subcommand: writes every lesson group to `out` (via `<out>.tmp`)."""
    started = time.perf_counter()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    temporary = out.with_name(out.name + ".tmp")
    with open_for_writing(temporary) as file:
        w = _Writer(file)
        _attributes(file, root_attributes(seed, argv))
        record_load(w, seed)
        record_freeze(w, seed)
        record_customize(w, seed)
        final = record_train(w, seed)
        record_evaluate(w, final)
    replace_atomically(temporary, out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes) in {time.perf_counter() - started:.1f} s")
