import HDF5
import Testing

/// Reads Fixtures/testdata/h5py_interop.h5, written by Fixtures/make_h5py_interop.py with h5py's defaults.
/// The expected values are recomputed with the script's formulas.
@Suite("h5py interoperability")
struct HDF5InteropTests {
    let root: HDF5Group

    init() throws {
        root = try HDF5File(path: fixturePath("h5py_interop.h5")).root
    }

    @Test("gzip-compressed float32 rank-3 dataset in a nested group")
    func compressedNestedDataset() throws {
        let weights = try root.group("nested/group").read("weights", as: Float.self, rank: 3)
        #expect(weights.shape == [2, 3, 4])
        #expect(weights.values == (0..<24).map { Float($0) * 0.5 - 3 })
        #expect(try root.attribute("units", of: "nested/group/weights") == .string("m/s"))
    }

    @Test("rank-0 datasets")
    func scalars() throws {
        #expect(try root.read("third_f64", as: Double.self, rank: 0) == HDF5Array(scalar: 1.0 / 3.0))
        #expect(try root.read("three_f32", as: Float.self, rank: 0) == HDF5Array(scalar: 3))
    }

    @Test("int64 rank-1 dataset")
    func int64Dataset() throws {
        let counts = try root.read("counts", as: Int64.self, rank: 1)
        #expect(counts.values == (0..<10).map { Int64($0) * 3_000_000_000 - 5 })
    }

    @Test("attributes: vlen str, fixed-length bytes, int64, float64, lists, int16 and float32 widened")
    func attributes() throws {
        let expected: [String: HDF5AttributeValue] = [
            "title": .string("interop fixture \u{2013} gr\u{00FC}\u{00DF}e"),
            "label": .string("fixed-bytes"),
            "epochs": .int64(7),
            "learning_rate": .float64(0.125),
            "betas": .float64Array([0.9, 0.999]),
            "sizes": .int64Array([3, 224, 224]),
            "small_int": .int64(-12),
            "half_float": .float64(0.25),
        ]
        #expect(try root.attributes() == expected)
    }

    @Test("listing and dataset info")
    func listing() throws {
        #expect(try root.childNames() == ["counts", "int32_data", "nested", "third_f64", "three_f32"])
        #expect(try root.groupNames() == ["nested"])
        #expect(try root.info("int32_data") == HDF5DatasetInfo(elementType: .other("int32"), shape: [2, 3]))
        #expect(try root.info("nested/group/weights") == HDF5DatasetInfo(elementType: .float32, shape: [2, 3, 4]))
    }

    @Test("an int32 dataset is not read as int64 or float32")
    func wrongDtype() throws {
        let path = fixturePath("h5py_interop.h5")
        #expect(
            throws: HDF5Error.typeMismatch(
                file: path, dataset: "/int32_data", expected: .int64,
                found: .other("int32"))
        ) {
            try root.read("int32_data", as: Int64.self)
        }
        #expect(throws: HDF5Error.typeMismatch(file: path, dataset: "/counts", expected: .float32, found: .int64)) {
            try root.read("counts", as: Float.self)
        }
    }
}
