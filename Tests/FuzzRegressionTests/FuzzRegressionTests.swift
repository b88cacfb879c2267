import Foundation
import FuzzEntryPoints
import Images
import Testing

/// Every input in `Fuzz/regressions/TARGET/` (what a fuzz run found: each crashed, hung, leaked or over-allocated
/// before its fix) and in `Fuzz/corpus/TARGET/` (the seeds) is fed to the same entry point the fuzzer calls; each
/// must come back read or refused with a message - a crash or a trap fails the whole test process.
///
/// Files are read with `ImageFile.readBytes` (open/fstat/read): `Data(contentsOf:)` leaked a 4096-byte buffer on
/// some reads under LeakSanitizer (`swift test --sanitize=address`).
@Suite struct FuzzRegressionTests {
    static let fuzzFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz").path

    static func inputs(_ kind: String, _ target: FuzzTarget) -> [String] {
        let folder = "\(fuzzFolder)/\(kind)/\(target.rawValue)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { "\(folder)/\($0)" }
    }

    @Test(arguments: FuzzTarget.allCases)
    func regressionInputsAreRefusedCleanly(_ target: FuzzTarget) throws {
        for path in Self.inputs("regressions", target) {
            let bytes = try ImageFile.readBytes(path: path)
            switch target.run(bytes) {
            case .accepted: break
            case let .refused(message):
                #expect(!message.isEmpty, "\(path): refused without a message")
            }
        }
    }

    /// The seeds are valid files: most are read; each target has some.
    @Test(arguments: FuzzTarget.allCases)
    func seedCorpusIsReadable(_ target: FuzzTarget) throws {
        let seeds = Self.inputs("corpus", target)
        #expect(!seeds.isEmpty, "Fuzz/corpus/\(target.rawValue) is empty")
        var accepted = 0
        for path in seeds {
            let bytes = try ImageFile.readBytes(path: path)
            if target.run(bytes) == .accepted { accepted += 1 }
        }
        #expect(accepted > 0, "no seed of \(target.rawValue) is read")
    }
}
