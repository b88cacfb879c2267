"""Optimizer and learning-rate schedule references: `generate_optim(out, seed, argv)` writes optim.h5.

Each optimizer case builds a `torch.optim` optimizer over a few seeded parameters, then for `STEPS` steps sets
seeded gradients directly on `.grad` (or `None`, for parameters a step leaves without a gradient), calls `step()`
and records the parameters. Each schedule case attaches a scheduler to an SGD optimizer with one or two groups
and records `get_last_lr()` at creation and after every `step()`. The layout is specified in
Fixtures/references/OPTIM_SCHEMA.md.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import torch

from tlref.cases import case_seed
from tlref.h5write import open_for_writing, replace_atomically, write_attributes, write_tensor

SCHEMA_VERSION = 1
GENERATOR = "Fixtures/generate_references.py"
STEPS = 5
SHAPES = ((3, 4), (4,), (2, 3, 2))
"""Every optimizer case optimizes three parameters of these shapes, named p0, p1, p2."""

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
SCHEDULERS = {"step_lr": torch.optim.lr_scheduler.StepLR,
              "cosine_annealing_lr": torch.optim.lr_scheduler.CosineAnnealingLR}
GROUP_KEYS = {"sgd": ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"),
              "adam": ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "decoupled_weight_decay")}
GROUP_KEYS["adamw"] = GROUP_KEYS["adam"]
FLAGS = ("nesterov", "maximize", "amsgrad", "decoupled_weight_decay")
"""Options stored as int 0/1; `betas` is a float64 pair and every other option a float64 scalar."""


@dataclass(frozen=True)
class OptimCase:
    """One optimizer run: constructor options, optional parameter groups, and which steps give which gradients.

    `groups` is `None` to pass the parameter list itself (one group of defaults), else a list of
    (parameter indices, options the group sets). `missing` maps a parameter index to the steps (0-based) at
    which its `.grad` is `None`. Step `s`'s gradients are `randn * grad_scales[s]`.
    """

    name: str
    optimizer: str
    description: str
    options: dict[str, object]
    groups: list[tuple[list[int], dict[str, object]]] | None = None
    missing: dict[int, tuple[int, ...]] = field(default_factory=dict)
    grad_scales: tuple[float, ...] = (1.0,) * STEPS


@dataclass(frozen=True)
class ScheduleCase:
    """One schedule: scheduler options, the SGD groups' starting learning rates, and the epochs recorded."""

    name: str
    scheduler: str
    description: str
    options: dict[str, object]
    base_lrs: tuple[float, ...]
    epochs: int


VARYING = (2.0, 0.5, 1.5, 0.1, 1.0)
"""Gradient scales that shrink and grow, so that AMSGrad's running maximum differs from v."""

OPTIM_CASES = [
    OptimCase("sgd_plain", "sgd", "p -= lr * grad: catches a wrong sign or a missing learning rate",
              {"lr": 0.1}),
    OptimCase("sgd_momentum", "sgd", "the first step copies g into the buffer, later buf = mu * buf + g: catches "
              "a zero-initialised buffer", {"lr": 0.05, "momentum": 0.9}),
    OptimCase("sgd_dampening", "sgd", "dampening scales g from the second step on but not in the first copy: "
              "catches (1 - dampening) applied at the first step", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    OptimCase("sgd_nesterov", "sgd", "nesterov steps along g + mu * buf instead of buf",
              {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    OptimCase("sgd_weight_decay", "sgd", "weight decay adds wd * p to the gradient before momentum (coupled L2)",
              {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    OptimCase("sgd_maximize", "sgd", "maximize negates the gradient before weight decay and momentum",
              {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1, "maximize": True}),
    OptimCase("sgd_missing_grad", "sgd", "a parameter whose grad is None is skipped (unchanged, no momentum "
              "buffer); a buffer starts at a parameter's first gradient", {"lr": 0.05, "momentum": 0.9},
              missing={1: (0, 1, 2, 3, 4), 2: (0, 2)}),
    OptimCase("sgd_param_groups", "sgd", "each group uses its own lr, momentum and weight decay; options a group "
              "leaves out come from the optimizer's", {"lr": 0.01, "momentum": 0.9},
              groups=[([0, 1], {"lr": 0.001}), ([2], {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01})]),
    OptimCase("adam_default", "adam", "bias-corrected moments with PyTorch's default betas and eps", {"lr": 0.01}),
    OptimCase("adam_weight_decay", "adam", "Adam's weight decay is an L2 term added to the gradient before the "
              "moments (not decoupled)", {"lr": 0.01, "weight_decay": 0.1}),
    OptimCase("adam_amsgrad", "adam", "amsgrad divides by the running maximum of v, which differs from v once "
              "gradients shrink", {"lr": 0.01, "amsgrad": True}, grad_scales=VARYING),
    OptimCase("adam_maximize", "adam", "maximize negates the gradient before weight decay and the moments",
              {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    OptimCase("adam_betas_eps", "adam", "custom betas change both bias corrections (beta1 < 0.5 takes lerp's "
              "other branch); a large eps shows in the denominator",
              {"lr": 0.01, "betas": (0.3, 0.9), "eps": 1e-3}, grad_scales=VARYING),
    OptimCase("adam_missing_grad", "adam", "a parameter whose grad is None gets no state and its step count does "
              "not advance, so bias corrections use each parameter's own t", {"lr": 0.01},
              missing={1: (0, 1, 2, 3, 4), 2: (0, 2)}),
    OptimCase("adam_param_groups", "adam", "each group uses its own lr, betas, weight decay and amsgrad; options "
              "a group leaves out come from the optimizer's", {"lr": 0.01},
              groups=[([0], {"lr": 0.001, "betas": (0.8, 0.99)}), ([1, 2], {"weight_decay": 0.1, "amsgrad": True})],
              grad_scales=VARYING),
    OptimCase("adamw_default", "adamw", "AdamW decays p by (1 - lr * wd) with its default weight decay 1e-2",
              {"lr": 0.01}),
    OptimCase("adamw_weight_decay", "adamw", "AdamW shrinks p before the Adam step and keeps the decay out of "
              "m and v", {"lr": 0.01, "weight_decay": 0.5}),
    OptimCase("adamw_amsgrad_maximize", "adamw", "amsgrad and maximize with decoupled weight decay",
              {"lr": 0.01, "amsgrad": True, "maximize": True}, grad_scales=VARYING),
    OptimCase("adamw_param_groups", "adamw", "a no-decay group for biases next to a decayed group",
              {"lr": 0.01, "weight_decay": 0.1}, groups=[([0, 2], {}), ([1], {"weight_decay": 0.0})]),
]

SCHEDULE_CASES = [
    ScheduleCase("step_lr", "step_lr", "lr * gamma at every nonzero multiple of step_size, per group",
                 {"step_size": 3, "gamma": 0.1}, (0.1, 0.01), 12),
    ScheduleCase("step_lr_every_epoch", "step_lr", "step_size 1 halves the learning rate at every step",
                 {"step_size": 1, "gamma": 0.5}, (0.05,), 8),
    ScheduleCase("cosine_annealing_lr", "cosine_annealing_lr", "the recursive cosine down to 0, back up and down "
                 "again over three half periods", {"T_max": 10, "eta_min": 0.0}, (0.1, 0.01), 30),
    ScheduleCase("cosine_annealing_lr_eta_min", "cosine_annealing_lr", "eta_min is the floor of the cosine and "
                 "shifts the recursive ratio", {"T_max": 7, "eta_min": 1e-3}, (0.1, 0.05), 21),
    ScheduleCase("cosine_annealing_lr_t_max_1", "cosine_annealing_lr", "T_max 1 alternates between eta_min and "
                 "the base lr; every other step takes the branch just past a trough", {"T_max": 1, "eta_min": 1e-3},
                 (0.1,), 6),
]


def root_attributes(seed: int, argv: list[str]) -> dict[str, object]:
    """The root attributes of optim.h5 (the same keys as every reference file, see SCHEMA.md)."""
    return {"schema_version": SCHEMA_VERSION, "generator": GENERATOR, "generator_args": shlex.join(argv),
            "torch_version": torch.__version__, "numpy_version": np.__version__, "h5py_version": h5py.__version__,
            "seed": seed}


def group_attributes(optimizer: str, options: dict[str, object]) -> dict[str, object]:
    """Optimizer options as attributes: torch's key names, flags as int 0/1, betas as a float64 pair, every other
    option as a float (torch's own defaults include ints such as `momentum=0`)."""
    attributes: dict[str, object] = {}
    for key, value in options.items():
        if key not in GROUP_KEYS[optimizer]:
            raise ValueError(f"{optimizer} option {key!r} is not one of {GROUP_KEYS[optimizer]}")
        if key == "betas":
            attributes[key] = np.asarray(value, dtype=np.float64)
        else:
            attributes[key] = bool(value) if key in FLAGS else float(value)
    return attributes


def write_attribute_dict(node: h5py.Group, attributes: dict[str, object]) -> None:
    """Writes attributes in sorted order; float64 arrays (betas) directly, everything else via write_attributes."""
    arrays = {key: value for key, value in attributes.items() if isinstance(value, np.ndarray)}
    write_attributes(node, {key: value for key, value in attributes.items() if key not in arrays})
    for key in sorted(arrays):
        node.attrs[key] = arrays[key]


def record_optimizer(parent: h5py.Group, case: OptimCase, seed: int) -> None:
    """Runs one optimizer case in torch and writes `/optimizers/<name>`."""
    torch.manual_seed(case_seed(seed, case.name))
    initial = [torch.randn(shape) for shape in SHAPES]
    params = [tensor.clone().requires_grad_(True) for tensor in initial]
    groups = case.groups if case.groups is not None else [(list(range(len(params))), {})]
    argument = ([{"params": [params[i] for i in indices], **given} for indices, given in groups]
                if case.groups is not None else params)
    optimizer = OPTIMIZERS[case.optimizer](argument, **case.options)
    grads = [torch.zeros(STEPS, *shape) for shape in SHAPES]
    has_grad = [torch.ones(STEPS, dtype=torch.int64) for _ in SHAPES]
    values = [torch.zeros(STEPS, *shape) for shape in SHAPES]
    for step in range(STEPS):
        for index, param in enumerate(params):
            drawn = torch.randn(SHAPES[index]) * case.grad_scales[step]
            if step in case.missing.get(index, ()):
                param.grad = None
                has_grad[index][step] = 0
            else:
                param.grad = drawn.clone()
                grads[index][step] = drawn
        optimizer.step()
        for index, param in enumerate(params):
            values[index][step] = param.detach()
    if not all(torch.isfinite(tensor).all() for tensor in values + grads):
        raise ValueError(f"optimizer case {case.name!r} produced a non-finite value")

    node = parent.create_group(case.name, track_times=False)
    write_attributes(node, {"optimizer": case.optimizer, "description": case.description, "steps": STEPS,
                            "uses_groups": case.groups is not None})
    write_attribute_dict(node.create_group("options", track_times=False),
                         group_attributes(case.optimizer, case.options))
    folders = {name: node.create_group(name, track_times=False) for name in ("groups", "params", "state")}
    for number, (indices, given) in enumerate(groups):
        resolved = optimizer.param_groups[number]
        group = folders["groups"].create_group(str(number), track_times=False)
        write_attribute_dict(group, {**group_attributes(case.optimizer, {key: resolved[key] for key in
                                                                          GROUP_KEYS[case.optimizer]}),
                                     "params": indices})
        write_attribute_dict(group.create_group("given", track_times=False), group_attributes(case.optimizer, given))
    for index, param in enumerate(params):
        folder = folders["params"].create_group(f"p{index}", track_times=False)
        for name, tensor in (("initial", initial[index]), ("grads", grads[index]), ("has_grad", has_grad[index]),
                             ("values", values[index])):
            write_tensor(folder, name, tensor)
        state = optimizer.state.get(param, {})
        if state:
            recorded = folders["state"].create_group(f"p{index}", track_times=False)
            for key in sorted(state):
                if key == "step":
                    write_attributes(recorded, {"step": int(state["step"].item())})
                else:
                    write_tensor(recorded, key, state[key].detach())


def record_schedule(parent: h5py.Group, case: ScheduleCase) -> None:
    """Runs one schedule in torch over an SGD optimizer with one group per base lr and writes
    `/schedulers/<name>`."""
    params = [torch.zeros(1, requires_grad=True) for _ in case.base_lrs]
    optimizer = torch.optim.SGD([{"params": [param], "lr": lr} for param, lr in zip(params, case.base_lrs)])
    scheduler = SCHEDULERS[case.scheduler](optimizer, **case.options)
    lrs = [scheduler.get_last_lr()]
    for _ in range(case.epochs):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    node = parent.create_group(case.name, track_times=False)
    write_attributes(node, {"scheduler": case.scheduler, "description": case.description, "epochs": case.epochs,
                            **{key.lower(): value for key, value in case.options.items()}})
    node.attrs["base_lrs"] = np.asarray(case.base_lrs, dtype=np.float64)
    write_tensor(node, "lrs", torch.tensor(lrs, dtype=torch.float64))


def check_names(names: list[str], prefixes: tuple[str, ...]) -> None:
    """Raises ValueError on a duplicate name or one that does not start with its kind."""
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate case names in {names}")
    for name in names:
        if not name.startswith(prefixes):
            raise ValueError(f"case {name!r} must start with one of {prefixes}")


def generate_optim(out: Path, seed: int, argv: list[str]) -> None:
    """Writes `/optimizers/<case>` and `/schedulers/<case>` groups to `out` (via a temporary file)."""
    check_names([case.name for case in OPTIM_CASES], tuple(f"{name}_" for name in OPTIMIZERS))
    check_names([case.name for case in SCHEDULE_CASES], tuple(SCHEDULERS))
    temporary = out.with_name(out.name + ".tmp")
    with open_for_writing(temporary) as file:
        write_attributes(file, root_attributes(seed, argv))
        optimizers = file.create_group("optimizers", track_times=False)
        for case in OPTIM_CASES:
            record_optimizer(optimizers, case, seed)
        schedulers = file.create_group("schedulers", track_times=False)
        for case in SCHEDULE_CASES:
            record_schedule(schedulers, case)
    replace_atomically(temporary, out)
    print(f"wrote {len(OPTIM_CASES)} optimizer cases and {len(SCHEDULE_CASES)} schedule cases to {out} "
          f"({out.stat().st_size} bytes)")
