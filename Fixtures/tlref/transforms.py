"""torchvision references for the Swift `Vision` module: transforms, ImageFolder and DataLoader order.

`generate_transforms(out, seed, argv)` (the `transforms` subcommand of Fixtures/generate_references.py) writes:

* Fixtures/testdata/transforms/*.png - seeded RGB, 16-bit and gray inputs (names give width x height), and
  `folder/<class>/*.png`, the default image folder of Fixtures/bench_dataloader_torch.py and the Swift benchmark;
* Fixtures/testdata/imagefolder/ - ImageFolder trees (`valid/` and the error trees under `errors/`) and
  `expected.json`: torchvision's `classes`, `class_to_idx`, `samples` and its verdict on every error tree;
* `out` (Fixtures/references/transforms.h5) - torchvision's outputs for every deterministic transform, the boxes
  and flips its random transforms choose when fed the portable uniform stream, shuffle orders and DataLoader
  batches. The layout is specified in Fixtures/references/TRANSFORMS.md.

Random transforms run torchvision's own `get_params`/`forward` with `torch.empty(1).uniform_`, `torch.rand(1)` and
`torch.randint` replaced by draws from the portable stream (tlref/portable.py), so the Swift twin that draws the
same stream must choose the same boxes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
from pathlib import Path

import h5py
import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T
from torchvision.datasets import ImageFolder
from torchvision.io import ImageReadMode, read_image
from torchvision.models import ResNet18_Weights
from torchvision.transforms import functional as TF

from tlref.h5write import open_for_writing, replace_atomically, write_attributes
from tlref.images import encode_png
from tlref.portable import uniform01

SCHEMA_VERSION = 1
GENERATOR = "Fixtures/generate_references.py"
FIXTURES = Path(__file__).resolve().parent.parent
INPUTS = FIXTURES / "testdata" / "transforms"
FOLDERS = FIXTURES / "testdata" / "imagefolder"
GZIP_LEVEL = 9
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# MARK: - Input images

def smooth_rgb(rng: np.random.Generator, width: int, height: int, noise: int, bit_depth: int = 8) -> np.ndarray:
    """HWC samples: a seeded sum of sine waves plus uniform noise in [-noise, noise], with one pixel at 0 and one at
    the maximum so every transform sees the extremes."""
    top = (1 << bit_depth) - 1
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    planes = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.02, 0.2), rng.uniform(0.02, 0.2), rng.uniform(0, 2 * np.pi)
        planes.append(0.5 + 0.35 * np.sin(fx * x + phase) * np.cos(fy * y - phase) + 0.1 * np.sin(0.05 * (x + y)))
    samples = np.stack(planes, axis=-1) * top + rng.integers(-noise, noise + 1, size=(height, width, 3))
    samples = np.clip(np.rint(samples), 0, top).astype(np.int64)
    samples[0, 0, :] = 0
    samples[-1, -1, :] = top
    return samples


def blocky_rgb(rng: np.random.Generator, width: int, height: int, block: int) -> np.ndarray:
    """HWC 8-bit samples: seeded flat blocks of `block` pixels (sharp edges for the antialias filter) over a
    gradient, with one pixel at 0 and one at 255; they compress to a few kB."""
    grid = rng.integers(0, 256, size=(-(-height // block), -(-width // block), 3))
    samples = np.kron(grid, np.ones((block, block, 1), dtype=np.int64))[:height, :width]
    y, x = np.mgrid[0:height, 0:width]
    samples = samples * 3 // 4 + ((x + 2 * y) * 64 // (width + 2 * height))[..., None]
    samples[0, 0, :] = 0
    samples[-1, -1, :] = 255
    return samples


def write_png(path: Path, samples: np.ndarray, bit_depth: int = 8) -> None:
    """A PNG of HWC samples (1 channel: gray, 3: RGB): PIL's optimized encoder for 8 bits, tlref.images' encoder
    for 16 bits (PIL cannot write 16-bit RGB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if bit_depth == 16:
        path.write_bytes(encode_png(samples, 16, 0 if samples.shape[2] == 1 else 2))
    else:
        pixels = samples[..., 0] if samples.shape[2] == 1 else samples
        Image.fromarray(pixels.astype(np.uint8)).save(path, format="PNG", optimize=True)


def write_inputs(rng: np.random.Generator) -> dict[str, Path]:
    """The transform inputs (name -> path), plus the benchmark folder of 2 classes x 8 images of 320 x 240."""
    shutil.rmtree(INPUTS, ignore_errors=True)
    inputs = {
        "rgb_37x53": (smooth_rgb(rng, 37, 53, noise=8), 8),
        "rgb_300x200": (blocky_rgb(rng, 300, 200, block=7), 8),
        "rgb16_29x19": (smooth_rgb(rng, 29, 19, noise=2000, bit_depth=16), 16),
        "gray_23x31": (smooth_rgb(rng, 23, 31, noise=8)[..., :1], 8),
    }
    paths = {}
    for name, (samples, bit_depth) in inputs.items():
        paths[name] = INPUTS / f"{name}.png"
        write_png(paths[name], samples, bit_depth)
    for class_name in ("class_a", "class_b"):
        for k in range(8):
            write_png(INPUTS / "folder" / class_name / f"img_{k}.png", blocky_rgb(rng, 320, 240, block=8 + k))
    return paths


# MARK: - ImageFolder trees

def tiny(rng: np.random.Generator, width: int, height: int, gray: bool = False) -> np.ndarray:
    """Seeded noise samples, HWC, 8-bit: RGB or (gray) one channel."""
    return rng.integers(0, 256, size=(height, width, 1 if gray else 3))


def write_folder_trees(rng: np.random.Generator) -> None:
    """valid/ (class and file names that test code-point order, nesting, extensions) and the error trees."""
    shutil.rmtree(FOLDERS, ignore_errors=True)
    valid = FOLDERS / "valid"
    pngs = {
        "Cat/b10.png": (9, 7), "Cat/b2.png": (6, 8), "Cat/B1.PNG": (12, 10), "Cat/.hidden.png": (7, 7),
        "Cat/nested/x.png": (8, 11), "Cat/nested/deeper/y.png": (10, 6), "Cat/nested.more/z.png": (11, 9),
        "bird/a.png": (8, 8), "bird/c.png": (9, 12), "dog/zeta.png": (6, 6), "dog/\u00e9lan.png": (12, 7),
    }
    for relative, (width, height) in pngs.items():
        write_png(valid / relative, tiny(rng, width, height, gray=relative == "bird/c.png"))
    for relative in ("README.txt", "Cat/notes.txt", "Cat/nested/data.csv", "dog/image.png.bak"):
        (valid / relative).write_text("not an image\n")
    errors = FOLDERS / "errors"
    write_png(errors / "empty_class" / "a" / "x.png", tiny(rng, 5, 5))
    (errors / "empty_class" / "b").mkdir(parents=True)
    (errors / "empty_class" / "b" / "notes.txt").write_text("no images in this class\n")
    (errors / "no_classes").mkdir(parents=True)
    (errors / "no_classes" / "README.txt").write_text("a file, but no class folder\n")
    write_png(errors / "corrupt" / "a" / "good.png", tiny(rng, 6, 6))
    good = (errors / "corrupt" / "a" / "good.png").read_bytes()
    (errors / "corrupt" / "a" / "truncated.png").write_bytes(good[: len(good) // 2])
    (errors / "corrupt" / "b").mkdir(parents=True)
    jpeg = Image.fromarray(tiny(rng, 6, 6).astype(np.uint8))
    jpeg.save(errors / "corrupt" / "b" / "photo.jpg", format="JPEG", quality=90)
    write_png(errors / "corrupt" / "b" / "good2.png", tiny(rng, 6, 6))


def torchvision_verdict(root: Path) -> dict[str, str]:
    """What ImageFolder(root) raises, as {"exception", "message"} (the root path replaced by `<root>`)."""
    try:
        ImageFolder(str(root))
    except Exception as error:  # torchvision raises FileNotFoundError for every refused tree
        return {"exception": type(error).__name__, "message": str(error).replace(str(root), "<root>")}
    return {"exception": "", "message": "accepted"}


def folder_reference() -> dict[str, object]:
    """expected.json: torchvision's view of valid/, its verdicts on the error trees and on corrupt/'s samples."""
    valid = FOLDERS / "valid"
    dataset = ImageFolder(str(valid))
    corrupt = ImageFolder(str(FOLDERS / "errors" / "corrupt"))
    loads = []
    for index, (path, target) in enumerate(corrupt.samples):
        try:
            image, _ = corrupt[index]
            verdict = f"decoded {image.mode} {image.size[0]}x{image.size[1]}"
        except Exception as error:  # PIL raises OSError subclasses for damaged files
            verdict = f"{type(error).__name__}: {error}".replace(str(FOLDERS), "<imagefolder>")
        loads.append({"path": os.path.relpath(path, FOLDERS / "errors" / "corrupt"), "class_index": target,
                      "torchvision": verdict})
    return {
        "generator": GENERATOR + " transforms",
        "torchvision_version": torchvision.__version__,
        "valid": {
            "root": "valid",
            "classes": dataset.classes,
            "class_to_idx": dataset.class_to_idx,
            "samples": [[os.path.relpath(path, valid), target] for path, target in dataset.samples],
        },
        "errors": {name: torchvision_verdict(FOLDERS / "errors" / name) for name in ("empty_class", "no_classes")},
        "corrupt": {"root": "errors/corrupt", "classes": corrupt.classes, "loads": loads},
    }


# MARK: - torchvision's random transforms driven by the portable stream

class PortableDraws:
    """The uniforms u_0, u_1, ... of the portable stream `name` under `seed`, handed out in order."""

    def __init__(self, name: str, seed: int) -> None:
        self.name, self.seed, self.position = name, seed, 0
        self.values = uniform01(name, seed, 64)

    def next(self) -> np.float32:
        if self.position == len(self.values):
            self.values = uniform01(self.name, self.seed, 2 * len(self.values))
        value = self.values[self.position]
        self.position += 1
        return value


class _PortableUniform:
    """What the patched `torch.empty(1)` returns: `.uniform_(a, b)` gives float32 `u * (b - a) + a`."""

    def __init__(self, draws: PortableDraws) -> None:
        self.draws = draws

    def uniform_(self, low: object, high: object) -> torch.Tensor:
        low32, high32 = np.float32(float(low)), np.float32(float(high))
        return torch.tensor([self.draws.next() * (high32 - low32) + low32], dtype=torch.float32)


@contextlib.contextmanager
def portable_torch_random(draws: PortableDraws):
    """Replaces torch.empty(1) (for `.uniform_`), torch.rand(1) and torch.randint(low, high, (1,)) by draws:
    rand gives u, randint gives `low + floor(u * (high - low))`. Other shapes raise, so a torchvision that draws
    differently is noticed."""
    saved = torch.empty, torch.rand, torch.randint

    def empty(*size, **_):
        if size != (1,):
            raise AssertionError(f"unexpected torch.empty{size} inside a patched random transform")
        return _PortableUniform(draws)

    def rand(*size, **_):
        if size != (1,):
            raise AssertionError(f"unexpected torch.rand{size} inside a patched random transform")
        return torch.tensor([draws.next()], dtype=torch.float32)

    def randint(low, high, size, **_):
        if tuple(size) != (1,):
            raise AssertionError(f"unexpected torch.randint size {size} inside a patched random transform")
        return torch.tensor([low + int(float(draws.next()) * (high - low))])

    torch.empty, torch.rand, torch.randint = empty, rand, randint
    try:
        yield
    finally:
        torch.empty, torch.rand, torch.randint = saved


def crop_box(height: int, width: int, scale: tuple, ratio: tuple, draws: PortableDraws) -> tuple[int, ...]:
    """torchvision's RandomResizedCrop.get_params on an image of this size; checks the number of draws taken."""
    image = torch.zeros((3, height, width))
    start = draws.position
    with portable_torch_random(draws):
        box = T.RandomResizedCrop.get_params(image, list(scale), list(ratio))
    taken = draws.position - start
    inside = 0 < box[2] <= height and 0 < box[3] <= width
    assert taken == 20 or (taken % 2 == 0 and taken <= 20 and inside), f"{taken} draws for box {box}"
    return box


# MARK: - Deterministic transform cases

def float_input(path: Path) -> torch.Tensor:
    """ToTensor's result: read_image(path, RGB) divided by 255 (or 65535 for 16-bit), float32 CHW."""
    return TF.convert_image_dtype(read_image(str(path), ImageReadMode.RGB), torch.float32)


def deterministic_cases(paths: dict[str, Path]) -> list[dict]:
    """Each case: name, transform kind, description, input, attributes the Swift side rebuilds it from, and a
    function of the input tensor."""
    imagenet = {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    cases = [
        ("to_tensor_rgb8", "to_tensor", "8-bit samples divided by 255 (a multiply by 1/255 differs in the last bit)",
         "rgb_37x53", {}, lambda x: x),
        ("to_tensor_rgb16", "to_tensor", "16-bit samples divided by 65535, not 255", "rgb16_29x19", {}, lambda x: x),
        ("to_tensor_gray_as_rgb", "to_tensor", "a gray PNG read as RGB repeats its channel", "gray_23x31", {},
         lambda x: x),
    ]

    def resize(name, description, image, size, antialias):
        cases.append((name, "resize", description, image, {"size": size, "antialias": int(antialias)},
                      lambda x: TF.resize(x, size, antialias=antialias)))

    resize("resize_int_down_aa", "shorter side 200 -> 32 with the antialias triangle filter", "rgb_300x200", [32],
           True)
    resize("resize_int_down_noaa", "shorter side 200 -> 32, plain bilinear", "rgb_300x200", [32], False)
    resize("resize_int_up_aa", "upscaling 37 -> 45: antialias=True gives bilinear weights", "rgb_37x53", [45], True)
    resize("resize_int_up_noaa", "upscaling 37 -> 45, plain bilinear", "rgb_37x53", [45], False)
    resize("resize_int_truncation", "long side int(30 * 53 / 37) = 42 truncates 42.97", "rgb_37x53", [30], True)
    resize("resize_hw_mixed_aa", "(h, w) = (20, 90): height down, width up", "rgb_37x53", [20, 90], True)
    resize("resize_hw_mixed_noaa", "(h, w) = (20, 90) without antialias", "rgb_37x53", [20, 90], False)
    resize("resize_hw_down_odd_aa", "non-integer downscale 200 x 300 -> 37 x 45: supports 5.4 and 6.7, up to 15 "
           "taps", "rgb_300x200", [37, 45], True)
    resize("resize_hw_width_only", "height unchanged: only the horizontal pass runs", "rgb_37x53", [53, 20], True)
    resize("resize_gray_as_rgb", "a gray image read as RGB, shorter side 23 -> 12", "gray_23x31", [12], True)
    resize("resize_rgb16", "16-bit input scaled by 1/65535, shorter side 19 -> 10", "rgb16_29x19", [10], True)

    def center_crop(name, description, size):
        cases.append((name, "center_crop", description, "rgb_37x53", {"size": size},
                      lambda x: TF.center_crop(x, size)))

    center_crop("center_crop_odd", "offsets round((53-20)/2) = 16 and round((37-30)/2) = 4, half to even",
                [20, 30])
    center_crop("center_crop_square", "CenterCrop(24): offsets round(14.5) = 14 and round(6.5) = 6", [24, 24])
    center_crop("center_crop_larger", "64 x 64 from 53 x 37: zero padding on every side", [64, 64])
    center_crop("center_crop_mixed", "taller than the image, narrower: pad rows, then crop columns", [60, 21])
    center_crop("center_crop_larger_odd", "odd padding puts the extra row and column at the bottom and right",
                [58, 40])
    cases.append(("normalize_imagenet", "normalize", "(x - mean) / std per channel with ImageNet statistics",
                  "rgb_37x53", imagenet, lambda x: TF.normalize(x, list(IMAGENET_MEAN), list(IMAGENET_STD))))
    custom = {"mean": (0.5, 0.25, 0.125), "std": (0.5, 2.0, 0.3)}
    cases.append(("normalize_custom", "normalize", "a division by std, not a multiplication by 1/std",
                  "rgb_37x53", custom, lambda x: TF.normalize(x, list(custom["mean"]), list(custom["std"]))))
    compose = T.Compose([T.Resize(48), T.CenterCrop(40), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    cases.append(("compose_resize_crop_normalize", "compose",
                  "Compose([Resize(48), CenterCrop(40), Normalize(ImageNet)]) after ToTensor", "rgb_300x200",
                  {"resize": 48, "crop": 40, **imagenet}, compose))
    preset = ResNet18_Weights.IMAGENET1K_V1.transforms()
    cases.append(("preset_resnet18_uint8", "preset",
                  "ResNet18_Weights.IMAGENET1K_V1.transforms() on read_image's uint8 tensor: resize in float, "
                  "round to uint8, crop, /255, normalize", "rgb_300x200",
                  {"resize": 256, "crop": 224, "input_dtype": "uint8", **imagenet}, preset))
    return [{"name": name, "transform": kind, "description": description, "input": paths[image],
             "attributes": attributes, "apply": apply} for name, kind, description, image, attributes, apply in cases]


def record_case(group: h5py.Group, case: dict) -> None:
    """Runs one case on 1 thread (the generator's setting) and on 2 threads, and stores the 1-thread output."""
    uint8 = case["attributes"].get("input_dtype") == "uint8"
    source = read_image(str(case["input"]), ImageReadMode.RGB) if uint8 else float_input(case["input"])
    output = case["apply"](source.clone())
    torch.set_num_threads(2)
    spread = float((case["apply"](source.clone()) - output).abs().max())
    torch.set_num_threads(1)
    node = group.create_group(case["name"], track_times=False)
    attributes = {key: value for key, value in case["attributes"].items() if key not in ("mean", "std")}
    write_attributes(node, {"transform": case["transform"], "description": case["description"],
                            "input": str(case["input"].relative_to(FIXTURES.parent)),
                            "input_shape": list(read_image(str(case["input"])).shape),
                            "torch_thread_spread": spread, **attributes})
    for key in ("mean", "std"):
        if key in case["attributes"]:
            node.attrs[key] = np.asarray(case["attributes"][key], dtype=np.float64)
    write_array(node, "output", output.numpy())


def write_array(group: h5py.Group, name: str, array: np.ndarray) -> None:
    """A float32 or int64 dataset, gzip-compressed (no shuffle filter: it doubles the size of quantized floats)."""
    group.create_dataset(name, data=np.ascontiguousarray(array), compression="gzip", compression_opts=GZIP_LEVEL,
                         track_times=False)


# MARK: - Random transforms, shuffle order and DataLoader batches

CROP_CASES = {
    "portrait_53x37": (53, 37, (0.08, 1.0), (3 / 4, 4 / 3)),
    "landscape_200x300": (200, 300, (0.08, 1.0), (3 / 4, 4 / 3)),
    "square_224": (224, 224, (0.08, 1.0), (3 / 4, 4 / 3)),
    "wide_20x300_fallback": (20, 300, (0.08, 1.0), (3 / 4, 4 / 3)),
    "tall_300x20_fallback": (300, 20, (0.08, 1.0), (3 / 4, 4 / 3)),
    "very_wide_5x400": (5, 400, (0.08, 1.0), (3 / 4, 4 / 3)),
    "single_pixel": (1, 1, (0.08, 1.0), (3 / 4, 4 / 3)),
    "custom_scale_ratio": (200, 300, (0.25, 0.5), (0.5, 2.0)),
    "whole_image": (100, 100, (1.0, 1.0), (1.0, 1.0)),
}
CROPS_PER_CASE = 40
FLIP_PROBABILITIES = (0.5, 0.3)
FLIPS_PER_CASE = 64
LOADER_SEED = 7


def write_random(file: h5py.File, seed: int, paths: dict[str, Path]) -> None:
    """/random_resized_crop/<case>, /random_horizontal_flip/<case> and /random_compose (see TRANSFORMS.md)."""
    crops = file.create_group("random_resized_crop", track_times=False)
    for name, (height, width, scale, ratio) in CROP_CASES.items():
        prefix = f"random_resized_crop/{name}"
        boxes, draws = [], []
        for k in range(CROPS_PER_CASE):
            stream = PortableDraws(f"{prefix}/{k}", seed)
            boxes.append(crop_box(height, width, scale, ratio, stream))
            draws.append(stream.position)
        group = crops.create_group(name, track_times=False)
        write_attributes(group, {"height": height, "width": width, "scale_min": float(scale[0]),
                                 "scale_max": float(scale[1]), "ratio_min": float(ratio[0]),
                                 "ratio_max": float(ratio[1]), "stream_prefix": prefix, "seed": seed})
        write_array(group, "boxes", np.asarray(boxes, dtype=np.int64))
        write_array(group, "draws", np.asarray(draws, dtype=np.int64))
        write_array(group, "log_ratio", torch.log(torch.tensor(ratio)).numpy())
    flips = file.create_group("random_horizontal_flip", track_times=False)
    for p in FLIP_PROBABILITIES:
        stream = PortableDraws(f"random_horizontal_flip/p{p}", seed)
        flip = T.RandomHorizontalFlip(p)
        image = torch.arange(2.0).reshape(1, 1, 2)
        decisions = []
        for _ in range(FLIPS_PER_CASE):
            with portable_torch_random(stream):
                decisions.append(int(flip(image)[0, 0, 0] == 1.0))
        group = flips.create_group(f"p{p}", track_times=False)
        write_attributes(group, {"p": float(p), "stream": f"random_horizontal_flip/p{p}", "seed": seed})
        write_array(group, "flips", np.asarray(decisions, dtype=np.int64))
    compose = T.Compose([T.RandomResizedCrop(24), T.RandomHorizontalFlip()])
    source = float_input(paths["rgb_37x53"])
    outputs = []
    for k in range(4):
        with portable_torch_random(PortableDraws(f"random_compose/{k}", seed)):
            outputs.append(compose(source))
    group = file.create_group("random_compose", track_times=False)
    write_attributes(group, {"description": "Compose([RandomResizedCrop(24), RandomHorizontalFlip()]) after "
                                            "ToTensor; sample k draws from stream random_compose/<k>",
                             "input": str(paths["rgb_37x53"].relative_to(FIXTURES.parent)), "seed": seed})
    write_array(group, "outputs", torch.stack(outputs).numpy())


def shuffled(count: int, seed: int, epoch: int) -> list[int]:
    """The DataLoader's epoch order: Fisher-Yates over 0..<count, swap index j = floor(u_k * (i + 1)) for
    i = count-1 down to 1 (k = 0, 1, ...), u from stream "shuffle" under seed + epoch (mod 2^64)."""
    u = uniform01("shuffle", (seed + epoch) % (1 << 64), max(count - 1, 1))
    order = list(range(count))
    for k, i in enumerate(range(count - 1, 0, -1)):
        j = int(float(u[k]) * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def write_dataloader(file: h5py.File) -> None:
    """/dataloader: shuffle orders, torchvision's batches of valid/ and the per-sample augmented images."""
    loader = file.create_group("dataloader", track_times=False)
    write_attributes(loader, {"root": str((FOLDERS / "valid").relative_to(FIXTURES.parent)),
                              "loader_seed": LOADER_SEED})
    orders = loader.create_group("shuffle", track_times=False)
    for count in (11, 23):
        for seed in (0, LOADER_SEED):
            for epoch in (0, 1, 2):
                write_array(orders, f"n{count}_seed{seed}_epoch{epoch}",
                            np.asarray(shuffled(count, seed, epoch), dtype=np.int64))
    plain = ImageFolder(str(FOLDERS / "valid"), transform=T.Compose([T.ToTensor(), T.Resize((8, 8))]))
    batches = list(torch.utils.data.DataLoader(plain, batch_size=4, shuffle=False))
    group = loader.create_group("plain", track_times=False)
    write_attributes(group, {"description": "ImageFolder(valid, Compose([ToTensor(), Resize((8, 8))])) through "
                                            "DataLoader(batch_size=4, shuffle=False), batches concatenated"})
    write_array(group, "images", torch.cat([images for images, _ in batches]).numpy())
    write_array(group, "labels", torch.cat([labels for _, labels in batches]).numpy().astype(np.int64))
    augment = T.Compose([T.ToTensor(), T.RandomResizedCrop(8), T.RandomHorizontalFlip()])
    raw = ImageFolder(str(FOLDERS / "valid"))
    for epoch in (0, 1):
        images = []
        for index in range(len(raw)):
            image, _ = raw[index]
            with portable_torch_random(PortableDraws(f"transforms epoch {epoch} sample {index}", LOADER_SEED)):
                images.append(augment(image))
        group = loader.create_group(f"augmented_epoch{epoch}", track_times=False)
        write_attributes(group, {"description": "Compose([ToTensor(), RandomResizedCrop(8), RandomHorizontalFlip()])"
                                                " on sample i, drawing from stream 'transforms epoch <e> sample <i>'"
                                                " under loader_seed", "epoch": epoch})
        write_array(group, "images", torch.stack(images).numpy())


# MARK: - The subcommand

def provenance(seed: int, argv: list[str]) -> dict[str, object]:
    """The root attributes of every reference file (as generate_references.root_attributes), plus versions."""
    return {"schema_version": SCHEMA_VERSION, "generator": GENERATOR, "generator_args": shlex.join(argv),
            "torch_version": torch.__version__, "torchvision_version": torchvision.__version__,
            "numpy_version": np.__version__, "h5py_version": h5py.__version__, "pil_version": PIL.__version__,
            "seed": seed}


def generate_transforms(out: Path, seed: int, argv: list[str]) -> None:
    """Writes the input PNGs, the ImageFolder trees with expected.json, and `out` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    paths = write_inputs(rng)
    write_folder_trees(rng)
    reference = folder_reference()
    (FOLDERS / "expected.json").write_text(json.dumps(reference, indent=1, sort_keys=True, ensure_ascii=False)
                                           + "\n", encoding="utf-8")
    cases = deterministic_cases(paths)
    temporary = out.with_name(out.name + ".tmp")
    with open_for_writing(temporary) as file:
        write_attributes(file, provenance(seed, argv))
        group = file.create_group("cases", track_times=False)
        for case in cases:
            record_case(group, case)
        write_random(file, seed, paths)
        write_dataloader(file)
    replace_atomically(temporary, out)
    print(f"wrote {len(cases)} transform cases, {len(CROP_CASES)} crop-box cases, "
          f"{len(reference['valid']['samples'])} ImageFolder samples to {out} ({out.stat().st_size} bytes)")
