"""Checks, with torch and torchvision, the checkpoint files the Swift `Checkpoints` module wrote.

First let the Swift test write them, then run this script on the same folder:

    CHECKPOINTS_EXPORT_DIR=/tmp/swift-checkpoints swift test -c release --filter PythonExportTests
    /opt/tlvenv/bin/python Fixtures/tlref/verify_swift_checkpoints.py /tmp/swift-checkpoints

Every .pth file must load with `torch.load(path, weights_only=True)` into the matching module with
`load_state_dict(strict=True)` and hold exactly the fixture's values. `swift_tiny_f32.pth` and `swift_resnet18.pth`
must be byte-identical to what `torch.save` writes for the same state dict, except the 40-byte serialization id
(torch derives it from `std::hash` of the record names). Safetensors files are parsed by the format's rules (no
`safetensors` package needed). Prints one line per file; exits 1 on any failure.
"""

from __future__ import annotations

import json
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
import torchvision

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.dont_write_bytecode = True

from tlref.checkpoints import DEFAULT_OUT, Tiny  # noqa: E402

NUMPY_DTYPE = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
               "U8": "u1", "BOOL": "?"}


def fixture(name: str) -> dict[str, torch.Tensor]:
    """The state dict torch loads from the committed fixture `name`."""
    return torch.load(DEFAULT_OUT / name, weights_only=True)


def same(actual: dict[str, torch.Tensor], expected: dict[str, torch.Tensor], what: str) -> None:
    """Keys in order, dtypes and values must match exactly (float64 values were rounded to float32 by Swift)."""
    if list(actual) != list(expected):
        raise AssertionError(f"{what}: keys {list(actual)} != {list(expected)}")
    for key, tensor in expected.items():
        want = tensor.resolve_neg()
        if want.dtype == torch.float64:
            want = want.float().double()
        if actual[key].dtype != want.dtype or actual[key].shape != want.shape or not torch.equal(actual[key], want):
            raise AssertionError(f"{what}: tensor {key!r} differs ({actual[key].dtype} {tuple(actual[key].shape)})")


def check_tiny(path: Path, source: str, dtype: torch.dtype) -> None:
    """`path` holds the fixture `source`'s values and `_metadata` and loads strictly into a Tiny of `dtype`."""
    state = torch.load(path, weights_only=True)
    same(state, fixture(source), path.name)
    model = Tiny().to(dtype)
    model.load_state_dict(state, strict=True)
    if dict(getattr(state, "_metadata", {})) != dict(fixture(source)._metadata):
        raise AssertionError(f"{path.name}: _metadata differs")


def check_torch_bytes(path: Path, state: dict[str, torch.Tensor]) -> None:
    """Swift's zip must equal torch.save's output for the same state dict, except the serialization id."""
    with tempfile.TemporaryDirectory() as folder:
        reference = Path(folder) / path.name
        torch.save(state, reference)
        theirs, ours = reference.read_bytes(), path.read_bytes()
    if len(theirs) != len(ours):
        raise AssertionError(f"{path.name}: {len(ours)} bytes, torch.save writes {len(theirs)}")
    differs = np.frombuffer(ours, dtype=np.uint8) != np.frombuffer(theirs, dtype=np.uint8)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(f"{path.stem}/.data/serialization_id")
        (extra_length,) = struct.unpack_from("<H", ours, info.header_offset + 28)
        start = info.header_offset + 30 + len(info.filename) + extra_length
        differs[start:start + info.file_size + 8] = False
        central = ours.rindex(b"PK\x01\x02", 0, ours.rindex(info.filename.encode()))
        differs[central + 16:central + 20] = False
    if differs.any():
        raise AssertionError(f"{path.name}: bytes differ from torch.save at offsets {np.flatnonzero(differs)[:8]}")


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A strict reader following the format: header length, JSON, offsets tiling the buffer exactly."""
    data = path.read_bytes()
    (length,) = struct.unpack_from("<Q", data)
    if length % 8 or length > 100_000_000:
        raise AssertionError(f"{path.name}: header length {length} is not padded to 8 or too large")
    header = json.loads(data[8:8 + length])
    buffer = data[8 + length:]
    metadata = header.pop("__metadata__", {})
    tensors, end = {}, 0
    for key, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, stop = entry["data_offsets"]
        dtype = np.dtype(NUMPY_DTYPE.get(entry["dtype"], "<u2"))
        if begin != end or stop - begin != int(np.prod(entry["shape"], dtype=np.int64)) * dtype.itemsize:
            raise AssertionError(f"{path.name}: {key} has offsets {entry['data_offsets']} after byte {end}")
        if begin % dtype.itemsize:
            raise AssertionError(f"{path.name}: {key} data at {begin} is not aligned to {dtype.itemsize}")
        raw = np.frombuffer(buffer[begin:stop], dtype=dtype).copy()
        if entry["dtype"] == "BF16":
            tensor = torch.from_numpy(raw.view(np.int16)).view(torch.bfloat16)
        else:
            tensor = torch.from_numpy(raw)
        tensors[key] = tensor.reshape(entry["shape"])
        end = stop
    if end != len(buffer):
        raise AssertionError(f"{path.name}: tensors cover {end} of {len(buffer)} bytes")
    order = [key for key in header]
    return {key: tensors[key] for key in order}, metadata


def resnet18_value(index: int, key: str, shape: tuple[int, ...]) -> torch.Tensor:
    """The formula PythonExportTests.swift fills tensor number `index` with, in float32."""
    if key.endswith("num_batches_tracked"):
        return torch.tensor(index)
    count = int(np.prod(shape, dtype=np.int64))
    ramp = ((np.arange(count, dtype=np.int64) * 7 + 13 * index) % 1000).astype(np.float32)
    values = ramp / np.float32(1000) - np.float32(0.5)
    if key.endswith("running_var"):
        values = values + np.float32(1)
    return torch.from_numpy(values.astype(np.float32)).reshape(shape)


def check_resnet18(state: dict[str, torch.Tensor], what: str) -> None:
    """`state` loads strictly into torchvision's resnet18, holds the formula's values and runs forward."""
    model = torchvision.models.resnet18(weights=None)
    if list(state) != list(model.state_dict()):
        raise AssertionError(f"{what}: keys are not torchvision's resnet18 keys in order")
    model.load_state_dict(state, strict=True)
    expected = {key: resnet18_value(index, key, tuple(tensor.shape))
                for index, (key, tensor) in enumerate(state.items())}
    same(dict(model.state_dict()), expected, what)
    model.eval()
    with torch.no_grad():
        output = model(torch.zeros(1, 3, 64, 64))
    if not torch.isfinite(output).all():
        raise AssertionError(f"{what}: forward pass gave non-finite values")


def main(folder: Path) -> int:
    """Checks every expected file in `folder`; returns the exit status."""
    checks = {
        "swift_tiny_f32.pth": lambda path: (check_tiny(path, "zip_tiny_f32.pth", torch.float32),
                                            check_torch_bytes(path, fixture("zip_tiny_f32.pth"))),
        "swift_tiny_f16.pth": lambda path: check_tiny(path, "zip_tiny_f16.pth", torch.float16),
        "swift_tiny_bf16_legacy.pth": lambda path: check_tiny(path, "zip_tiny_bf16.pth", torch.bfloat16),
        "swift_tiny_f32_legacy.pth": lambda path: check_tiny(path, "zip_tiny_f32.pth", torch.float32),
        "swift_dtypes.pth": lambda path: same(torch.load(path, weights_only=True), fixture("zip_dtypes.pth"),
                                              path.name),
        "swift_tiny_f32.safetensors": lambda path: same(read_safetensors(path)[0], fixture("zip_tiny_f32.pth"),
                                                        path.name),
        "swift_dtypes.safetensors": lambda path: same(read_safetensors(path)[0], fixture("zip_dtypes.pth"), path.name),
        "swift_resnet18.pth": lambda path: (check_resnet18(torch.load(path, weights_only=True), path.name),
                                            check_torch_bytes(path, torch.load(path, weights_only=True))),
        "swift_resnet18.safetensors": lambda path: check_resnet18(read_safetensors(path)[0], path.name),
    }
    failures = 0
    for name, check in checks.items():
        path = folder / name
        try:
            if not path.exists():
                raise AssertionError("missing (run the Swift export test first)")
            check(path)
            print(f"ok    {name}")
        except Exception as error:  # noqa: BLE001 - report every file, then fail
            failures += 1
            print(f"FAIL  {name}: {error}")
    verified = len(checks) - failures
    print(f"{verified} of {len(checks)} Swift-written checkpoints verified with torch {torch.__version__}")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
