"""Loads a `workbench export` file into PyTorch strictly, evaluates it, and optionally continues training it -
on one process, or on several processes or machines with PyTorch's DistributedDataParallel under torchrun.

    # evaluate the export on an ImageFolder
    python Fixtures/continue_in_pytorch.py model.pth --data photos/val
    # continue training for 2 epochs on 2 processes of this machine (CPU: gloo; GPUs: nccl), then evaluate
    torchrun --nproc_per_node=2 Fixtures/continue_in_pytorch.py model.pth --data photos/val \
        --train photos/train --epochs 2 --out continued.pth
    # the same on two machines: run this on each, with --node_rank 0 and 1 (MASTER is node 0's address)
    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=1 --master_addr=MASTER --master_port=29500 \
        Fixtures/continue_in_pytorch.py model.pth --data photos/val --train photos/train --epochs 2 --out continued.pth

The export's sidecar (`model.json` beside `model.pth`, written by `workbench export`) gives the class names, the
preprocessing and the architecture: torchvision's `resnet18(num_classes=N)` for torchvision's width 64, or the
width-scaled copy in Fixtures/tlref/resnets.py (`resnet('resnet18', N, base_width=12)` for the embedded model).
The data folders' classes must be the export's. `--out` is written by rank 0 only, atomically, with a copy of the
sidecar beside it, so `workbench evaluate continued.pth --data ...` reads it back.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.dont_write_bytecode = True

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402
from torch.utils.data import DataLoader, DistributedSampler  # noqa: E402
from torchvision import transforms  # noqa: E402
from torchvision.datasets import ImageFolder  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tlref.resnets import resnet  # noqa: E402


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="the .pth (or .safetensors) file `workbench export` wrote")
    parser.add_argument("--data", type=Path, required=True, help="ImageFolder to evaluate on")
    parser.add_argument("--train", type=Path, help="ImageFolder to continue training on (omit to only evaluate)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="where rank 0 saves the continued state dict")
    return parser.parse_args(argv)


def read_sidecar(export: Path) -> dict:
    sidecar = export.with_suffix(".json")
    if not sidecar.exists():
        sys.exit(f"{sidecar}: missing; `workbench export` writes it beside {export.name}")
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    if data.get("format") != "workbench-export" or data.get("version") != 1:
        sys.exit(f"{sidecar}: not a version-1 workbench-export sidecar")
    return data


def build_model(sidecar: dict) -> nn.Module:
    """torchvision's model for width 64, the width-scaled torchvision ResNet of tlref/resnets.py otherwise."""
    classes, width, name = len(sidecar["classes"]), sidecar["baseChannels"], sidecar["architecture"]
    if width == 64:
        return getattr(torchvision.models, name)(num_classes=classes)
    return resnet(name, classes, base_width=width)


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            sys.exit(f"{path}: reading safetensors needs `pip install safetensors` (or export to .pth)")
        return load_file(str(path))
    return torch.load(path, weights_only=True)


def folder(path: Path, transform: transforms.Compose, classes: list[str]) -> ImageFolder:
    dataset = ImageFolder(str(path), transform=transform)
    if dataset.classes != classes:
        extra = sorted(set(dataset.classes) - set(classes))
        missing = sorted(set(classes) - set(dataset.classes))
        sys.exit(f"{path}: its classes differ from the export's: extra {extra}, missing {missing}")
    return dataset


def evaluate(model: nn.Module, dataset: ImageFolder, batch_size: int) -> tuple[float, float]:
    """Accuracy and mean cross-entropy in eval mode without autograd."""
    model.eval()
    correct, total, loss = 0, 0, 0.0
    with torch.no_grad():
        for images, labels in DataLoader(dataset, batch_size=batch_size):
            logits = model(images)
            loss += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(dim=1) == labels).sum().item()
            total += len(labels)
    return correct / total, loss / total


def main(argv: list[str]) -> None:
    arguments = parse_arguments(argv)
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))

    def say(message: str) -> None:
        print(f"[rank {rank}/{world}] {message}", flush=True)

    sidecar = read_sidecar(arguments.export)
    model = build_model(sidecar)
    state = load_state_dict(arguments.export)
    model.load_state_dict(state, strict=True)
    say(f"loaded {arguments.export} strictly into {sidecar['pytorchModel']}: {len(state)} tensors, "
        f"{len(sidecar['classes'])} classes")
    pre = sidecar["preprocessing"]
    normalize = transforms.Normalize(pre["mean"], pre["std"])
    evaluation = transforms.Compose([transforms.Resize(pre["resize"]), transforms.CenterCrop(pre["imageSize"]),
                                     transforms.ToTensor(), normalize])
    validation = folder(arguments.data, evaluation, sidecar["classes"])
    if rank == 0:
        accuracy, loss = evaluate(model, validation, arguments.batch_size)
        say(f"evaluation on {arguments.data}: {len(validation)} images, accuracy {accuracy:.4f}, mean loss {loss:.4f}")
    if arguments.train is None:
        return
    augmentation = transforms.Compose([transforms.RandomResizedCrop(pre["imageSize"]),
                                       transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize])
    training = folder(arguments.train, augmentation, sidecar["classes"])
    torch.manual_seed(arguments.seed)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    model.to(device)
    trained: nn.Module = DistributedDataParallel(model) if distributed else model
    sampler = DistributedSampler(training, shuffle=True, seed=arguments.seed) if distributed else None
    loader = DataLoader(training, batch_size=arguments.batch_size, sampler=sampler, shuffle=sampler is None)
    optimizer = torch.optim.SGD(trained.parameters(), lr=arguments.lr, momentum=arguments.momentum)
    for epoch in range(1, arguments.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        trained.train()
        total, count = 0.0, 0
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(trained(images), labels)
            loss.backward()  # DDP averages the gradients over every process here
            optimizer.step()
            total += loss.item() * len(labels)
            count += len(labels)
        say(f"epoch {epoch}: {count} images on this process, train loss {total / max(count, 1):.4f}")
    if distributed:
        dist.barrier()
    if rank == 0:
        model.to("cpu")
        accuracy, loss = evaluate(model, validation, arguments.batch_size)
        say(f"after training: accuracy {accuracy:.4f}, mean loss {loss:.4f}")
        if arguments.out is not None:
            temporary = arguments.out.with_name(arguments.out.name + ".tmp")
            torch.save(model.state_dict(), temporary)
            os.replace(temporary, arguments.out)
            sidecar_out = arguments.out.with_suffix(".json")
            sidecar_out.with_name(sidecar_out.name + ".tmp").write_text(json.dumps(sidecar, indent=2), "utf-8")
            os.replace(sidecar_out.with_name(sidecar_out.name + ".tmp"), sidecar_out)
            say(f"wrote {arguments.out} and {sidecar_out}")
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
