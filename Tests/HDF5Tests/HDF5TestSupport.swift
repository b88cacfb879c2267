import Foundation
import HDF5

/// Runs `body` with the path of a not-yet-existing file in the temporary directory and removes the file afterwards.
func withTemporaryFile<Result>(_ suffix: String = ".h5", _ body: (String) throws -> Result) throws -> Result {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("HDF5Tests-\(UUID().uuidString)\(suffix)")
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// The shape used for rank `rank` in round trips: a prefix of [2, 3, 1, 4, 2] (at most 48 elements, with a 1).
func testShape(rank: Int) -> [Int] {
    Array([2, 3, 1, 4, 2].prefix(rank))
}

/// The path of a committed fixture, found from this source file: Tests/HDF5Tests/ -> package root -> Fixtures.
func fixturePath(_ name: String, filePath: String = #filePath) -> String {
    URL(fileURLWithPath: filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/testdata/\(name)")
        .path
}

/// Writes `array` at `dataset` in a new file, closes it, reopens it read-only and reads it back.
func roundTrip<T: HDF5Scalar>(
    _ array: HDF5Array<T>, at dataset: String = "/data",
    gzipLevel: Int? = nil
) throws -> (array: HDF5Array<T>, info: HDF5DatasetInfo) {
    try withTemporaryFile { path in
        try writeAndClose(path) { try $0.write(dataset, array, gzipLevel: gzipLevel) }
        let root = try HDF5File(path: path).root
        return (try root.read(dataset, as: T.self, rank: array.rank), try root.info(dataset))
    }
}

/// Creates `path`, lets `body` write into its root group, and returns only after the file is closed: the
/// `HDF5File` lives in this function's frame alone, so it is released (closed) on return, before any reopening.
func writeAndClose(_ path: String, _ body: (HDF5Group) throws -> Void) throws {
    let file = try HDF5File(path: path, mode: .create)
    try body(file.root)
}
