/// Why a baseline file cannot be compared against; every message names the file and what does not match.
public enum BaselineError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be read (missing, a folder, no permission).
    case unreadable(path: String, reason: String)
    /// Not JSON at all, or JSON cut short.
    case notJSON(path: String, detail: String)
    /// JSON, but not a baseline of this tool (no `schema` field, or another `tool`).
    case notABaseline(path: String, detail: String)
    /// A baseline of another schema version.
    case schemaMismatch(path: String, found: Int, expected: Int)
    /// The schema's version, but a field missing or of the wrong type.
    case malformed(path: String, detail: String)
    /// Recorded on another machine kind: timings do not compare.
    case otherMachine(path: String, differences: [String])
    /// The baseline could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read the baseline \(path): \(reason)"
        case .notJSON(let path, let detail):
            return "the baseline \(path) is not valid JSON (truncated or garbled?): \(detail)"
        case .notABaseline(let path, let detail):
            return "\(path) is not a baseline written by `workbench bench model --save-baseline`: \(detail)"
        case .schemaMismatch(let path, let found, let expected):
            return "the baseline \(path) has schema version \(found); this workbench reads version \(expected): "
                + "record a new one with `workbench bench model --save-baseline \(path)`"
        case .malformed(let path, let detail):
            return "the baseline \(path) does not match schema version \(BaselineRecord.schemaVersion): \(detail)"
        case .otherMachine(let path, let differences):
            return "the baseline \(path) was recorded on another machine kind, so its timings do not compare ("
                + differences.joined(separator: "; ")
                + "); record one for this machine with --save-baseline, or pass --allow-other-machine to compare anyway"
        case .unwritable(let path, let reason):
            return "cannot write the baseline \(path): \(reason)"
        }
    }
}
