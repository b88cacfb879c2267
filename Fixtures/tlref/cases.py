"""What a reference case is, how it is seeded, and how its forward and backward are recorded."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Callable

import torch

MAX_ELEMENTS = 50_000
"""Largest tensor a case may store, so the Swift tests can replay every case in seconds."""

_CASE_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@dataclass(frozen=True)
class Recorded:
    """The tensors one case stores: inputs before the call, output, upstream gradient, gradients, state after."""

    inputs: dict[str, torch.Tensor]
    output: torch.Tensor
    grad_output: torch.Tensor
    grads: dict[str, torch.Tensor]
    state: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseSpec:
    """A named case of one op: its attributes and a function that draws inputs and records the op.

    `record` is called right after the case's generator has been seeded (see `case_seed`), so every random
    draw inside it is reproducible and independent of the other cases.
    """

    name: str
    op: str
    description: str
    attrs: dict[str, object]
    record: Callable[[], Recorded]


def case_seed(seed: int, name: str) -> int:
    """Seed for one case: the run's seed plus the CRC-32 of the case name (stable across Python runs)."""
    return seed + zlib.crc32(name.encode("utf-8"))


def record_function(inputs: dict[str, torch.Tensor], grad_names: list[str], function: Callable) -> Recorded:
    """Calls `function(**inputs)` with the inputs named in `grad_names` as leaves requiring grad, then backward.

    The upstream gradient is drawn with `torch.randn` after the inputs, so it belongs to the case's seed.
    """
    leaves = {name: inputs[name].clone().requires_grad_(True) for name in grad_names}
    arguments = {name: leaves.get(name, tensor) for name, tensor in inputs.items()}
    output = function(**arguments)
    return backward(inputs, leaves, output)


def backward(
    inputs: dict[str, torch.Tensor],
    leaves: dict[str, torch.Tensor],
    output: torch.Tensor,
    state: dict[str, torch.Tensor] | None = None,
) -> Recorded:
    """Runs `output.backward(grad_output)` with a seeded randn upstream gradient and collects the leaves' grads."""
    grad_output = torch.randn(output.shape, dtype=torch.float32)
    output.backward(grad_output)
    grads = {name: leaf.grad.detach().clone() for name, leaf in leaves.items()}
    return Recorded(
        inputs={name: tensor.detach().clone() for name, tensor in inputs.items()},
        output=output.detach().clone(),
        grad_output=grad_output,
        grads=grads,
        state={name: tensor.detach().clone() for name, tensor in (state or {}).items()},
    )


def validate(spec: CaseSpec, recorded: Recorded) -> None:
    """Raises ValueError when a case breaks the schema's rules (name, dtypes, shapes, sizes, grads)."""
    where = f"case {spec.name!r}"
    if not _CASE_NAME.match(spec.name) or not spec.name.startswith(spec.op + "_"):
        raise ValueError(f"{where}: name must be snake_case and start with {spec.op + '_'!r}")
    tensors = {**_prefixed("inputs", recorded.inputs), "outputs/output": recorded.output,
               "grad_output": recorded.grad_output, **_prefixed("grads", recorded.grads),
               **_prefixed("state", recorded.state)}
    for path, tensor in tensors.items():
        if tensor.dtype not in (torch.float32, torch.int64):
            raise ValueError(f"{where}: {path} has dtype {tensor.dtype}, expected float32 or int64")
        if tensor.numel() > MAX_ELEMENTS:
            raise ValueError(f"{where}: {path} has {tensor.numel()} elements, more than {MAX_ELEMENTS}")
        if not torch.isfinite(tensor.to(torch.float64)).all():
            raise ValueError(f"{where}: {path} holds a non-finite value")
    if recorded.grad_output.shape != recorded.output.shape:
        raise ValueError(f"{where}: grad_output shape {tuple(recorded.grad_output.shape)} != output shape "
                         f"{tuple(recorded.output.shape)}")
    for name, grad in recorded.grads.items():
        source = recorded.inputs.get(name)
        if source is None or source.shape != grad.shape or grad.dtype != torch.float32:
            raise ValueError(f"{where}: grads/{name} must be float32 and match inputs/{name} in shape")


def _prefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}/{name}": tensor for name, tensor in tensors.items()}
