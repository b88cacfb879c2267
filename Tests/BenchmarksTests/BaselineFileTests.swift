import Benchmarks
import Foundation
import Testing

/// Reading and writing baseline files; every bad input is a ``BaselineError`` naming the file.
@Suite("baseline files")
struct BaselineFileTests {
    static func temporaryFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("baseline-\(UUID().uuidString).json").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func text(_ record: BaselineRecord) throws -> String {
        String(decoding: try BaselineFile.encode(record), as: UTF8.self)
    }

    @Test("a written baseline reads back equal, with module records and sample arrays on one line each")
    func roundTrip() throws {
        let record = SyntheticBaselines.record()
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("nested-\(UUID().uuidString)/baseline.json").path
        try BaselineFile.write(record, to: path)
        #expect(try BaselineFile.read(path) == record)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#"{ "calls" : 1, "milliseconds" : [ 19.6, "#))
        #expect(text.contains(#""module" : "layer3.1.bn2", "op" : "BatchNorm2d", "phase" : "forward" }"#))
        #expect(text.contains(#""schema" : 1,"#))
    }

    @Test("truncated, empty and garbled files are not JSON, named with the file")
    func notJSON() throws {
        let full = try Self.text(SyntheticBaselines.record())
        let truncated = try Self.temporaryFile(String(full.prefix(full.count / 2)))
        let error = #expect(throws: BaselineError.self) { try BaselineFile.read(truncated) }
        #expect(
            error?.description.hasPrefix("the baseline \(truncated) is not valid JSON (truncated or garbled?)") == true)
        let empty = try Self.temporaryFile("")
        #expect(throws: BaselineError.notJSON(path: empty, detail: "the file is empty")) {
            try BaselineFile.read(empty)
        }
        let garbled = try Self.temporaryFile("{\"schema\": 1, \"cases\": [}")
        #expect(throws: BaselineError.self) { try BaselineFile.read(garbled) }
    }

    @Test("a missing file, another tool's JSON and another schema are told apart")
    func foreign() throws {
        #expect(throws: BaselineError.unreadable(path: "/nonexistent/b.json", reason: "no such file")) {
            try BaselineFile.read("/nonexistent/b.json")
        }
        let array = try Self.temporaryFile("[1, 2]")
        #expect(throws: BaselineError.notABaseline(path: array, detail: "the top level is not an object")) {
            try BaselineFile.read(array)
        }
        let noSchema = try Self.temporaryFile(#"{"benchmarks": []}"#)
        #expect(throws: BaselineError.notABaseline(path: noSchema, detail: "it has no integer `schema` field")) {
            try BaselineFile.read(noSchema)
        }
        let newer = try Self.temporaryFile(
            try Self.text(SyntheticBaselines.record()).replacingOccurrences(
                of: #""schema" : 1"#, with: #""schema" : 2"#))
        let error = #expect(throws: BaselineError.schemaMismatch(path: newer, found: 2, expected: 1)) {
            try BaselineFile.read(newer)
        }
        #expect(error?.description.contains("has schema version 2; this workbench reads version 1") == true)
        let otherTool = try Self.temporaryFile(#"{"schema": 1, "tool": "asv"}"#)
        #expect(throws: BaselineError.notABaseline(path: otherTool, detail: "its `tool` is 'asv'")) {
            try BaselineFile.read(otherTool)
        }
    }

    @Test("a missing or mistyped field is named by its path")
    func malformed() throws {
        let text = try Self.text(SyntheticBaselines.record())
        let missing = try Self.temporaryFile(text.replacingOccurrences(of: #""flops" : 85180000000,"#, with: ""))
        #expect(throws: BaselineError.malformed(path: missing, detail: "cases[0].flops is missing")) {
            try BaselineFile.read(missing)
        }
        let mistyped = try Self.temporaryFile(text.replacingOccurrences(of: #""cores" : 2"#, with: #""cores" : "two""#))
        let error = #expect(throws: BaselineError.self) { try BaselineFile.read(mistyped) }
        #expect(error?.description.contains("provenance.machine.cores is not Int") == true)
    }
}
