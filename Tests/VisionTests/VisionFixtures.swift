import Foundation
import Golden
import HDF5
import Images
import Tensors
import Testing
import Vision

/// The files made by Fixtures/tlref/transforms.py: transforms.h5, the input PNGs and the ImageFolder trees.
enum VisionFixtures {
    static let referencePath = PackagePaths.file("Fixtures/references/transforms.h5")
    static let folders = PackagePaths.file("Fixtures/testdata/imagefolder")
    static let validRoot = folders + "/valid"

    /// transforms.h5 with the library's replays (shared with `workbench regress`).
    static let references: TransformReferenceFile = {
        do {
            return try TransformReferenceFile(path: referencePath, root: PackagePaths.root(from: #filePath))
        } catch {
            fatalError("cannot open \(referencePath): \(error)")
        }
    }()

    /// transforms.h5, opened read-only once.
    static let file: HDF5File = {
        do { return try HDF5File(path: referencePath) } catch { fatalError("cannot open \(referencePath): \(error)") }
    }()

    /// The group at `path` in transforms.h5.
    static func group(_ path: String) throws -> HDF5Group {
        try file.root.group(path)
    }

    /// A float32 dataset as a tensor.
    static func tensor(_ group: HDF5Group, _ name: String) throws -> Tensor {
        try group.readTensor(name)
    }

    /// An int64 dataset as `[Int]` (row-major).
    static func integers(_ group: HDF5Group, _ name: String) throws -> [Int] {
        try group.read(name, as: Int64.self).values.map { Int($0) }
    }

    /// The PNG at `relativePath` (from the package root) read as RGB and converted by ToTensor.
    static func input(_ relativePath: String) throws -> Tensor {
        ToTensor()(try PNG.read(path: PackagePaths.file(relativePath), mode: .rgb))
    }

    /// Fixtures/testdata/imagefolder/expected.json (torchvision's view of the trees).
    static let expected: [String: Any] = {
        let path = folders + "/expected.json"
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            fatalError("cannot read \(path)")
        }
        return object
    }()

    /// The value at `keys` in expected.json.
    static func expectedValue(_ keys: String...) -> Any? {
        var node: Any? = expected
        for key in keys { node = (node as? [String: Any])?[key] }
        return node
    }
}

/// Attribute accessors that record an issue (and return a neutral value) when the attribute has another type.
extension HDF5Group {
    func int(_ name: String) throws -> Int {
        guard case let .int64(value) = try attribute(name) else {
            Issue.record("\(path).\(name) is not an integer attribute")
            return 0
        }
        return Int(value)
    }

    func ints(_ name: String) throws -> [Int] {
        guard case let .int64Array(values) = try attribute(name) else {
            Issue.record("\(path).\(name) is not an integer array attribute")
            return []
        }
        return values.map { Int($0) }
    }

    func double(_ name: String) throws -> Double {
        guard case let .float64(value) = try attribute(name) else {
            Issue.record("\(path).\(name) is not a float attribute")
            return 0
        }
        return value
    }

    func floats(_ name: String) throws -> [Float] {
        guard case let .float64Array(values) = try attribute(name) else {
            Issue.record("\(path).\(name) is not a float array attribute")
            return []
        }
        return values.map { Float($0) }
    }

    func string(_ name: String) throws -> String {
        guard case let .string(value) = try attribute(name) else {
            Issue.record("\(path).\(name) is not a string attribute")
            return ""
        }
        return value
    }
}
