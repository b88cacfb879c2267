"""Times torchvision's ImageFolder + DataLoader on an image folder (the peer of Vision's DataLoaderBenchmark).

Usage: /opt/tlvenv/bin/python Fixtures/bench_dataloader_torch.py [FOLDER] [--workers 2] [--batch 8] [--epochs 5]

FOLDER defaults to Fixtures/testdata/transforms/folder (2 classes x 8 PNGs of 320 x 240, written by the generator's
`transforms` subcommand). Every image is decoded by PIL (ImageFolder's default loader) and transformed by
Compose([ToTensor(), Resize(256), CenterCrop(224), Normalize(ImageNet mean, std)]) - the transforms the Swift
benchmark applies - in `--workers` worker processes kept alive across epochs. After one untimed warm-up epoch it
prints the median of `--epochs` timed epochs:
    torchvision ImageFolder + DataLoader: 123.4 images/s (16 images per epoch, median epoch 129.7 ms, 2 workers,
    batch 8)
The machine is shared and noisy: compare with the Swift benchmark run in the same session, as a ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ folders out of the repository

import torch  # noqa: E402
from torchvision import transforms as T  # noqa: E402
from torchvision.datasets import ImageFolder  # noqa: E402

DEFAULT_FOLDER = Path(__file__).resolve().parent / "testdata" / "transforms" / "folder"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def epoch_milliseconds(loader: torch.utils.data.DataLoader) -> float:
    """Wall time of one pass over `loader`, in milliseconds."""
    start = time.perf_counter()
    for _images, _labels in loader:
        pass
    return (time.perf_counter() - start) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER, help="an ImageFolder root")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader num_workers (default 2)")
    parser.add_argument("--batch", type=int, default=8, help="batch size (default 8)")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs after one warm-up epoch (default 5)")
    arguments = parser.parse_args()
    transform = T.Compose([T.ToTensor(), T.Resize(256), T.CenterCrop(224), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    dataset = ImageFolder(str(arguments.folder), transform=transform)
    loader = torch.utils.data.DataLoader(dataset, batch_size=arguments.batch, num_workers=arguments.workers,
                                         persistent_workers=arguments.workers > 0)
    epoch_milliseconds(loader)
    median = statistics.median(epoch_milliseconds(loader) for _ in range(max(arguments.epochs, 1)))
    print(f"torchvision ImageFolder + DataLoader: {len(dataset) / (median / 1e3):.1f} images/s ({len(dataset)} images "
          f"per epoch, median epoch {median:.1f} ms, {arguments.workers} workers, batch {arguments.batch})")


if __name__ == "__main__":
    main()
