import Checkpoints
import Foundation
import Golden
import HDF5
import TestSupport
import Testing

/// The folder of committed checkpoint fixtures: Tests/CheckpointsTests/ -> package root -> Fixtures/checkpoints.
let fixtureFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures/checkpoints")
    .path

/// The path of the committed fixture `name`.
func fixture(_ name: String) -> String {
    fixtureFolder + "/" + name
}

/// The bytes of the committed fixture `name`.
func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture(name))))
}

/// A fresh empty folder in the temporary directory, removed after `body`.
func withTemporaryFolder<Result>(_ body: (String) throws -> Result) throws -> Result {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("CheckpointsTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

extension ExpectedCheckpoint {
    /// Group `name` of the committed `Fixtures/checkpoints/expected.h5` (the library's reader, shared with
    /// `workbench regress`).
    init(group name: String) throws { try self.init(folder: fixtureFolder, group: name) }

    /// The fixture groups in `expected.h5`.
    static func groupNames() throws -> [String] { try groupNames(folder: fixtureFolder) }
}

/// Records an issue naming the first key, index and values where `actual` differs from `expected` (the library's
/// exact comparison, `CheckpointReplay.compare`).
func expectSameStateDict(
    _ actual: StateDict, _ expected: StateDict, _ context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectPassed(CheckpointReplay.compare(actual, expected, context), sourceLocation: sourceLocation)
}

/// The error `body` throws, which must be a `CheckpointError`.
func checkpointError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CheckpointError? {
    do {
        try body()
        Issue.record("expected a CheckpointError, but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        return error
    } catch {
        Issue.record("expected a CheckpointError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension CheckpointError {
    /// The case name ("forbiddenGlobal", "truncated" ...), for assertions and summaries.
    var caseName: String {
        Mirror(reflecting: self).children.first?.label ?? "\(self)"
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny deterministic generator for the mutation fuzz.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0 ..< bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
