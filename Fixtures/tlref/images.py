"""PNG fixtures and torchvision reference decodings for the Swift `Images` module.

`generate_images(out_dir, seed)` writes into `out_dir` (Fixtures/testdata/png):

* `<name>.png` - small seeded images of every PNG kind the decoder must handle, made with PIL where PIL can
  write them and with the tiny encoder below (zlib + struct) for layouts PIL cannot produce (16-bit colour,
  Adam7 interlacing, 2-bit gray, gAMA/sRGB chunks, several IDAT chunks, every filter type);
* `damaged_<what>.png` - files with damage torchvision tolerates (no IEND, bad CRC in IEND or an ancillary
  chunk, trailing bytes): they decode;
* `error_<kind>_<what>.png` - files that must be refused; `<kind>` is the Swift `ImageError` case (notPNG,
  corrupt, tooLarge);
* `expected.h5` with, per decodable file, group `/images/<name>` holding int64 HWC datasets
  `rgb` = read_image(path, ImageReadMode.RGB), `gray` = ImageReadMode.GRAY and `unchanged` = UNCHANGED
  (for palette files, which torchvision's UNCHANGED returns as raw indices, RGB_ALPHA when the file has tRNS and
  RGB otherwise - the Swift decoder expands palettes), plus attributes `file`, `source`, `bit_depth` (8 or 16),
  `unchanged_reference`, `pil_convert_rgb` (whether PIL's convert("RGB") agrees); some also hold `rgb_float`
  = to_dtype(read_image(path, RGB), float32, scale=True) as float32 CHW. Group `/errors/<name>` records, for each
  refused file, attributes `file`, `kind`, `what` and `torchvision` (its verdict, found in a child process because
  torchvision 0.29 crashes with SIGSEGV on some corrupt PNGs).

Run: /opt/tlvenv/bin/python Fixtures/tlref/images.py [--out DIR] [--seed N]
"""
import argparse
import io
import multiprocessing
import os
import struct
import warnings
import zlib

import h5py
import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from torchvision.io import ImageReadMode, read_image
from torchvision.transforms.v2.functional import to_dtype

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


# MARK: - A tiny PNG encoder (spec: https://www.w3.org/TR/png/)

def chunk(tag, data, crc=None):
    """One chunk: length, tag, data, CRC-32 of tag+data (or the given, wrong, `crc`)."""
    value = zlib.crc32(tag + data) if crc is None else crc
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", value)


def ihdr(width, height, bit_depth, color_type, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace))


def pack_row(row, bit_depth):
    """A row of samples (W, C) as PNG bytes: big-endian 16-bit, bytes, or MSB-first packed low depths."""
    if bit_depth == 16:
        return row.astype(">u2").tobytes()
    if bit_depth == 8:
        return row.astype(np.uint8).tobytes()
    flat = row.reshape(-1).astype(np.uint8)
    per_byte = 8 // bit_depth
    flat = np.concatenate([flat, np.zeros((-len(flat)) % per_byte, np.uint8)]).reshape(-1, per_byte)
    shifts = np.array([8 - bit_depth * (k + 1) for k in range(per_byte)], np.uint8)
    return (flat << shifts).sum(axis=1).astype(np.uint8).tobytes()


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(kind, row, previous, bpp):
    """Filter type byte + filtered bytes (types 0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth)."""
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = previous[i]
        c = previous[i - bpp] if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predictor) & 0xFF)
    return bytes(out)


def scanlines(samples, bit_depth):
    """Filtered scanlines of one (sub-)image, cycling through the five filter types row by row."""
    height, width, channels = samples.shape
    bpp = max(1, channels * bit_depth // 8)
    previous = bytes(len(pack_row(samples[0], bit_depth)))
    out = b""
    for y in range(height):
        row = pack_row(samples[y], bit_depth)
        out += filter_row(y % 5, row, previous, bpp)
        previous = row
    return out


def encode_png(samples, bit_depth, color_type, interlace=False, palette=None, trns=None, extra=(), idat_parts=1):
    """PNG bytes for HWC integer `samples`; `extra` chunks go before PLTE/IDAT; the zlib stream may be split."""
    if interlace:
        raw = b"".join(scanlines(samples[ys::dy, xs::dx], bit_depth)
                       for xs, ys, dx, dy in ADAM7 if samples[ys::dy, xs::dx].size)
    else:
        raw = scanlines(samples, bit_depth)
    stream = zlib.compress(raw, 9)
    cuts = np.linspace(0, len(stream), idat_parts + 1).astype(int)
    height, width, _ = samples.shape
    out = PNG_SIGNATURE + ihdr(width, height, bit_depth, color_type, int(interlace))
    out += b"".join(chunk(tag, data) for tag, data in extra)
    if palette is not None:
        out += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += b"".join(chunk(b"IDAT", stream[a:b]) for a, b in zip(cuts[:-1], cuts[1:]))
    return out + chunk(b"IEND", b"")


def chunk_spans(data):
    """(tag, offset, length) of each chunk after the signature."""
    spans, offset = [], 8
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        spans.append((data[offset + 4:offset + 8], offset, length))
        offset += 12 + length
    return spans


def span(data, tag):
    return next(s for s in chunk_spans(data) if s[0] == tag)


# MARK: - Fixture images

def pil_png(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def random_samples(rng, height, width, channels, bit_depth):
    """Seeded samples that include the extremes 0 and 2^bit_depth - 1."""
    top = (1 << bit_depth) - 1
    samples = rng.integers(0, top + 1, size=(height, width, channels), dtype=np.int64)
    samples[0, 0, :] = 0
    samples[-1, -1, :] = top
    return samples


def valid_fixtures(rng):
    """name -> (PNG bytes, how it was made) for every kind the decoder must read."""
    s = lambda h, w, c, d: random_samples(rng, h, w, c, d)
    palette16 = rng.integers(0, 256, size=(16, 3))
    palette4 = rng.integers(0, 256, size=(4, 3))
    indices16 = rng.integers(0, 16, size=(11, 13))
    alphas = bytes(rng.integers(0, 256, size=10).tolist())
    gamma = [(b"gAMA", struct.pack(">I", 45455))]
    srgb = [(b"sRGB", b"\x00"), (b"gAMA", struct.pack(">I", 45455))]
    paletted = Image.frombytes("P", (13, 11), indices16.astype(np.uint8).tobytes())
    paletted.putpalette(palette16.astype(np.uint8).tobytes())
    return {
        "gray8": (pil_png(Image.fromarray(s(11, 13, 1, 8)[..., 0].astype(np.uint8))), "PIL mode L"),
        "gray_alpha8": (pil_png(Image.fromarray(s(7, 5, 2, 8).astype(np.uint8))), "PIL mode LA"),
        "palette8": (pil_png(paletted), "PIL mode P, 16 colours, 8-bit indices"),
        "palette8_trns": (pil_png(paletted, transparency=alphas), "PIL mode P with a 10-entry tRNS"),
        "palette4": (pil_png(paletted, bits=4), "PIL mode P saved with bits=4"),
        "rgb8": (pil_png(Image.fromarray(s(11, 13, 3, 8).astype(np.uint8))), "PIL mode RGB"),
        "rgba8": (pil_png(Image.fromarray(s(7, 5, 4, 8).astype(np.uint8))), "PIL mode RGBA"),
        "gray1": (pil_png(Image.fromarray(s(11, 13, 1, 1)[..., 0].astype(bool))), "PIL mode 1"),
        "gray16": (pil_png(Image.fromarray(s(11, 13, 1, 16)[..., 0].astype(np.uint16))), "PIL mode I;16"),
        "gray2": (encode_png(s(7, 5, 1, 2), 2, 0), "tiny encoder, 2-bit gray"),
        "gray4": (encode_png(s(11, 13, 1, 4), 4, 0), "tiny encoder, 4-bit gray"),
        "gray8_trns": (encode_png(s(7, 5, 1, 8), 8, 0, trns=struct.pack(">H", 0)),
                       "tiny encoder, 8-bit gray with tRNS (ignored)"),
        "palette1": (encode_png(rng.integers(0, 2, size=(11, 13, 1)), 1, 3, palette=palette4[:2]),
                     "tiny encoder, 1-bit palette"),
        "palette2_trns": (encode_png(rng.integers(0, 4, size=(7, 5, 1)), 2, 3, palette=palette4,
                                     trns=alphas[:3]), "tiny encoder, 2-bit palette with tRNS"),
        "gray_alpha16": (encode_png(s(7, 5, 2, 16), 16, 4), "tiny encoder, 16-bit gray + alpha"),
        "rgb16": (encode_png(s(11, 13, 3, 16), 16, 2), "tiny encoder, 16-bit RGB"),
        "rgba16": (encode_png(s(7, 5, 4, 16), 16, 6), "tiny encoder, 16-bit RGBA"),
        "rgb8_trns": (encode_png(s(7, 5, 3, 8), 8, 2, trns=struct.pack(">HHH", 0, 0, 0)),
                      "tiny encoder, RGB with tRNS (ignored)"),
        "rgb8_interlaced": (encode_png(s(11, 13, 3, 8), 8, 2, interlace=True), "tiny encoder, Adam7 RGB"),
        "palette4_interlaced": (encode_png(indices16[..., None], 4, 3, interlace=True, palette=palette16),
                                "tiny encoder, Adam7 4-bit palette"),
        "rgba16_interlaced": (encode_png(s(7, 5, 4, 16), 16, 6, interlace=True), "tiny encoder, Adam7 16-bit RGBA"),
        "rgb8_gamma": (encode_png(s(11, 13, 3, 8), 8, 2, extra=gamma), "tiny encoder, RGB with gAMA 1/2.2"),
        "gray16_srgb": (encode_png(s(7, 5, 1, 16), 16, 0, extra=srgb), "tiny encoder, 16-bit gray, sRGB + gAMA"),
        "rgb8_idat3": (encode_png(s(11, 13, 3, 8), 8, 2, idat_parts=3), "tiny encoder, zlib stream in 3 IDATs"),
    }


def damaged_fixtures(good):
    """name -> (bytes, what): damage that torchvision (and libpng's default policy) tolerates."""
    iend = span(good, b"IEND")[1]
    idat = span(good, b"IDAT")[1]
    bad_iend = bytearray(good)
    bad_iend[-1] ^= 0xFF
    text = chunk(b"tEXt", b"Comment\x00hello", crc=0x12345678)
    return {
        "damaged_no_iend": (good[:iend], "IEND chunk missing"),
        "damaged_iend_crc": (bytes(bad_iend), "wrong CRC in IEND"),
        "damaged_text_crc": (good[:idat] + text + good[idat:], "wrong CRC in an ancillary tEXt chunk"),
        "damaged_trailing": (good + b"trailing bytes", "bytes after IEND"),
    }


def error_fixtures(good):
    """name -> (bytes, what) for files that must be refused, named error_<ImageError case>_<what>."""
    _, idat, idat_length = span(good, b"IDAT")
    iend = span(good, b"IEND")[1]
    flip = lambda data, offset: data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1:]
    stream = bytearray(good[idat + 8:idat + 8 + idat_length])
    stream[5] ^= 0xFF
    huge_idat = chunk(b"IDAT", zlib.compress(bytes(60000 * 8 + 1)))
    return {
        "error_notPNG_empty": (b"", "empty file"),
        "error_notPNG_short": (PNG_SIGNATURE[:4], "4 bytes of the signature"),
        "error_notPNG_text": (b"this is a text file, not a PNG image\n", "text"),
        "error_corrupt_truncated_header": (good[:20], "cut inside IHDR"),
        "error_corrupt_truncated_idat": (good[:idat + 8 + idat_length // 2], "cut inside IDAT"),
        "error_corrupt_ihdr_crc": (flip(good, 8 + 8 + 13), "wrong CRC in IHDR"),
        "error_corrupt_idat_crc": (flip(good, idat + 8 + idat_length), "wrong CRC in IDAT"),
        "error_corrupt_zlib": (good[:idat] + chunk(b"IDAT", bytes(stream)) + good[iend:],
                               "damaged zlib data with a correct CRC"),
        "error_corrupt_bit_depth": (good[:8] + ihdr(13, 11, 4, 2) + good[33:], "IHDR: 4-bit RGB is invalid"),
        "error_corrupt_zero_width": (good[:8] + ihdr(0, 11, 8, 2) + good[33:], "IHDR: width 0"),
        "error_tooLarge_huge": (PNG_SIGNATURE + ihdr(60000, 60000, 16, 6) + huge_idat + chunk(b"IEND", b""),
                                "60000 x 60000 16-bit RGBA = 28.8 GB"),
    }


# MARK: - References

def hwc(tensor):
    return tensor.permute(1, 2, 0).numpy().astype(np.int64)


def torchvision_verdict(path, connection):
    try:
        read_image(path, ImageReadMode.RGB)
        connection.send("decoded")
    except Exception as error:  # torchvision raises RuntimeError for files it rejects
        connection.send("error: " + str(error).splitlines()[-1])


def torchvision_verdict_isolated(path):
    """What read_image(path, RGB) does, run in a forked child: torchvision may crash on corrupt PNGs."""
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=torchvision_verdict, args=(path, sender))
    child.start()
    child.join()
    if child.exitcode != 0:
        return f"crash (exit code {child.exitcode})"
    return receiver.recv()


def pil_convert_rgb(path, rgb):
    """Whether PIL's convert("RGB") gives torchvision's RGB samples (asserted for intact 8-bit files)."""
    if rgb.dtype == torch.uint16:
        return "not compared: PIL clips 16-bit samples to 255"
    try:
        with Image.open(path) as image, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # PIL suggests RGBA for palettes with tRNS
            agrees = np.array_equal(np.asarray(image.convert("RGB")).astype(np.int64), hwc(rgb))
    except (OSError, SyntaxError) as error:
        return f"not compared: PIL refuses the file ({error})"
    assert agrees, f"PIL convert('RGB') and torchvision disagree on {path}"
    return "agrees"


def record_image(group, path, data, source):
    """The torchvision reads of one decodable file, as described in the module docstring."""
    rgb = read_image(path, ImageReadMode.RGB)
    unchanged, reference = read_image(path, ImageReadMode.UNCHANGED), "torchvision UNCHANGED"
    if data[25] == 3:
        has_trns = any(tag == b"tRNS" for tag, _, _ in chunk_spans(data))
        unchanged = read_image(path, ImageReadMode.RGB_ALPHA if has_trns else ImageReadMode.RGB)
        reference = "torchvision " + ("RGB_ALPHA" if has_trns else "RGB") + " (palette file)"
    compact = {"compression": "gzip", "shuffle": True}
    group.create_dataset("rgb", data=hwc(rgb), **compact)
    group.create_dataset("gray", data=hwc(read_image(path, ImageReadMode.GRAY)), **compact)
    group.create_dataset("unchanged", data=hwc(unchanged), **compact)
    group.attrs["file"] = os.path.basename(path)
    group.attrs["source"] = source
    group.attrs["bit_depth"] = 16 if rgb.dtype == torch.uint16 else 8
    group.attrs["unchanged_reference"] = reference
    group.attrs["pil_convert_rgb"] = pil_convert_rgb(path, rgb)
    return rgb


def generate_images(out_dir, seed):
    """Writes the PNG fixtures and expected.h5 into out_dir (see the module docstring)."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    valid = valid_fixtures(rng)
    good = valid["rgb8"][0]
    decodable = {**valid, **damaged_fixtures(good)}
    refused = error_fixtures(good)
    for name, (data, _) in {**decodable, **refused}.items():
        with open(os.path.join(out_dir, name + ".png"), "wb") as handle:
            handle.write(data)
    # HDF5 1.10 object formats: compact chunk indexes (the default "earliest" format makes this file 5x larger)
    # that the system libhdf5 1.10.8 still reads ("latest" from h5py's HDF5 1.14 writes layouts it cannot).
    with h5py.File(os.path.join(out_dir, "expected.h5"), "w", libver=("v110", "v110")) as h5:
        h5.attrs["generator"] = "Fixtures/tlref/images.py"
        h5.attrs["seed"] = seed
        h5.attrs["versions"] = f"torch {torch.__version__}, torchvision {torchvision.__version__}, PIL {PIL.__version__}"
        for name, (data, source) in decodable.items():
            path = os.path.join(out_dir, name + ".png")
            rgb = record_image(h5.create_group("images/" + name), path, data, source)
            if name in ("rgb8", "rgb16"):
                h5["images/" + name].create_dataset("rgb_float", data=to_dtype(rgb, torch.float32, scale=True).numpy())
        for name, (_, what) in refused.items():
            group = h5.create_group("errors/" + name)
            group.attrs["file"] = name + ".png"
            group.attrs["kind"] = name.split("_")[1]
            group.attrs["what"] = what
            path = os.path.join(out_dir, name + ".png")
            verdict = ("not run: it would allocate 28.8 GB" if group.attrs["kind"] == "tooLarge"
                       else torchvision_verdict_isolated(path))
            assert verdict != "decoded", f"torchvision decodes {path}, which the Swift decoder refuses"
            group.attrs["torchvision"] = verdict


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "testdata", "png"))
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    generate_images(os.path.normpath(arguments.out), arguments.seed)
