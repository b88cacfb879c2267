"""Checkpoint fixtures for the Swift `Checkpoints` module: files written by torch.save (zip and legacy), by hand
in the safetensors format, and hand-made hostile or broken files, plus `expected.h5` with every tensor's values.

Run from anywhere with the pinned venv (writes Fixtures/checkpoints/, about 150 KB):

    /opt/tlvenv/bin/python Fixtures/tlref/checkpoints.py [--out DIR] [--seed N]

Layout of `expected.h5` (one group per loadable fixture, named after the file without extension):

    /<fixture>            attrs: file (file name), keys (tensor keys in file order, newline-joined),
                                 dtypes (CheckpointDType raw values in the same order, newline-joined),
                                 module_versions ("prefix=version" lines from `_metadata`, "" when absent),
                                 options ("", "unwrap", "unwrap_key=<key>" or "strip_prefix=<prefix>")
    /<fixture>/<key>      float32 (floating-point tensors, converted as `tensor.float()`) or int64 (integer and
                          bool tensors) with the tensor's shape; a dataset per key

Every torch-written file is checked here with `torch.load(weights_only=True)`; every hostile file must make
torch refuse it too. Legacy files name storages by memory address (`str(storage._cdata)`), so their bytes change
from run to run while their values do not. Other files are byte-for-byte reproducible for a given seed.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import pickle
import shutil
import struct
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.dont_write_bytecode = True

from tlref.cases import case_seed  # noqa: E402
from tlref.h5write import attribute_value, open_for_writing, replace_atomically, write_tensor  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "checkpoints"
SWIFT_DTYPE = {
    torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16", torch.float64: "float64",
    torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
    torch.bool: "bool",
}
SAFETENSORS_DTYPE = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int64: "I64",
    torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}
SAFETENSORS_ORDER = ["BOOL", "U8", "I8", "I16", "F16", "BF16", "I32", "F32", "F64", "I64"]
"""The reference writer's `Dtype` enum order (subset); it places tensors by descending dtype, then by name."""


class Tiny(nn.Module):
    """conv1 (no bias) -> bn1 -> relu -> global average pool -> fc: every kind of ResNet state-dict entry, small."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.bn1(self.conv1(x))).mean((2, 3)))


def trained_tiny() -> Tiny:
    """A Tiny with random BatchNorm affine parameters and two training-mode batches of running statistics."""
    model = Tiny()
    with torch.no_grad():
        model.bn1.weight.uniform_(0.5, 1.5)
        model.bn1.bias.normal_()
    model.train()
    for _ in range(2):
        model(torch.randn(2, 3, 5, 5))
    return model


# MARK: - Expected values


class Expected:
    """Collects, per fixture, the tensors a correct reader returns and the attributes that describe them."""

    def __init__(self) -> None:
        self.groups: dict[str, tuple[dict[str, object], dict[str, torch.Tensor]]] = {}

    def add(self, file: str, tensors: dict[str, torch.Tensor], metadata: object = None, options: str = "") -> None:
        """Records `tensors` (copied now, in file order) with their `_metadata` versions and load options."""
        versions = "" if metadata is None else "\n".join(f"{prefix}={local['version']}"
                                                        for prefix, local in metadata.items() if "version" in local)
        attributes = {
            "file": file,
            "keys": "\n".join(tensors),
            "dtypes": "\n".join(SWIFT_DTYPE[tensor.dtype] for tensor in tensors.values()),
            "module_versions": versions,
            "options": options,
        }
        values = {key: (tensor.float() if tensor.is_floating_point() else tensor.long()).resolve_neg().clone()
                  for key, tensor in tensors.items()}
        self.groups[Path(file).stem] = (attributes, {key: value.contiguous() for key, value in values.items()})

    def write(self, path: Path, seed: int = 0) -> None:
        """Writes every recorded group to `path` (atomically, gzip, no timestamps), with the provenance root
        attributes every reference file carries (torch version, generator and its arguments, seed)."""
        temporary = path.with_name(path.name + ".tmp")
        with open_for_writing(temporary) as file:
            provenance = {"schema_version": 1, "generator": "Fixtures/generate_references.py",
                          "generator_args": "checkpoints", "torch_version": torch.__version__, "seed": seed}
            for key in sorted(provenance):
                file.attrs[key] = attribute_value(provenance[key])
            for name in sorted(self.groups):
                attributes, tensors = self.groups[name]
                group = file.create_group(name, track_times=False)
                for key in sorted(attributes):
                    group.attrs[key] = attributes[key]
                for key, tensor in tensors.items():
                    write_tensor(group, key, tensor)
        replace_atomically(temporary, path)


def check_torch_loads(path: Path, tensors: dict[str, torch.Tensor], unwrap: str | None = None) -> None:
    """Asserts that torch.load(weights_only=True) reads `path` back to exactly `tensors`."""
    loaded = torch.load(path, weights_only=True)
    if unwrap is not None:
        loaded = loaded[unwrap]
    if list(loaded) != list(tensors):
        raise AssertionError(f"{path.name}: keys {list(loaded)} != {list(tensors)}")
    for key, tensor in tensors.items():
        if loaded[key].dtype != tensor.dtype or not torch.equal(loaded[key], tensor):
            raise AssertionError(f"{path.name}: tensor {key!r} does not round-trip through torch.load")


# MARK: - torch.save fixtures


def save_torch(out: Path, expected: Expected, file: str, state: dict[str, torch.Tensor], legacy: bool = False,
               options: str = "") -> None:
    """torch.save(state) in the zip or legacy format, checked with torch.load, recorded as expected values."""
    path = out / file
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)
    check_torch_loads(path, dict(state))
    expected.add(file, dict(state), getattr(state, "_metadata", None), options)


def module_fixtures(out: Path, expected: Expected, seed: int) -> None:
    """Tiny's state dict in float32, float16 and bfloat16, each in the zip and the legacy format."""
    for dtype, suffix in [(torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")]:
        for legacy in (False, True):
            name = f"{'legacy' if legacy else 'zip'}_tiny_{suffix}"
            torch.manual_seed(case_seed(seed, f"tiny_{suffix}"))
            state = trained_tiny().to(dtype).state_dict()
            save_torch(out, expected, name + ".pth", state, legacy=legacy)


def view_fixtures(out: Path, expected: Expected, seed: int) -> None:
    """Shared storages with offsets, strided and negated views, every dtype, a 0-d and an empty tensor,
    parameters, and a file saved without CRCs."""
    torch.manual_seed(case_seed(seed, "shared_storage"))
    base = torch.randn(10)
    shared = collections.OrderedDict(x=base[2:6], y=base[4:10].view(2, 3), whole=base)
    save_torch(out, expected, "zip_shared_storage.pth", shared)
    save_torch(out, expected, "legacy_shared_storage.pth", shared, legacy=True)

    torch.manual_seed(case_seed(seed, "views"))
    matrix = torch.randn(3, 4)
    views = collections.OrderedDict(
        transposed=matrix.t(), column=matrix[:, 1], every_third=torch.randn(10)[::3],
        permuted=torch.randn(2, 3, 4).permute(2, 0, 1), negated=torch._neg_view(torch.randn(3)))
    save_torch(out, expected, "zip_views.pth", views)

    torch.manual_seed(case_seed(seed, "dtypes"))
    dtypes = collections.OrderedDict(
        scalar=torch.tensor(3.25), f64=torch.randn(2, 3, dtype=torch.float64),
        i64=torch.randint(-2**40, 2**40, (4,), dtype=torch.int64),
        i32=torch.randint(-2**31, 2**31 - 1, (3,), dtype=torch.int32),
        i16=torch.randint(-2**15, 2**15 - 1, (3,), dtype=torch.int16),
        i8=torch.randint(-128, 127, (3,), dtype=torch.int8),
        u8=torch.randint(0, 255, (2, 2), dtype=torch.uint8), flags=torch.tensor([True, False, True]),
        empty=torch.zeros(0, 3), step=torch.tensor(7))
    save_torch(out, expected, "zip_dtypes.pth", dtypes)
    save_torch(out, expected, "legacy_dtypes.pth", dtypes, legacy=True)

    from torch.utils.serialization import config
    config.save.compute_crc32 = False
    try:
        save_torch(out, expected, "zip_no_crc.pth", collections.OrderedDict(weight=dtypes["f64"].float()))
    finally:
        config.save.compute_crc32 = True

    torch.manual_seed(case_seed(seed, "parameters"))
    parameters = {"weight": nn.Parameter(torch.randn(2, 2)), "bias": nn.Parameter(torch.randn(2), requires_grad=False)}
    torch.save(parameters, out / "zip_parameters.pth")
    plain = {key: value.detach() for key, value in parameters.items()}
    check_torch_loads(out / "zip_parameters.pth", plain)
    expected.add("zip_parameters.pth", plain)


def container_fixtures(out: Path, expected: Expected, seed: int) -> None:
    """A different top folder, training checkpoints that wrap the state dict, and a DataParallel state dict."""
    torch.manual_seed(case_seed(seed, "containers"))
    model = trained_tiny()
    state = model.state_dict()

    with tempfile.TemporaryDirectory() as folder:
        renamed = Path(folder) / "exported_weights.bin"
        torch.save(state, renamed)
        shutil.copyfile(renamed, out / "zip_top_folder.pth")
    check_torch_loads(out / "zip_top_folder.pth", dict(state))
    expected.add("zip_top_folder.pth", dict(state), state._metadata)

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 5, 5)).sum().backward()
    optimizer.step()
    state = model.state_dict()
    wrapped = {"epoch": 7, "arch": "tiny", "best_accuracy": 0.75, "state_dict": state,
               "optimizer": optimizer.state_dict(), "history": [0.5, 0.25], "flags": (True, None),
               "extras": {"device": torch.device("cuda", 0), "dtype": torch.float16, "size": torch.Size([2, 3]),
                          "bytes": b"\x00\xff", "big": 2**70}}
    torch.save(wrapped, out / "zip_wrapped.pth")
    check_torch_loads(out / "zip_wrapped.pth", dict(state), unwrap="state_dict")
    expected.add("zip_wrapped.pth", dict(state), state._metadata, options="unwrap")
    torch.save({"model": state, "epoch": 1}, out / "legacy_wrapped_model.pth", _use_new_zipfile_serialization=False)
    check_torch_loads(out / "legacy_wrapped_model.pth", dict(state), unwrap="model")
    expected.add("legacy_wrapped_model.pth", dict(state), state._metadata, options="unwrap_key=model")

    parallel = nn.DataParallel(model).state_dict()
    torch.save(parallel, out / "zip_dataparallel.pth")
    check_torch_loads(out / "zip_dataparallel.pth", dict(parallel))
    stripped = collections.OrderedDict((key.removeprefix("module."), value) for key, value in parallel.items())
    metadata = {("" if prefix == "module" else prefix.removeprefix("module.")): local
                for prefix, local in parallel._metadata.items()}
    expected.add("zip_dataparallel.pth", stripped, metadata, options="strip_prefix=module.")


# MARK: - Repacked zip containers


def torch_records(path: Path) -> tuple[str, list[tuple[str, bytes]]]:
    """The top folder and the (name without top folder, bytes) records of a torch zip checkpoint."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        top = names[0].split("/")[0]
        return top, [(name[len(top) + 1:], archive.read(name)) for name in names]


def write_zipfile(path: Path, top: str, records: list[tuple[str, bytes]], method: int = zipfile.ZIP_STORED) -> None:
    """A plain zipfile archive (no alignment, no data descriptors, fixed timestamps)."""
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in records:
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)


def write_forced_zip64(path: Path, top: str, records: list[tuple[str, bytes]]) -> None:
    """A zip whose central directory uses ZIP64 extra fields for every size and offset (0xFFFFFFFF placeholders)
    and ZIP64 end records: legal for small files, and the only way to test the ZIP64 paths without 4 GB."""
    body, central = bytearray(), bytearray()
    for name, data in records:
        encoded = f"{top}/{name}".encode()
        crc = zlib.crc32(data)
        offset = len(body)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                            len(encoded), len(local_extra)) + encoded + local_extra + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(encoded), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + encoded + extra
    directory_offset = len(body)
    record_offset = directory_offset + len(central)
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(records), len(records), len(central),
                        directory_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, record_offset, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path.write_bytes(bytes(body + central + end64 + locator + end))


def repacked_fixtures(out: Path, expected: Expected, seed: int) -> None:
    """zip_tiny_f32's records in other containers: plain zipfile (unaligned, with and without `version`),
    forced ZIP64, big-endian data, deflate-compressed, a missing record; and a TorchScript archive."""
    source = out / "zip_tiny_f32.pth"
    state = torch.load(source, weights_only=True)
    top, records = torch_records(source)
    wanted = [record for record in records if record[0] == "data.pkl" or record[0].startswith("data/")]

    write_zipfile(out / "zipfile_repacked.pth", "repacked", wanted + [("version", b"3\n")])
    check_torch_loads(out / "zipfile_repacked.pth", dict(state))
    expected.add("zipfile_repacked.pth", dict(state), state._metadata)

    write_zipfile(out / "zipfile_minimal.pth", "minimal", wanted)
    expected.add("zipfile_minimal.pth", dict(state), state._metadata)

    write_forced_zip64(out / "zip64_forced.pth", top, records)
    check_torch_loads(out / "zip64_forced.pth", dict(state))
    expected.add("zip64_forced.pth", dict(state), state._metadata)

    tensors = list(state.values())
    big = []
    for name, data in records:
        if name == "byteorder":
            data = b"big"
        elif name.startswith("data/"):
            little = "<i8" if tensors[int(name[5:])].dtype == torch.int64 else "<f4"
            data = np.frombuffer(data, dtype=little).astype(little.replace("<", ">")).tobytes()
        big.append((name, data))
    write_zipfile(out / "zip_big_endian.pth", top, big)
    check_torch_loads(out / "zip_big_endian.pth", dict(state))
    expected.add("zip_big_endian.pth", dict(state), state._metadata)

    write_zipfile(out / "bad_compressed.pth", top, records, method=zipfile.ZIP_DEFLATED)
    write_zipfile(out / "bad_missing_record.pth", top, [record for record in records if record[0] != "data/1"])

    scripted = torch.jit.script(nn.ReLU())  # one constant: modules with several are saved in hash order
    scripted.save(str(out / "bad_torchscript.pt"))


# MARK: - Hand-made pickles


class FakeStorage:
    """Pickles as a storage persistent id with any class, key and element count."""

    def __init__(self, storage_class: type, key: str, count: int) -> None:
        self.storage_class, self.key, self.count = storage_class, key, count


class FakeTensor:
    """Pickles as `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` with any numbers."""

    def __init__(self, storage: FakeStorage, size: tuple, stride: tuple, offset: int = 0) -> None:
        self.storage, self.size, self.stride, self.offset = storage, size, stride, offset

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class TorchLikePickler(pickle.Pickler):
    """Pickles FakeStorage as torch.save's storage persistent id."""

    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", obj.storage_class, obj.key, "cpu", obj.count)
        return None


def fake_pickle(state: dict) -> bytes:
    """`state` pickled with protocol 2 as torch.save would, FakeTensors included."""
    buffer = io.BytesIO()
    TorchLikePickler(buffer, protocol=2).dump(state)
    return buffer.getvalue()


def evil_pickle(module: str, name: str, argument: str) -> bytes:
    """GLOBAL module.name, then REDUCE with (argument,): what `pickle` emits for an object whose __reduce__ calls it."""
    text = argument.encode()
    return (b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\nq\x00X" + struct.pack("<I", len(text)) +
            text + b"q\x01\x85q\x02Rq\x03.")


def hostile_fixtures(out: Path) -> None:
    """Pickles that call os.system, posix.system, builtins.eval or builtins.exec, in zip and legacy files;
    torch.load(weights_only=True) must refuse each one."""
    records = [("version", b"3\n"), ("byteorder", b"little")]
    evil = {
        "evil_os_system.pth": evil_pickle("os", "system", "echo pwned"),
        "evil_posix_system.pth": evil_pickle("posix", "system", "echo pwned"),
        "evil_builtins_eval.pth": evil_pickle("builtins", "eval", "__import__('os').system('echo pwned')"),
        "evil_hidden_exec.pth": hidden_state_dict(),
    }
    for file, pickle_bytes in evil.items():
        data = [("data/0", struct.pack("<2f", 1.0, 2.0))] if file == "evil_hidden_exec.pth" else []
        write_zipfile(out / file, "archive", [("data.pkl", pickle_bytes)] + data + records)
    legacy = io.BytesIO()
    for value in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
        pickle.dump(value, legacy, protocol=2)
    legacy.write(evil_pickle("posix", "system", "echo pwned"))
    (out / "evil_legacy.pth").write_bytes(legacy.getvalue())
    for file in [*evil, "evil_legacy.pth"]:
        try:
            torch.load(out / file, weights_only=True)
        except pickle.UnpicklingError:
            continue
        raise AssertionError(f"torch.load accepted the hostile fixture {file}")


def hidden_state_dict() -> bytes:
    """A real-looking state dict whose second value is `builtins.exec(...)`, the global hidden after a tensor."""
    tensor = fake_pickle(FakeTensor(FakeStorage(torch.FloatStorage, "0", 2), (2,), (1,)))
    exec_call = evil_pickle("builtins", "exec", "print('pwned')")
    return (b"\x80\x02}(X\x06\x00\x00\x00weight" + tensor[2:-1] + b"X\x04\x00\x00\x00evil" + exec_call[2:-1] +
            b"u.")


def broken_fixtures(out: Path) -> None:
    """Well-formed containers around impossible numbers: a short record, a 10^12-element tensor or storage,
    a stride-0 expansion, and opcodes outside the restricted set (INST, 0xfe)."""
    records = [("version", b"3\n"), ("byteorder", b"little")]
    four = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    cases = {
        "bad_short_record.pth": ({"w": FakeTensor(FakeStorage(torch.FloatStorage, "0", 4), (4,), (1,))}, four[:12]),
        "bad_huge_tensor.pth": ({"w": FakeTensor(FakeStorage(torch.FloatStorage, "0", 4), (10**6, 10**6), (10**6, 1))},
                                four),
        "bad_huge_storage.pth": ({"w": FakeTensor(FakeStorage(torch.FloatStorage, "0", 10**12), (4,), (1,))}, four),
        "bad_expanded_view.pth": ({"w": FakeTensor(FakeStorage(torch.FloatStorage, "0", 4), (10**6, 10**6), (0, 0))},
                                  four),
    }
    for file, (state, data) in cases.items():
        write_zipfile(out / file, "archive", [("data.pkl", fake_pickle(state)), ("data/0", data)] + records)
    tensor = fake_pickle({"w": FakeTensor(FakeStorage(torch.FloatStorage, "0", 4), (4,), (1,))})
    inst = tensor[:2] + b"(i__main__\nThing\n" + tensor[2:]
    unknown = tensor[:2] + b"\xfe" + tensor[2:]
    for file, pickle_bytes in {"bad_inst_opcode.pth": inst, "bad_unknown_opcode.pth": unknown}.items():
        write_zipfile(out / file, "archive", [("data.pkl", pickle_bytes), ("data/0", four)] + records)


# MARK: - safetensors


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None) -> list[str]:
    """Writes `tensors` as the reference writer does (placed by descending dtype, then name; header padded with
    spaces to 8 bytes) and returns the keys in header order."""
    order = sorted(tensors, key=lambda key: (-SAFETENSORS_ORDER.index(SAFETENSORS_DTYPE[tensors[key].dtype]), key))
    header: dict[str, object] = {} if metadata is None else {"__metadata__": metadata}
    buffers, offset = [], 0
    for key in order:
        flat = tensors[key].contiguous().reshape(-1)
        data = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        tensor = tensors[key]
        header[key] = {"dtype": SAFETENSORS_DTYPE[tensor.dtype], "shape": list(tensor.shape),
                       "data_offsets": [offset, offset + len(data)]}
        buffers.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(buffers))
    return order


def safetensors_fixtures(out: Path, expected: Expected, seed: int) -> None:
    """A Tiny state dict with metadata, and one tensor of every supported safetensors dtype."""
    torch.manual_seed(case_seed(seed, "safetensors_tiny"))
    state = trained_tiny().state_dict()
    order = write_safetensors(out / "st_tiny_f32.safetensors", dict(state), {"format": "pt", "source": "tlref"})
    expected.add("st_tiny_f32.safetensors", {key: state[key] for key in order})

    torch.manual_seed(case_seed(seed, "safetensors_dtypes"))
    tensors = {"half": torch.randn(2, 3).half(), "brain": torch.randn(5).bfloat16(),
               "double": torch.randn(2, 2).double(),
               "long": torch.randint(-2**40, 2**40, (3,)), "int": torch.randint(-100, 100, (2,), dtype=torch.int32),
               "short": torch.tensor([-3, 4], dtype=torch.int16), "byte": torch.tensor([0, 255], dtype=torch.uint8),
               "char": torch.tensor([-128, 127], dtype=torch.int8), "mask": torch.tensor([True, False]),
               "scalar": torch.tensor(1.5), "empty": torch.zeros(0, 2)}
    order = write_safetensors(out / "st_dtypes.safetensors", tensors, None)
    expected.add("st_dtypes.safetensors", {key: tensors[key] for key in order})


# MARK: - Entry points


def generate_checkpoints(out_dir: Path | str = DEFAULT_OUT, seed: int = 0) -> None:
    """Writes every checkpoint fixture and `expected.h5` into `out_dir`, deterministically for `seed`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_default_dtype(torch.float32)
    expected = Expected()
    module_fixtures(out, expected, seed)
    view_fixtures(out, expected, seed)
    container_fixtures(out, expected, seed)
    repacked_fixtures(out, expected, seed)
    hostile_fixtures(out)
    broken_fixtures(out)
    safetensors_fixtures(out, expected, seed)
    expected.write(out / "expected.h5", seed)
    files = sorted(path for path in out.iterdir() if path.is_file())
    total = sum(path.stat().st_size for path in files)
    print(f"wrote {len(files)} files to {out} ({total} bytes), {len(expected.groups)} with expected values")


def main() -> None:
    """The command line: --out and --seed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default Fixtures/checkpoints)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    arguments = parser.parse_args()
    generate_checkpoints(arguments.out, arguments.seed)


if __name__ == "__main__":
    main()
