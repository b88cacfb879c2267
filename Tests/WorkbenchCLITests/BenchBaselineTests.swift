import Foundation
import Testing

/// `bench model --save-baseline` / `--baseline` as a user runs them: a tiny shape with one round, so the report's
/// shape and the exit status are checked, never the timings.
@Suite("workbench bench model baselines")
struct BenchBaselineTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)-\(name)").path
    }

    @Test("save a baseline, compare a run with it (exit 0 on noise), and list the case measured on one side only")
    func saveAndCompare() throws {
        let path = Self.temporaryPath("baseline.json")
        let save = try WorkbenchCLITests.workbench(
            "bench", "model", "--shapes", "2x32", "--cases", "inference", "frozen", "-n", "1", "--warmup", "0",
            "--save-baseline", path, "--note", "CLI smoke test")
        #expect(save.status == 0, Comment(rawValue: save.stderr))
        #expect(
            save.stdout.contains("resnet18 b2x32 inference: ") && save.stdout.contains("baseline written to \(path)"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#""note" : "CLI smoke test""#) && text.contains(#""module" : "layer3.1.conv2""#))

        let compare = try WorkbenchCLITests.workbench(
            "bench", "model", "--shapes", "2x32", "--cases", "inference", "-n", "1", "--warmup", "0",
            "--baseline", path)
        #expect(compare.status == 0, Comment(rawValue: compare.stderr))
        #expect(compare.stdout.contains("\nb2x32 inference: "), Comment(rawValue: compare.stdout))
        #expect(compare.stdout.contains("cases in \(path) but not measured now: b2x32 frozen step"))
        #expect(compare.stdout.contains("summary: 1 case compared: "))
        // The same code allocates the same buffers and counts the same FLOPs in another process.
        #expect(
            compare.stdout.contains("  deterministic figures unchanged: FLOPs per run "),
            Comment(rawValue: compare.stdout))
    }

    @Test("--against-module-by-module times both paths in one process; it refuses a baseline")
    func againstModuleByModule() throws {
        let run = try WorkbenchCLITests.workbench(
            "bench", "model", "--shapes", "2x32", "--cases", "frozen", "-n", "2", "--warmup", "0",
            "--against-module-by-module")
        #expect(run.status == 0, Comment(rawValue: run.stderr))
        #expect(
            run.stdout.contains("resnet18 b2x32 frozen step: own path ")
                && run.stdout.contains("(median of the 2 pairs' ratios)"), Comment(rawValue: run.stdout))
        let refused = try WorkbenchCLITests.workbench(
            "bench", "model", "--against-module-by-module", "--baseline", Self.temporaryPath("none.json"))
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--against-module-by-module cannot be combined with --baseline"))
    }

    @Test("--against-direct-convolution times the direct kernels in one process; it refuses a second alternative")
    func againstDirectConvolution() throws {
        let run = try WorkbenchCLITests.workbench(
            "bench", "model", "--shapes", "2x32", "--cases", "inference", "-n", "2", "--warmup", "0",
            "--against-direct-convolution")
        #expect(run.status == 0, Comment(rawValue: run.stderr))
        #expect(
            run.stdout.contains("resnet18 b2x32 inference: own path ")
                && run.stdout.contains("direct convolution") && run.stdout.contains("(median of the 2 pairs' ratios)"),
            Comment(rawValue: run.stdout))
        let both = try WorkbenchCLITests.workbench(
            "bench", "model", "--against-direct-convolution", "--against-module-by-module")
        #expect(both.status != 0)
        #expect(both.stderr.contains("--against-module-by-module and --against-direct-convolution: choose one"))
    }

    @Test("a truncated baseline, another machine kind and another schema stop before measuring, naming the file")
    func badBaselines() throws {
        let path = Self.temporaryPath("good.json")
        let save = try WorkbenchCLITests.workbench(
            "bench", "model", "--shapes", "2x32", "--cases", "inference", "-n", "1", "--warmup", "0",
            "--save-baseline", path)
        #expect(save.status == 0, Comment(rawValue: save.stderr))
        let text = try String(contentsOfFile: path, encoding: .utf8)

        let truncated = Self.temporaryPath("truncated.json")
        try String(text.prefix(300)).write(toFile: truncated, atomically: true, encoding: .utf8)
        let cut = try WorkbenchCLITests.workbench("bench", "model", "--baseline", truncated)
        #expect(cut.status == 1)
        #expect(
            cut.firstLine.hasPrefix("Error: the baseline \(truncated) is not valid JSON"), Comment(rawValue: cut.stderr)
        )
        #expect(!cut.stderr.contains("bench: warm-up"), "it measured before reading the baseline")

        let other = Self.temporaryPath("other-machine.json")
        let model = try #require(text.firstRange(of: #/"cpuModel" : "[^"]*"/#))
        try text.replacingCharacters(in: model, with: #""cpuModel" : "Some Other CPU""#)
            .write(toFile: other, atomically: true, encoding: .utf8)
        let machine = try WorkbenchCLITests.workbench("bench", "model", "--baseline", other)
        #expect(machine.status == 1)
        #expect(machine.firstLine.hasPrefix("Error: the baseline \(other) was recorded on another machine kind"))
        #expect(machine.stderr.contains("Some Other CPU in the baseline"), Comment(rawValue: machine.stderr))

        let newer = Self.temporaryPath("newer.json")
        try text.replacingOccurrences(of: #""schema" : 1"#, with: #""schema" : 7"#)
            .write(toFile: newer, atomically: true, encoding: .utf8)
        let schema = try WorkbenchCLITests.workbench("bench", "model", "--baseline", newer)
        #expect(schema.status == 1 && schema.firstLine.contains("\(newer) has schema version 7"))

        let missing = try WorkbenchCLITests.workbench("bench", "model", "--baseline", "/nonexistent/b.json")
        #expect(
            missing.status == 1
                && missing.firstLine == "Error: cannot read the baseline /nonexistent/b.json: no such file")
        let flag = try WorkbenchCLITests.workbench("bench", "model", "--fail-on-regression")
        #expect(
            flag.status == 64
                && flag.firstLine == "Error: --fail-on-regression needs --baseline FILE or --save-baseline FILE")
    }
}
