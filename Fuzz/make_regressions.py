#!/usr/bin/env python3
"""Writes the regression inputs that were built by hand rather than found by a fuzz run (each is named after what
it did before its fix). Run from the package root with the venv's python: /opt/tlvenv/bin/python
Fuzz/make_regressions.py. Inputs a fuzz run found are copied from .build-fuzz/findings/ instead."""
import struct
import zlib
from pathlib import Path

import h5py
import numpy as np

OUT = Path(__file__).resolve().parent / "regressions"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int, color_type: int = 2, interlace: int = 0) -> bytes:
    """A valid PNG header (correct CRCs) for a large image with a few hundred bytes of image data."""
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
            + png_chunk(b"IEND", b""))


def hdf5(name: str, build) -> None:
    with h5py.File(OUT / "hdf5" / name, "w") as file:
        build(file)


if __name__ == "__main__":
    # PNG: a 1.2 GB RGB image (under the 2 GiB decode limit) from a 100-byte file: allocated before libpng found
    # the data missing.
    (OUT / "png" / "overallocation_20000x20000_rgb.png").write_bytes(png_claiming(20000, 20000))
    (OUT / "png" / "overallocation_30000x16000_gray_interlaced.png").write_bytes(png_claiming(30000, 16000, 0, 1))
    # HDF5: op-reference cases (as OpReferenceFile reads them) whose inputs declare sizes with no bytes behind them.
    def case(shape, dtype):
        def build(file):
            group = file.create_group("cases/huge")
            group.attrs["op"] = "add"
            group.create_group("inputs").create_dataset("x", shape=shape, dtype=dtype)
        return build
    hdf5("overallocation_unwritten_float_dataset.h5", case((1 << 34,), "f4"))
    hdf5("overallocation_unwritten_int64_dataset.h5", case((1 << 31, 8), "i8"))
    hdf5("overflow_dataset_shape.h5", case((1 << 40, 1 << 40), "f4"))
    # image-folder: the files of the tree the fuzz run found (an 8-byte PNG signature, a JPEG start, an empty file),
    # in FolderTree's spelling. Reading them through Data(contentsOf:) leaked a 4096-byte buffer.
    records = [("k/png_named.jpg", b"\x89PNG\r\n\x1a\n"), ("k/jpeg_named.png", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
               ("k/empty.png", b"")]
    (OUT / "image-folder" / "foundation_data_contentsOf_leak.tree").write_bytes(
        b"".join(path.encode() + b"\x01" + struct.pack("<H", len(data)) + data for path, data in records))
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(path.relative_to(OUT), path.stat().st_size)
