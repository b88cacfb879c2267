"""Classification-metric references: `generate_metrics(out, seed, argv)` writes metrics.h5.

Each case is a pair of committed label arrays (`y_true`, `y_pred`) over `num_classes` classes, or committed
targets and seeded logits whose predictions are `torch.argmax(logits, dim=1)` (the first maximum on ties). For each
case scikit-learn records what `workbench evaluate` reports: `accuracy_score`, `confusion_matrix` (rows true,
columns predicted, `labels=range(C)`), `precision_recall_fscore_support` per class (`average=None`,
`labels=range(C)`) and averaged (`average="macro"` and `"weighted"` with `labels=None`, i.e. over the classes present
in `y_true` or `y_pred`), all with `zero_division=0`. The macro average over every label (`labels=range(C)`) is
recorded too, under `macro_all_labels/`, so a test can show that the two averages differ where a class is absent
from both arrays. Logit cases also hold torch's per-sample `cross_entropy(reduction="none")` and `softmax`.
The layout is specified in Fixtures/references/METRICS.md.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from sklearn.utils.multiclass import unique_labels

from tlref.cases import case_seed
from tlref.h5write import open_for_writing, replace_atomically, write_attributes

SCHEMA_VERSION = 1
GENERATOR = "Fixtures/generate_references.py"
ZERO_DIVISION = 0


@dataclass(frozen=True)
class MetricsCase:
    """Committed targets, and either committed predictions or `logits` = a function of a seeded generator."""

    name: str
    description: str
    num_classes: int
    y_true: list[int]
    y_pred: list[int] | None = None
    logits: str | None = None
    """How the logits are drawn: "integers" (small integers, so rows tie) or "normal"."""


def _imbalanced(num_classes: int, count: int, seed: int) -> tuple[list[int], list[int]]:
    """Targets with class c drawn with weight 2^-c/2 (so the last classes are rare), predictions right 60% of
    the time and uniformly random otherwise: a seeded, committed-by-generator case with many classes."""
    generator = np.random.default_rng(seed)
    weights = np.array([0.5 ** (c / 2) for c in range(num_classes)])
    y_true = generator.choice(num_classes, size=count, p=weights / weights.sum())
    right = generator.random(count) < 0.6
    y_pred = np.where(right, y_true, generator.integers(0, num_classes, size=count))
    return y_true.tolist(), y_pred.tolist()


_MANY_TRUE, _MANY_PRED = _imbalanced(12, 300, 12)

CASES = [
    MetricsCase("balanced_3", "three classes of four samples, errors in every row and column", 3,
                [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2],
                [0, 0, 1, 2, 1, 1, 1, 0, 2, 2, 0, 1]),
    MetricsCase("imbalanced_4", "supports 20/5/2/1, mostly predicted as the majority class: macro and weighted "
                "averages far apart", 4,
                [0] * 20 + [1] * 5 + [2] * 2 + [3],
                [0] * 18 + [1, 2] + [0, 0, 1, 1, 3] + [0, 2] + [0]),
    MetricsCase("never_predicted", "class 2 has samples but is never predicted: precision 0/0 -> 0, F1 0", 3,
                [0, 0, 1, 1, 1, 2, 2, 2],
                [0, 1, 1, 1, 0, 0, 1, 0]),
    MetricsCase("absent_from_targets", "class 3 is predicted but has no samples: recall 0/0 -> 0, support 0, "
                "weight 0 in the weighted average", 4,
                [0, 0, 1, 1, 2, 2],
                [0, 3, 1, 3, 2, 2]),
    MetricsCase("absent_from_both", "class 4 is neither a target nor a prediction: left out of the macro average "
                "(labels=None), listed with zeros per class", 5,
                [0, 0, 1, 1, 2, 3, 3],
                [0, 1, 1, 1, 2, 3, 0]),
    MetricsCase("perfect", "every prediction right: all scores 1", 3, [0, 1, 2, 2, 1, 0], [0, 1, 2, 2, 1, 0]),
    MetricsCase("argmax_ties", "integer logits in -2..2, so rows tie: torch.argmax takes the first maximum", 4,
                [0, 1, 2, 3] * 10, logits="integers"),
    MetricsCase("normal_logits", "normal logits with a spread of 3: per-sample cross-entropy and softmax", 5,
                [c for c in range(5) for _ in range(6)], logits="normal"),
    MetricsCase("many_classes_12", "12 classes, 300 samples, supports falling geometrically: numpy's pairwise "
                "sums take over from a left-to-right sum at 8 terms", 12, _MANY_TRUE, _MANY_PRED),
]


def _logits(case: MetricsCase, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(case_seed(seed, case.name))
    shape = (len(case.y_true), case.num_classes)
    if case.logits == "integers":
        return torch.randint(-2, 3, shape, generator=generator).to(torch.float32)
    return torch.randn(shape, generator=generator) * 3


def _dataset(group: h5py.Group, name: str, value: np.ndarray) -> None:
    group.create_dataset(name, data=value, track_times=False)


def _scores(group: h5py.Group, precision, recall, f1) -> None:
    for name, value in (("precision", precision), ("recall", recall), ("f1", f1)):
        _dataset(group, name, np.asarray(value, dtype=np.float64))


def record_case(cases: h5py.Group, case: MetricsCase, seed: int) -> str:
    """Writes `/cases/<name>`; returns a one-line summary."""
    group = cases.create_group(case.name, track_times=False)
    write_attributes(group, {"description": case.description, "num_classes": case.num_classes})
    y_true = np.asarray(case.y_true, dtype=np.int64)
    if case.logits is not None:
        logits = _logits(case, seed)
        targets = torch.from_numpy(y_true)
        _dataset(group, "logits", logits.numpy())
        _dataset(group, "cross_entropy", F.cross_entropy(logits, targets, reduction="none").numpy())
        _dataset(group, "softmax", F.softmax(logits, dim=1).numpy())
        y_pred = torch.argmax(logits, dim=1).numpy().astype(np.int64)
    else:
        y_pred = np.asarray(case.y_pred, dtype=np.int64)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"{case.name}: {len(y_pred)} predictions for {len(y_true)} targets")
    labels = list(range(case.num_classes))
    _dataset(group, "y_true", y_true)
    _dataset(group, "y_pred", y_pred)
    _dataset(group, "present_labels", unique_labels(y_true, y_pred).astype(np.int64))
    _dataset(group, "accuracy", np.float64(accuracy_score(y_true, y_pred)))
    _dataset(group, "confusion_matrix", confusion_matrix(y_true, y_pred, labels=labels).astype(np.int64))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=ZERO_DIVISION)
    _scores(group, precision, recall, f1)
    _dataset(group, "support", np.asarray(support, dtype=np.int64))
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=ZERO_DIVISION)
        _scores(group.create_group(average, track_times=False), p, r, f)
    p, r, f, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average="macro", zero_division=ZERO_DIVISION)
    _scores(group.create_group("macro_all_labels", track_times=False), p, r, f)
    macro = group["macro/f1"][()]
    return (f"{case.name}: {len(y_true)} samples, {case.num_classes} classes, accuracy "
            f"{group['accuracy'][()]:.4f}, macro F1 {macro:.4f}, macro F1 over all labels {f:.4f}")


def generate_metrics(out: Path, seed: int, argv: list[str]) -> None:
    """The `metrics` subcommand: writes every case to `out` (via `<out>.tmp`)."""
    temporary = out.with_name(out.name + ".tmp")
    with open_for_writing(temporary) as file:
        write_attributes(file, {
            "schema_version": SCHEMA_VERSION, "generator": GENERATOR, "generator_args": shlex.join(argv),
            "torch_version": torch.__version__, "numpy_version": np.__version__, "h5py_version": h5py.__version__,
            "sklearn_version": sklearn.__version__, "seed": seed, "kind": "metrics",
            "zero_division": ZERO_DIVISION,
        })
        cases = file.create_group("cases", track_times=False)
        lines = [record_case(cases, case, seed) for case in CASES]
    replace_atomically(temporary, out)
    print("\n".join(lines))
    print(f"wrote {len(CASES)} cases to {out} ({out.stat().st_size:,} bytes)")
