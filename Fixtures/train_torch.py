"""The loop of `workbench train` in PyTorch, timed the same way: the peer for its images/s.

Usage: /opt/tlvenv/bin/python Fixtures/train_torch.py --data DIR --weights FILE [--epochs 3] [--batch-size 16]
       [--lr 0.01] [--backbone-lr 0.001] [--momentum 0.9] [--image-size 224] [--workers 2] [--threads 2]
       [--strategy fine-tune|feature-extract|feature-extract-eval] [--no-augment]

Runs what `workbench train --data DIR --weights FILE --strategy STRATEGY` runs with the same numbers:
- data: torchvision ImageFolder(DIR/train) and ImageFolder(DIR/val), PIL decoding, DataLoader(batch, shuffle=True,
  num_workers=--workers, persistent_workers=True); validation unshuffled with the same batch size;
- preprocessing in the workbench's order (tensor transforms): training ToTensor, RandomResizedCrop(size,
  antialias=True), RandomHorizontalFlip, Normalize(ImageNet mean, std) - or with --no-augment the validation
  pipeline; validation ToTensor, Resize(size * 256 / 224), CenterCrop(size), Normalize;
- model: torchvision.models.resnet18(), the file's state dict loaded strictly, then fc = Linear(512, classes);
- --strategy: fine-tune trains everything (default); feature-extract freezes every parameter but fc's
  (requires_grad=False) with the whole model in train mode (the post's code); feature-extract-eval freezes the same
  and keeps the backbone in eval mode (model.eval(); model.fc.train()). This is PyTorch's plain loop: the frozen
  backbone's features are recomputed every epoch (autograd does not enter it, as nothing in it requires grad);
- optimizer: SGD([{"params": backbone, "lr": backbone_lr}, {"params": fc, "lr": lr}], momentum) over the
  parameters that train (the backbone group only when it trains), no schedule; cross-entropy; validation in
  model.eval() + torch.no_grad().

It prints one line per epoch (train loss and accuracy, validation loss and accuracy, seconds, training images/s -
the training pass with its loading, as the workbench measures it - and the seconds spent waiting for the loader),
then the whole process: wall time from the interpreter's start (import torch included) and training images per
second over it. Timings depend on the machine and what else runs on it: compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import sys
import time

START = time.perf_counter()
sys.dont_write_bytecode = True  # keep __pycache__ folders out of the repository

import torch  # noqa: E402
import torchvision  # noqa: E402
from torchvision import transforms as T  # noqa: E402
from torchvision.datasets import ImageFolder  # noqa: E402

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a folder with train/ and val/ ImageFolders")
    parser.add_argument("--weights", required=True, help="a torchvision resnet18 state dict (torch.save)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--backbone-lr", type=float, default=None, help="default: --lr")
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--strategy", choices=["fine-tune", "feature-extract", "feature-extract-eval"], default="fine-tune"
    )
    parser.add_argument("--no-augment", action="store_true", help="train on the validation pipeline")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(arguments.seed)
    size = arguments.image_size
    normalize = T.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    resize = round(size * 256 / 224)
    val_transform = T.Compose([T.ToTensor(), T.Resize(resize, antialias=True), T.CenterCrop(size), normalize])
    train_transform = (
        val_transform
        if arguments.no_augment
        else T.Compose([T.ToTensor(), T.RandomResizedCrop(size, antialias=True), T.RandomHorizontalFlip(), normalize])
    )
    train_set = ImageFolder(f"{arguments.data}/train", transform=train_transform)
    val_set = ImageFolder(f"{arguments.data}/val", transform=val_transform)
    loader_options = {"num_workers": arguments.workers, "persistent_workers": arguments.workers > 0}
    train_loader = torch.utils.data.DataLoader(
        train_set, batch_size=arguments.batch_size, shuffle=True, **loader_options
    )
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=arguments.batch_size, **loader_options)

    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(arguments.weights, weights_only=True))
    model.fc = torch.nn.Linear(model.fc.in_features, len(train_set.classes))
    head = list(model.fc.parameters())
    head_ids = {id(p) for p in head}
    backbone = [p for p in model.parameters() if id(p) not in head_ids]
    frozen = arguments.strategy != "fine-tune"
    for parameter in backbone:
        parameter.requires_grad_(not frozen)
    backbone_lr = arguments.lr if arguments.backbone_lr is None else arguments.backbone_lr
    groups = [] if frozen else [{"params": backbone, "lr": backbone_lr}]
    optimizer = torch.optim.SGD(groups + [{"params": head}], lr=arguments.lr, momentum=arguments.momentum)
    criterion = torch.nn.CrossEntropyLoss()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(train_set)} training, "
        f"{len(val_set)} validation images, {len(train_set.classes)} classes; resnet18 {arguments.strategy} at "
        f"{size}x{size}{' without augmentation' if arguments.no_augment else ''}, batch {arguments.batch_size}, "
        f"{arguments.workers} loader workers",
        flush=True,
    )
    trained = 0
    for epoch in range(1, arguments.epochs + 1):
        model.train()
        if arguments.strategy == "feature-extract-eval":
            model.eval()
            model.fc.train()
        start = time.perf_counter()
        wait = 0.0
        loss_sum, correct, images = 0.0, 0, 0
        waited = time.perf_counter()
        for batch, labels in train_loader:
            wait += time.perf_counter() - waited
            optimizer.zero_grad()
            logits = model(batch)
            loss = criterion(logits, labels)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            images += len(labels)
            waited = time.perf_counter()
        train_seconds = time.perf_counter() - start
        trained += images
        model.eval()
        val_loss, val_correct, val_images = 0.0, 0, 0
        with torch.no_grad():
            for batch, labels in val_loader:
                logits = model(batch)
                val_loss += criterion(logits, labels).item() * len(labels)
                val_correct += (logits.argmax(1) == labels).sum().item()
                val_images += len(labels)
        seconds = time.perf_counter() - start
        print(
            f"epoch {epoch}: train loss {loss_sum / images:.4f} acc {correct / images:.3f}  val loss "
            f"{val_loss / val_images:.4f} acc {val_correct / val_images:.3f}  {seconds:.1f} s  "
            f"{images / train_seconds:.1f} img/s  data wait {wait:.1f} s",
            flush=True,
        )
    total = time.perf_counter() - START
    print(f"whole process: {total:.1f} s, {trained / total:.1f} training images/s")


if __name__ == "__main__":
    main()
