"""Reference cases for conv2d (aten/src/ATen/native/Convolution.cpp) and batch_norm (nn.BatchNorm2d)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tlref.cases import CaseSpec, Recorded, record_function
from tlref.cases import record as record_op


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def conv2d_case(name: str, description: str, *, batch: int, in_channels: int, out_channels: int,
                size: tuple[int, int], kernel: int | tuple[int, int], stride: int | tuple[int, int] = 1,
                padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1, groups: int = 1,
                bias: bool = True) -> CaseSpec:
    """A `F.conv2d` case; the weight is scaled by 1/sqrt(fan_in) so outputs stay O(1)."""
    attrs = {"stride": _pair(stride), "padding": _pair(padding), "dilation": _pair(dilation), "groups": groups}
    kh, kw = _pair(kernel)

    def record() -> Recorded:
        fan_in = in_channels // groups * kh * kw
        inputs = {
            "input": torch.randn(batch, in_channels, *size),
            "weight": torch.randn(out_channels, in_channels // groups, kh, kw) / math.sqrt(fan_in),
        }
        if bias:
            inputs["bias"] = torch.randn(out_channels)

        def forward(input, weight, bias=None):
            return F.conv2d(input, weight, bias, stride=_pair(stride), padding=_pair(padding),
                            dilation=_pair(dilation), groups=groups)

        return record_function(inputs, list(inputs), forward)

    return CaseSpec(name, "conv2d", description, attrs, record)


def batch_norm_case(name: str, description: str, *, batch: int, channels: int, size: tuple[int, int],
                    training: bool, affine: bool = True, track_running_stats: bool = True,
                    momentum: float | None = 0.1, eps: float = 1e-5, batches_tracked: int = 2) -> CaseSpec:
    """An `nn.BatchNorm2d` case whose parameters and buffers are set to seeded values before the call."""
    attrs: dict[str, object] = {"training": int(training), "eps": eps}
    if momentum is not None:
        attrs["momentum"] = momentum
    if track_running_stats:
        attrs["num_batches_tracked_before"] = batches_tracked

    def record() -> Recorded:
        inputs = {"input": torch.randn(batch, channels, *size) * 2.0 + 0.5}
        if affine:
            inputs["weight"] = 1.0 + 0.5 * torch.randn(channels)
            inputs["bias"] = torch.randn(channels)
        if track_running_stats:
            inputs["running_mean"] = 0.5 * torch.randn(channels)
            inputs["running_var"] = 0.5 + torch.rand(channels)

        def run(values: dict[str, torch.Tensor]):
            module = nn.BatchNorm2d(channels, eps=eps, momentum=momentum, affine=affine,
                                    track_running_stats=track_running_stats, dtype=values["input"].dtype)
            with torch.no_grad():
                if affine:
                    module.weight.copy_(values["weight"])
                    module.bias.copy_(values["bias"])
                if track_running_stats:
                    module.running_mean.copy_(values["running_mean"])
                    module.running_var.copy_(values["running_var"])
                    module.num_batches_tracked.fill_(batches_tracked)
            module.train(training)
            leaves = {"input": values["input"].clone().requires_grad_(True)}
            if affine:
                leaves["weight"], leaves["bias"] = module.weight, module.bias
            output = module(leaves["input"])
            state = {}
            if track_running_stats:
                state = {"running_mean": module.running_mean, "running_var": module.running_var,
                         "num_batches_tracked": module.num_batches_tracked}
            return leaves, output, state

        return record_op(inputs, run)

    return CaseSpec(name, "batch_norm", description, attrs, record)


CONV2D_CASES = [
    conv2d_case("conv2d_3x3_pad1_b3_c5_o7_7x9",
                "Catches im2col/col2im indexing errors on odd, non-square maps with channel counts that are not "
                "multiples of 8.",
                batch=3, in_channels=5, out_channels=7, size=(7, 9), kernel=3, padding=1),
    conv2d_case("conv2d_stride2_pad1_b3_7x9",
                "Catches wrong output-size rounding and a wrong input-gradient scatter for a 3x3 stride-2 padded "
                "conv on an odd 7x9 map (output 4x5).",
                batch=3, in_channels=3, out_channels=5, size=(7, 9), kernel=3, stride=2, padding=1),
    conv2d_case("conv2d_3x3_stride2_pad1_nobias_b1_c5_o7_8x8",
                "Catches errors in the ResNet layer2-4 first-block conv (3x3 stride 2 pad 1, no bias) on an even "
                "map with batch 1.",
                batch=1, in_channels=5, out_channels=7, size=(8, 8), kernel=3, stride=2, padding=1, bias=False),
    conv2d_case("conv2d_dilation2_pad2_b1_c13_o7_9x11",
                "Catches dilation being ignored or applied to the wrong term of the output size or the "
                "gradients.",
                batch=1, in_channels=13, out_channels=7, size=(9, 11), kernel=3, padding=2, dilation=2),
    conv2d_case("conv2d_groups2_6to4_b3_7x9",
                "Catches grouped convolution mixing channels across groups (each output channel must see only "
                "its own group's 3 input channels).",
                batch=3, in_channels=6, out_channels=4, size=(7, 9), kernel=3, padding=1, groups=2),
    conv2d_case("conv2d_depthwise_groups6_stride2_nobias_b1_7x8",
                "Catches depthwise convolution (groups equal to channels) going wrong with stride 2 and no bias.",
                batch=1, in_channels=6, out_channels=6, size=(7, 8), kernel=3, stride=2, padding=1, groups=6,
                bias=False),
    conv2d_case("conv2d_rect_k3x2_s2x1_p1x0_nobias_b3_7x9",
                "Catches height and width swapped in kernel size, stride or padding (all asymmetric here) and a "
                "broken no-bias path.",
                batch=3, in_channels=5, out_channels=7, size=(7, 9), kernel=(3, 2), stride=(2, 1),
                padding=(1, 0), bias=False),
    conv2d_case("conv2d_resnet_stem_7x7_s2_p3_nobias_b3_c3_o13_19x17",
                "Catches errors in the ResNet stem convolution (7x7 stride 2 pad 3, no bias, 3 input channels) "
                "where the padding is wider than a 3x3 kernel's.",
                batch=3, in_channels=3, out_channels=13, size=(19, 17), kernel=7, stride=2, padding=3,
                bias=False),
    conv2d_case("conv2d_downsample_1x1_s2_nobias_b3_c7_o13_7x9",
                "Catches a 1x1 stride-2 downsample conv that skips the subsampling (a 1x1 fast path is only valid "
                "for stride 1).",
                batch=3, in_channels=7, out_channels=13, size=(7, 9), kernel=1, stride=2, bias=False),
    conv2d_case("conv2d_1x1_s1_b3_c13_o5_5x7",
                "Catches errors in the im2col-free 1x1 stride-1 path (a plain GEMM over channels) and its bias "
                "gradient.",
                batch=3, in_channels=13, out_channels=5, size=(5, 7), kernel=1),
    conv2d_case("conv2d_3x3_pad1_groups2_nobias_b4_c6_o4_16x17",
                "Catches errors in the image-parallel schedule for large planes (Ho*Wo >= 256, an even batch split "
                "into whole images per core): weight gradients summed over the cores' partial sums, per-image "
                "input gradients, groups.",
                batch=4, in_channels=6, out_channels=4, size=(16, 17), kernel=3, padding=1, groups=2, bias=False),
    conv2d_case("conv2d_1x1_s1_b4_c6_o5_16x16",
                "Catches errors in the image-parallel pointwise path that multiplies each image in place, with no "
                "im2col matrix.",
                batch=4, in_channels=6, out_channels=5, size=(16, 16), kernel=1),
    conv2d_case("conv2d_3x3_s2_p1_groups2_b8_c4_o6_9x9",
                "Catches errors in the image-parallel schedule for small planes: one GEMM per core over its images, "
                "the permute of its [O, count, P] product and the transposed gradients, with groups.",
                batch=8, in_channels=4, out_channels=6, size=(9, 9), kernel=3, stride=2, padding=1, groups=2),
    conv2d_case("conv2d_1x1_s1_b8_c6_o5_3x5",
                "Catches errors in pointwise convolutions on small planes, unfolded over several images at once.",
                batch=8, in_channels=6, out_channels=5, size=(3, 5), kernel=1),
]

BATCH_NORM_CASES = [
    batch_norm_case("batch_norm_train_affine_b3_c5_7x9",
                    "Catches using the unbiased variance to normalize or the biased one in running_var (training "
                    "mode, momentum 0.1).",
                    batch=3, channels=5, size=(7, 9), training=True),
    batch_norm_case("batch_norm_eval_affine_b3_c5_7x9",
                    "Catches eval mode using batch statistics or updating running stats instead of normalizing "
                    "with the stored running mean and variance.",
                    batch=3, channels=5, size=(7, 9), training=False),
    batch_norm_case("batch_norm_train_noaffine_momentum0p3_eps1e3_b3_c7_5x5",
                    "Catches a missing-affine path that still scales or shifts, and momentum or eps values "
                    "hard-coded to their defaults.",
                    batch=3, channels=7, size=(5, 5), training=True, affine=False, momentum=0.3, eps=1e-3),
    batch_norm_case("batch_norm_eval_noaffine_b1_c7_5x5",
                    "Catches an eval-mode input gradient that wrongly flows through batch statistics, without "
                    "affine parameters.",
                    batch=1, channels=7, size=(5, 5), training=False, affine=False),
    batch_norm_case("batch_norm_train_momentum_none_nbt3_b3_c5_4x3",
                    "Catches momentum=None (cumulative average) using 1/count before the increment instead of "
                    "1/(count + 1) = 1/4 here.",
                    batch=3, channels=5, size=(4, 3), training=True, momentum=None, batches_tracked=3),
    batch_norm_case("batch_norm_train_n1_c13_3x4",
                    "Catches batch statistics taken over the batch only (not N*H*W) when N is 1 and the map is "
                    "3x4, and the n/(n-1) running_var correction with n = 12.",
                    batch=1, channels=13, size=(3, 4), training=True),
    batch_norm_case("batch_norm_train_no_running_stats_b3_c5_5x7",
                    "Catches track_running_stats=False not normalizing with batch statistics or expecting "
                    "running buffers that do not exist.",
                    batch=3, channels=5, size=(5, 7), training=True, track_running_stats=False),
]
