"""The embedded dataset, the embedded pretrained model and the measured premise (the `data` subcommand).

`generate_data(out, seed, argv)` writes, from scikit-learn's bundled handwritten digits (`load_digits`, 1797
8x8 images shipped inside the package):

* `<out>/source/{train,val}/digit_<d>/<index>.png` for digits 0-4 and `<out>/target/{train,val}/digit_<d>/...`
  for digits 5-9: 32x32 8-bit gray PNGs, `<index>` the 4-digit sklearn index; `<out>/dataset.json` records the
  split, the pixel recipe, the normalisation constants and a SHA-256 digest of each tree;
* `<out>/../models/resnet18_w12_digits_source.pth` (+ `.json` sidecar): a width-12 torchvision-structured
  ResNet-18 pretrained on the source task;
* `<out>/premise_pytorch.json`: target-task validation accuracy of training from scratch, feature extraction
  (batch norm in train and in eval mode), fine-tuning layer4 + fc and fine-tuning everything, five seeds each,
  in two training budgets.

Fixtures/DATA.md documents the files and the design. Everything runs on CPU, single-threaded and deterministic:
the same seed and pinned versions give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shlex
import shutil
import time
from pathlib import Path

import numpy as np
import PIL
import sklearn
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchvision.datasets import ImageFolder
from torchvision.transforms import Normalize, ToTensor

from tlref.portable import uniform01
from tlref.resnets import resnet
from tlref.traces import set_trainable

SOURCE_DIGITS, TARGET_DIGITS = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
IMAGE_SIZE = 32
SOURCE_VAL_FRACTION = 0.2
SHOTS = 3
"""Labelled target images per class: target/train holds 3 per digit, target/val all the other target images."""
BASE_WIDTH = 12
"""Channels 12/24/48/96: 398,125 state_dict numbers, a 1.6 MB checkpoint (base_width 16 would be 2.8 MB)."""
PRETRAIN = {"epochs": 30, "batch": 32, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4,
            "nesterov": False, "lr_schedule": "cosine per step from lr to 0: lr * (1 + cos(pi * k / total_steps)) / 2",
            "augmentation": "per image random affine (rotation +-15 degrees, scale 1 +- 0.15, shift +-0.15 of the "
                            "half-width; affine_grid + bilinear grid_sample, black outside) on [0, 1] pixels, then "
                            "mixup of the batch with itself in a random order, lambda ~ U(0, 1) per batch",
            "data_order": "per epoch torch.randperm(n, generator) with generator = "
                          "torch.Generator().manual_seed(seed); augmentation draws from the same generator"}
BUDGETS = {
    "small": {"shots": SHOTS, "epochs": 15, "batch": 16, "optimizer": "sgd", "lr": 0.03, "momentum": 0.9,
              "note": "the premise: 15 images in one batch, so 15 SGD steps. Scratch fits its 15 images (train "
                      "mode) but its batch-norm running statistics, 15 momentum-0.1 updates from their initial "
                      "values, still lag, which is much of its low eval-mode accuracy (DATA.md)"},
    "longer": {"shots": SHOTS, "epochs": 60, "batch": 16, "optimizer": "sgd", "lr": 0.03, "momentum": 0.9,
               "note": "60 steps: every setting fits its 15 images and the running statistics have settled"},
}
"""Target-task training budgets, each run for every setting and seed; `small` is the primary one."""
RUNS = 5
SETTINGS = {
    "scratch": ("full", "from scratch: torchvision's random init, everything trainable, model.train()"),
    "frozen_train": ("frozen_train", "feature extraction as the post's code: pretrained, all frozen but a new fc, "
                                     "model.train() (batch-norm statistics move)"),
    "frozen_eval": ("frozen_eval", "feature extraction with the backbone in eval mode: pretrained, all frozen but a "
                                   "new fc, model.eval() while training"),
    "layer4_fc": ("layer4_fc", "fine-tuning layer4 + a new fc, the rest frozen, model.train()"),
    "full": ("full", "fine-tuning everything: pretrained, a new fc, everything trainable, model.train()"),
}
"""Premise setting -> (tlref.traces configuration, description). Evaluation is always model.eval() + no_grad."""


def class_name(digit: int) -> str:
    return f"digit_{digit}"


def digit_pixels(image: np.ndarray) -> Image.Image:
    """An 8x8 sklearn digit (values 0..16) as a 32x32 8-bit gray image: (v*255 + 8) // 16, then PIL bilinear."""
    eight_bit = ((image.astype(np.int64) * 255 + 8) // 16).astype(np.uint8)
    return Image.fromarray(eight_bit).resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)


def split_indices(targets: np.ndarray, seed: int) -> dict[str, dict[str, dict[int, list[int]]]]:
    """task -> split -> digit -> sorted sklearn indices. Each digit's indices are ordered by the portable stream
    `split/digit_<d>` under `seed`; source: the first 80 % train, the rest val; target: the first SHOTS train."""
    splits: dict[str, dict[str, dict[int, list[int]]]] = {"source": {"train": {}, "val": {}},
                                                           "target": {"train": {}, "val": {}}}
    for task, digits in (("source", SOURCE_DIGITS), ("target", TARGET_DIGITS)):
        for digit in digits:
            indices = np.flatnonzero(targets == digit)
            order = indices[np.argsort(uniform01(f"split/{class_name(digit)}", seed, len(indices)), kind="stable")]
            cut = round(len(indices) * (1 - SOURCE_VAL_FRACTION)) if task == "source" else SHOTS
            splits[task]["train"][digit] = sorted(int(i) for i in order[:cut])
            splits[task]["val"][digit] = sorted(int(i) for i in order[cut:])
    return splits


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(root: Path) -> str:
    """SHA-256 of the lines `<relative path>\\t<sha256 of the file>\\n` of every file under `root`, sorted by the
    relative path as a plain string."""
    files = sorted((path.relative_to(root).as_posix(), path) for path in root.rglob("*") if path.is_file())
    lines = "".join(f"{relative}\t{sha256_file(path)}\n" for relative, path in files)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def write_trees(root: Path, splits: dict, images: np.ndarray) -> None:
    """Writes every split as an ImageFolder tree of PNGs (PIL, compress_level 9, no metadata chunks)."""
    for task, by_split in splits.items():
        for split, by_digit in by_split.items():
            for digit, indices in by_digit.items():
                folder = root / task / split / class_name(digit)
                folder.mkdir(parents=True)
                for index in indices:
                    digit_pixels(images[index]).save(folder / f"{index:04d}.png", format="PNG", compress_level=9)


def load_tree(root: Path, transform) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """A whole ImageFolder tree as one [N, 3, 32, 32] float32 batch, its class indices and its class names."""
    folder = ImageFolder(str(root), transform=transform)
    images = torch.stack([image for image, _ in folder])
    return images, torch.tensor(folder.targets, dtype=torch.int64), folder.classes


def accuracy(model: nn.Module, images: torch.Tensor, targets: torch.Tensor) -> tuple[int, float]:
    """(correct, fraction) of argmax predictions with model.eval() and no_grad, in batches of 256."""
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(images[start:start + 256]) for start in range(0, len(images), 256)])
    correct = int((logits.argmax(dim=1) == targets).sum())
    return correct, round(correct / len(targets), 4)


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random affine per image on [0, 1] pixels (see PRETRAIN["augmentation"])."""
    u = torch.rand(len(batch), 4, generator=generator) * 2 - 1
    angle, scale = u[:, 0] * math.radians(15), 1 + u[:, 1] * 0.15
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, u[:, 2] * 0.15], 1), torch.stack([sin, cos, u[:, 3] * 0.15], 1)], 1)
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    return F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def pretrain(images: torch.Tensor, targets: torch.Tensor, normalize: Normalize, seed: int) -> nn.Module:
    """Trains resnet18(base_width 12, 5 classes) on the source train set with PRETRAIN's recipe."""
    torch.manual_seed(seed)
    model = resnet("resnet18", len(SOURCE_DIGITS), BASE_WIDTH)
    optimizer = torch.optim.SGD(model.parameters(), lr=PRETRAIN["lr"], momentum=PRETRAIN["momentum"],
                                weight_decay=PRETRAIN["weight_decay"])
    generator = torch.Generator().manual_seed(seed)
    batch = PRETRAIN["batch"]
    total_steps = PRETRAIN["epochs"] * math.ceil(len(targets) / batch)
    step = 0
    model.train()
    for _ in range(PRETRAIN["epochs"]):
        order = torch.randperm(len(targets), generator=generator)
        for start in range(0, len(targets), batch):
            for group in optimizer.param_groups:
                group["lr"] = PRETRAIN["lr"] * (1 + math.cos(math.pi * step / total_steps)) / 2
            step += 1
            chosen = order[start:start + batch]
            inputs, labels = normalize(augment(images[chosen], generator)), targets[chosen]
            mix = float(torch.rand((), generator=generator))
            partner = torch.randperm(len(chosen), generator=generator)
            logits = model(mix * inputs + (1 - mix) * inputs[partner])
            loss = mix * F.cross_entropy(logits, labels) + (1 - mix) * F.cross_entropy(logits, labels[partner])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def premise_run(setting: str, budget: dict, checkpoint: Path, train: tuple, val: tuple, seed: int) -> tuple[int, int]:
    """One target-task run: builds the model as the post does, trains for the budget, returns the correct counts
    on the target train and val sets."""
    configuration = SETTINGS[setting][0]
    torch.manual_seed(seed)
    model = resnet("resnet18", len(SOURCE_DIGITS), BASE_WIDTH)
    if setting != "scratch":
        model.load_state_dict(torch.load(checkpoint, weights_only=True))
    model.fc = nn.Linear(model.fc.in_features, len(TARGET_DIGITS))
    optimizer = torch.optim.SGD(set_trainable(model, configuration), lr=budget["lr"], momentum=budget["momentum"])
    loader = DataLoader(TensorDataset(*train), batch_size=budget["batch"], shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    for _ in range(budget["epochs"]):
        for inputs, labels in loader:
            model.train(configuration != "frozen_eval")
            loss = F.cross_entropy(model(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return accuracy(model, *train)[0], accuracy(model, *val)[0]


def measure_premise(checkpoint: Path, train: tuple, val: tuple, seed: int) -> dict:
    """Every budget x setting x seed; per setting the accuracies and their mean, min and max."""
    seeds = [seed + run for run in range(RUNS)]
    budgets = {}
    for name, budget in BUDGETS.items():
        settings = {}
        for setting, (_, description) in SETTINGS.items():
            counts = [premise_run(setting, budget, checkpoint, train, val, run_seed) for run_seed in seeds]
            correct = [val_count for _, val_count in counts]
            accuracies = [round(count / len(val[1]), 4) for count in correct]
            settings[setting] = {"description": description, "mean": round(sum(correct) / len(val[1]) / RUNS, 4),
                                 "min": min(accuracies), "max": max(accuracies), "accuracies": accuracies,
                                 "correct": correct, "train_correct": [train_count for train_count, _ in counts]}
        budgets[name] = {**budget, "seeds": seeds, "train_images": len(train[1]), "val_images": len(val[1]),
                         "settings": settings}
    return budgets


def to_json(value: object, indent: str = "") -> str:
    """JSON with one key per line and lists of numbers or strings on one line (json.dumps for the leaves)."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(str(key))}: {to_json(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return "[\n" + ",\n".join(inner + to_json(item, inner) for item in value) + "\n" + indent + "]"
    return json.dumps(value)


def write_json(path: Path, value: dict) -> None:
    path.write_text(to_json(value) + "\n", encoding="utf-8")


def markdown_table(budgets: dict) -> str:
    header = "| setting | " + " | ".join(f"{name}: mean [min, max]" for name in budgets) + " |"
    rows = [header, "|---|" + "---|" * len(budgets)]
    for setting in SETTINGS:
        cells = [budgets[name]["settings"][setting] for name in budgets]
        rows.append(f"| {setting} | " + " | ".join(f"{c['mean']:.3f} [{c['min']:.3f}, {c['max']:.3f}]"
                                                    for c in cells) + " |")
    return "\n".join(rows)


def generate_data(out: Path, seed: int, argv: list[str]) -> None:
    """The `data` subcommand: the PNG trees and dataset.json in `out`, the checkpoint in `out/../models`, and
    premise_pytorch.json in `out`. `out` is rebuilt from scratch in `<out>.tmp` and moved into place at the end."""
    started = time.perf_counter()
    provenance = {"generator": "Fixtures/generate_references.py data", "generator_args": shlex.join(argv),
                  "seed": seed, "torch_version": torch.__version__, "torchvision_version": torchvision.__version__,
                  "numpy_version": np.__version__, "sklearn_version": sklearn.__version__,
                  "pillow_version": PIL.__version__}
    staging, models = out.with_name(out.name + ".tmp"), out.parent / "models"
    shutil.rmtree(staging, ignore_errors=True)
    digits = load_digits()
    splits = split_indices(digits.target, seed)
    write_trees(staging, splits, digits.images)

    raw, source_targets, source_classes = load_tree(staging / "source" / "train", ToTensor())
    mean, std = round(float(raw.mean()), 4), round(float(raw.std(correction=0)), 4)
    normalize = Normalize([mean] * 3, [std] * 3)
    dataset = {**provenance, "source": "sklearn.datasets.load_digits (1797 8x8 images, values 0..16)",
               "pixels": f"gray uint8 (v*255 + 8) // 16, upscaled 8x8 -> {IMAGE_SIZE}x{IMAGE_SIZE} with PIL "
                         "Image.resize(BILINEAR), saved by PIL as 8-bit gray PNG (compress_level 9)",
               "normalize": {"mean": [mean] * 3, "std": [std] * 3,
                             "from": "source/train after ToTensor: all pixels, population std, rounded to 4 decimals"},
               "tree_digest": "sha256 over sorted lines '<relative path>\\t<sha256 of file>\\n'",
               "tasks": {}}
    for task, digits_of_task in (("source", SOURCE_DIGITS), ("target", TARGET_DIGITS)):
        dataset["tasks"][task] = {
            "classes": [class_name(digit) for digit in digits_of_task],
            "digits": list(digits_of_task),
            "counts": {split: sum(len(v) for v in by_digit.values()) for split, by_digit in splits[task].items()},
            "sha256": {split: tree_digest(staging / task / split) for split in ("train", "val")},
            "indices": {split: {class_name(d): indices for d, indices in by_digit.items()}
                        for split, by_digit in splits[task].items()}}
    write_json(staging / "dataset.json", dataset)
    written = time.perf_counter()

    model = pretrain(raw, source_targets, normalize, seed)
    models.mkdir(parents=True, exist_ok=True)
    checkpoint = models / f"resnet18_w{BASE_WIDTH}_digits_source.pth"
    torch.save(model.state_dict(), staging / checkpoint.name)  # zip records under "<stem>/", as a direct save gives
    os.replace(staging / checkpoint.name, checkpoint)
    source_val = load_tree(staging / "source" / "val", ToTensor())
    train_correct, train_accuracy = accuracy(model, normalize(raw), source_targets)
    val_correct, val_accuracy = accuracy(model, normalize(source_val[0]), source_val[1])
    write_json(checkpoint.with_suffix(".json"), {
        **provenance, "file": checkpoint.name, "sha256": sha256_file(checkpoint), "bytes": checkpoint.stat().st_size,
        "format": "torch.save(model.state_dict()) zip format; tlref.resnets.resnet('resnet18', 5, base_width=12)",
        "architecture": "resnet18", "base_width": BASE_WIDTH, "num_classes": len(SOURCE_DIGITS),
        "classes": source_classes, "input_size": [3, IMAGE_SIZE, IMAGE_SIZE],
        "input": "ImageFolder PNG -> convert('RGB') -> ToTensor() -> Normalize(mean, std)",
        "normalize": {"mean": [mean] * 3, "std": [std] * 3, "from": "the source train set (dataset.json)"},
        "state_dict_entries": len(model.state_dict()),
        "parameters": sum(parameter.numel() for parameter in model.parameters()),
        "pretraining": {**PRETRAIN, "seed": seed, "threads": torch.get_num_threads(),
                        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled()},
        "source_accuracy": {"train": train_accuracy, "train_correct": train_correct, "train_images": len(raw),
                            "val": val_accuracy, "val_correct": val_correct, "val_images": len(source_val[1]),
                            "evaluation": "model.eval(), no augmentation"}})
    pretrained = time.perf_counter()

    def target(split: str) -> tuple[torch.Tensor, torch.Tensor]:
        images, labels, _ = load_tree(staging / "target" / split, ToTensor())
        return normalize(images), labels

    budgets = measure_premise(checkpoint, target("train"), target("val"), seed)
    write_json(staging / "premise_pytorch.json", {
        **provenance, "checkpoint": {"file": f"models/{checkpoint.name}", "sha256": sha256_file(checkpoint)},
        "model": f"resnet18 base_width {BASE_WIDTH}, new fc with {len(TARGET_DIGITS)} outputs",
        "data": "target/train for training (shots per class), target/val for evaluation; normalised with the "
                "source mean/std",
        "evaluation": "model.eval(), torch.no_grad(), argmax accuracy over target/val",
        "run": "torch.manual_seed(seed); build; load the checkpoint (not for scratch); model.fc = new Linear; set "
               "requires_grad; SGD over the trainable parameters; DataLoader(shuffle=True, "
               "generator=torch.Generator().manual_seed(seed)); F.cross_entropy",
        "primary_budget": "small", "budgets": budgets})
    shutil.rmtree(out, ignore_errors=True)
    os.replace(staging, out)
    finished = time.perf_counter()
    print(markdown_table(budgets))
    print(f"source accuracy: train {train_accuracy:.4f} ({train_correct}/{len(raw)}), val {val_accuracy:.4f} "
          f"({val_correct}/{len(source_val[1])}); normalize mean {mean} std {std}")
    print(f"wrote {out} and {checkpoint} ({checkpoint.stat().st_size} bytes) in {finished - started:.1f} s "
          f"(PNGs {written - started:.1f} s, pretraining {pretrained - written:.1f} s, premise "
          f"{finished - pretrained:.1f} s)")
