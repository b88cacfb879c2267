"""JPEG fixtures and PIL reference decodings for the Swift `Images` module (`JPEG.decode`) and `ImageFolder`.

`generate_jpeg(out_dir, seed, argv)` (the `jpeg` subcommand of Fixtures/generate_references.py) writes into
`out_dir` (Fixtures/testdata/jpeg):

* `<name>.jpg` - small seeded images saved by PIL: baseline 4:2:0, 4:2:2 and 4:4:4, progressive, grayscale, CMYK,
  YCCK, RGB without colour transform, restart markers, optimized Huffman tables, an EXIF orientation tag, sharp
  edges, odd sizes (names give width x height);
* `damaged_<what>.jpg` - damage PIL tolerates (bytes after EOI, junk before a marker, corrupt entropy-coded data
  libjpeg recovers from with a warning): they decode, and must decode to PIL's values;
* `error_<kind>_<what>.jpg` - files PIL refuses; `<kind>` is the Swift `ImageError` case the Swift decoder must
  throw (notJPEG, corrupt, tooLarge);
* `folder/` - an ImageFolder tree mixing good, truncated and mis-named files;
* `expected.h5` (layout in Fixtures/references/JPEG.md): per decodable file `/images/<name>` with int64 HWC `rgb`
  = `np.asarray(Image.open(f).convert("RGB"))` (what torchvision's ImageFolder loader returns), `gray` =
  torchvision `decode_jpeg(data, ImageReadMode.GRAY)` and `unchanged` (UNCHANGED, or PIL's RGB for CMYK/YCCK
  files), and what PIL reports about the file; per refused file `/errors/<name>` with PIL's verdict; per
  ImageFolder sample `/folder/<class>/<file>` with torchvision's verdict and, when it decodes, its `rgb`.

Run: /opt/tlvenv/bin/python Fixtures/generate_references.py jpeg [--out DIR] [--seed N]
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import struct
from pathlib import Path

import h5py
import numpy as np
import PIL
import torch
import torchvision
from PIL import Image, features
from torchvision.datasets import ImageFolder
from torchvision.io import ImageReadMode, decode_jpeg

from tlref.h5write import write_attributes
from tlref.transforms import blocky_rgb, smooth_rgb

GENERATOR = "Fixtures/generate_references.py"
COMPACT = {"compression": "gzip", "compression_opts": 9, "shuffle": True, "track_times": False}


# MARK: - Encoding with PIL

def pil_jpeg(samples: np.ndarray, mode: str, **options) -> bytes:
    """The JPEG bytes PIL writes for HWC samples in `mode` (L, RGB or CMYK) with `options` (quality 90 unless
    given)."""
    pixels = samples[..., 0] if mode == "L" else samples
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), mode=mode).save(buffer, format="JPEG", **{"quality": 90, **options})
    return buffer.getvalue()


def segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, offset of the marker's FF, payload length) of every marker segment before the first scan's data."""
    found, offset = [], 2
    while offset + 4 <= len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        (length,) = struct.unpack(">H", data[offset + 2:offset + 4])
        found.append((marker, offset, length - 2))
        if marker == 0xDA:
            break
        offset += 2 + length
    return found


def segment(data: bytes, marker: int) -> tuple[int, int]:
    """(offset of the marker's FF, payload length) of the first segment with `marker`."""
    return next((offset, length) for code, offset, length in segments(data) if code == marker)


def with_byte(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + bytes([value]) + data[offset + 1:]


def with_size(data: bytes, width: int, height: int) -> bytes:
    """`data` with the SOF0/SOF2 header's size replaced (payload: precision, height, width, ...)."""
    offset, _ = next((o, n) for code, o, n in segments(data) if code in (0xC0, 0xC2))
    return data[:offset + 5] + struct.pack(">HH", height, width) + data[offset + 9:]


def ycck(rng: np.random.Generator, width: int, height: int) -> bytes:
    """A YCCK JPEG (Adobe transform 2): PIL writes four components as given (inverting them, its "CMYK;I"), the
    stored first three are the YCbCr of the inverted CMY of a smooth CMYK image, and the APP14 transform flag is
    set to 2 - the layout Photoshop writes. PIL cannot write YCCK itself."""
    cmy = smooth_rgb(rng, width, height, noise=4).astype(np.float64)
    k = smooth_rgb(rng, width, height, noise=4)[..., :1].astype(np.float64) * 0.6
    r, g, b = (255 - cmy[..., i] for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    stored = np.clip(np.rint(np.stack([y, cb, cr, k[..., 0]], axis=-1)), 0, 255)
    data = pil_jpeg(255 - stored, "CMYK")
    offset, _ = segment(data, 0xEE)
    return with_byte(data, offset + 4 + 11, 2)


def with_exif_orientation(samples: np.ndarray, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return pil_jpeg(samples, "RGB", exif=exif.tobytes())


def valid_fixtures(rng: np.random.Generator) -> dict[str, tuple[bytes, str]]:
    """name -> (JPEG bytes, how it was made) for every kind the decoder must read."""
    smooth = lambda width, height, noise=6: smooth_rgb(rng, width, height, noise=noise)
    cmyk = np.concatenate([smooth(64, 48), smooth(64, 48)[..., :1] * 3 // 4], axis=-1)
    return {
        "rgb420_64x48": (pil_jpeg(smooth(64, 48), "RGB"), "PIL RGB, quality 90, 4:2:0 (PIL's default)"),
        "rgb422_64x48": (pil_jpeg(smooth(64, 48), "RGB", subsampling=1), "PIL RGB, 4:2:2"),
        "rgb444_64x48": (pil_jpeg(smooth(64, 48), "RGB", subsampling=0), "PIL RGB, 4:4:4"),
        "rgb420_23x17": (pil_jpeg(smooth(23, 17), "RGB"), "PIL RGB, 4:2:0, odd size (partial MCUs)"),
        "rgb422_23x17": (pil_jpeg(smooth(23, 17), "RGB", subsampling=1), "PIL RGB, 4:2:2, odd size"),
        "rgb444_23x17": (pil_jpeg(smooth(23, 17), "RGB", subsampling=0), "PIL RGB, 4:4:4, odd size"),
        "rgb420_q50_optimized_64x48": (pil_jpeg(smooth(64, 48), "RGB", quality=50, optimize=True),
                                       "PIL RGB, quality 50, optimized Huffman tables"),
        "rgb420_q100_23x17": (pil_jpeg(smooth(23, 17), "RGB", quality=100), "PIL RGB, quality 100"),
        "edges420_96x64": (pil_jpeg(blocky_rgb(rng, 96, 64, block=5), "RGB", quality=75),
                           "PIL RGB, quality 75, 5-pixel flat blocks: ringing and clipping at sharp edges"),
        "progressive420_64x48": (pil_jpeg(smooth(64, 48), "RGB", progressive=True), "PIL RGB, progressive, 4:2:0"),
        "progressive444_23x17": (pil_jpeg(smooth(23, 17), "RGB", progressive=True, subsampling=0),
                                 "PIL RGB, progressive, 4:4:4, odd size"),
        "restart420_64x48": (pil_jpeg(smooth(64, 48), "RGB", restart_marker_blocks=3),
                             "PIL RGB, a restart marker every 3 MCUs"),
        "rgb_no_transform_23x17": (pil_jpeg(smooth(23, 17), "RGB", keep_rgb=True),
                                   "PIL RGB with keep_rgb=True: R, G, B stored without YCbCr (Adobe transform 0)"),
        "gray_64x48": (pil_jpeg(smooth(64, 48)[..., :1], "L"), "PIL L"),
        "gray_progressive_23x17": (pil_jpeg(smooth(23, 17)[..., :1], "L", progressive=True), "PIL L, progressive"),
        "cmyk_64x48": (pil_jpeg(cmyk, "CMYK"), "PIL CMYK: Adobe-inverted, APP14 transform 0"),
        "ycck_23x17": (ycck(rng, 23, 17), "YCCK: PIL CMYK bytes holding YCbCr + K, APP14 transform set to 2"),
        "exif_orientation6_64x48": (with_exif_orientation(smooth(64, 48), 6),
                                    "PIL RGB with an EXIF Orientation tag 6 (rotate 90 degrees clockwise)"),
    }


def damaged_fixtures(good: bytes) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, what): damage PIL decodes through (libjpeg warns, PIL ignores warnings)."""
    sos, sos_length = segment(good, 0xDA)
    scan = sos + 4 + sos_length
    dqt, _ = segment(good, 0xDB)
    damaged = bytearray(good)
    for offset in range(scan + 40, scan + 60, 4):
        if 0xFF not in (damaged[offset], damaged[offset] ^ 0x5A, damaged[offset - 1]):
            damaged[offset] ^= 0x5A
    return {
        "damaged_trailing": (good + b"bytes after the EOI marker\n", "bytes after EOI"),
        "damaged_junk_before_marker": (good[:dqt] + b"junk" + good[dqt:],
                                       "4 bytes of junk between APP0 and DQT (libjpeg: extraneous bytes)"),
        "damaged_scan": (bytes(damaged), "5 bytes of entropy-coded data changed: libjpeg warns and decodes"),
    }


def error_fixtures(good: bytes, progressive: bytes) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, what) for files that must be refused, named error_<ImageError case>_<what>."""
    dqt, _ = segment(good, 0xDB)
    sof, _ = segment(good, 0xC0)
    tables_only = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tables_only, format="JPEG", streamtype=1)
    return {
        "error_notJPEG_empty": (b"", "empty file (0 bytes)"),
        "error_notJPEG_text": (b"this is a text file, not a JPEG image\n", "text"),
        "error_notJPEG_soi_then_garbage": (good[:2] + b"garbage after the SOI marker" * 4, "SOI, then no marker"),
        "error_corrupt_garbage_after_soi": (good[:3] + bytes(range(0x20, 0x7F)) * 8,
                                            "SOI and FF, then printable garbage: no valid marker"),
        "error_corrupt_truncated_header": (good[:dqt + 30], "cut inside the first DQT segment"),
        "error_corrupt_truncated_scan": (good[:len(good) // 2], "cut in the middle of the scan data"),
        "error_corrupt_truncated_progressive": (progressive[:len(progressive) * 3 // 5],
                                                "progressive file cut after 60% of its bytes"),
        "error_corrupt_no_eoi": (good[:-2], "the final EOI marker removed: everything else is there"),
        "error_corrupt_zero_height": (with_size(good, 64, 0), "SOF height 0"),
        "error_corrupt_tables_only": (tables_only.getvalue(), "PIL streamtype=1: quantization and Huffman "
                                      "tables, no frame"),
        "error_corrupt_no_sof": (good[:sof] + good[sof + 2 + struct.unpack('>H', good[sof + 2:sof + 4])[0]:],
                                 "the SOF0 segment removed"),
        "error_tooLarge_65500x65500": (with_size(good, 65500, 65500),
                                       "SOF of a 64x48 file patched to 65500 x 65500 (4.29e9 pixels)"),
    }


# MARK: - References

def pil_rgb(data: bytes) -> np.ndarray:
    """What torchvision's ImageFolder `pil_loader` returns: Image.open(f).convert("RGB"), HWC int64."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB")).astype(np.int64)


def torchvision_read(data: bytes, mode: ImageReadMode) -> np.ndarray:
    tensor = decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8), mode=mode)
    return tensor.permute(1, 2, 0).numpy().astype(np.int64)


def pil_verdict(data: bytes) -> str:
    """"decoded <mode> <W>x<H>" or the exception PIL's open + convert("RGB") raises."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            converted = image.convert("RGB")
            return f"decoded {image.mode} {converted.size[0]}x{converted.size[1]}"
    except Exception as error:  # PIL raises OSError, SyntaxError, ValueError and DecompressionBomb* subclasses
        return f"{type(error).__name__}: " + re.sub(r" <_io\.BytesIO object at 0x[0-9a-f]+>", "", str(error))


def record_image(group: h5py.Group, name: str, data: bytes, source: str) -> None:
    """The references of one decodable file, as described in the module docstring and JPEG.md."""
    with Image.open(io.BytesIO(data)) as image:
        mode, info = image.mode, image.info
        orientation = image.getexif().get(0x0112, -1)
    rgb = pil_rgb(data)
    torchvision_rgb = torchvision_read(data, ImageReadMode.RGB)
    unchanged = rgb if mode == "CMYK" else torchvision_read(data, ImageReadMode.UNCHANGED)
    group.create_dataset("rgb", data=rgb, **COMPACT)
    group.create_dataset("gray", data=torchvision_read(data, ImageReadMode.GRAY), **COMPACT)
    group.create_dataset("unchanged", data=unchanged, **COMPACT)
    write_attributes(group, {
        "file": name + ".jpg",
        "source": source,
        "pil_mode": mode,
        "progressive": int(info.get("progressive", 0)),
        "adobe_transform": int(info.get("adobe_transform", -1)) if "adobe" in info else -1,
        "orientation": int(orientation),
        "unchanged_reference": "PIL convert('RGB') (CMYK file)" if mode == "CMYK" else "torchvision UNCHANGED",
        "torchvision_rgb_max_difference": int(np.abs(torchvision_rgb - rgb).max()),
    })


def write_folder(root: Path, good: bytes, png: bytes) -> dict[str, bytes]:
    """An ImageFolder tree: a/ holds a good JPEG and a truncated one; b/ a PNG named .jpg, a JPEG named .png and
    an empty .jpeg. Returns relative path -> bytes."""
    files = {
        "a/photo.jpg": good,
        "a/truncated.jpg": good[:len(good) // 2],
        "b/empty.jpeg": b"",
        "b/jpeg_inside.png": good,
        "b/png_inside.jpg": png,
    }
    shutil.rmtree(root, ignore_errors=True)
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return files


def record_folder(h5: h5py.File, root: Path) -> None:
    """torchvision ImageFolder's samples of the tree and what loading each gives."""
    dataset = ImageFolder(str(root))
    for index, (path, target) in enumerate(dataset.samples):
        relative = os.path.relpath(path, root)
        group = h5.create_group("folder/" + relative, track_times=False)
        try:
            image, _ = dataset[index]
            verdict = f"decoded {image.mode} {image.size[0]}x{image.size[1]}"
            group.create_dataset("rgb", data=np.asarray(image).astype(np.int64), **COMPACT)
        except Exception as error:  # PIL raises OSError subclasses for damaged files
            verdict = f"{type(error).__name__}: {error}".replace(str(root), "<folder>")
        write_attributes(group, {"index": index, "class_index": target, "torchvision": verdict})


def generate_jpeg(out_dir: Path, seed: int, argv: list[str]) -> None:
    """Writes the JPEG fixtures, the ImageFolder tree and expected.h5 into out_dir (see the module docstring)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.jpg"):
        stale.unlink()
    rng = np.random.default_rng(seed)
    valid = valid_fixtures(rng)
    good = valid["rgb420_64x48"][0]
    decodable = {**valid, **damaged_fixtures(good)}
    refused = error_fixtures(good, valid["progressive420_64x48"][0])
    for name, (data, _) in {**decodable, **refused}.items():
        (out_dir / f"{name}.jpg").write_bytes(data)
    png = io.BytesIO()
    Image.fromarray(smooth_rgb(rng, 9, 7, noise=6).astype(np.uint8)).save(png, format="PNG")
    write_folder(out_dir / "folder", good, png.getvalue())

    temporary = out_dir / "expected.h5.tmp"
    with h5py.File(temporary, "w", libver=("v110", "v110"), track_order=False) as h5:
        write_attributes(h5, {
            "generator": GENERATOR,
            "generator_args": shlex.join(argv),
            "seed": seed,
            "pil_version": PIL.__version__,
            "pil_libjpeg_turbo_version": features.version_feature("libjpeg_turbo") or "none",
            "torchvision_version": torchvision.__version__,
            "torch_version": torch.__version__,
            "numpy_version": np.__version__,
            "h5py_version": h5py.__version__,
        })
        for name, (data, source) in decodable.items():
            verdict = pil_verdict(data)
            assert verdict.startswith("decoded"), f"PIL refuses {name}.jpg, which should decode: {verdict}"
            record_image(h5.create_group("images/" + name, track_times=False), name, data, source)
        for name, (data, what) in refused.items():
            verdict = pil_verdict(data)
            assert not verdict.startswith("decoded"), f"PIL decodes {name}.jpg, which should be refused"
            write_attributes(h5.create_group("errors/" + name, track_times=False), {
                "file": name + ".jpg", "kind": name.split("_")[1], "what": what, "pil": verdict})
        record_folder(h5, out_dir / "folder")
    os.replace(temporary, out_dir / "expected.h5")
    sizes = sum(len(data) for data, _ in {**decodable, **refused}.values())
    print(f"wrote {len(decodable)} decodable and {len(refused)} refused JPEG files ({sizes} bytes) and "
          f"{out_dir / 'expected.h5'} ({(out_dir / 'expected.h5').stat().st_size} bytes); PIL {PIL.__version__} "
          f"with libjpeg-turbo {features.version_feature('libjpeg_turbo')}")
