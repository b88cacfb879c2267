"""Reference cases for log_softmax, softmax, sum, mean and cross_entropy."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tlref.cases import CaseSpec, Recorded, record_function

LARGE_LOGIT_SCALE = 50.0
"""Scale on randn logits: exp(50 * 3) overflows float32, so an unstabilised softmax produces inf/nan."""


def softmax_case(name: str, op: str, description: str, shape: tuple[int, ...], dim: int,
                 scale: float = LARGE_LOGIT_SCALE) -> CaseSpec:
    """A `F.log_softmax` or `F.softmax` case over `dim` with logits randn * `scale`."""
    function = {"log_softmax": F.log_softmax, "softmax": F.softmax}[op]

    def record() -> Recorded:
        inputs = {"input": torch.randn(shape) * scale}
        return record_function(inputs, ["input"], lambda input: function(input, dim=dim))

    return CaseSpec(name, op, description, {"dim": dim}, record)


def reduction_case(name: str, op: str, description: str, shape: tuple[int, ...]) -> CaseSpec:
    """A full `torch.sum` or `torch.mean` case (a rank-0 output)."""
    function = {"sum": torch.sum, "mean": torch.mean}[op]

    def record() -> Recorded:
        inputs = {"input": torch.randn(shape)}
        return record_function(inputs, ["input"], lambda input: function(input))

    return CaseSpec(name, op, description, {}, record)


def cross_entropy_case(name: str, description: str, *, batch: int, classes: int, reduction: str = "mean",
                       label_smoothing: float = 0.0, class_weights: bool = False, ignore_index: int = -100,
                       ignored_rows: tuple[int, ...] = ()) -> CaseSpec:
    """An `F.cross_entropy` case on [N, C] logits; rows in `ignored_rows` get target `ignore_index`."""
    attrs = {"reduction": reduction, "ignore_index": ignore_index, "label_smoothing": label_smoothing}

    def record() -> Recorded:
        inputs = {"input": torch.randn(batch, classes) * 2.0}
        target = torch.randint(0, classes, (batch,), dtype=torch.int64)
        if 0 <= ignore_index < classes:
            target[target == ignore_index] = (ignore_index + 1) % classes
        for row in ignored_rows:
            target[row] = ignore_index
        inputs["target"] = target
        if class_weights:
            inputs["weight"] = 0.25 + 1.5 * torch.rand(classes)

        def forward(input, target, weight=None):
            return F.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                                   label_smoothing=label_smoothing)

        return record_function(inputs, ["input"], forward)

    return CaseSpec(name, "cross_entropy", description, attrs, record)


LOG_SOFTMAX_CASES = [
    softmax_case("log_softmax_dim1_large_b3_c13", "log_softmax",
                 "Catches an unstabilised log_softmax (no max subtraction) with logits of magnitude ~150.",
                 (3, 13), 1),
    softmax_case("log_softmax_dim1_nchw_large_b2_c5_3x4", "log_softmax",
                 "Catches log_softmax over the channel axis of [N, C, H, W] reducing over the wrong stride, with "
                 "large logits.", (2, 5, 3, 4), 1),
]

SOFTMAX_CASES = [
    softmax_case("softmax_dim1_large_b3_c13", "softmax",
                 "Catches an unstabilised softmax (exp overflow to inf/nan) and a backward that ignores the "
                 "sum(grad * y) term.", (3, 13), 1),
    softmax_case("softmax_dim1_nchw_large_b2_c5_3x4", "softmax",
                 "Catches softmax over the channel axis of [N, C, H, W] reducing over the wrong stride, with large "
                 "logits.", (2, 5, 3, 4), 1),
]

SUM_CASES = [
    reduction_case("sum_b3_c5_7x9", "sum", "Catches a full sum whose backward does not broadcast the scalar "
                   "upstream gradient to every element.", (3, 5, 7, 9)),
]

MEAN_CASES = [
    reduction_case("mean_b3_c5_7x9", "mean", "Catches a full mean that divides by the wrong element count in the "
                   "forward or the backward.", (3, 5, 7, 9)),
]

CROSS_ENTROPY_CASES = [
    cross_entropy_case("cross_entropy_mean_b5_c7", "Catches a loss that is not log_softmax + NLL averaged over "
                       "the batch (e.g. a softmax without max subtraction or a missing 1/N).", batch=5, classes=7),
    cross_entropy_case("cross_entropy_sum_b5_c7", "Catches the sum reduction still dividing by N in the forward "
                       "or the backward.", batch=5, classes=7, reduction="sum"),
    cross_entropy_case("cross_entropy_none_b5_c7", "Catches reduction 'none' not returning one loss per sample "
                       "with a per-sample upstream gradient.", batch=5, classes=7, reduction="none"),
    cross_entropy_case("cross_entropy_label_smoothing_0p1_b5_c7", "Catches label smoothing mixed in wrongly: "
                       "(1 - 0.1) * nll + (0.1 / C) * sum over classes of -log p.", batch=5, classes=7,
                       label_smoothing=0.1),
    cross_entropy_case("cross_entropy_class_weights_b5_c7", "Catches class weights applied without dividing "
                       "the mean by the sum of the targets' weights.", batch=5, classes=7, class_weights=True),
    cross_entropy_case("cross_entropy_ignore_index_default_b6_c7", "Catches rows with target -100 counted in "
                       "the loss or the mean's denominator, or given a nonzero gradient.", batch=6, classes=7,
                       ignored_rows=(1, 4)),
    cross_entropy_case("cross_entropy_weights_smoothing_ignore_b6_c7", "Catches class weights, label smoothing "
                       "0.1 and ignore_index 2 (a real class) combined wrongly under the mean reduction.",
                       batch=6, classes=7, label_smoothing=0.1, class_weights=True, ignore_index=2,
                       ignored_rows=(0, 3)),
    cross_entropy_case("cross_entropy_weights_smoothing_ignore_sum_b6_c7", "Catches class weights, label "
                       "smoothing 0.1 and ignore_index 2 combined wrongly under the sum reduction.", batch=6,
                       classes=7, reduction="sum", label_smoothing=0.1, class_weights=True, ignore_index=2,
                       ignored_rows=(2, 5)),
    cross_entropy_case("cross_entropy_weights_smoothing_ignore_none_b6_c7", "Catches per-sample losses with "
                       "class weights and label smoothing, where ignored rows must be exactly 0.", batch=6,
                       classes=7, reduction="none", label_smoothing=0.1, class_weights=True, ignore_index=2,
                       ignored_rows=(1,)),
    cross_entropy_case("cross_entropy_n1_c7", "Catches a batch of one being squeezed to a vector or divided by "
                       "the wrong count.", batch=1, classes=7),
]
