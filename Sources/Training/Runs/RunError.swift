import Foundation

/// A run folder that cannot be used; each case names the file and what is wrong with it.
public enum RunError: Error, CustomStringConvertible, Equatable {
    /// The folder has no `run.json`.
    case notARunDirectory(path: String)
    /// `run.json` or a checkpoint is not what a run writes.
    case malformedManifest(path: String, reason: String)
    /// `run.json` was written by another version of the workbench.
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// A file the run should hold is missing.
    case missingFile(path: String, what: String)
    /// The checkpoint and the run disagree (another class count, another architecture).
    case mismatch(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notARunDirectory(path):
            return "\(path): not a training run folder (it has no run.json; `workbench train --out \(path)` makes one)"
        case let .malformedManifest(path, reason):
            return "\(path): not a workbench run file: \(reason)"
        case let .unsupportedVersion(path, found, supported):
            return "\(path): written by run format version \(found); this workbench reads version \(supported)"
        case let .missingFile(path, what):
            return "\(path): missing (\(what))"
        case let .mismatch(path, reason):
            return "\(path): \(reason)"
        }
    }

    /// A decoding error as "at <key path>: <what>".
    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty
                ? "at the top level"
                : "at \""
                    + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                    .joined(separator: ".") + "\""
        }
        switch error {
        case let .keyNotFound(key, context): return "\(at(context.codingPath + [key])): missing"
        case let .typeMismatch(type, context): return "\(at(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context): return "\(at(context.codingPath)): expected \(type), found null"
        case let .dataCorrupted(context): return "\(at(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
