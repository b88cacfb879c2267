"""Times PyTorch ResNet-18 inference and three kinds of training step (the peer for the Swift model benchmark).

Usage: /opt/tlvenv/bin/python Fixtures/bench_model_torch.py [--threads 2] [--repeats 5] [--warmup 2]

For torchvision's resnet18 (1000 classes, random init) at batch 8 x 224x224 and batch 32 x 64x64 it prints one line
per case, for example
    resnet18 b8x224 inference: 185.6 ms, 43.1 img/s, 156.3 GFLOPS
    resnet18 b8x224 full step: 491.0 ms, 16.3 img/s, 177.8 GFLOPS
Cases: inference (eval, no_grad); full step (train, everything trainable); frozen step (train mode, only fc
trainable, the optimizer over fc); layer4+fc step (only layer4 and fc trainable). Every case starts from the same
weights. A step is forward -> F.cross_entropy -> backward -> SGD(momentum 0.9).step() ->
zero_grad(set_to_none=True). Achieved GFLOPS are the operations of one more (untimed) run, counted by
torch.utils.flop_counter.FlopCounterMode (2 per multiply-add of every convolution and matrix product, forward and
the backward gradients actually computed), over the median time; the header gives the forward multiply-adds per
image, counted with forward hooks (1.82 GMAC at 224).
Times are medians over --repeats runs after --warmup runs. The last line is the process's peak RSS. Nothing is
downloaded. The machine is shared and noisy: compare ratios measured in one session, never lone absolute times.
"""

from __future__ import annotations

import argparse
import copy
import resource
from typing import Callable

import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from tlref.timing import median_ms

SHAPES = [(8, 224), (32, 64)]
TRAINABLE_PREFIXES = {"full step": ("",), "frozen step": ("fc.",), "layer4+fc step": ("layer4.", "fc.")}


def forward_macs(model: nn.Module, size: int) -> int:
    """Multiply-accumulates of one image's forward through every Conv2d and Linear, counted with forward hooks."""
    total = 0

    def count(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += output.numel() * module.in_channels // module.groups * kh * kw
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features

    handles = [module.register_forward_hook(count) for module in model.modules()
               if isinstance(module, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for handle in handles:
        handle.remove()
    return total


def counted_flops(run: Callable[[], None]) -> int:
    """The FLOPs of one call of `run`, as FlopCounterMode counts them."""
    with FlopCounterMode(display=False) as counter:
        run()
    return counter.get_total_flops()


def report(label: str, milliseconds: float, batch: int, flops: int) -> None:
    """Prints one case's line."""
    print(f"{label}: {milliseconds:.1f} ms, {batch / milliseconds * 1e3:.1f} img/s, "
          f"{flops / milliseconds / 1e6:.1f} GFLOPS", flush=True)


def training_step(model: nn.Module, case: str, input: torch.Tensor, target: torch.Tensor) -> Callable[[], None]:
    """Sets requires_grad for `case` and returns one SGD step over the trainable parameters (train mode)."""
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name.startswith(TRAINABLE_PREFIXES[case]))
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)

    def step() -> None:
        model.train()
        F.cross_entropy(model(input), target).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def bench(model: nn.Module, initial: dict[str, torch.Tensor], batch: int, size: int, warmup: int,
          repeats: int, cases: list[str]) -> None:
    """Times the four cases at one shape and prints one line per case; each case starts from `initial`."""
    generator = torch.Generator().manual_seed(0)
    input = torch.randn(batch, 3, size, size, generator=generator)
    target = torch.randint(0, 1000, (batch,), generator=generator)
    label = f"resnet18 b{batch}x{size}"

    def inference() -> None:
        model.eval()
        with torch.no_grad():
            model(input)

    if "inference" in cases:
        model.load_state_dict(initial)
        milliseconds = median_ms(inference, warmup, repeats)
        report(f"{label} inference", milliseconds, batch, counted_flops(inference))
    for case in TRAINABLE_PREFIXES:
        if case.split()[0].split("+")[0] not in cases:
            continue
        model.load_state_dict(initial)
        step = training_step(model, case, input, target)
        milliseconds = median_ms(step, warmup, repeats)
        report(f"{label} {case}", milliseconds, batch, counted_flops(step))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--repeats", "-n", type=int, default=5, help="timed runs per case (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    parser.add_argument("--shapes", default="8x224,32x64", help="BATCHxSIZE list (default 8x224,32x64)")
    parser.add_argument("--cases", default="inference,full,frozen,layer4",
                        help="comma-separated subset of inference,full,frozen,layer4 (default all)")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=1000)
    initial = copy.deepcopy(model.state_dict())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {arguments.repeats} "
          f"after {arguments.warmup} warm-up; forward {forward_macs(model, 224) / 1e9:.3f} GMAC per image at 224, "
          f"{forward_macs(model, 64) / 1e9:.3f} at 64")
    baseline_mb = resident_mb()
    for shape in arguments.shapes.split(","):
        batch, size = (int(part) for part in shape.split("x"))
        bench(model, initial, batch, size, arguments.warmup, arguments.repeats, arguments.cases.split(","))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB ({peak_mb - baseline_mb:.0f} MB above the {baseline_mb:.0f} MB resident "
          f"before the first case)")


def resident_mb() -> float:
    """Current resident set size in MB (from /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


if __name__ == "__main__":
    main()
