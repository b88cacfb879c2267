import Foundation
import Golden
import Testing

/// Every `workbench` command's success and failure paths, run as a user runs them: the built executable, from a
/// folder outside the package, checking the exit status and the first line of what it prints.
@Suite("workbench command line")
struct WorkbenchCLITests {
    static let root = PackagePaths.root(from: #filePath)

    /// The `workbench` executable built beside this test bundle (`swift build --build-tests` builds both).
    static let executable: URL = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("workbench")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return root.appendingPathComponent(".build/release/workbench")
    }()

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        var firstLine: String { (stderr.isEmpty ? stdout : stderr).split(separator: "\n").first.map(String.init) ?? "" }
    }

    /// Runs `workbench arguments...` in a temporary folder (so nothing depends on the current directory).
    static func workbench(_ arguments: String...) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func fixture(_ path: String) -> String { root.appendingPathComponent(path).path }

    @Test("--help lists every command")
    func help() throws {
        let run = try Self.workbench("--help")
        #expect(run.status == 0)
        for command in [
            "transfer", "lesson", "lessons", "grade", "hint", "reset", "watch", "verify", "check",
            "inspect", "convert", "bench", "evaluate", "predict", "export",
        ] {
            #expect(run.stdout.contains(command), "--help does not list \(command)")
        }
    }

    @Test("transfer runs one short setting from another folder, and rejects bad ranges and choices before running")
    func transfer() throws {
        let ok = try Self.workbench(
            "transfer", "--settings", "feature-extraction-eval", "--seeds", "1", "--epochs", "1")
        #expect(ok.status == 0, Comment(rawValue: ok.stderr))
        #expect(ok.stdout.contains("feature-extraction-eval seed 0: val accuracy"))
        let seeds = try Self.workbench("transfer", "--seeds", "0")
        #expect(seeds.status == 64 && seeds.firstLine == "Error: --seeds must be at least 1, got 0")
        // "-1" reads as an option to swift-argument-parser: a usage error, never a crash.
        let negative = try Self.workbench("transfer", "--seeds", "-1")
        #expect(negative.status == 64 && negative.firstLine.hasPrefix("Error: "))
        let setting = try Self.workbench("transfer", "--settings", "bogus")
        #expect(setting.status == 64 && setting.firstLine.contains("The value 'bogus' is invalid for '--settings"))
    }

    @Test("verify replays op references; a missing file is named")
    func verify() throws {
        let ok = try Self.workbench("verify", "--filter", "relu_", "--summary-only")
        #expect(ok.status == 0 && ok.stdout.contains("all passed"), Comment(rawValue: ok.stdout + ok.stderr))
        let missing = try Self.workbench("verify", "--references", "/nonexistent/ops.h5")
        #expect(missing.status == 64 && missing.firstLine.contains("/nonexistent/ops.h5"))
    }

    @Test("regress summarises the families it replays, in JSON and JUnit too; a filter matching nothing is refused")
    func regress() throws {
        let json = try Self.workbench("regress", "--filter", "relu", "--format", "json")
        #expect(json.status == 0, Comment(rawValue: json.stdout + json.stderr))
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let families = object?["families"] as? [[String: Any]]
        #expect(families?.map { $0["name"] as? String } == ["ops"])
        #expect((object?["run"] as? [String: String])?["BLAS core"] != nil)
        let junit = try Self.workbench("regress", "--filter", "ops/max_pool2d", "--format", "junit")
        #expect(junit.status == 0 && junit.stdout.contains("<testsuite name=\"ops\" tests=\"9\" failures=\"0\">"))
        let optimizers = try Self.workbench("regress", "--filter", "optimizers/adam", "--format", "json")
        #expect(optimizers.status == 0, Comment(rawValue: optimizers.stdout + optimizers.stderr))
        let parsed = try JSONSerialization.jsonObject(with: Data(optimizers.stdout.utf8)) as? [String: Any]
        #expect((parsed?["families"] as? [[String: Any]])?.map { $0["name"] as? String } == ["optimizers"])
        let images = try Self.workbench("regress", "--filter", "images/jpeg/errors")
        #expect(images.status == 0 && images.stdout.contains("images        12 "), Comment(rawValue: images.stdout))
        let none = try Self.workbench("regress", "--filter", "no-such-case")
        #expect(none.status == 64 && none.firstLine.contains("no stored reference matches --filter 'no-such-case'"))
    }

    @Test("check replays a trace; a missing trace is named")
    func check() throws {
        let ok = try Self.workbench(
            "check", Self.fixture("Fixtures/references/traces/resnet18_w2_s32_frozen_eval_sgd.h5"),
            "--summary-only")
        #expect(ok.status == 0, Comment(rawValue: ok.stdout + ok.stderr))
        let missing = try Self.workbench("check", "/nonexistent/trace.h5")
        #expect(missing.status == 1 && missing.firstLine.contains("/nonexistent/trace.h5"))
    }

    @Test("inspect lists a checkpoint and loads it into a model; an unknown model is rejected with the choices")
    func inspect() throws {
        let path = Self.fixture("Fixtures/models/resnet18_w12_digits_source.pth")
        let ok = try Self.workbench(
            "inspect", path, "--model", "resnet18", "--num-classes", "5", "--base-channels", "12")
        #expect(ok.status == 0 && ok.stdout.contains("loaded into resnet18 (strict)"), Comment(rawValue: ok.stderr))
        let model = try Self.workbench("inspect", path, "--model", "resnet99")
        #expect(model.status == 64 && model.firstLine.contains("resnet99"))
        #expect(model.stderr.contains("resnet18") && model.stderr.contains("resnet50"))
        let classes = try Self.workbench("inspect", path, "--num-classes", "0")
        #expect(classes.status == 64 && classes.firstLine == "Error: --num-classes must be at least 1, got 0")
    }

    @Test("a wrapped or DataParallel checkpoint's error names the flag that loads it, and the flag does")
    func checkpointRemediesNameFlags() throws {
        let wrapped = Self.fixture("Fixtures/checkpoints/legacy_wrapped_model.pth")
        let refused = try Self.workbench("inspect", wrapped)
        #expect(refused.status == 1 && refused.firstLine.contains("pass --unwrap"), Comment(rawValue: refused.stderr))
        #expect(!refused.stderr.contains("unwrapKey:") && !refused.stderr.contains("unwrap: true"))
        #expect(try Self.workbench("inspect", wrapped, "--unwrap").status == 0)
        let parallel = Self.fixture("Fixtures/checkpoints/zip_dataparallel.pth")
        let prefixed = try Self.workbench("inspect", parallel)
        #expect(
            prefixed.status == 1 && prefixed.firstLine.contains("pass --strip-prefix module."),
            Comment(rawValue: prefixed.stderr))
        #expect(!prefixed.stderr.contains("stripPrefix:") && !prefixed.stderr.contains("keepPrefixedKeys:"))
        #expect(try Self.workbench("inspect", parallel, "--strip-prefix", "module.").status == 0)
    }

    @Test("convert writes safetensors; an unreadable input is named")
    func convert() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let ok = try Self.workbench("convert", Self.fixture("Fixtures/models/resnet18_w12_digits_source.pth"), output)
        #expect(ok.status == 0 && ok.stdout.hasPrefix("wrote 122 tensors"), Comment(rawValue: ok.stderr))
        let bad = try Self.workbench("convert", "/nonexistent.pth", output)
        #expect(bad.status == 1 && bad.firstLine.contains("/nonexistent.pth"))
    }

    @Test("bench validates shapes, cases and counts before timing anything")
    func bench() throws {
        let ok = try Self.workbench(
            "bench", "model", "--shapes", "2x32", "--cases", "inference", "-n", "1", "--warmup", "0")
        #expect(ok.status == 0 && ok.stdout.contains("resnet18 b2x32 inference"), Comment(rawValue: ok.stderr))
        let shape = try Self.workbench("bench", "model", "--shapes", "8x8")
        #expect(shape.status == 64 && shape.firstLine.contains("8x8"))
        let cases = try Self.workbench("bench", "model", "--cases", "training")
        #expect(cases.status == 64 && cases.stderr.contains("inference") && cases.stderr.contains("layer4"))
        // --help names the default cases as the option spells them.
        let help = try Self.workbench("bench", "model", "--help")
        #expect(
            help.stdout.contains("(default: inference full frozen layer4)")
                && !help.stdout.contains("default: inference, full step"))
        let repeats = try Self.workbench("bench", "conv", "--repeats", "0")
        #expect(repeats.status == 64 && repeats.firstLine == "Error: --repeats must be at least 1, got 0")
        let workers = try Self.workbench("bench", "data", "--workers", "0")
        #expect(workers.status == 64 && workers.firstLine == "Error: --workers must be at least 1, got 0")
    }

    @Test("lessons lists every lesson; lesson runs one; an unknown lesson is rejected with the range")
    func lessons() throws {
        let list = try Self.workbench("lessons")
        #expect(list.status == 0 && list.stdout.contains("01-load"))
        let lesson = try Self.workbench("lesson", "1")
        #expect(
            lesson.status == 0 && lesson.stdout.contains("comparisons with PyTorch passed"),
            Comment(rawValue: lesson.stdout + lesson.stderr))
        for command in ["lesson", "grade", "hint", "reset"] {
            let unknown = try Self.workbench(command, "99")
            #expect(
                unknown.status == 64 && unknown.firstLine.contains("no lesson '99'"), "\(command): \(unknown.firstLine)"
            )
        }
    }

    @Test("grade prints only the report on stdout (JSON here) and exits 1 when a check is not at full marks")
    func grade() throws {
        let solution = try Self.workbench("grade", "1", "--solution", "--format", "json")
        #expect(solution.status == 0, Comment(rawValue: solution.stdout + solution.stderr))
        let object = try JSONSerialization.jsonObject(with: Data(solution.stdout.utf8)) as? [String: Any]
        #expect((object?["tests"] as? [[String: Any]])?.count == 2)
        #expect(object?["score"] as? Double == object?["max_score"] as? Double)
        let both = try Self.workbench("grade", "1", "--solution", "--file", "x.swift")
        #expect(both.status == 64 && both.firstLine.contains("--solution and --file"))
        let junit = try Self.workbench(
            "grade", "1", "--file", Self.fixture("Lessons/Templates/01-load/Preprocess.swift.start"))
        #expect(junit.status == 64 && junit.firstLine.contains("exercise files are Preprocess.swift"))
    }
}
