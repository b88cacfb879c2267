import Golden
import HDF5
import Tensors

/// `Fixtures/references/optim.h5`, written by `Fixtures/generate_references.py optim`
/// (schema: Fixtures/references/OPTIM_SCHEMA.md).
enum OptimReferences {
    static let path = PackagePaths.file("Fixtures/references/optim.h5")
    static let file: HDF5File = {
        do { return try HDF5File(path: path) } catch { fatalError("cannot open \(path): \(error)") }
    }()
    static let optimizerCaseNames = caseNames("optimizers")
    static let scheduleCaseNames = caseNames("schedulers")

    private static func caseNames(_ folder: String) -> [String] {
        do { return try file.root.group(folder).groupNames() } catch { fatalError("\(path): \(error)") }
    }
}

/// A reference file lacks something a test needs.
enum OptimReferenceError: Error, CustomStringConvertible {
    case missingAttribute(source: String, name: String)

    var description: String {
        switch self {
        case .missingAttribute(let source, let name): "\(source): attribute \(name) is missing or has another type"
        }
    }
}

/// The attributes of one HDF5 group, with typed accessors that name the group and key when something is missing.
struct AttributeReader {
    let source: String
    let values: [String: HDF5AttributeValue]

    init(_ group: HDF5Group) throws {
        source = "\(group.file.path):\(group.path)"
        values = try group.attributes()
    }

    var keys: Set<String> { Set(values.keys) }

    func string(_ key: String) throws -> String {
        guard case .string(let value)? = values[key] else { throw missing(key) }
        return value
    }

    func int(_ key: String) throws -> Int {
        guard case .int64(let value)? = values[key] else { throw missing(key) }
        return Int(value)
    }

    func ints(_ key: String) throws -> [Int] {
        guard case .int64Array(let value)? = values[key] else { throw missing(key) }
        return value.map { Int($0) }
    }

    func doubles(_ key: String) throws -> [Double] {
        guard case .float64Array(let value)? = values[key] else { throw missing(key) }
        return value
    }

    /// A float option, or `nil` when the group does not set it.
    func double(_ key: String) throws -> Double? {
        guard let value = values[key] else { return nil }
        guard case .float64(let number) = value else { throw missing(key) }
        return number
    }

    /// A flag stored as int 0/1, or `nil` when the group does not set it.
    func flag(_ key: String) throws -> Bool? {
        guard let value = values[key] else { return nil }
        guard case .int64(let number) = value else { throw missing(key) }
        return number != 0
    }

    /// The `betas` pair, or `nil` when the group does not set it.
    func betas() throws -> (Double, Double)? {
        guard values["betas"] != nil else { return nil }
        let pair = try doubles("betas")
        guard pair.count == 2 else { throw missing("betas") }
        return (pair[0], pair[1])
    }

    private func missing(_ key: String) -> OptimReferenceError {
        .missingAttribute(source: source, name: key)
    }
}

extension Tensor {
    /// Row `index` of a stacked tensor `[steps, ...]`, as a new tensor of the remaining shape.
    func row(_ index: Int) -> Tensor {
        let shape = Array(self.shape.dropFirst())
        let size = shape.reduce(1, *)
        return Tensor(shape: shape, values: Array(toArray()[index * size..<(index + 1) * size]))
    }
}
