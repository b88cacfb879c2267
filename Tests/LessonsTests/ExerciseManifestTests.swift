import Foundation
import Grading
import Testing

/// The exercises' generated manifest carries the workbench's source file list, so that a file added to or removed
/// from the workbench (a pull) makes SwiftPM plan the exercises' build again instead of compiling without it.
@Suite("Exercise manifest")
struct ExerciseManifestTests {
    @Test("the sources fingerprint changes when a source file is added, removed or renamed, and only then")
    func fingerprintFollowsTheFileList() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let module = root.appendingPathComponent("Sources/Kernels")
        try FileManager.default.createDirectory(at: module, withIntermediateDirectories: true)
        try "let a = 1\n".write(to: module.appendingPathComponent("A.swift"), atomically: true, encoding: .utf8)
        let first = ExerciseWorkspace.sourcesFingerprint(of: root)
        #expect(first.hasPrefix("1 files"), "\(first)")

        try "let a = 2\n".write(to: module.appendingPathComponent("A.swift"), atomically: true, encoding: .utf8)
        #expect(ExerciseWorkspace.sourcesFingerprint(of: root) == first, "an edit alone is SwiftPM's to see")

        let added = module.appendingPathComponent("FloatArena.swift")
        try "let b = 1\n".write(to: added, atomically: true, encoding: .utf8)
        let withNewFile = ExerciseWorkspace.sourcesFingerprint(of: root)
        #expect(withNewFile != first && withNewFile.hasPrefix("2 files"), "\(withNewFile)")

        try FileManager.default.moveItem(at: added, to: module.appendingPathComponent("FloatArena2.swift"))
        let renamed = ExerciseWorkspace.sourcesFingerprint(of: root)
        #expect(renamed != withNewFile && renamed != first)

        try FileManager.default.removeItem(at: module.appendingPathComponent("FloatArena2.swift"))
        #expect(ExerciseWorkspace.sourcesFingerprint(of: root) == first)
    }
}
