import Foundation
import HDF5
import Testing

/// Checks that `body` throws exactly `expected` and that its message mentions each of `mentions`.
func expectError(
    _ expected: HDF5Error, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(expected), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as HDF5Error {
        #expect(error == expected, sourceLocation: sourceLocation)
        for text in mentions {
            #expect(
                error.description.contains(text), "\(error) should mention \(text)",
                sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("HDF5 errors")
struct HDF5ErrorTests {
    @Test("a missing file")
    func missingFile() throws {
        try withTemporaryFile { path in
            expectError(.fileNotFound(file: path), mentions: [path, "does not exist"]) {
                _ = try HDF5File(path: path)
            }
            expectError(.fileNotFound(file: path), mentions: [path]) {
                _ = try HDF5File(path: path, mode: .readWrite)
            }
        }
    }

    @Test("files that are not HDF5: text, empty, a directory")
    func notHDF5() throws {
        try withTemporaryFile(".txt") { path in
            try "just some text\n".write(toFile: path, atomically: true, encoding: .utf8)
            expectError(
                .notHDF5(file: path, reason: "no HDF5 signature found in its 15 bytes (or the file is unreadable)"),
                mentions: [path, "not an HDF5 file"]
            ) { _ = try HDF5File(path: path) }
        }
        try withTemporaryFile { path in
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            expectError(.notHDF5(file: path, reason: "the file is empty"), mentions: [path, "empty"]) {
                _ = try HDF5File(path: path)
            }
        }
        let directory = FileManager.default.temporaryDirectory.path
        expectError(.notHDF5(file: directory, reason: "it is a directory"), mentions: [directory, "directory"]) {
            _ = try HDF5File(path: directory)
        }
        expectError(.cannotCreate(file: directory, reason: "it is a directory"), mentions: [directory]) {
            _ = try HDF5File(path: directory, mode: .create)
        }
    }

    @Test("creating a file in a missing folder")
    func cannotCreate() throws {
        try withTemporaryFile("-folder") { folder in
            let path = folder + "/x.h5"
            expectError(
                .cannotCreate(file: path, reason: "folder '\(folder)' does not exist"),
                mentions: [path, folder]
            ) { _ = try HDF5File(path: path, mode: .create) }
        }
    }

    @Test("missing datasets, groups and attributes, and objects of the wrong kind")
    func missingObjects() throws {
        try withSampleFile { file in
            let root = file.root
            let path = file.path
            expectError(
                .notFound(file: path, path: "/g/missing", expected: .dataset),
                mentions: [path, "/g/missing", "dataset"]
            ) { _ = try root.read("g/missing", as: Float.self) }
            expectError(.notFound(file: path, path: "/nope/x", expected: .dataset), mentions: [path, "/nope/x"]) {
                _ = try root.info("nope/x")
            }
            expectError(.notFound(file: path, path: "/h", expected: .group), mentions: [path, "/h", "group"]) {
                _ = try root.group("h")
            }
            expectError(
                .wrongKind(file: path, path: "/g", expected: .dataset, found: .group),
                mentions: [path, "/g", "is a group, not a dataset"]
            ) { _ = try root.read("g", as: Float.self) }
            expectError(
                .wrongKind(file: path, path: "/g/f64", expected: .group, found: .dataset),
                mentions: [path, "/g/f64"]
            ) { _ = try root.group("g/f64") }
            expectError(
                .attributeNotFound(file: path, object: "/g", name: "absent"),
                mentions: [path, "/g", "absent"]
            ) { _ = try root.attribute("absent", of: "g") }
            expectError(.notFound(file: path, path: "/nothing", expected: nil), mentions: [path, "/nothing"]) {
                _ = try root.attributes(of: "nothing")
            }
        }
    }

    @Test("reading with the wrong dtype names expected and found")
    func wrongType() throws {
        try withSampleFile { file in
            expectError(
                .typeMismatch(file: file.path, dataset: "/g/f64", expected: .float32, found: .float64),
                mentions: [file.path, "/g/f64", "float64", "float32"]
            ) {
                _ = try file.root.read("g/f64", as: Float.self)
            }
            expectError(
                .typeMismatch(file: file.path, dataset: "/g/i64", expected: .float32, found: .int64),
                mentions: [file.path, "/g/i64", "int64", "float32"]
            ) {
                _ = try file.root.group("g").read("i64", as: Float.self)
            }
        }
    }

    @Test("reading with the wrong rank names the expected rank and the found shape")
    func wrongRank() throws {
        try withSampleFile { file in
            expectError(
                .rankMismatch(file: file.path, dataset: "/g/f64", expectedRank: 2, foundShape: [2, 3, 4]),
                mentions: [file.path, "/g/f64", "[2, 3, 4]", "expected rank 2"]
            ) {
                _ = try file.root.read("g/f64", as: Double.self, rank: 2)
            }
        }
    }

    @Test("an attribute HDF5AttributeValue cannot hold is named with its type")
    func unsupportedAttribute() throws {
        let path = fixturePath("h5py_interop.h5")
        expectError(
            .unsupportedAttribute(file: path, object: "/int32_data", name: "matrix", type: "rank-2 float64"),
            mentions: [path, "/int32_data", "matrix", "rank-2 float64"]
        ) {
            _ = try HDF5File(path: path).root.attributes(of: "int32_data")
        }
    }

    @Test("writes to a read-only file are refused")
    func readOnly() throws {
        try withSampleFile { file in
            let root = file.root
            expectError(.readOnly(file: file.path, path: "/new"), mentions: [file.path, "/new", "read-only"]) {
                try root.write("new", HDF5Array(scalar: Float(1)))
            }
            expectError(.readOnly(file: file.path, path: "/g"), mentions: [file.path]) {
                try root.setAttribute("a", .int64(1), on: "g")
            }
            expectError(.readOnly(file: file.path, path: "/k/l"), mentions: [file.path, "/k/l"]) {
                try root.createGroup("k/l")
            }
            let existing = try root.createGroup("g")
            #expect(existing.path == "/g")
        }
    }

    @Test("invalid writes: shape and values disagree, bad gzip, dataset and group in each other's place")
    func invalidWrites() throws {
        try withSampleFile(mode: .readWrite) { file in
            let root = file.root
            let path = file.path
            expectError(
                .invalidShape(file: path, dataset: "/w", shape: [2, 2], count: 3),
                mentions: [path, "/w", "[2, 2]", "3 values"]
            ) {
                try root.write("w", HDF5Array(shape: [2, 2], values: [1, 2, 3] as [Float]))
            }
            expectError(.invalidShape(file: path, dataset: "/w", shape: [-1], count: 0), mentions: [path]) {
                try root.write("w", HDF5Array(shape: [-1], values: [] as [Float]))
            }
            expectError(
                .unsupported(file: path, path: "/w", reason: "gzip level must be in 0...9, got 10"),
                mentions: [path, "/w", "gzip"]
            ) {
                try root.write("w", HDF5Array(shape: [1], values: [1] as [Float]), gzipLevel: 10)
            }
            expectError(
                .unsupported(
                    file: path, path: "/w",
                    reason: "a rank-0 (scalar) dataset cannot be gzip-compressed"),
                mentions: [path, "/w", "rank-0"]
            ) {
                try root.write("w", HDF5Array(scalar: Float(1)), gzipLevel: 4)
            }
            expectError(.wrongKind(file: path, path: "/g", expected: .dataset, found: .group), mentions: [path]) {
                try root.write("g", HDF5Array(scalar: Float(1)))
            }
            expectError(
                .wrongKind(file: path, path: "/g/f64", expected: .group, found: .dataset),
                mentions: [path, "/g/f64"]
            ) {
                try root.write("g/f64/below", HDF5Array(scalar: Float(1)))
            }
            expectError(
                .wrongKind(file: path, path: "/g/i64", expected: .group, found: .dataset),
                mentions: [path, "/g/i64"]
            ) { try root.createGroup("g/i64") }
            #expect(!root.contains("w"))
        }
    }

    /// Writes a file with a group /g (no attributes) holding f64: float64 [2, 3, 4] and i64: int64 [5], closes
    /// it and passes it to `body` reopened with `mode`.
    private func withSampleFile(mode: HDF5File.Mode = .readOnly, _ body: (HDF5File) throws -> Void) throws {
        try withTemporaryFile { path in
            do {
                let file = try HDF5File(path: path, mode: .create)
                let values = (0..<24).map { Double($0) }
                try file.root.write("g/f64", HDF5Array(shape: [2, 3, 4], values: values))
                try file.root.write("g/i64", HDF5Array(shape: [5], values: [1, 2, 3, 4, 5] as [Int64]))
            }
            try body(try HDF5File(path: path, mode: mode))
        }
    }
}
