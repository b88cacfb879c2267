"""Write Fixtures/testdata/h5py_interop.h5, the file the Swift HDF5 tests read to check h5py interoperability.

Run from anywhere with the project's virtual environment:

    /opt/tlvenv/bin/python Fixtures/make_h5py_interop.py

Every value is computed from np.arange or a short formula so that Tests/HDF5Tests/HDF5InteropTests.swift
recomputes the expectations instead of copying numbers. Change both files together.

Layout (h5py defaults: vlen UTF-8 str attributes, int64 for Python ints, float64 for Python floats):

    /                                   attrs: title (vlen str), label (fixed-length bytes), epochs (int64),
                                               learning_rate (float64), betas ([float64]), sizes ([int64]),
                                               small_int (int16), half_float (float32)
    /nested/group/weights               float32 (2, 3, 4), gzip level 4, chunks (1, 3, 4):
                                        arange(24) * 0.5 - 3;  attrs: units (vlen str)
    /third_f64                          float64 rank 0: 1 / 3
    /three_f32                          float32 rank 0: 3  (as in h5py's `f['x'] = np.float32(3)`)
    /counts                             int64 (10,): arange(10) * 3_000_000_000 - 5
    /int32_data                         int32 (2, 3): arange(6)  (for the wrong-dtype error);
                                        attrs: matrix (float64 (2, 2) = arange(4), an unsupported attribute)
"""

from pathlib import Path

import h5py
import numpy as np

OUTPUT = Path(__file__).resolve().parent / "testdata" / "h5py_interop.h5"


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # h5py's default file format on purpose (libver "earliest"): the fixture must look like what h5py writes.
    with h5py.File(OUTPUT, "w") as f:
        f.attrs["title"] = "interop fixture \u2013 gr\u00fc\u00dfe"
        f.attrs["label"] = np.bytes_(b"fixed-bytes")
        f.attrs["epochs"] = 7
        f.attrs["learning_rate"] = 0.125
        f.attrs["betas"] = [0.9, 0.999]
        f.attrs["sizes"] = [3, 224, 224]
        f.attrs["small_int"] = np.int16(-12)
        f.attrs["half_float"] = np.float32(0.25)

        weights = (np.arange(24, dtype=np.float32) * np.float32(0.5) - np.float32(3)).reshape(2, 3, 4)
        dset = f.create_dataset("nested/group/weights", data=weights, chunks=(1, 3, 4),
                                compression="gzip", compression_opts=4)
        dset.attrs["units"] = "m/s"

        f["third_f64"] = np.float64(1.0) / np.float64(3.0)
        f["three_f32"] = np.float32(3)
        f["counts"] = np.arange(10, dtype=np.int64) * 3_000_000_000 - 5
        f["int32_data"] = np.arange(6, dtype=np.int32).reshape(2, 3)
        f["int32_data"].attrs["matrix"] = np.arange(4, dtype=np.float64).reshape(2, 2)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
