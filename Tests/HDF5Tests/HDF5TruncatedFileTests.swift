import Foundation
import HDF5
import Testing

/// A committed reference cut short (a download or a copy that stopped) must be refused as truncated, naming the
/// file and its size, not as a bare libhdf5 failure; a damaged superblock says so.
@Suite("HDF5 truncated and damaged files")
struct HDF5TruncatedFileTests {
    /// Two committed files: superblock version 0 (h5py's default) and version 3 (`libver="latest"`).
    static let references = [fixturePath("h5py_interop.h5"), fixturePath("../references/metrics.h5")]

    /// Writes the first `count` bytes of `bytes` to a temporary file and runs `body` with its path.
    func withPrefix(_ bytes: Data, _ count: Int, _ body: (String) throws -> Void) throws {
        try withTemporaryFile { path in
            try bytes.prefix(count).write(to: URL(fileURLWithPath: path))
            try body(path)
        }
    }

    /// The error opening `path` throws, or `nil` when it opens.
    func openingError(_ path: String, mode: HDF5File.Mode = .readOnly) -> HDF5Error? {
        do {
            _ = try HDF5File(path: path, mode: mode)
            return nil
        } catch let error as HDF5Error {
            return error
        } catch {
            Issue.record("expected an HDF5Error, got \(error)")
            return nil
        }
    }

    @Test("cut inside the signature, inside the superblock, after it, and one byte short", arguments: references)
    func truncated(reference: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: reference))
        let sizes = [4, 8, 11, 30, 100, 2048, bytes.count / 2, bytes.count - 1]
        for size in sizes {
            try withPrefix(bytes, size) { path in
                for mode in [HDF5File.Mode.readOnly, .readWrite] {
                    guard let error = openingError(path, mode: mode) else {
                        Issue.record("\(size) bytes of \(reference) opened")
                        continue
                    }
                    guard case let .notHDF5(file, reason) = error else {
                        Issue.record("\(size) bytes of \(reference): expected .notHDF5, got \(error)")
                        continue
                    }
                    #expect(file == path)
                    #expect(reason.hasPrefix("it is truncated: \(size) bytes, "), "\(size) bytes: \(reason)")
                    #expect(error.description.contains(path))
                }
            }
        }
        // One byte short names the size the superblock records: the reference's own.
        try withPrefix(bytes, bytes.count - 1) { path in
            #expect(
                openingError(path)
                    == .notHDF5(
                        file: path,
                        reason: "it is truncated: \(bytes.count - 1) bytes, but its HDF5 superblock says the file is "
                            + "\(bytes.count) bytes"))
        }
        try withPrefix(bytes, bytes.count) { path in
            #expect(openingError(path) == nil, "the whole reference opens")
        }
    }

    @Test("a superblock of an unknown version is damaged, not truncated")
    func damaged() throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Self.references[0]))
        bytes[8] = 9
        try withPrefix(bytes, bytes.count) { path in
            let error = openingError(path)
            #expect(
                error
                    == .notHDF5(
                        file: path,
                        reason: "it starts with an HDF5 superblock (\(bytes.count) bytes, as long as the superblock "
                            + "says) but libhdf5 cannot open it: it is damaged, or locked by a process writing it"))
            #expect(error?.description.contains(path) == true)
        }
    }
}
