"""Times PyTorch conv2d forward and forward+backward on two ResNet-18 layer shapes (the peer for the Swift bench).

Usage: /opt/tlvenv/bin/python Fixtures/bench_conv_torch.py [--threads 2] [--repeats 10] [--warmup 3] [--batch 8]

For each shape it prints one line:
    layer1 64x64x3x3 56x56 b8: fwd 12.3 ms (45.6 GFLOPS), fwd+bwd 40.1 ms (41.9 GFLOPS)
Forward FLOPs = 2*N*O*Ho*Wo*C*kh*kw; forward+backward counts 3x that (grad w.r.t. input and weight, no bias).
"fwd" is the training-mode forward (inputs require grad, so autograd records the graph) that "fwd+bwd" also runs.
Times are medians over --repeats runs after --warmup runs, on float32 CPU tensors; nothing is downloaded.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tlref.timing import median_ms


@dataclass(frozen=True)
class ConvShape:
    """A 3x3 pad-1 stride-1 convolution shape from ResNet-18."""

    name: str
    in_channels: int
    out_channels: int
    size: int
    kernel: int = 3
    padding: int = 1

    def forward_flops(self, batch: int) -> float:
        return 2.0 * batch * self.out_channels * self.size * self.size * self.in_channels * self.kernel ** 2

    def label(self, batch: int) -> str:
        return (f"{self.name} {self.in_channels}x{self.out_channels}x{self.kernel}x{self.kernel} "
                f"{self.size}x{self.size} b{batch}")


SHAPES = [ConvShape("layer1", 64, 64, 56), ConvShape("layer4", 512, 512, 7)]


def bench(shape: ConvShape, batch: int, warmup: int, repeats: int) -> str:
    """Times one shape and returns its report line."""
    generator = torch.Generator().manual_seed(0)
    input = torch.randn(batch, shape.in_channels, shape.size, shape.size, generator=generator).requires_grad_()
    weight = (torch.randn(shape.out_channels, shape.in_channels, shape.kernel, shape.kernel, generator=generator)
              * (2.0 / (shape.in_channels * shape.kernel ** 2)) ** 0.5).requires_grad_()
    grad_output = torch.randn(batch, shape.out_channels, shape.size, shape.size, generator=generator)

    def forward() -> None:
        F.conv2d(input, weight, padding=shape.padding)

    def forward_backward() -> None:
        input.grad, weight.grad = None, None
        F.conv2d(input, weight, padding=shape.padding).backward(grad_output)

    forward_ms = median_ms(forward, warmup, repeats)
    step_ms = median_ms(forward_backward, warmup, repeats)
    flops = shape.forward_flops(batch)
    return (f"{shape.label(batch)}: fwd {forward_ms:.1f} ms ({flops / forward_ms / 1e6:.1f} GFLOPS), "
            f"fwd+bwd {step_ms:.1f} ms ({3 * flops / step_ms / 1e6:.1f} GFLOPS)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--repeats", "-n", type=int, default=10, help="timed runs per measurement (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    parser.add_argument("--batch", type=int, default=8, help="batch size (default 8)")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {arguments.repeats} "
          f"after {arguments.warmup} warm-up")
    for shape in SHAPES:
        print(bench(shape, arguments.batch, arguments.warmup, arguments.repeats), flush=True)


if __name__ == "__main__":
    main()
