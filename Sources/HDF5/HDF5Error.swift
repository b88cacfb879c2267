/// What an HDF5 path names: a group, a dataset, or a committed (named) datatype.
public enum HDF5ObjectKind: Hashable, Sendable, CustomStringConvertible {
    /// A group: a folder of named children.
    case group
    /// A dataset: an n-dimensional array.
    case dataset
    /// A committed datatype (h5py's `Datatype`).
    case datatype

    /// `"group"`, `"dataset"` or `"datatype"`.
    public var description: String {
        switch self {
        case .group: return "group"
        case .dataset: return "dataset"
        case .datatype: return "datatype"
        }
    }
}

/// An error from reading or writing an HDF5 file; every message names the file and the object at fault.
///
/// Paths in errors are absolute paths inside the file (`"/a/b/c"`).
public enum HDF5Error: Error, Equatable, CustomStringConvertible {
    /// Nothing exists at `file`.
    case fileNotFound(file: String)
    /// `file` exists but is not a readable HDF5 file; `reason` says why (a directory, an empty file, no HDF5 signature,
    /// truncated or damaged), naming the file's size in bytes where that is the clue.
    case notHDF5(file: String, reason: String)
    /// `file` could not be created; `reason` says why.
    case cannotCreate(file: String, reason: String)
    /// A write to `path` in a file opened `.readOnly`.
    case readOnly(file: String, path: String)
    /// Nothing exists at `path`; `expected` is what the caller asked for (`nil`: a group or a dataset).
    case notFound(file: String, path: String, expected: HDF5ObjectKind?)
    /// `path` is a `found` where the caller needs an `expected`.
    case wrongKind(file: String, path: String, expected: HDF5ObjectKind, found: HDF5ObjectKind)
    /// The object at `object` has no attribute called `name`.
    case attributeNotFound(file: String, object: String, name: String)
    /// The attribute `name` of `object` has a type or shape `HDF5AttributeValue` cannot hold.
    case unsupportedAttribute(file: String, object: String, name: String, type: String)
    /// The attribute `name` of `object` is stored inconsistently (a string's length or heap reference that
    /// disagrees with the file); `reason` says how. libhdf5 is not asked to read it.
    case corruptAttribute(file: String, object: String, name: String, reason: String)
    /// The attribute messages of `object` cannot all be decoded (a name whose stored length is not its length, ...);
    /// `reason` says which and how. Its attributes are not listed: libhdf5 1.10.8 crashes listing them.
    case corruptAttributeMessages(file: String, object: String, reason: String)
    /// The object header of `object` has a chunk that does not fit in the file; `reason` names the chunk, its
    /// address and claimed size. libhdf5 1.10.8 would allocate what the chunk claims before reading it.
    case corruptObjectHeader(file: String, object: String, reason: String)
    /// The dataset holds `found` elements but the caller reads `expected` ones.
    case typeMismatch(file: String, dataset: String, expected: HDF5ElementType, found: HDF5ElementType)
    /// The dataset's shape `foundShape` does not have the rank the caller asked for.
    case rankMismatch(file: String, dataset: String, expectedRank: Int, foundShape: [Int])
    /// An array to write whose `shape` (negative dimension, or product not equal to `count`) does not fit its values.
    case invalidShape(file: String, dataset: String, shape: [Int], count: Int)
    /// A request this module does not handle at `path` (a null dataspace, a gzip level outside 0...9, ...).
    case unsupported(file: String, path: String, reason: String)
    /// The HDF5 library call `operation` failed on `path`.
    case libraryFailure(file: String, path: String, operation: String)

    /// A one-line message naming the file, the object and what is wrong.
    public var description: String {
        switch self {
        case let .fileNotFound(file):
            return "HDF5 file '\(file)' does not exist"
        case let .notHDF5(file, reason):
            return "'\(file)' is not an HDF5 file: \(reason)"
        case let .cannotCreate(file, reason):
            return "cannot create HDF5 file '\(file)': \(reason)"
        case let .readOnly(file, path):
            return "HDF5 file '\(file)' is open read-only: cannot write '\(path)'"
        case let .notFound(file, path, expected):
            return "HDF5 file '\(file)' has no \(expected?.description ?? "group or dataset") '\(path)'"
        case let .wrongKind(file, path, expected, found):
            return "HDF5 file '\(file)': '\(path)' is a \(found), not a \(expected)"
        case let .attributeNotFound(file, object, name):
            return "HDF5 file '\(file)': '\(object)' has no attribute '\(name)'"
        case let .unsupportedAttribute(file, object, name, type):
            return "HDF5 file '\(file)': attribute '\(name)' of '\(object)' has type \(type); supported are "
                + "integer and float scalars and 1-d arrays, and scalar strings"
        case let .corruptAttribute(file, object, name, reason):
            return "HDF5 file '\(file)': attribute '\(name)' of '\(object)' is corrupt: \(reason)"
        case let .corruptAttributeMessages(file, object, reason):
            return "HDF5 file '\(file)': the attributes of '\(object)' are corrupt: \(reason)"
        case let .corruptObjectHeader(file, object, reason):
            return "HDF5 file '\(file)': the object header of '\(object)' is corrupt: \(reason)"
        case let .typeMismatch(file, dataset, expected, found):
            return "HDF5 file '\(file)': dataset '\(dataset)' holds \(found), expected \(expected)"
        case let .rankMismatch(file, dataset, expectedRank, foundShape):
            return "HDF5 file '\(file)': dataset '\(dataset)' has shape \(foundShape) (rank \(foundShape.count)), "
                + "expected rank \(expectedRank)"
        case let .invalidShape(file, dataset, shape, count):
            return "HDF5 file '\(file)': cannot write dataset '\(dataset)': shape \(shape) does not fit "
                + "\(count) values"
        case let .unsupported(file, path, reason):
            return "HDF5 file '\(file)': '\(path)': \(reason)"
        case let .libraryFailure(file, path, operation):
            return "HDF5 file '\(file)': \(operation) failed for '\(path)'"
        }
    }
}
