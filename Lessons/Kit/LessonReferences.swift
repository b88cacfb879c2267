import Foundation
import Golden
import HDF5
import Tensors

/// PyTorch's recorded values for the lessons (`Fixtures/references/lessons.h5`, schema: Fixtures/references/
/// LESSONS.md). Every read names the file and the key when it fails.
public final class LessonReferences {
    public static let relativePath = "Fixtures/references/lessons.h5"
    public let path: String
    private let file: HDF5File

    /// One open file per root, for the grader's checks.
    public static func shared(root: URL) throws -> LessonReferences {
        if let cached = cache[root.path] { return cached }
        let references = try LessonReferences(root: root)
        cache[root.path] = references
        return references
    }

    nonisolated(unsafe) private static var cache: [String: LessonReferences] = [:]

    public init(root: URL) throws {
        path = root.appendingPathComponent(Self.relativePath).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw LessonReferenceError(
                path: path, key: "/",
                detail: "missing: regenerate it with "
                    + "`Fixtures/generate_references.py lessons`")
        }
        file = try HDF5File(path: path)
        guard case .string("lessons")? = try file.root.attributes()["kind"] else {
            throw LessonReferenceError(path: path, key: "/", detail: "root attribute 'kind' is not 'lessons'")
        }
    }

    /// The float32 dataset at `key`, e.g. `01-load/logits`.
    public func tensor(_ key: String) throws -> Tensor {
        do {
            return try file.root.readTensor(key)
        } catch {
            throw LessonReferenceError(path: path, key: key, detail: "\(error)")
        }
    }

    /// The int64 dataset at `key` as integers.
    public func integers(_ key: String) throws -> [Int] {
        do {
            return try file.root.read(key, as: Int64.self).values.map { Int($0) }
        } catch {
            throw LessonReferenceError(path: path, key: key, detail: "\(error)")
        }
    }

    /// PyTorch's own float32-vs-float64 error of the dataset at `key` (0 when not recorded).
    public func float64Error(_ key: String) throws -> Float {
        guard case .float64(let error)? = try attributes(of: key)["float64_error"] else { return 0 }
        return Float(error)
    }

    /// The attributes of the group or dataset at `key`.
    public func attributes(of key: String) throws -> [String: HDF5AttributeValue] {
        do {
            return try file.root.attributes(of: key)
        } catch {
            throw LessonReferenceError(path: path, key: key, detail: "\(error)")
        }
    }

    /// A string attribute of `key`.
    public func text(_ name: String, of key: String) throws -> String {
        guard case .string(let text)? = try attributes(of: key)[name] else {
            throw LessonReferenceError(path: path, key: "\(key)@\(name)", detail: "missing string attribute")
        }
        return text
    }

    /// An integer attribute of `key`.
    public func integer(_ name: String, of key: String) throws -> Int {
        guard case .int64(let value)? = try attributes(of: key)[name] else {
            throw LessonReferenceError(path: path, key: "\(key)@\(name)", detail: "missing integer attribute")
        }
        return Int(value)
    }

    /// A float attribute of `key`.
    public func real(_ name: String, of key: String) throws -> Double {
        guard case .float64(let value)? = try attributes(of: key)[name] else {
            throw LessonReferenceError(path: path, key: "\(key)@\(name)", detail: "missing float attribute")
        }
        return value
    }

    /// A newline-joined list attribute (`keys`, `trainable_names`, ...).
    public func list(_ name: String, of key: String) throws -> [String] {
        let text = try self.text(name, of: key)
        return text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The names of the datasets and groups under `key`.
    public func children(of key: String) throws -> [String] {
        do {
            return try file.root.group(key).childNames()
        } catch {
            throw LessonReferenceError(path: path, key: key, detail: "\(error)")
        }
    }

    public func contains(_ key: String) -> Bool { file.root.contains(key) }

    /// Compares `actual` with PyTorch's dataset at `key` under the tolerance every golden family uses: the kind's
    /// base plus 64x PyTorch's own float32-vs-float64 error for that tensor (``TraceTolerances``: the lessons run
    /// whole models, like the traces).
    public func compare(
        _ name: String, _ actual: Tensor, _ key: String,
        kind: TraceTolerances.Kind = .activation
    ) throws -> TensorComparison {
        let expected = try tensor(key)
        return TensorComparison(
            name: name, actual: actual, expected: expected,
            tolerance: TraceTolerances.tolerance(kind, float64Error: try float64Error(key)))
    }

    /// Compares integers exactly (predicted classes, counts).
    public func compare(_ name: String, integers actual: [Int], _ key: String) throws -> TensorComparison {
        let expected = try integers(key)
        return TensorComparison(
            name: name, actual: actual.map(Float.init), actualShape: [actual.count],
            expected: expected.map(Float.init), expectedShape: [expected.count], tolerance: .exact)
    }
}

/// A lesson reference that is missing or malformed: names the file and the key.
public struct LessonReferenceError: Error, CustomStringConvertible {
    public let path: String
    public let key: String
    public let detail: String
    public var description: String { "\(path): \(key): \(detail)" }
}

/// Compares two values that must be equal (counts, names): a one-element exact comparison named `name`.
public func exactly(_ name: String, _ actual: Int, _ expected: Int) -> TensorComparison {
    TensorComparison(
        name: name, actual: [Float(actual)], actualShape: [], expected: [Float(expected)],
        expectedShape: [], tolerance: .exact)
}

/// Compares two lists of names; on a mismatch the name says where they first differ.
public func sameNames(_ name: String, _ actual: [String], _ expected: [String]) -> TensorComparison {
    let firstDifference = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
    let label: String
    if let index = firstDifference {
        label = "\(name) (first difference at \(index): ours '\(actual[index])', PyTorch's '\(expected[index])')"
    } else if actual.count != expected.count {
        label = "\(name) (ours has \(actual.count), PyTorch's \(expected.count))"
    } else {
        label = name
    }
    let equal = actual == expected
    return TensorComparison(
        name: label, actual: [equal ? 0 : 1], actualShape: [], expected: [0], expectedShape: [],
        tolerance: .exact)
}
