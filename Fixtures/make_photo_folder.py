"""Writes a photo-sized ImageFolder for a real-size `workbench train` run, and torchvision-style weights for it.

Usage: /opt/tlvenv/bin/python Fixtures/make_photo_folder.py OUT [--train 60] [--val 20] [--format png|jpeg]
       [--weights FILE]

OUT gets train/<class>/ and val/<class>/ for the five target digits of the embedded data (digit_5 ... digit_9):
each image is one of the embedded 32x32 digits (Fixtures/data/target, train and val together), upscaled with PIL's
bicubic filter to a random size between 280 x 210 and 400 x 320, tinted with a random foreground and background
colour, placed off-centre and overlaid with Gaussian noise - colour photos of different sizes, so that decoding,
the antialiased resize and the random resized crop do real work. Everything is drawn from numpy's generator under
seed 0, so the folder is the same on every run. Nothing is downloaded.

With --weights FILE it also saves `torchvision.models.resnet18()` (random initialisation under torch.manual_seed(0),
1000-class head) with `torch.save(model.state_dict(), FILE)`: the full-width file a user would pass as --weights
when no ImageNet file (resnet18-f37072fd.pth) is available offline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ folders out of the repository

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

DIGITS = Path(__file__).resolve().parent / "data" / "target"


def photo(digit: Image.Image, rng: np.random.Generator) -> Image.Image:
    """One digit as a tinted, noisy colour image of random size."""
    width = int(rng.integers(280, 401))
    height = int(rng.integers(210, min(width, 320) + 1))
    side = int(rng.integers(int(0.5 * height), int(0.95 * height) + 1))
    scaled = np.asarray(digit.convert("L").resize((side, side), Image.BICUBIC), dtype=np.float32) / 255
    foreground = rng.uniform(0.4, 1.0, size=3)
    background = rng.uniform(0.0, 0.5, size=3)
    canvas = np.empty((height, width, 3), dtype=np.float32)
    canvas[:] = background
    top = int(rng.integers(0, height - side + 1))
    left = int(rng.integers(0, width - side + 1))
    mask = scaled[..., None]
    canvas[top : top + side, left : left + side] = mask * foreground + (1 - mask) * background
    canvas += rng.normal(0, 0.04, size=canvas.shape)
    return Image.fromarray((np.clip(canvas, 0, 1) * 255).round().astype(np.uint8), "RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write (train/ and val/ inside)")
    parser.add_argument("--train", type=int, default=60, help="training images per class (default 60)")
    parser.add_argument("--val", type=int, default=20, help="validation images per class (default 20)")
    parser.add_argument("--format", choices=["png", "jpeg"], default="png", help="file format (default png)")
    parser.add_argument("--weights", type=Path, help="also save a random-init torchvision resnet18 state dict here")
    arguments = parser.parse_args()
    rng = np.random.default_rng(0)
    extension = "png" if arguments.format == "png" else "jpg"
    classes = sorted(path.name for path in (DIGITS / "train").iterdir() if path.is_dir())
    for name in classes:
        sources = sorted((DIGITS / "train" / name).glob("*.png")) + sorted((DIGITS / "val" / name).glob("*.png"))
        needed = arguments.train + arguments.val
        if len(sources) < needed:
            sys.exit(f"{name}: {len(sources)} embedded images, {needed} asked for")
        chosen = rng.permutation(len(sources))[:needed]
        for position, index in enumerate(chosen):
            split = "train" if position < arguments.train else "val"
            folder = arguments.out / split / name
            folder.mkdir(parents=True, exist_ok=True)
            image = photo(Image.open(sources[index]), rng)
            options = {"quality": 90} if extension == "jpg" else {}
            image.save(folder / f"{position:04d}.{extension}", **options)
    print(f"wrote {len(classes)} classes x ({arguments.train} train + {arguments.val} val) {extension} to {arguments.out}")
    if arguments.weights:
        import torch
        import torchvision

        torch.manual_seed(0)
        model = torchvision.models.resnet18()
        arguments.weights.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), arguments.weights)
        print(f"wrote torchvision.models.resnet18() (random init, seed 0) to {arguments.weights}")


if __name__ == "__main__":
    main()
