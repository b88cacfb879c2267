import Foundation
import Images

/// Reads and writes ``BaselineRecord`` JSON files. Reading checks, in order, that the file is readable, that it is
/// JSON, that it is a baseline of this tool, its schema version, and then every field, so a damaged or foreign file
/// gives a ``BaselineError`` that names the file and the first thing that does not match - never a crash.
///
/// Writing pretty-prints with sorted keys, with each array of numbers and each module record on one line, so a
/// re-recorded baseline reads as a short diff.
public enum BaselineFile {
    /// Reads the baseline at `path`.
    public static func read(_ path: String) throws -> BaselineRecord {
        let data: Data
        do {
            // ImageFile.readBytes (open/fstat/read), not Data(contentsOf:): Foundation's reader leaked a 4096-byte
            // buffer on some reads (LeakSanitizer, `swift test --sanitize=address`).
            data = Data(try ImageFile.readBytes(path: path))
        } catch {
            var reason = "no such file"
            if FileManager.default.fileExists(atPath: path) {
                reason = if case let ImageError.unreadable(_, systemReason) = error { systemReason } else { "\(error)" }
            }
            throw BaselineError.unreadable(path: path, reason: reason)
        }
        return try decode(data, path: path)
    }

    /// Decodes a baseline from `data`; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> BaselineRecord {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = data.isEmpty ? "the file is empty" : jsonErrorDetail(error)
            throw BaselineError.notJSON(path: path, detail: detail)
        }
        guard let top = object as? [String: Any] else {
            throw BaselineError.notABaseline(path: path, detail: "the top level is not an object")
        }
        guard let schema = top["schema"] as? Int else {
            throw BaselineError.notABaseline(path: path, detail: "it has no integer `schema` field")
        }
        if let tool = top["tool"] as? String, tool != BaselineRecord.toolName {
            throw BaselineError.notABaseline(path: path, detail: "its `tool` is '\(tool)'")
        }
        guard schema == BaselineRecord.schemaVersion else {
            throw BaselineError.schemaMismatch(path: path, found: schema, expected: BaselineRecord.schemaVersion)
        }
        do {
            return try JSONDecoder().decode(BaselineRecord.self, from: data)
        } catch let error as DecodingError {
            throw BaselineError.malformed(path: path, detail: describe(error))
        }
    }

    /// Writes `record` to `path` (replacing it atomically), creating the folder if needed.
    public static func write(_ record: BaselineRecord, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try encode(record).write(to: url, options: .atomic)
        } catch {
            throw BaselineError.unwritable(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The file's bytes for `record`.
    public static func encode(_ record: BaselineRecord) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var text = String(decoding: try encoder.encode(record), as: UTF8.self)
        // Arrays of numbers or strings on one line, then every object without nested objects (a module record,
        // the machine) on one line. Only whitespace after a line break is replaced, which JSON strings cannot contain.
        text = collapse(text, pattern: #"\[[^\[\]{}]*\]"#)
        text = collapse(text, pattern: #"\{[^{}]*\}"#)
        return Data((text + "\n").utf8)
    }

    /// Joins the lines of every match of `pattern` with single spaces.
    private static func collapse(_ text: String, pattern: String) -> String {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return text }
        var result = text
        let matches = expression.matches(in: text, range: NSRange(text.startIndex..., in: text))
        for match in matches.reversed() {
            guard let range = Range(match.range, in: result) else { continue }
            let joined = result[range].replacingOccurrences(of: #"\n\s*"#, with: " ", options: .regularExpression)
            result.replaceSubrange(range, with: joined)
        }
        return result
    }

    private static func jsonErrorDetail(_ error: Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
    }

    /// `cases[2].flops: missing` and the like, from a decoding error.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) is not \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null where \(type) belongs"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
