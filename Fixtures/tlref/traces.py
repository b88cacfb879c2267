"""Whole-model PyTorch training traces: forward outputs, gradients and post-step state of a width-scaled ResNet.

`record_trace(path, ...)` records one trace file; `generate_traces(out_dir, seed, argv)` (the `traces` subcommand
of Fixtures/generate_references.py) records the committed set `COMMITTED_TRACES`. The layout is specified in
Fixtures/references/TRACES.md. Weights, input and targets come from the portable generator (tlref/portable.py),
so the Swift replay rebuilds the same model from `init_seed` instead of loading it.
"""

from __future__ import annotations

import argparse
import copy
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tlref.h5write import (attribute_value, open_for_writing, replace_atomically, write_attributes,
                           write_tensor)
from tlref.portable import portable_init_, portable_input, portable_targets, self_check_lines
from tlref.resnets import check_against_torchvision, resnet

SCHEMA_VERSION = 2
"""2: input_height/input_width, the `contents` list, module inputs with their local float64 errors
(`forward_inputs`), and per step PyTorch's gradients and optimizer state before the step (`steps/<k>/before`)."""
GENERATOR = "Fixtures/generate_references.py"
CONFIGURATIONS = ("full", "frozen_train", "frozen_eval", "layer4_fc")
MAX_INPUT_ELEMENTS = 200_000
"""A larger input is not stored: the replay regenerates it with the portable generator (attribute input_init)."""

_TRAINABLE_PREFIXES = {"full": ("",), "frozen_train": ("fc.",), "frozen_eval": ("fc.",),
                       "layer4_fc": ("layer4.", "fc.")}
_OPTIMIZER_DEFAULTS: dict[str, dict[str, object]] = {
    "sgd": {"lr": None, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "adamw": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2},
}


def build_optimizer(config: dict, parameters: list[nn.Parameter]) -> tuple[torch.optim.Optimizer, dict]:
    """The torch optimizer for `config` (key "optimizer": sgd | adam | adamw, other keys as in torch.optim) over
    `parameters`, and its root attributes (SGD-only attributes are written as 0 for adam/adamw)."""
    kind = config.get("optimizer")
    if kind not in _OPTIMIZER_DEFAULTS:
        raise ValueError(f"optimizer_config {config!r}: 'optimizer' must be one of {sorted(_OPTIMIZER_DEFAULTS)}")
    defaults = _OPTIMIZER_DEFAULTS[kind]
    unknown = sorted(set(config) - set(defaults) - {"optimizer"})
    if unknown:
        raise ValueError(f"optimizer_config {config!r}: unknown keys {unknown} for {kind}")
    settings = {**defaults, **{key: value for key, value in config.items() if key != "optimizer"}}
    if settings["lr"] is None:
        raise ValueError(f"optimizer_config {config!r}: sgd needs 'lr'")
    attributes: dict[str, object] = {"optimizer": kind, "lr": float(settings["lr"]),
                                     "weight_decay": float(settings["weight_decay"]), "momentum": 0.0,
                                     "dampening": 0.0, "nesterov": 0}
    if kind == "sgd":
        attributes.update(momentum=float(settings["momentum"]), dampening=float(settings["dampening"]),
                          nesterov=int(bool(settings["nesterov"])))
        optimizer = torch.optim.SGD(parameters, lr=settings["lr"], momentum=settings["momentum"],
                                    dampening=settings["dampening"], nesterov=bool(settings["nesterov"]),
                                    weight_decay=settings["weight_decay"], foreach=False)
    else:
        betas = tuple(float(beta) for beta in settings["betas"])
        attributes.update(betas=betas, eps=float(settings["eps"]))
        optimizer_class = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        optimizer = optimizer_class(parameters, lr=settings["lr"], betas=betas, eps=settings["eps"],
                                    weight_decay=settings["weight_decay"], foreach=False)
    return optimizer, attributes


def set_trainable(model: nn.Module, configuration: str) -> list[nn.Parameter]:
    """Sets requires_grad per configuration (full, frozen_*: fc.* only, layer4_fc) and returns the trainable ones."""
    if configuration not in CONFIGURATIONS:
        raise ValueError(f"unknown configuration {configuration!r}; expected one of {CONFIGURATIONS}")
    trainable = []
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name.startswith(_TRAINABLE_PREFIXES[configuration]))
        if parameter.requires_grad:
            trainable.append(parameter)
    return trainable


@dataclass
class _ForwardRecorder:
    """Forward hooks on every named submodule: (call index, module name, output clone) in completion order."""

    keep: set[str] | None
    calls: int = 0
    outputs: dict[str, torch.Tensor] = field(default_factory=dict)
    inputs: dict[str, torch.Tensor] = field(default_factory=dict)
    """Each recorded call's input, cloned by a pre-hook before the module runs (an in-place ReLU overwrites it)."""
    seen: set[str] = field(default_factory=set)
    pending: dict[int, list[torch.Tensor]] = field(default_factory=dict)
    grad_outputs: dict[str, torch.Tensor] = field(default_factory=dict)
    """Per call of a module with its own parameters (convolution, batch norm, linear; each called once), the
    gradient of the loss with respect to its output in step 1's backward."""

    def attach(self, model: nn.Module) -> list:
        handles = []
        for name, module in model.named_modules():
            if name:
                handles.append(module.register_forward_pre_hook(self._pre_hook(name)))
                handles.append(module.register_forward_hook(self._hook(name)))
        return handles

    def _pre_hook(self, name: str):
        def hook(module: nn.Module, inputs: tuple) -> None:
            if self.keep is None or name in self.keep:
                self.pending.setdefault(id(module), []).append(inputs[0].detach().clone())
        return hook

    def _gradient_hook(self, key: str):
        def hook(gradient: torch.Tensor) -> None:
            if key not in self.grad_outputs:
                self.grad_outputs[key] = gradient.detach().clone()
        return hook

    def _hook(self, name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            if self.keep is None or name in self.keep:
                key = f"{self.calls:03d}_{name}"
                self.outputs[key] = output.detach().clone()
                self.inputs[key] = self.pending[id(module)].pop()
                if output.requires_grad and any(True for _ in module.parameters(recurse=False)):
                    # A tensor hook registered before an in-place change (`out += identity`) receives the gradient
                    # with respect to the value before it: this module's output.
                    output.register_hook(self._gradient_hook(key))
            self.seen.add(name)
            self.calls += 1
        return hook


@dataclass
class _Run:
    """What one training run produced: step 1's forward outputs, logits, loss and gradients, then per step the
    loss and the whole state_dict after the optimizer step."""

    recorder: _ForwardRecorder
    logits: torch.Tensor
    loss: torch.Tensor
    grads: dict[str, torch.Tensor]
    without_grad: list[str]
    losses: list[torch.Tensor] = field(default_factory=list)
    states: list[dict[str, torch.Tensor]] = field(default_factory=list)
    step_grads: list[dict[str, torch.Tensor]] = field(default_factory=list)
    """Per step, the gradient of every trainable parameter that has one when optimizer.step() runs."""
    optimizer_before: list[dict] = field(default_factory=list)
    """Per step, optimizer.state_dict() (cloned) just before optimizer.step()."""
    trainable: list[str] = field(default_factory=list)


def _train(model: nn.Module, input: torch.Tensor, target: torch.Tensor, configuration: str,
           optimizer_config: dict, steps: int, keep: set[str] | None) -> tuple[_Run, dict]:
    """Runs max(steps, 1) forwards and backwards and `steps` optimizer steps; returns the run and the optimizer's
    attributes."""
    optimizer, optimizer_attributes = build_optimizer(optimizer_config, set_trainable(model, configuration))
    recorder = _ForwardRecorder(keep)
    handles = recorder.attach(model)
    run = None
    for step in range(1, max(steps, 1) + 1):
        model.train(configuration != "frozen_eval")
        logits = model(input)
        loss = F.cross_entropy(logits, target)
        loss.backward()
        if run is None:
            for handle in handles:
                handle.remove()
            run = _Run(recorder, logits.detach().clone(), loss.detach().clone(),
                       {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None},
                       [name for name, p in model.named_parameters() if p.grad is None])
        if step > steps:
            break
        run.trainable = [name for name, p in model.named_parameters() if p.requires_grad]
        run.step_grads.append({name: p.grad.clone() for name, p in model.named_parameters()
                               if p.requires_grad and p.grad is not None})
        run.optimizer_before.append(copy.deepcopy(optimizer.state_dict()))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        run.losses.append(loss.detach().clone())
        run.states.append({key: value.clone() for key, value in model.state_dict().items()})
    return run, optimizer_attributes


def _attribute(value: object) -> object:
    """h5write's attribute types plus a float64 pair (Adam's betas)."""
    if isinstance(value, tuple) and all(isinstance(item, float) for item in value):
        return np.asarray(value, dtype=np.float64)
    return attribute_value(value)


def _write(group: h5py.Group, name: str, tensor: torch.Tensor, twin: torch.Tensor) -> None:
    """Writes one tensor; a float one gets the attribute float64_error = max |tensor - its float64 twin|."""
    if tensor.dtype not in (torch.float32, torch.int64):
        raise ValueError(f"{group.name}/{name}: dtype {tensor.dtype}, expected float32 or int64")
    if not torch.isfinite(tensor.to(torch.float64)).all():
        raise ValueError(f"{group.name}/{name}: holds a non-finite value")
    write_tensor(group, name, tensor)
    if tensor.dtype == torch.float32:
        error = (tensor.to(torch.float64) - twin).abs().max().item() if tensor.numel() else 0.0
        group[name].attrs["float64_error"] = np.float64(error)


def _group(parent: h5py.Group, name: str, tensors: dict[str, torch.Tensor], twins: dict[str, torch.Tensor],
           attributes: dict, link_duplicates: bool = False, written: dict[tuple, str] | None = None,
           link_only: bool = False) -> h5py.Group:
    """Writes `tensors` sorted by name into a new group; with `link_duplicates` a tensor equal (same shape,
    dtype and values) to one written before (in this group, or in `written`, shared between groups: identity ->
    absolute dataset path) becomes an HDF5 hard link to it: the same dataset under both names. With `link_only`,
    tensors that would need a new dataset are left out (the full-width trace stores no extra module input)."""
    group = parent.create_group(name, track_times=False)
    write_attributes(group, attributes)
    written = {} if written is None else written
    for key in sorted(tensors):
        tensor = tensors[key]
        identity = (tuple(tensor.shape), tensor.dtype, tensor.contiguous().numpy().tobytes())
        if link_duplicates and identity in written:
            group[key] = parent.file[written[identity]]
        elif not link_only:
            _write(group, key, tensor, twins[key])
            written[identity] = group[key].name
    return group


def _local_forward_errors(model_name: str, num_classes: int, base_width: int, zero_init_residual: bool,
                          init_seed: int, configuration: str, inputs: dict[str, torch.Tensor],
                          outputs: dict[str, torch.Tensor], grad_outputs: dict[str, torch.Tensor],
                          grads: dict[str, torch.Tensor]) -> tuple[dict[str, float], dict[str, float]]:
    """For teacher forcing: per recorded call, PyTorch's own float32-vs-float64 error of that module alone, fed
    the stored float32 input (a copy of the module at its initial weights, in float32 and in float64). The float32
    copy must reproduce the stored output bit for bit (deterministic, single-threaded), else this raises. For a
    module with a stored output gradient, also per parameter: the error of its gradient from that module's backward
    alone (float32 vs float64) plus how far that gradient is from the whole model's stored one."""
    fresh = portable_init_(resnet(model_name, num_classes, base_width, zero_init_residual), init_seed,
                           zero_init_residual)
    set_trainable(fresh, configuration)
    fresh.train(configuration != "frozen_eval")
    modules = dict(fresh.named_modules())
    errors, grad_errors = {}, {}
    for key, input in inputs.items():
        name = key.split("_", 1)[1]
        single = copy.deepcopy(modules[name])
        double = copy.deepcopy(modules[name]).double()
        output = single(input.clone())
        output64 = double(input.double())
        if not torch.equal(output.detach(), outputs[key]):
            raise ValueError(f"{key}: the module alone does not reproduce the stored output "
                             f"(max difference {(output - outputs[key]).abs().max().item()})")
        errors[key] = (output.detach().double() - output64.detach()).abs().max().item()
        if key in grad_outputs:
            output.backward(grad_outputs[key])
            output64.backward(grad_outputs[key].double())
            for (local, p32), (_, p64) in zip(single.named_parameters(), double.named_parameters()):
                full = f"{name}.{local}"
                if p32.grad is None or full not in grads:
                    continue
                grad_errors[full] = ((p32.grad.double() - p64.grad).abs().max().item()
                                     + (p32.grad - grads[full]).abs().max().item())
    return errors, grad_errors


def _local_step(configuration: str, optimizer_config: dict, parameters: dict[str, torch.Tensor],
                grads: dict[str, torch.Tensor], state: dict, trainable: list[str]) -> dict[str, torch.Tensor]:
    """One optimizer step from the given parameters, gradients and optimizer state_dict, in the parameters'
    dtype: what the local step check replays (in float64, its float64 twin)."""
    tensors = {name: nn.Parameter(parameters[name].clone()) for name in trainable}
    optimizer, _ = build_optimizer(optimizer_config, [tensors[name] for name in trainable])
    dtype = next(iter(tensors.values())).dtype
    state = copy.deepcopy(state)
    for entry in state["state"].values():
        for key, value in entry.items():
            if torch.is_tensor(value) and value.is_floating_point() and key != "step":
                entry[key] = value.to(dtype)
    optimizer.load_state_dict(state)
    for name in trainable:
        tensors[name].grad = grads[name].to(dtype).clone() if name in grads else None
    optimizer.step()
    return {name: tensor.detach() for name, tensor in tensors.items()}


def provenance(seed: int, generator_args: str, generator: str = GENERATOR) -> dict[str, object]:
    """The root attributes every reference file carries (as generate_references.root_attributes)."""
    return {"schema_version": SCHEMA_VERSION, "generator": generator, "generator_args": generator_args,
            "torch_version": torch.__version__, "numpy_version": np.__version__,
            "h5py_version": h5py.__version__, "seed": seed}


def record_trace(path: Path, model_name: str, base_width: int, num_classes: int, input_size: int | tuple[int, int],
                 batch: int,
                 configuration: str, optimizer_config: dict, steps: int, init_seed: int,
                 forward_subset: list[str] | None = None, grads_subset: list[str] | None = None, *,
                 zero_init_residual: bool = False, root: dict[str, object] | None = None) -> None:
    """Trains a portable-initialised width-scaled ResNet for `steps` steps and writes the trace file `path`.

    Each step: train()/eval() per configuration -> forward -> F.cross_entropy -> backward -> optimizer.step()
    -> zero_grad(set_to_none=True). Step 1's forward outputs, logits, loss and gradients are stored, then every
    step's loss and changed state. With steps 0 one forward and backward run and no step is taken.
    `forward_subset` / `grads_subset` restrict the stored module outputs / gradients to those names. The same
    run repeated in float64 gives every float dataset its `float64_error` attribute. `root` supplies the
    provenance attributes (default: a direct call of this function). Sets torch to deterministic,
    single-threaded execution.
    """
    path = Path(path)
    if steps < 0:
        raise ValueError(f"{path}: steps must be >= 0, got {steps}")
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    height, width = (input_size, input_size) if isinstance(input_size, int) else input_size
    input = portable_input((batch, 3, height, width), init_seed)
    target = portable_targets(batch, num_classes, init_seed)
    keep = None if forward_subset is None else set(forward_subset)
    runs = []
    for dtype in (torch.float32, torch.float64):
        model = resnet(model_name, num_classes, base_width, zero_init_residual)
        model = portable_init_(model, init_seed, zero_init_residual).to(dtype)
        if dtype == torch.float32:
            initial = {key: value.clone() for key, value in model.state_dict().items()}
        run, optimizer_attributes = _train(model, input.to(dtype), target, configuration, optimizer_config, steps,
                                           keep)
        runs.append(run)
    run, twin = runs
    missing = sorted((keep or set()) - run.recorder.seen) + sorted(set(grads_subset or []) - set(run.grads))
    if missing:
        raise ValueError(f"{path}: forward_subset/grads_subset name modules or parameters without output or "
                         f"gradient: {missing}")
    grads, without_grad = run.grads, run.without_grad
    if grads_subset is not None:
        grads, without_grad = {name: grads[name] for name in grads_subset}, []

    local_forward, local_grads = _local_forward_errors(
        model_name, num_classes, base_width, zero_init_residual, init_seed, configuration, run.recorder.inputs,
        run.recorder.outputs, run.recorder.grad_outputs if forward_subset is None else {}, run.grads)
    call = (f"record_trace({path.name!r}, {model_name!r}, {base_width}, {num_classes}, {input_size!r}, {batch}, "
            f"{configuration!r}, {optimizer_config!r}, {steps}, {init_seed}, {forward_subset!r}, {grads_subset!r}, "
            f"zero_init_residual={zero_init_residual})")
    attributes = {**(root or provenance(init_seed, call, "Fixtures/tlref/traces.py")),
                  "kind": "trace", "model": model_name, "base_width": base_width, "num_classes": num_classes,
                  "zero_init_residual": int(zero_init_residual), "input_height": height, "input_width": width,
                  "batch": batch,
                  "configuration": configuration, **optimizer_attributes, "steps": steps, "init": "portable",
                  "init_seed": init_seed, "input_init": "portable", "forward_subset": int(forward_subset is not None),
                  "grads_subset": int(grads_subset is not None)}
    temporary = path.with_name(path.name + ".tmp")
    with open_for_writing(temporary) as file:
        for key in sorted(attributes):
            file.attrs[key] = _attribute(attributes[key])
        if input.numel() <= MAX_INPUT_ELEMENTS:
            _write(file, "input", input, input.to(torch.float64))
        _write(file, "target", target, target)
        _write(file, "logits", run.logits, twin.logits)
        _write(file, "loss", run.loss, twin.loss)
        written: dict[tuple, str] = {}
        _group(file, "forward", run.recorder.outputs, twin.recorder.outputs, {"calls": run.recorder.calls},
               link_duplicates=True, written=written)
        # Module inputs (teacher forcing): almost all are the output of the module before, so hard links.
        inputs = _group(file, "forward_inputs", run.recorder.inputs, twin.recorder.inputs, {}, link_duplicates=True,
                        written=written, link_only=forward_subset is not None)
        for key in inputs:
            inputs.attrs[key] = np.float64(local_forward[key])
        if forward_subset is None:
            # Teacher-forced backward: each parameterised module's output gradient; the group's attributes are the
            # local float64 error of each parameter's gradient from that module alone.
            grad_outputs = _group(file, "forward_grad_outputs", run.recorder.grad_outputs,
                                  twin.recorder.grad_outputs, {})
            for key in sorted(local_grads):
                grad_outputs.attrs[key] = np.float64(local_grads[key])
        _group(file, "grads", grads, twin.grads, {"params_without_grad": "\n".join(without_grad)},
               link_duplicates=True, written=written)
        steps_group = file.create_group("steps", track_times=False)
        before = dict(initial)
        for index, state in enumerate(run.states):
            step_group = steps_group.create_group(str(index + 1), track_times=False)
            _write(step_group, "loss", run.losses[index], twin.losses[index])
            changed = {key: value for key, value in state.items() if not torch.equal(value, initial[key])}
            unchanged = [key for key in state if key not in changed]
            _group(step_group, "state", changed, twin.states[index], {"unchanged": "\n".join(unchanged)})
            _write_before(step_group, run, twin, index, before, optimizer_config, configuration, written)
            before = {key: value for key, value in state.items()}
        contents = sorted(_dataset_paths(file))
        file.attrs["contents"] = attribute_value("\n".join(contents))
    replace_atomically(temporary, path)


def _write_before(step_group: h5py.Group, run: _Run, twin: _Run, index: int, before: dict[str, torch.Tensor],
                  optimizer_config: dict, configuration: str, written: dict[tuple, str]) -> None:
    """`steps/<k>/before`: PyTorch's gradients at step k and its optimizer state before step k (parameters
    before step k are the state after step k-1, or the portable initial weights), with per parameter the local
    float64 error of that one step (the same step from the same float32 state, run in float64)."""
    group = step_group.create_group("before", track_times=False)
    grads = run.step_grads[index]
    _group(group, "grads", grads, twin.step_grads[index], {}, link_duplicates=True, written=written)
    state = run.optimizer_before[index]
    buffers: dict[str, dict[str, torch.Tensor]] = {}
    for position, entry in state["state"].items():
        name = run.trainable[position]
        for key, value in entry.items():
            value = value if torch.is_tensor(value) else torch.tensor(float(value))
            buffers.setdefault(key, {})[name] = value.to(torch.float32).reshape(value.shape)
    twin_state = twin.optimizer_before[index]
    twin_buffers: dict[str, dict[str, torch.Tensor]] = {}
    for position, entry in twin_state["state"].items():
        for key, value in entry.items():
            value = value if torch.is_tensor(value) else torch.tensor(float(value))
            twin_buffers.setdefault(key, {})[run.trainable[position]] = value.to(torch.float64)
    optimizer_group = group.create_group("optimizer", track_times=False)
    for key in sorted(buffers):
        _group(optimizer_group, key, buffers[key], twin_buffers[key], {})
    parameters = {name: before[name] for name in run.trainable}
    after32 = _local_step(configuration, optimizer_config, parameters, grads, state, run.trainable)
    after64 = _local_step(configuration, optimizer_config, {k: v.double() for k, v in parameters.items()},
                          grads, state, run.trainable)
    for name in run.trainable:
        expected = run.states[index][name]
        if not torch.equal(after32[name], expected):
            raise ValueError(f"step {index + 1} {name}: the local step does not reproduce PyTorch's own "
                             f"(max difference {(after32[name] - expected).abs().max().item()})")
        group.attrs[name] = np.float64((after32[name].double() - after64[name]).abs().max().item())


def _dataset_paths(group: h5py.Group) -> list[str]:
    """Every dataset name in the file, hard links included (a walk over objects would see each once)."""
    paths = []
    for key in group.keys():
        item = group[key]
        if isinstance(item, h5py.Dataset):
            paths.append(f"{group.name.strip('/')}/{key}".lstrip("/"))
        else:
            paths.extend(_dataset_paths(item))
    return paths


@dataclass(frozen=True)
class TraceSpec:
    """One committed trace: record_trace's arguments under a unique file name."""

    name: str
    model: str
    base_width: int
    num_classes: int
    input_size: int | tuple[int, int]
    batch: int
    configuration: str
    optimizer: dict
    steps: int
    forward_subset: list[str] | None = None
    grads_subset: list[str] | None = None
    zero_init_residual: bool = False


SMALL_WIDTH = 2
"""base_width of the small traces (channels 2/4/8/16, Bottleneck outputs 8 to 64): the 27 small files come to
about 20 MB; base_width 4 would make them about 38 MB (see TRACES.md, "Size")."""
SGD = {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9}
FULL_WIDTH_FORWARD = ["maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"]
"""The full-width trace's stored module outputs. conv1 and bn1 (1.6 M dense floats each, 12 MB) are left out:
a stem bug still shows at maxpool."""
FULL_WIDTH_GRADS = ["conv1.weight", "layer1.0.conv1.weight", "fc.bias"]
"""The full-width trace's stored gradients. layer4.1.conv2.weight (2.4 M floats, 9.4 MB) and fc.weight (0.5 M
floats, 2 MB) are left out for size."""


def _small(model: str, size: int, configuration: str, optimizer: dict, label: str) -> TraceSpec:
    return TraceSpec(f"{model}_w{SMALL_WIDTH}_s{size}_{configuration}_{label}", model, SMALL_WIDTH, 5, size, 4,
                     configuration, optimizer, 3)


COMMITTED_TRACES: list[TraceSpec] = [
    *(_small(model, size, configuration, SGD, "sgd") for model in ("resnet18", "resnet34", "resnet50")
      for size in (32, 64) for configuration in CONFIGURATIONS),
    _small("resnet18", 32, "full", {**SGD, "nesterov": True, "weight_decay": 1e-3}, "sgd_nesterov_wd"),
    _small("resnet18", 32, "full", {"optimizer": "adam", "lr": 1e-3}, "adam"),
    _small("resnet18", 32, "full", {"optimizer": "adamw", "lr": 1e-3, "weight_decay": 1e-2}, "adamw"),
    TraceSpec("resnet18_w64_s224_full_steps0", "resnet18", 64, 1000, 224, 2, "full", SGD, 0,
              FULL_WIDTH_FORWARD, FULL_WIDTH_GRADS),
    # zero_init_residual=True: the last batch norm of every residual branch starts at weight 0 (the replay must
    # zero them too after the portable initialisation).
    TraceSpec("resnet18_w2_s32_full_sgd_zero_init", "resnet18", SMALL_WIDTH, 5, 32, 4, "full", SGD, 3,
              zero_init_residual=True),
    TraceSpec("resnet50_w2_s32_full_sgd_zero_init", "resnet50", SMALL_WIDTH, 5, 32, 4, "full", SGD, 3,
              zero_init_residual=True),
    # Non-square inputs and other batch sizes (schema 2: input_height, input_width).
    TraceSpec("resnet18_w2_h24w40_full_sgd_b3", "resnet18", SMALL_WIDTH, 5, (24, 40), 3, "full", SGD, 3),
    TraceSpec("resnet50_w2_h40w24_layer4_fc_adam_b5", "resnet50", SMALL_WIDTH, 5, (40, 24), 5, "layer4_fc",
              {"optimizer": "adam", "lr": 1e-3}, 3),
]


def generate_traces(out: Path, seed: int, argv: list[str]) -> None:
    """The `traces` subcommand: self-checks, then writes `<out>/<name>.h5` for every committed trace."""
    started = time.perf_counter()
    for line in self_check_lines() + check_against_torchvision():
        print(line)
    names = [spec.name for spec in COMMITTED_TRACES]
    if len(set(names)) != len(names):
        raise ValueError("duplicate trace names in COMMITTED_TRACES")
    only, _ = _only_parser().parse_known_args(argv)
    chosen = COMMITTED_TRACES
    if only.only:
        wanted = only.only.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise ValueError(f"--only names traces that are not committed: {', '.join(unknown)}")
        chosen = [spec for spec in COMMITTED_TRACES if spec.name in wanted]
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for spec in chosen:
        path = out / f"{spec.name}.h5"
        record_trace(path, spec.model, spec.base_width, spec.num_classes, spec.input_size, spec.batch,
                     spec.configuration, spec.optimizer, spec.steps, seed, spec.forward_subset, spec.grads_subset,
                     zero_init_residual=spec.zero_init_residual, root=provenance(seed, shlex.join(argv)))
        total += path.stat().st_size
        print(f"wrote {path.name} ({path.stat().st_size} bytes)", flush=True)
    stale = sorted(path.name for path in out.glob("*.h5") if path.stem not in names)
    if stale:
        print(f"note: {out} also holds files that are not committed traces: {', '.join(stale)}")
    print(f"wrote {len(chosen)} traces to {out} ({total} bytes) in {time.perf_counter() - started:.1f} s")


def _only_parser() -> argparse.ArgumentParser:
    """`traces --only NAME[,NAME...]`: record just those committed traces (the others stay as they are)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--only", default="")
    return parser
