"""The portable counter-based generator and the portable ResNet initialisation (bit-exact in Python and Swift).

A named stream under a seed has `key = splitmix64(fnv1a64(name) ^ seed)`; its element i (row-major) is
`u_i = float32(splitmix64(key + i) >> 40) * float32(2^-24)`, a float32 in [0, 1). All integer arithmetic wraps
modulo 2^64 and every derived value is computed in float32 in the order written below, so the Swift twin
(Sources/Tensors/PortableRandom.swift) regenerates the same weights and inputs bit for bit instead of reading them.

Run `/opt/tlvenv/bin/python Fixtures/tlref/portable.py` to print the known-answer values quoted in
Fixtures/references/TRACES.md (the traces subcommand checks them too).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = (1 << 64) - 1
_TWO_TO_MINUS_24 = np.float32(2.0 ** -24)
_ONE, _TWO = np.float32(1.0), np.float32(2.0)


def splitmix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function of `z + 0x9E3779B97F4A7C15`, element-wise and wrapping, as a uint64 array.

    Scalars come back as 1-element arrays: numpy warns on overflow of uint64 scalars but not of arrays.
    """
    z = np.array(z, dtype=np.uint64, ndmin=1) + _GOLDEN_GAMMA
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def fnv1a64(name: str) -> int:
    """64-bit FNV-1a over the UTF-8 bytes of `name`."""
    value = _FNV_OFFSET
    for byte in name.encode("utf-8"):
        value = ((value ^ byte) * _FNV_PRIME) & _MASK64
    return value


def stream_key(name: str, seed: int) -> int:
    """The key of the stream `name` under `seed` (0 <= seed < 2^64): splitmix64(fnv1a64(name) ^ seed)."""
    seed = int(seed)
    if not 0 <= seed <= _MASK64:
        raise ValueError(f"portable seed {seed} is outside 0 ..< 2^64")
    return int(splitmix64(fnv1a64(name) ^ seed)[0])


def stream_bits(name: str, seed: int, count: int) -> np.ndarray:
    """The raw 64-bit words splitmix64(key + i) for i = 0 ..< count."""
    return splitmix64(np.arange(count, dtype=np.uint64) + np.uint64(stream_key(name, seed)))


def uniform01(name: str, seed: int, count: int) -> np.ndarray:
    """The first `count` float32 uniforms u_i in [0, 1) of the stream `name` under `seed`."""
    return (stream_bits(name, seed, count) >> np.uint64(40)).astype(np.float32) * _TWO_TO_MINUS_24


def symmetric(name: str, seed: int, shape: tuple[int, ...], bound: float) -> np.ndarray:
    """`(u*2 - 1) * b` in float32 with `b = float32(bound)`, shaped row-major: uniform in [-b, b)."""
    u = uniform01(name, seed, math.prod(shape)).reshape(shape)
    return (u * _TWO - _ONE) * np.float32(bound)


def portable_input(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """The input batch: stream "input", `(u*2 - 1) * 2` in float32 (uniform in [-2, 2))."""
    return torch.from_numpy(symmetric("input", seed, tuple(shape), 2.0))


def portable_targets(count: int, num_classes: int, seed: int) -> torch.Tensor:
    """Class indices in 0 ..< num_classes from stream "target": `((splitmix64(key + i) >> 40) * C) >> 24` (int64)."""
    bits = stream_bits("target", seed, count) >> np.uint64(40)
    return torch.from_numpy(((bits * np.uint64(num_classes)) >> np.uint64(24)).astype(np.int64))


def _entry_value(key: str, module: nn.Module, leaf: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """The portable value of one state_dict entry, chosen by its module's type and its leaf name."""
    if isinstance(module, nn.Conv2d) and leaf == "weight":
        out_channels, _, kh, kw = shape
        return symmetric(key, seed, shape, math.sqrt(6.0 / (out_channels * kh * kw)))
    if isinstance(module, nn.BatchNorm2d):
        if leaf == "num_batches_tracked":
            return np.zeros(shape, dtype=np.int64)
        u = uniform01(key, seed, math.prod(shape)).reshape(shape)
        if leaf == "weight":
            return u * np.float32(0.5) + np.float32(0.75)
        if leaf in ("bias", "running_mean"):
            return (u * _TWO - _ONE) * np.float32(0.2)
        if leaf == "running_var":
            return u + np.float32(0.5)
    if isinstance(module, nn.Linear) and leaf in ("weight", "bias"):
        return symmetric(key, seed, shape, 1.0 / math.sqrt(module.in_features))
    raise ValueError(f"portable_init_: no portable rule for state_dict entry {key!r} of a "
                     f"{type(module).__name__} with shape {list(shape)}")


def portable_init_(model: nn.Module, seed: int, zero_init_residual: bool = False) -> nn.Module:
    """Overwrites every state_dict entry of a torchvision-structured ResNet with its portable value, in place.

    Each entry draws from the stream named by its state_dict key. With `zero_init_residual`, the last BatchNorm
    weight of every residual branch (BasicBlock.bn2, Bottleneck.bn3) is then set to 0, as torchvision does.
    """
    from torchvision.models.resnet import BasicBlock, Bottleneck

    state = model.state_dict()
    with torch.no_grad():
        for key, tensor in state.items():
            prefix, _, leaf = key.rpartition(".")
            module = model.get_submodule(prefix)
            value = torch.from_numpy(_entry_value(key, module, leaf, tuple(tensor.shape), seed))
            if value.dtype != tensor.dtype:
                raise ValueError(f"portable_init_: {key!r} has dtype {tensor.dtype}, the rule gives {value.dtype}")
            tensor.copy_(value)
        if zero_init_residual:
            for module in model.modules():
                if isinstance(module, Bottleneck):
                    module.bn3.weight.zero_()
                elif isinstance(module, BasicBlock):
                    module.bn2.weight.zero_()
    return model


KNOWN_ANSWERS: dict[str, object] = {
    "splitmix64(0)": 0xE220A8397B1DCDAF,
    "fnv1a64('')": 0xCBF29CE484222325,
    "fnv1a64('a')": 0xAF63DC4C8601EC8C,
    "conv1.weight u[0:4] float32 bits": [0x3F0B231F, 0x3F5288D5, 0x3EC223D8, 0x3E2B3718],
}
"""Published test vectors (SplitMix64 from seed 0, FNV-1a 64) and this generator's own first uniforms."""


def self_check_lines() -> list[str]:
    """Checks the known answers and returns the cross-check lines for stream ("conv1.weight", seed 0)."""
    u = uniform01("conv1.weight", 0, 4)
    bits = [int(word) for word in u.view(np.uint32)]
    observed = {
        "splitmix64(0)": int(splitmix64(0)[0]),
        "fnv1a64('')": fnv1a64(""),
        "fnv1a64('a')": fnv1a64("a"),
        "conv1.weight u[0:4] float32 bits": bits,
    }
    for name, expected in KNOWN_ANSWERS.items():
        if observed[name] != expected:
            raise AssertionError(f"portable generator self-check: {name} is {observed[name]!r}, "
                                 f"expected {expected!r}")
    weight = symmetric("conv1.weight", 0, (4,), math.sqrt(6.0 / (64 * 7 * 7)))
    return [
        f"fnv1a64('conv1.weight') = 0x{fnv1a64('conv1.weight'):016x}",
        f"key('conv1.weight', seed 0) = 0x{stream_key('conv1.weight', 0):016x}",
        "splitmix64(key + i), i = 0..3: " + ", ".join(f"0x{int(w):016x}" for w in stream_bits("conv1.weight", 0, 4)),
        "u_i, i = 0..3: " + ", ".join(f"{float(v):.9g} (0x{b:08x})" for v, b in zip(u, bits)),
        "resnet18 (base_width 64) conv1.weight[0, 0, 0, 0:4] = (u*2 - 1) * float32(sqrt(6/(64*7*7))): "
        + ", ".join(f"{float(v):.9g} (0x{int(b):08x})" for v, b in zip(weight, weight.view(np.uint32))),
    ]


if __name__ == "__main__":
    print("\n".join(self_check_lines()))
