"""Reference cases for relu, max_pool2d, adaptive_avg_pool2d, linear, add, mul and flatten."""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from tlref.cases import CaseSpec, Recorded, record_function


def _all_inputs_case(name: str, op: str, description: str, attrs: dict[str, object],
                     draw: Callable[[], dict[str, torch.Tensor]], function: Callable) -> CaseSpec:
    """A case whose inputs all require grad: `draw()` makes them, `function(**inputs)` is the op."""

    def record() -> Recorded:
        inputs = draw()
        return record_function(inputs, list(inputs), function)

    return CaseSpec(name, op, description, attrs, record)


def _distinct_nonzero(values: torch.Tensor) -> torch.Tensor:
    """Returns `values` after checking for exact zeros and ties, where ReLU and max-pool gradients are ambiguous."""
    if (values == 0).any() or torch.unique(values).numel() != values.numel():
        raise ValueError("relu/max_pool2d input holds an exact zero or a tie; change the case's shape or seed")
    return values


def relu_case(name: str, description: str, shape: tuple[int, ...]) -> CaseSpec:
    """A `torch.relu` case on randn input (continuous, so no exact zeros)."""
    return _all_inputs_case(name, "relu", description, {},
                            lambda: {"input": _distinct_nonzero(torch.randn(shape))},
                            lambda input: torch.relu(input))


def max_pool2d_case(name: str, description: str, shape: tuple[int, ...], kernel: int, stride: int,
                    padding: int = 0, dilation: int = 1, all_negative: bool = False, ties: bool = False) -> CaseSpec:
    """An `F.max_pool2d` case (ceil_mode False); `all_negative` shifts inputs below -1 to expose zero padding;
    `ties` draws ReLU'd small integers instead, so most windows hold several equal maxima (as after a ReLU in a
    ResNet) and the recorded gradient shows which of them PyTorch picks."""
    attrs = {"kernel_size": (kernel, kernel), "stride": (stride, stride), "padding": (padding, padding),
             "dilation": (dilation, dilation), "ceil_mode": 0}

    def draw() -> dict[str, torch.Tensor]:
        if ties:
            return {"input": torch.randint(-3, 3, shape).float().relu()}
        values = torch.randn(shape)
        return {"input": _distinct_nonzero(-(values.abs() + 1.0) if all_negative else values)}

    return _all_inputs_case(name, "max_pool2d", description, attrs, draw,
                            lambda input: F.max_pool2d(input, kernel, stride, padding, dilation))


def adaptive_avg_pool2d_case(name: str, description: str, shape: tuple[int, ...],
                             output_size: tuple[int, int]) -> CaseSpec:
    """An `F.adaptive_avg_pool2d` case."""
    return _all_inputs_case(name, "adaptive_avg_pool2d", description, {"output_size": output_size},
                            lambda: {"input": torch.randn(shape)},
                            lambda input: F.adaptive_avg_pool2d(input, output_size))


def linear_case(name: str, description: str, batch: int, in_features: int, out_features: int,
                bias: bool) -> CaseSpec:
    """An `F.linear` case (y = x W^T + b); the weight is scaled by 1/sqrt(in_features)."""

    def draw() -> dict[str, torch.Tensor]:
        inputs = {"input": torch.randn(batch, in_features),
                  "weight": torch.randn(out_features, in_features) / math.sqrt(in_features)}
        if bias:
            inputs["bias"] = torch.randn(out_features)
        return inputs

    return _all_inputs_case(name, "linear", description, {}, draw,
                            lambda input, weight, bias=None: F.linear(input, weight, bias))


def binary_case(name: str, op: str, description: str, shape: tuple[int, ...]) -> CaseSpec:
    """An element-wise `torch.add` or `torch.mul` case on two same-shape inputs."""
    function = {"add": torch.add, "mul": torch.mul}[op]
    return _all_inputs_case(name, op, description, {},
                            lambda: {"input": torch.randn(shape), "other": torch.randn(shape)},
                            lambda input, other: function(input, other))


def flatten_case(name: str, description: str, shape: tuple[int, ...], start_dim: int, end_dim: int) -> CaseSpec:
    """A `torch.flatten` case."""
    return _all_inputs_case(name, "flatten", description, {"start_dim": start_dim, "end_dim": end_dim},
                            lambda: {"input": torch.randn(shape)},
                            lambda input: torch.flatten(input, start_dim, end_dim))


RELU_CASES = [
    relu_case("relu_b3_c5_7x9", "Catches a ReLU backward that passes gradient where the input is negative or "
              "uses the wrong mask on a 4-D map.", (3, 5, 7, 9)),
    relu_case("relu_2d_b3_13", "Catches a ReLU that only handles 4-D tensors (here [N, features]).", (3, 13)),
]

MAX_POOL2D_CASES = [
    max_pool2d_case("max_pool2d_3x3_s2_p1_b3_c5_7x9",
                    "Catches wrong output size or window placement for the ResNet stem pool (3x3 stride 2 pad 1) "
                    "on an odd 7x9 map, and gradients not accumulated where windows overlap.",
                    (3, 5, 7, 9), kernel=3, stride=2, padding=1),
    max_pool2d_case("max_pool2d_3x3_s2_p1_all_negative_b1_c3_5x5",
                    "Catches padding with zeros instead of -inf: every input is below -1, so a zero pad would win "
                    "at the borders.",
                    (1, 3, 5, 5), kernel=3, stride=2, padding=1, all_negative=True),
    max_pool2d_case("max_pool2d_2x2_s2_b3_c5_8x8",
                    "Catches errors in the plain non-overlapping 2x2 stride-2 pool and its one-winner-per-window "
                    "gradient.",
                    (3, 5, 8, 8), kernel=2, stride=2),
    max_pool2d_case("max_pool2d_2x2_s2_b1_c3_7x9",
                    "Catches ceil instead of floor in the output size: the last row and column of a 7x9 map are "
                    "dropped and get zero gradient.",
                    (1, 3, 7, 9), kernel=2, stride=2),
    max_pool2d_case("max_pool2d_3x3_s1_p1_dil2_b1_c3_7x9",
                    "Catches dilation being ignored in the pooling window or the output size, with stride 1 "
                    "overlaps.",
                    (1, 3, 7, 9), kernel=3, stride=1, padding=1, dilation=2),
    max_pool2d_case("max_pool2d_3x3_s2_p1_ties_b2_c3_11x21",
                    "Catches a pool that picks another of several equal maxima than PyTorch's first in row-major "
                    "order (the gradient goes elsewhere), over more than eight output columns.",
                    (2, 3, 11, 21), kernel=3, stride=2, padding=1, ties=True),
    max_pool2d_case("max_pool2d_3x3_s3_p1_ties_b1_c2_10x20",
                    "Catches tie-breaking or window errors for a stride other than 1 and 2.",
                    (1, 2, 10, 20), kernel=3, stride=3, padding=1, ties=True),
    max_pool2d_case("max_pool2d_2x2_s1_ties_b1_c2_9x19",
                    "Catches tie-breaking errors for overlapping stride-1 windows.",
                    (1, 2, 9, 19), kernel=2, stride=1, ties=True),
    max_pool2d_case("max_pool2d_1x1_s18_b1_c2_3x144",
                    "Catches a pool whose row buffer is sized for the windows but not for the input row, when the "
                    "stride is much wider than the kernel (a heap overflow found by review).",
                    (1, 2, 3, 144), kernel=1, stride=18),
]

ADAPTIVE_AVG_POOL2D_CASES = [
    adaptive_avg_pool2d_case("adaptive_avg_pool2d_1x1_b3_c5_7x9",
                             "Catches a global average pool that divides by the wrong count on a non-square map.",
                             (3, 5, 7, 9), (1, 1)),
    adaptive_avg_pool2d_case("adaptive_avg_pool2d_3x2_from_7x9_b3_c5",
                             "Catches wrong floor/ceil window bounds (start floor(i*In/Out), end "
                             "ceil((i+1)*In/Out)) with different ratios per axis.",
                             (3, 5, 7, 9), (3, 2)),
    adaptive_avg_pool2d_case("adaptive_avg_pool2d_5x5_from_7x7_b1_c3",
                             "Catches adaptive windows assumed disjoint: 7 -> 5 gives overlapping windows whose "
                             "gradients must add up.",
                             (1, 3, 7, 7), (5, 5)),
    adaptive_avg_pool2d_case("adaptive_avg_pool2d_4x4_from_3x3_b1_c3",
                             "Catches an output larger than the input (3x3 -> 4x4), where windows repeat input "
                             "cells.",
                             (1, 3, 3, 3), (4, 4)),
]

LINEAR_CASES = [
    linear_case("linear_bias_b3_13to7", "Catches a transposed weight ([out, in] is used as x W^T) and a wrong "
                "bias gradient (sum over the batch).", 3, 13, 7, bias=True),
    linear_case("linear_nobias_b1_13to5", "Catches a broken no-bias path with batch 1.", 1, 13, 5, bias=False),
]

ADD_CASES = [
    binary_case("add_b3_c5_7x9", "add", "Catches an add backward that does not pass the upstream gradient "
                "unchanged to both inputs.", (3, 5, 7, 9)),
]

MUL_CASES = [
    binary_case("mul_b3_c5_7x9", "mul", "Catches a mul backward that gives each input its own value instead of "
                "the other input's times the upstream gradient.", (3, 5, 7, 9)),
]

FLATTEN_CASES = [
    flatten_case("flatten_nc11_b3_c13", "Catches flatten of the pooled [N, C, 1, 1] features before the fc "
                 "layer producing the wrong shape.", (3, 13, 1, 1), 1, -1),
    flatten_case("flatten_nchw_b3_c5_7x9", "Catches flatten of [N, C, H, W] that does not keep C-major, "
                 "row-major element order.", (3, 5, 7, 9), 1, -1),
]
