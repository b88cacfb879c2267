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
    """The tensors one case stores: inputs before the call, output, upstream gradient, gradients, state after.

    `float64_errors` maps each computed float tensor's path (`outputs/output`, `grads/<name>`, `state/<name>`) to
    max |float32 result - the same call repeated in float64 on the same inputs|: PyTorch's own rounding error,
    from which the Swift side derives the tolerance (SCHEMA.md, "float64_error").
    """

    inputs: dict[str, torch.Tensor]
    output: torch.Tensor
    grad_output: torch.Tensor
    grads: dict[str, torch.Tensor]
    state: dict[str, torch.Tensor] = field(default_factory=dict)
    float64_errors: dict[str, float] = field(default_factory=dict)


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


Run = Callable[[dict[str, torch.Tensor]], tuple[dict[str, torch.Tensor], torch.Tensor, dict[str, torch.Tensor]]]
"""`run(inputs) -> (leaves, output, state)`: one call of an op on `inputs` (all float32, or all float64 copies),
returning the leaves whose gradients are stored, the output, and the buffers after the call. It must draw no
random numbers, so the float64 repetition leaves the case's random stream untouched."""


def record_function(inputs: dict[str, torch.Tensor], grad_names: list[str], function: Callable) -> Recorded:
    """Calls `function(**inputs)` with the inputs named in `grad_names` as leaves requiring grad, then backward."""

    def run(values: dict[str, torch.Tensor]):
        leaves = {name: values[name].clone().requires_grad_(True) for name in grad_names}
        arguments = {name: leaves.get(name, tensor) for name, tensor in values.items()}
        return leaves, function(**arguments), {}

    return record(inputs, run)


def record(inputs: dict[str, torch.Tensor], run: Run) -> Recorded:
    """Runs the op in float32, then `output.backward(grad_output)` with a seeded randn upstream gradient (drawn
    after the inputs, so it belongs to the case's seed); then repeats both in float64 on the same values to
    measure PyTorch's own float32 error of every stored output, gradient and state tensor."""
    leaves, output, state = run(inputs)
    grad_output = torch.randn(output.shape, dtype=torch.float32)
    output.backward(grad_output)
    twin_leaves, twin_output, twin_state = run({name: _float64(tensor) for name, tensor in inputs.items()})
    twin_output.backward(grad_output.to(torch.float64))
    grads = {name: leaf.grad.detach().clone() for name, leaf in leaves.items()}
    errors = {"outputs/output": _error(output, twin_output)}
    errors.update({f"grads/{name}": _error(grads[name], twin_leaves[name].grad) for name in grads})
    errors.update({f"state/{name}": _error(tensor, twin_state[name])
                   for name, tensor in state.items() if tensor.is_floating_point()})
    return Recorded(
        inputs={name: tensor.detach().clone() for name, tensor in inputs.items()},
        output=output.detach().clone(),
        grad_output=grad_output,
        grads=grads,
        state={name: tensor.detach().clone() for name, tensor in state.items()},
        float64_errors=errors,
    )


def _float64(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.to(torch.float64) if tensor.is_floating_point() else tensor.clone()


def _error(value: torch.Tensor, twin: torch.Tensor) -> float:
    """max |value - twin| in float64 (0 for an empty tensor)."""
    if value.numel() == 0:
        return 0.0
    return (value.detach().to(torch.float64) - twin.detach()).abs().max().item()


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


def reduction_lengths(spec: CaseSpec, recorded: Recorded) -> dict[str, int]:
    """How many float32 terms the op sums into one element of each computed tensor (the longest such sum; 1 for
    element-wise results): the length over which rounding accumulates, stored beside `float64_error`."""
    inputs, output = recorded.inputs, recorded.output
    shape = tuple(inputs["input"].shape)
    lengths: dict[str, int] = {}
    if spec.op == "conv2d":
        weight = tuple(inputs["weight"].shape)
        taps = weight[2] * weight[3]
        positions = shape[0] * output.shape[2] * output.shape[3]
        lengths = {"outputs/output": weight[1] * taps, "grads/input": weight[0] // spec.attrs["groups"] * taps,
                   "grads/weight": positions, "grads/bias": positions}
    elif spec.op == "batch_norm":
        count = shape[0] * shape[2] * shape[3]
        lengths = {name: count for name in ("outputs/output", "grads/input", "grads/weight", "grads/bias",
                                            "state/running_mean", "state/running_var")}
    elif spec.op == "linear":
        lengths = {"outputs/output": shape[1], "grads/input": inputs["weight"].shape[0],
                   "grads/weight": shape[0], "grads/bias": shape[0]}
    elif spec.op in ("sum", "mean"):
        lengths = {"outputs/output": inputs["input"].numel()}
    elif spec.op in ("softmax", "log_softmax"):
        classes = shape[spec.attrs["dim"]]
        lengths = {"outputs/output": classes, "grads/input": classes}
    elif spec.op == "cross_entropy":
        lengths = {"outputs/output": inputs["input"].numel(), "grads/input": shape[1]}
    elif spec.op == "adaptive_avg_pool2d":
        rows, columns = (-(-size // out) + 1 for size, out in zip(shape[2:], spec.attrs["output_size"]))
        lengths = {"outputs/output": rows * columns}
    computed = {"outputs/output", *(f"grads/{name}" for name in recorded.grads),
                *(f"state/{name}" for name, tensor in recorded.state.items() if tensor.is_floating_point())}
    return {path: lengths.get(path, 1) for path in sorted(computed)}
