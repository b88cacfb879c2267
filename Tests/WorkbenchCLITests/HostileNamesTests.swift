import Foundation
import Testing
import Training

#if canImport(Glibc)
import Glibc
#endif

/// Class folders and image files whose names hold HTML, shell metacharacters, terminal escapes, a backslash and
/// bytes that are not UTF-8, run through `workbench train`, `evaluate` and `predict` as a user would: every name is
/// escaped in the terminal, JSON and HTML output, nothing a name spells is run, and nothing is written outside the
/// run folder (the test's whole temporary folder is listed before and after).
@Suite("hostile class and file names", .serialized)
struct HostileNamesTests {
    static let html = "<img src=x onerror=alert(1)>"
    static let shell = "a;touch PWNED_SHELL $(touch PWNED_SUB) `touch PWNED_TICK` |&"
    static let escape = "red\u{1B}[31m\u{1B}]0;title\u{7}"
    static let backslash = "back\\slash"
    /// `bad` + 0xFF 0xFE: not UTF-8; Swift spells it with replacement characters, the file system keeps the bytes.
    static let invalidUTF8: [UInt8] = Array("bad".utf8) + [0xFF, 0xFE]
    static let fileNames = ["\"><script>alert(1)<\\script>.png", "$(touch PWNED_FILE).png", "esc\u{1B}[2J.png"]

    /// `root/{train,val}/<hostile class>/<hostile file>` with embedded digits.
    static func data(in root: String) throws -> String {
        let data = root + "/data"
        let digits = WorkbenchCLITests.fixture("Fixtures/data/target/val")
        let classes = [html, shell, escape, backslash]
        for (index, name) in classes.enumerated() {
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(digits)/digit_\(index + 5)").sorted()
            for (split, range) in [("train", 0..<3), ("val", 3..<5)] {
                let folder = "\(data)/\(split)/\(name)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for (number, file) in files[range].enumerated() {
                    let target = number < fileNames.count ? fileNames[(number + index) % fileNames.count] : file
                    try FileManager.default.copyItem(
                        atPath: "\(digits)/digit_\(index + 5)/\(file)", toPath: "\(folder)/\(target)")
                }
            }
        }
        return data
    }

    /// Every path under `folder` (raw bytes decoded leniently), for a before/after comparison.
    static func listing(_ folder: String) -> Set<String> {
        Set(FileManager.default.subpaths(atPath: folder) ?? [])
    }

    static func expectNoRawControls(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let raw = text.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F }
        #expect(
            raw.isEmpty, "\(what) holds raw control characters \(raw.map { $0.value })", sourceLocation: sourceLocation)
    }

    @Test("train, evaluate and predict escape every name and write only into the run folder")
    func trainEvaluatePredict() throws {
        let root = NSTemporaryDirectory() + "hostile-names-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = try Self.data(in: root)
        let out = root + "/run"
        let before = Self.listing(root)

        let train = try WorkbenchCLITests.workbench(
            "train", "--data", data, "--weights", "embedded", "--epochs", "1", "--batch-size", "4", "--out", out)
        #expect(train.status == 0, Comment(rawValue: train.stdout + train.stderr))
        Self.expectNoRawControls(train.stdout + train.stderr, "train's output")
        let classesLine = train.stdout.split(separator: "\n").first { $0.hasPrefix("classes (4): ") }
        #expect(
            classesLine.map(String.init)
                == "classes (4): \(Self.html), \(Self.shell), back\\slash, red\\u{1B}[31m\\u{1B}]0;title\\u{7}",
            Comment(rawValue: train.stdout))
        let manifest = try RunDirectory(path: out).readManifest()
        #expect(
            manifest.classes
                == [Self.html, Self.shell, Self.backslash, Self.escape].sorted {
                    $0.utf8.lexicographicallyPrecedes($1.utf8)
                })

        let evaluate = try WorkbenchCLITests.workbench("evaluate", out, "--data", data, "--worst", "8")
        #expect(evaluate.status == 0, Comment(rawValue: evaluate.stdout + evaluate.stderr))
        Self.expectNoRawControls(evaluate.stdout + evaluate.stderr, "evaluate's output")
        #expect(evaluate.stdout.contains("red\\u{1B}[31m"))
        let page = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        Self.expectNoRawControls(page, "report.html")
        #expect(!page.contains("<img src=x") && page.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!page.contains("<script") && !page.contains("\"><script"))
        #expect(page.contains("red\\u{1B}[31m"))
        let json = try Data(contentsOf: URL(fileURLWithPath: out + "/evaluation.json"))
        let document = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        #expect((document?["classes"] as? [String]) == manifest.classes)
        #expect(!String(decoding: json, as: UTF8.self).contains("\u{1B}"), "JSON escapes control characters")

        let image = try #require(FileManager.default.subpaths(atPath: data + "/val")?.first { $0.hasSuffix("[2J.png") })
        let predictText = try WorkbenchCLITests.workbench("predict", out, data + "/val/" + image, "--top-k", "4")
        #expect(predictText.status == 0, Comment(rawValue: predictText.stderr))
        Self.expectNoRawControls(predictText.stdout + predictText.stderr, "predict's output")
        #expect(predictText.stdout.contains("esc\\u{1B}[2J.png") && predictText.stdout.contains(Self.shell))
        let predictJSON = try WorkbenchCLITests.workbench(
            "predict", out, data + "/val/" + image, "--format", "json")
        #expect(predictJSON.status == 0)
        let predictions = try JSONSerialization.jsonObject(with: Data(predictJSON.stdout.utf8)) as? [String: Any]
        #expect((predictions?["predictions"] as? [[String: Any]])?.first?["path"] as? String == data + "/val/" + image)

        // Nothing a name spells ran (the commands run in the temporary folder), and every new file is in RUN_DIR.
        let temporary = FileManager.default.temporaryDirectory.path
        for marker in ["PWNED_SHELL", "PWNED_SUB", "PWNED_TICK", "PWNED_FILE"] {
            #expect(!FileManager.default.fileExists(atPath: temporary + "/" + marker))
            #expect(!FileManager.default.fileExists(atPath: root + "/" + marker))
        }
        let added = Self.listing(root).subtracting(before)
        #expect(added.allSatisfy { $0 == "run" || $0.hasPrefix("run/") }, "written outside run/: \(added.sorted())")
        #expect(
            Set(added) == [
                "run", "run/run.json", "run/best.safetensors", "run/last.safetensors",
                "run/evaluation.json", "run/report.html",
            ])
    }

    @Test("a class folder whose name is not UTF-8 is refused, named with its bytes, not silently left out")
    func invalidUTF8ClassFolder() throws {
        let root = NSTemporaryDirectory() + "hostile-utf8-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = try Self.data(in: root)
        let digits = WorkbenchCLITests.fixture("Fixtures/data/target/val/digit_9")
        let image = try FileManager.default.contentsOfDirectory(atPath: digits).sorted()[0]
        for split in ["train", "val"] {
            let folder = Array("\(data)/\(split)/".utf8) + Self.invalidUTF8
            #expect(
                (folder + [0]).withUnsafeBufferPointer {
                    mkdir(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 0o755)
                } == 0)
            let file = folder + Array("/\(image)".utf8)
            let contents = try Data(contentsOf: URL(fileURLWithPath: "\(digits)/\(image)"))
            let descriptor = (file + [0]).withUnsafeBufferPointer {
                open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644)
            }
            #expect(descriptor >= 0)
            _ = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        let out = root + "/run"
        let train = try WorkbenchCLITests.workbench(
            "train", "--data", data, "--weights", "embedded", "--epochs", "1", "--batch-size", "4", "--out", out)
        Self.expectNoRawControls(train.stdout + train.stderr, "train's output")
        #expect(train.status == 1, Comment(rawValue: train.stdout + train.stderr))
        #expect(!train.stderr.contains("Fatal error") && !train.stderr.contains("Backtrace"))
        #expect(
            train.stderr.contains(
                "Error: \(data)/train: holds 'bad\\xFF\\xFE', a name that is not valid UTF-8; rename it"),
            Comment(rawValue: train.stderr))
        #expect(!FileManager.default.fileExists(atPath: out + "/last.safetensors"))
    }
}
