import CLibFuzzer
import Foundation
import FuzzEntryPoints

/// The fuzz driver: one executable for every target, chosen by `WORKBENCH_FUZZ_TARGET`.
///
/// Built with `-sanitize=fuzzer,address -DWORKBENCH_LIBFUZZER` (see `Fuzz/run`), `main` hands the command line to
/// libFuzzer (`LLVMFuzzerRunDriver`), which calls ``fuzzOneInput(_:_:)`` for every input. Built normally, `workbench-fuzz TARGET FILE...` feeds each file
/// to the target once and prints what it did - how a crash input is replayed without the fuzzer.
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

private func target() -> FuzzTarget {
    if let selectedTarget { return selectedTarget }
    let name = ProcessInfo.processInfo.environment["WORKBENCH_FUZZ_TARGET"] ?? ""
    guard let chosen = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("WORKBENCH_FUZZ_TARGET must be one of: \(names) (got '\(name)')\n".utf8))
        exit(2)
    }
    selectedTarget = chosen
    return chosen
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = target().run(bytes)
    return 0
}

@main
struct Driver {
    static func main() {
        #if WORKBENCH_LIBFUZZER
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        _ = target()
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
        replay(Array(CommandLine.arguments.dropFirst()))
        #endif
    }

    /// `workbench-fuzz TARGET FILE...`: each file through the target once.
    static func replay(_ arguments: [String]) {
        guard let name = arguments.first, let chosen = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            print("usage: workbench-fuzz \(names) FILE...   (replays each file through the target once)")
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read")
                continue
            }
            switch chosen.run([UInt8](data)) {
            case .accepted: print("\(path): accepted")
            case let .refused(message): print("\(path): refused: \(message)")
            }
        }
    }
}
