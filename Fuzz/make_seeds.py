#!/usr/bin/env python3
"""Writes the seed corpora Fuzz/corpus/TARGET/ from the committed test fixtures (deterministic; run from the
package root with the venv's python, which has h5py: /opt/tlvenv/bin/python Fuzz/make_seeds.py).

Every seed is a valid file of a kind the tests use (plus a few refused ones the tests also use), small enough for
libFuzzer to mutate quickly."""
import io
import struct
import shutil
import zipfile
from pathlib import Path

import h5py

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"
CHECKPOINTS = ROOT / "Fixtures" / "checkpoints"
TESTDATA = ROOT / "Fixtures" / "testdata"


def fresh(target: str) -> Path:
    folder = CORPUS / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def copy_small(files, folder: Path, limit: int = 8192) -> None:
    for file in sorted(files):
        if file.stat().st_size <= limit:
            shutil.copy(file, folder / file.name)


def checkpoints() -> None:
    zips = [f for f in CHECKPOINTS.glob("*.pt*") if f.read_bytes()[:2] == b"PK"]
    legacy = [f for f in CHECKPOINTS.glob("*.pth") if f.read_bytes()[:1] == b"\x80"]
    copy_small(zips, fresh("pth-zip"))
    copy_small(legacy, fresh("legacy-pickle"))
    copy_small(CHECKPOINTS.glob("*.safetensors"), fresh("safetensors"))
    pickles = fresh("unpickler")
    for file in sorted(zips):
        with zipfile.ZipFile(file) as archive:
            for name in archive.namelist():
                if name.endswith("data.pkl"):
                    try:
                        (pickles / (file.stem + ".pkl")).write_bytes(archive.read(name))
                    except (zipfile.BadZipFile, NotImplementedError):  # CRC 0 on purpose; compressed
                        continue


def hdf5() -> None:
    folder = fresh("hdf5")
    shutil.copy(TESTDATA / "h5py_interop.h5", folder / "h5py_interop.h5")
    # The smallest op-reference cases, with ops.h5's root attributes: a file OpReferenceFile reads.
    with h5py.File(ROOT / "Fixtures" / "references" / "ops.h5", "r") as source:
        cases = source["cases"]
        sizes = sorted((sum(item.size for item in cases[name].values() if isinstance(item, h5py.Dataset)), name)
                       for name in cases)
        for count in (1, 3):
            path = folder / f"ops_{count}_cases.h5"
            with h5py.File(path, "w", track_order=True) as target:
                for key, value in source.attrs.items():
                    target.attrs[key] = value
                group = target.create_group("cases", track_order=True)
                for _, name in sizes[:count]:
                    source.copy(cases[name], group, name=name)


def images() -> None:
    copy_small(TESTDATA.glob("png/*.png"), fresh("png"), limit=4096)
    copy_small(TESTDATA.glob("jpeg/*.jpg"), fresh("jpeg"), limit=4096)


def image_folders() -> None:
    """Trees in FolderTree's spelling: `path 0x01 <u16 length> contents` for a file, `path 0x02` for a folder."""
    folder = fresh("image-folder")
    png = sorted((TESTDATA / "png").glob("gray*.png"))[0].read_bytes()
    jpeg = sorted((TESTDATA / "jpeg").glob("rgb444_23x17.jpg"))[0].read_bytes()
    trees = {
        "two_classes": [("cat/1.png", png), ("dog/2.jpg", jpeg)],
        "nested_and_empty": [("a/x/1.png", png), ("b", None), ("c/readme.txt", b"not an image")],
        "odd_names": [("<b>&amp;/1.png", png), ("sp ace;$(x)/2.JPG", jpeg), (".hidden/3.png", png)],
        "signature_swap": [("k/png_named.jpg", png), ("k/jpeg_named.png", jpeg), ("k/empty.png", b"")],
    }
    for name, records in trees.items():
        data = io.BytesIO()
        for path, contents in records:
            if contents is None:
                data.write(path.encode() + b"\x02")
            else:
                data.write(path.encode() + b"\x01" + struct.pack("<H", len(contents)) + contents)
        (folder / f"{name}.tree").write_bytes(data.getvalue())


if __name__ == "__main__":
    checkpoints()
    hdf5()
    images()
    image_folders()
    for folder in sorted(CORPUS.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
