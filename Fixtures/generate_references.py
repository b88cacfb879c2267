"""Records PyTorch reference values into HDF5 files for the Swift engine's tests.

Usage (from the package root, with the pinned venv):
    /opt/tlvenv/bin/python Fixtures/generate_references.py ops [--out PATH] [--seed N]

Each subcommand writes one file deterministically: the same seed and the same pinned versions give identical
values. The HDF5 layout is documented in Fixtures/references/SCHEMA.md. To add a subcommand, write a function
`generate_<name>(out, seed, argv)` and register it in SUBCOMMANDS with its help text and default output path.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.dont_write_bytecode = True  # keep __pycache__ folders out of the repository

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from tlref.cases import case_seed, validate  # noqa: E402
from tlref.h5write import open_for_writing, replace_atomically, write_attributes, write_case  # noqa: E402
from tlref.ops import all_op_cases  # noqa: E402
from tlref.optim import generate_optim  # noqa: E402
from tlref.traces import generate_traces  # noqa: E402
from tlref.transforms import generate_transforms  # noqa: E402
from tlref.images import generate_images  # noqa: E402
from tlref.jpeg import generate_jpeg  # noqa: E402
from tlref.checkpoints import generate_checkpoints  # noqa: E402
from tlref.data import generate_data  # noqa: E402
from tlref.lessons import generate_lessons  # noqa: E402
from tlref.metrics import generate_metrics  # noqa: E402

FIXTURES = Path(__file__).resolve().parent
SCHEMA_VERSION = 1
GENERATOR = "Fixtures/generate_references.py"


def configure_torch() -> None:
    """Deterministic, single-threaded float32 CPU execution for every subcommand."""
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)


def root_attributes(seed: int, argv: list[str]) -> dict[str, object]:
    """The attributes every reference file carries at its root (see SCHEMA.md)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": GENERATOR,
        "generator_args": shlex.join(argv),
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "h5py_version": h5py.__version__,
        "seed": seed,
    }


def generate_ops(out: Path, seed: int, argv: list[str]) -> None:
    """Writes one `/cases/<name>` group per op case: inputs, output, grad_output, grads and state."""
    specs = all_op_cases()
    temporary = out.with_name(out.name + ".tmp")
    with open_for_writing(temporary) as file:
        write_attributes(file, root_attributes(seed, argv))
        cases = file.create_group("cases", track_times=False)
        for spec in specs:
            torch.manual_seed(case_seed(seed, spec.name))
            recorded = spec.record()
            validate(spec, recorded)
            write_case(cases, spec, recorded)
    replace_atomically(temporary, out)
    counts: dict[str, int] = {}
    for spec in specs:
        counts[spec.op] = counts.get(spec.op, 0) + 1
    summary = ", ".join(f"{op} {count}" for op, count in counts.items())
    print(f"wrote {len(specs)} cases to {out} ({out.stat().st_size} bytes): {summary}")


@dataclass(frozen=True)
class Subcommand:
    """One kind of reference file: what it holds, where it goes by default, and the function that writes it."""

    help: str
    default_out: Path
    generate: Callable[[Path, int, list[str]], None]


SUBCOMMANDS: dict[str, Subcommand] = {
    "ops": Subcommand("per-op forward/backward references", FIXTURES / "references" / "ops.h5", generate_ops),
    "traces": Subcommand("whole-model ResNet training traces, one file per trace (--out is a folder)",
                         FIXTURES / "references" / "traces", generate_traces),
    "optim": Subcommand("SGD, Adam and AdamW steps and StepLR / CosineAnnealingLR schedules",
                        FIXTURES / "references" / "optim.h5", generate_optim),
    "transforms": Subcommand("torchvision transform, ImageFolder and DataLoader references "
                             "(also rewrites Fixtures/testdata/transforms and imagefolder)",
                             FIXTURES / "references" / "transforms.h5", generate_transforms),
    "images": Subcommand("PNG decoding fixtures and torchvision read_image results (--out is a folder)",
                         FIXTURES / "testdata" / "png", lambda out, seed, argv: generate_images(out, seed)),
    "jpeg": Subcommand("JPEG decoding fixtures (and bad ones), an ImageFolder tree, and PIL's convert('RGB') results "
                       "(--out is a folder)", FIXTURES / "testdata" / "jpeg", generate_jpeg),
    "checkpoints": Subcommand("torch.save fixtures (zip, legacy, safetensors, hostile pickles) and their values "
                              "(--out is a folder)", FIXTURES / "checkpoints",
                              lambda out, seed, argv: generate_checkpoints(out, seed)),
    "data": Subcommand("embedded digits dataset, pretrained checkpoint and premise table (--out is the data folder; "
                       "the checkpoint goes to ../models)", FIXTURES / "data", generate_data),
    "lessons": Subcommand("the lessons' PyTorch references: the post's steps on the embedded model and data",
                          FIXTURES / "references" / "lessons.h5", generate_lessons),
    "metrics": Subcommand("scikit-learn's accuracy, precision/recall/F1/support and confusion matrix, and torch's "
                          "argmax, cross-entropy and softmax, on committed predictions",
                          FIXTURES / "references" / "metrics.h5", generate_metrics),
}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, subcommand in SUBCOMMANDS.items():
        command = commands.add_parser(name, help=subcommand.help)
        command.add_argument("--out", type=Path, default=subcommand.default_out,
                             help=f"output file or folder (default: {subcommand.default_out.relative_to(FIXTURES.parent)})")
        command.add_argument("--seed", type=int, default=0, help="base seed; each case adds crc32(name) (default 0)")
        if name == "traces":
            command.add_argument("--only", default="", help="record only these committed traces (comma-separated)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    arguments = parse_arguments(argv)
    configure_torch()
    SUBCOMMANDS[arguments.command].generate(arguments.out, arguments.seed, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
