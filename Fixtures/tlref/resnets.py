"""torchvision's ResNet-18/34/50 with every channel count scaled by base_width/64 and torchvision's state_dict keys.

The blocks are torchvision's own `BasicBlock` and `Bottleneck` (stride in conv2, expansion 4), assembled by the
inherited `ResNet._make_layer` (downsample = conv1x1 + BatchNorm2d) and run by the inherited `ResNet.forward`.
Only the widths change: the stem and inplanes become `base_width` and the stages `base_width * (1, 2, 4, 8)`, so a
tiny model (base_width 4) has the same modules, keys, call order and ops as the real one, at a fraction of the
cost. With base_width 64 the model equals `torchvision.models.resnet18/34/50` (`check_against_torchvision`).
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

ARCHITECTURES: dict[str, tuple[type[BasicBlock | Bottleneck], list[int]]] = {
    "resnet18": (BasicBlock, [2, 2, 2, 2]),
    "resnet34": (BasicBlock, [3, 4, 6, 3]),
    "resnet50": (Bottleneck, [3, 4, 6, 3]),
}


class WidthScaledResNet(ResNet):
    """`torchvision.models.resnet.ResNet` whose 64/128/256/512 channel counts are base_width * (1, 2, 4, 8).

    A copy of `ResNet.__init__` with the widths scaled and no groups, dilation or custom norm layer; everything
    else (`_make_layer`, `forward`) is inherited unchanged.
    """

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int], num_classes: int,
                 base_width: int = 64, zero_init_residual: bool = False) -> None:
        nn.Module.__init__(self)
        if base_width < 1:
            raise ValueError(f"base_width must be positive, got {base_width}")
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = base_width
        self.dilation = 1
        self.groups = 1
        self.base_width = 64  # torchvision's width_per_group: Bottleneck's inner width stays `planes`
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, base_width, layers[0])
        self.layer2 = self._make_layer(block, base_width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, base_width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, base_width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(base_width * 8 * block.expansion, num_classes)

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, Bottleneck):
                    nn.init.constant_(module.bn3.weight, 0)
                elif isinstance(module, BasicBlock):
                    nn.init.constant_(module.bn2.weight, 0)


def resnet(name: str, num_classes: int, base_width: int = 64, zero_init_residual: bool = False) -> ResNet:
    """A width-scaled torchvision ResNet: `name` is "resnet18", "resnet34" or "resnet50"."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(ARCHITECTURES)}")
    block, layers = ARCHITECTURES[name]
    return WidthScaledResNet(block, layers, num_classes, base_width, zero_init_residual)


def check_against_torchvision(num_classes: int = 1000) -> list[str]:
    """Checks that base_width 64 reproduces torchvision's keys, shapes, parameter count and forward output."""
    lines = []
    for name in ARCHITECTURES:
        ours = resnet(name, num_classes)
        theirs = getattr(torchvision.models, name)(num_classes=num_classes)
        ours_shapes = [(key, tuple(value.shape)) for key, value in ours.state_dict().items()]
        theirs_shapes = [(key, tuple(value.shape)) for key, value in theirs.state_dict().items()]
        if ours_shapes != theirs_shapes:
            different = [pair for pair in zip(ours_shapes, theirs_shapes) if pair[0] != pair[1]]
            raise AssertionError(f"{name}: state_dict differs from torchvision's (first: {different[:1]}, "
                                 f"{len(ours_shapes)} vs {len(theirs_shapes)} entries)")
        count = sum(parameter.numel() for parameter in ours.parameters())
        if count != sum(parameter.numel() for parameter in theirs.parameters()):
            raise AssertionError(f"{name}: {count} parameters, torchvision has a different count")
        ours.load_state_dict(theirs.state_dict())
        ours.eval()
        theirs.eval()
        batch = torch.linspace(-2.0, 2.0, 2 * 3 * 32 * 32).reshape(2, 3, 32, 32)
        with torch.no_grad():
            if not torch.equal(ours(batch), theirs(batch)):
                raise AssertionError(f"{name}: forward output differs from torchvision's with the same weights")
        lines.append(f"{name}: {len(ours_shapes)} state_dict entries and {count:,} parameters at "
                     f"{num_classes} classes, as in torchvision")
    return lines
