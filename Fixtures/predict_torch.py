"""The loop of `workbench predict` in PyTorch, on a `workbench export` file: the peer for its images/s.

Usage: /opt/tlvenv/bin/python Fixtures/predict_torch.py MODEL.pth IMAGE... [--top-k 5] [--batch-size 16]
       [--threads 2] [--quiet]

Runs what `workbench predict RUN_DIR IMAGE...` runs, on the file `workbench export RUN_DIR --to MODEL.pth` wrote
and the sidecar beside it (MODEL.json):
- model: torchvision.models.resnet18(num_classes=len(classes)) (at the width model.json names, built with
  Fixtures/tlref/resnets.py when it is not 64), the state dict loaded with torch.load(weights_only=True), strictly;
  model.eval() and torch.no_grad();
- each image: PIL decoding + convert("RGB") (as torchvision's ImageFolder loader), then the export's evaluation
  transform in the workbench's order (tensor transforms): ToTensor, Resize(resize, antialias=True),
  CenterCrop(crop), Normalize(mean, std);
- batches of --batch-size images in the order given, softmax, torch.topk (ties in class order).

It prints each image's top-k classes as `workbench predict` does (unless --quiet), then one line: the images, the
seconds of the loop (decoding included, loading the model excluded) and images per second over it, and the whole
process's wall time from the interpreter's start (import torch included). Compare runs made one after the other:
the timings depend on what else runs on the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

START = time.perf_counter()
sys.dont_write_bytecode = True  # keep __pycache__ folders out of the repository

import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms as T  # noqa: E402


def build_model(sidecar: dict, classes: int) -> torch.nn.Module:
    """The export's architecture: torchvision's resnet at width 64, tlref's otherwise."""
    architecture = sidecar["architecture"]
    width = int(sidecar["baseChannels"])
    if width == 64:
        return getattr(torchvision.models, architecture)(num_classes=classes)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tlref.resnets import resnet  # noqa: PLC0415

    return resnet(architecture, classes, base_width=width)


def evaluation_transform(sidecar: dict) -> T.Compose:
    """The export's evaluation preprocessing, in the workbench's order."""
    pre = sidecar["preprocessing"]
    return T.Compose(
        [
            T.ToTensor(),
            T.Resize(int(pre["resize"]), antialias=True),
            T.CenterCrop(int(pre["imageSize"])),
            T.Normalize(pre["mean"], pre["std"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a .pth file written by `workbench export` (its .json sidecar beside it)")
    parser.add_argument("images", nargs="+")
    parser.add_argument("--top-k", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quiet", action="store_true", help="print only the timing line")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model_path = Path(args.model)
    sidecar_path = model_path.with_suffix(".json")
    if not sidecar_path.exists():
        sys.exit(f"error: {sidecar_path}: no sidecar beside {model_path} (write both with `workbench export`)")
    sidecar = json.loads(sidecar_path.read_text())
    classes = sidecar["classes"]
    model = build_model(sidecar, len(classes))
    model.load_state_dict(torch.load(model_path, weights_only=True), strict=True)
    model.eval()
    transform = evaluation_transform(sidecar)
    k = args.top_k or min(5, len(classes))

    loop_start = time.perf_counter()
    lines: list[str] = []
    with torch.no_grad():
        for first in range(0, len(args.images), args.batch_size):
            paths = args.images[first : first + args.batch_size]
            batch = torch.stack([transform(Image.open(p).convert("RGB")) for p in paths])
            probabilities = torch.softmax(model(batch), dim=1)
            for path, row in zip(paths, probabilities):
                # torch.topk does not promise an order among equal values: sort stably for class order on ties.
                order = sorted(range(len(classes)), key=lambda i: (-float(row[i]), i))[:k]
                width = max(len(classes[i]) for i in order)
                lines.append(path)
                lines.extend(f"  {rank + 1}. {classes[i]:<{width}}  {float(row[i]):.4f}" for rank, i in enumerate(order))
    loop = time.perf_counter() - loop_start
    if not args.quiet:
        print("\n".join(lines))
    count = len(args.images)
    print(
        f"predicted {count} images in {loop:.2f} s: {count / loop:.1f} img/s "
        f"(whole process {time.perf_counter() - START:.2f} s, import torch included)"
    )


if __name__ == "__main__":
    main()
