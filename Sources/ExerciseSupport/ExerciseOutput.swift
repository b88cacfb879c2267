import HDF5
import Tensors

/// What an exercise hands back to the grader for one check: named tensors, integer lists and texts, and the
/// TODOs it found still open. The driver writes it as an HDF5 file; the grader reads it back.
public final class ExerciseOutput {
    public private(set) var tensors: [String: Tensor] = [:]
    public private(set) var integers: [String: [Int]] = [:]
    public private(set) var texts: [String: String] = [:]
    /// The exercise functions that still returned `nil` (their TODO not done), e.g. `preprocess(_:)`.
    public private(set) var notDone: [String] = []

    public init() {}

    /// Keeps a copy of `tensor` as it is now (a detached view would follow later in-place updates, e.g. an
    /// optimizer step, to the values written at the end of the check).
    public func set(_ name: String, _ tensor: Tensor) { tensors[name] = tensor.copy() }
    public func set(_ name: String, integers values: [Int]) { integers[name] = values }
    public func set(_ name: String, text: String) { texts[name] = text }
    /// Records that `function` still holds its TODO (returned `nil`).
    public func markNotDone(_ function: String) { notDone.append(function) }

    /// Writes the output to a new HDF5 file at `path`: `tensors/<name>`, `integers/<name>`, and the texts and the
    /// open TODOs as attributes.
    public func write(to path: String) throws {
        let file = try HDF5File(path: path, mode: .create)
        let tensorGroup = try file.root.createGroup("tensors")
        for (name, tensor) in tensors {
            try tensorGroup.write(name, HDF5Array(shape: tensor.shape, values: tensor.toArray()))
        }
        let integerGroup = try file.root.createGroup("integers")
        for (name, values) in integers {
            try integerGroup.write(name, HDF5Array(shape: [values.count], values: values.map { Int64($0) }))
        }
        for (name, text) in texts { try file.root.setAttribute("text:" + name, .string(text)) }
        try file.root.setAttribute("not_done", .string(notDone.joined(separator: "\n")))
    }

    /// Reads an output written by ``write(to:)``.
    public convenience init(path: String) throws {
        self.init()
        let file = try HDF5File(path: path)
        let tensorGroup = try file.root.group("tensors")
        for name in try tensorGroup.datasetNames() {
            let array = try tensorGroup.read(name, as: Float.self)
            tensors[name] = Tensor(shape: array.shape, values: array.values)
        }
        let integerGroup = try file.root.group("integers")
        for name in try integerGroup.datasetNames() {
            integers[name] = try integerGroup.read(name, as: Int64.self).values.map { Int($0) }
        }
        for (key, value) in try file.root.attributes() {
            guard case .string(let text) = value else { continue }
            if key == "not_done" {
                notDone = text.isEmpty ? [] : text.split(separator: "\n").map(String.init)
            } else if key.hasPrefix("text:") {
                texts[String(key.dropFirst(5))] = text
            }
        }
    }
}
