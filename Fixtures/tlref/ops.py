"""Every op reference case, in the order written to ops.h5, keyed by op name."""

from __future__ import annotations

from tlref.cases import CaseSpec
from tlref.ops_conv_norm import BATCH_NORM_CASES, CONV2D_CASES
from tlref.ops_layers import (ADAPTIVE_AVG_POOL2D_CASES, ADD_CASES, FLATTEN_CASES, LINEAR_CASES,
                              MAX_POOL2D_CASES, MUL_CASES, RELU_CASES)
from tlref.ops_softmax_loss import (CROSS_ENTROPY_CASES, LOG_SOFTMAX_CASES, MEAN_CASES, SOFTMAX_CASES,
                                    SUM_CASES)

OP_CASES: dict[str, list[CaseSpec]] = {
    "conv2d": CONV2D_CASES,
    "batch_norm": BATCH_NORM_CASES,
    "relu": RELU_CASES,
    "max_pool2d": MAX_POOL2D_CASES,
    "adaptive_avg_pool2d": ADAPTIVE_AVG_POOL2D_CASES,
    "linear": LINEAR_CASES,
    "add": ADD_CASES,
    "mul": MUL_CASES,
    "flatten": FLATTEN_CASES,
    "log_softmax": LOG_SOFTMAX_CASES,
    "softmax": SOFTMAX_CASES,
    "sum": SUM_CASES,
    "mean": MEAN_CASES,
    "cross_entropy": CROSS_ENTROPY_CASES,
}


def all_op_cases() -> list[CaseSpec]:
    """All cases; raises ValueError on a duplicate name or a case filed under the wrong op."""
    cases: list[CaseSpec] = []
    seen: set[str] = set()
    for op, specs in OP_CASES.items():
        for spec in specs:
            if spec.op != op:
                raise ValueError(f"case {spec.name!r} has op {spec.op!r} but is listed under {op!r}")
            if spec.name in seen:
                raise ValueError(f"duplicate case name {spec.name!r}")
            seen.add(spec.name)
            cases.append(spec)
    return cases
