import ArgumentParser
import Foundation
import Golden
import Tensors
import Training

/// `workbench check TRACE.h5...`: replays recorded PyTorch training traces and names the first divergence.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay whole-model PyTorch traces (forward, loss, gradients, optimizer steps) and compare.",
        discussion: """
            Rebuilds each trace's model from its metadata, replays it, and prints a table per tensor. On a mismatch \
            it names the first module in forward order (or parameter in step order) that diverges. Exits with \
            status 1 when any trace fails.
            """)

    @Argument(
        help: "Trace files (HDF5) written by Fixtures/generate_references.py traces or record_trace().",
        completion: .file(extensions: ["h5"]))
    var traces: [String]

    @Flag(name: .long, help: "Print only each trace's summary, not every tensor.")
    var summaryOnly = false

    @Option(
        help: "Initial weights (.pth or safetensors) to use instead of the trace's portable initialisation.",
        completion: .file(extensions: ["pth", "pt", "safetensors"]))
    var weights: String?

    @OptionGroup var root: RootOption
    @OptionGroup var unwrapOptions: UnwrapOptions

    func run() throws {
        var failed = 0
        let pinned = (try? root.resolved()).flatMap { ReferenceProvenance.pinnedTorchVersion(root: $0) }
        for path in traces {
            let trace = try TraceFile(path: path)
            if let warning = try ReferenceProvenance(path: path).versionWarning(pinned: pinned) { print(warning) }
            var initialState: [(key: String, value: Tensor)]?
            if let weights {
                let model = try TraceReplay.makeModel(trace.configuration, path: path)
                try unwrapOptions.withCommandLineRemedies {
                    try model.loadCheckpoint(path: weights, options: unwrapOptions.loadOptions)
                }
                initialState = model.stateDict()
            }
            let report = try TraceReport(trace: trace, initialState: initialState)
            if !summaryOnly { print(report.table(), terminator: "\n\n") }
            print(report.summary())
            if !report.passed { failed += 1 }
        }
        if failed > 0 {
            print("\(failed) of \(traces.count) traces FAILED")
            throw ExitCode(1)
        }
    }
}
