"""Deterministic HDF5 writing: gzip only (never lzf), no timestamps, HDF5 1.10 file format."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import torch

from tlref.cases import CaseSpec, Recorded, reduction_lengths

GZIP_LEVEL = 9
STRING = h5py.string_dtype("utf-8")
"""Strings are stored as scalar variable-length UTF-8 strings."""
LIBVER = ("v110", "v110")
"""HDF5 1.10 object formats: compact groups and single-chunk indexes keep ~300 small datasets under 1 MB, and the
system libhdf5 1.10.x that the Swift side links reads them (1.8 and older cannot)."""


def attribute_value(value: object) -> object:
    """Maps a Python attribute to the schema's HDF5 type: str, int64 scalar, float64 scalar, or int64 array."""
    if isinstance(value, bool):
        return np.int64(int(value))
    if isinstance(value, str):
        return np.array(str(value), dtype=STRING)
    if isinstance(value, int):
        return np.int64(value)
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, (tuple, list)) and all(isinstance(item, int) for item in value):
        return np.asarray(value, dtype=np.int64)
    raise TypeError(f"unsupported attribute value {value!r} of type {type(value).__name__}")


def write_attributes(node: h5py.Group, attributes: dict[str, object]) -> None:
    """Writes attributes in sorted key order so the file layout does not depend on dict order."""
    for key in sorted(attributes):
        node.attrs[key] = attribute_value(attributes[key])


def write_tensor(group: h5py.Group, name: str, tensor: torch.Tensor) -> None:
    """Writes one tensor as a dataset: gzip-compressed when rank > 0 (HDF5 cannot chunk a scalar)."""
    array = tensor.detach().cpu().contiguous().numpy()
    if array.ndim == 0:
        dataset = group.create_dataset(name, data=array, track_times=False)
    else:
        dataset = group.create_dataset(name, data=array, compression="gzip", compression_opts=GZIP_LEVEL,
                                       track_times=False)
    if dataset.shape != tuple(tensor.shape):
        raise ValueError(f"{dataset.name}: stored shape {dataset.shape} differs from tensor shape "
                         f"{tuple(tensor.shape)}")


def write_tensors(parent: h5py.Group, folder: str, tensors: dict[str, torch.Tensor]) -> None:
    """Writes `tensors` under a subgroup `folder`; writes nothing (not even the group) when empty."""
    if not tensors:
        return
    group = parent.create_group(folder, track_times=False)
    for name in sorted(tensors):
        write_tensor(group, name, tensors[name])


def write_case(cases: h5py.Group, spec: CaseSpec, recorded: Recorded) -> None:
    """Writes `/cases/<name>` with its attributes, inputs, output, grad_output, grads and state; every computed
    float tensor gets the attributes `float64_error` and `reduction_length` (SCHEMA.md)."""
    group = cases.create_group(spec.name, track_times=False)
    write_attributes(group, {"op": spec.op, "description": spec.description, **spec.attrs})
    write_tensors(group, "inputs", recorded.inputs)
    write_tensors(group, "outputs", {"output": recorded.output})
    write_tensor(group, "grad_output", recorded.grad_output)
    write_tensors(group, "grads", recorded.grads)
    write_tensors(group, "state", recorded.state)
    for path, length in reduction_lengths(spec, recorded).items():
        group[path].attrs["float64_error"] = np.float64(recorded.float64_errors[path])
        group[path].attrs["reduction_length"] = np.int64(length)


def open_for_writing(path: Path) -> h5py.File:
    """Creates (truncates) an HDF5 file with time tracking off and object formats bounded to HDF5 1.10."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return h5py.File(path, "w", libver=LIBVER, track_times=False)


def replace_atomically(temporary: Path, final: Path) -> None:
    """Moves a finished file into place so a failed run never leaves a half-written reference file."""
    os.replace(temporary, final)
