import CHDF5

/// The element type of an HDF5 dataset: one of the three this module reads and writes, or a description of another.
///
/// Mirrors the dtypes h5py reports: `float32`, `float64`, `int64`; anything else is `.other` with a numpy-like
/// name (`"int32"`, `"uint8"`, `"float16"`) or the HDF5 class and size (`"compound (12 bytes)"`).
public enum HDF5ElementType: Hashable, Sendable, CustomStringConvertible {
    /// IEEE 754 single precision (`Float`, numpy `float32`).
    case float32
    /// IEEE 754 double precision (`Double`, numpy `float64`).
    case float64
    /// Signed 64-bit integer (`Int64`, numpy `int64`).
    case int64
    /// A type this module does not read as an array, described by its class and size.
    case other(String)

    /// `"float32"`, `"float64"`, `"int64"` or `"other: <description>"`.
    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int64: return "int64"
        case .other(let name): return "other: \(name)"
        }
    }
}

/// A Swift number type stored element by element in HDF5 datasets: `Float` (float32), `Double` (float64) and
/// `Int64` (int64).
///
/// Reads copy HDF5's bytes straight into `[Self]`, so only these three types conform; do not add conformances.
public protocol HDF5Scalar: Equatable {
    /// The dataset element type that holds values of this Swift type.
    static var hdf5ElementType: HDF5ElementType { get }
}

extension Float: HDF5Scalar {
    /// `.float32`.
    public static var hdf5ElementType: HDF5ElementType { .float32 }
}

extension Double: HDF5Scalar {
    /// `.float64`.
    public static var hdf5ElementType: HDF5ElementType { .float64 }
}

extension Int64: HDF5Scalar {
    /// `.int64`.
    public static var hdf5ElementType: HDF5ElementType { .int64 }
}

/// An n-dimensional array in row-major (C) order, as stored in an HDF5 dataset.
///
/// Shape: `shape` lists the dimensions (`[]` for a scalar, as h5py writes `f["x"] = np.float32(3)`), and
/// `values.count` is their product. Mirrors the numpy array h5py returns from `dataset[()]`.
public struct HDF5Array<Element: HDF5Scalar>: Equatable {
    /// The dimensions, outermost first; empty for a rank-0 (scalar) dataset.
    public var shape: [Int]
    /// The elements in row-major order.
    public var values: [Element]

    /// An array with the given shape and row-major values; a write checks that the counts agree.
    public init(shape: [Int], values: [Element]) {
        self.shape = shape
        self.values = values
    }

    /// A rank-0 array holding one value.
    public init(scalar: Element) {
        self.init(shape: [], values: [scalar])
    }

    /// The number of dimensions (0 for a scalar).
    public var rank: Int { shape.count }
}

extension HDF5Scalar {
    /// The native (in-memory) HDF5 type of `Self`; traps if a conformance's memory layout does not match it.
    static var nativeTypeID: hid_t {
        let (id, size): (hid_t, Int)
        switch hdf5ElementType {
        case .float32: (id, size) = (shim_H5T_NATIVE_FLOAT(), 4)
        case .float64: (id, size) = (shim_H5T_NATIVE_DOUBLE(), 8)
        case .int64: (id, size) = (shim_H5T_NATIVE_INT64(), 8)
        case .other(let name): preconditionFailure("HDF5Scalar conformance with unsupported element type \(name)")
        }
        precondition(MemoryLayout<Self>.stride == size, "HDF5Scalar conformance of \(Self.self) is not \(size) bytes")
        return id
    }

    /// The little-endian file type numpy and h5py use for `Self`.
    static var fileTypeID: hid_t {
        switch hdf5ElementType {
        case .float32: return shim_H5T_IEEE_F32LE()
        case .float64: return shim_H5T_IEEE_F64LE()
        case .int64: return shim_H5T_STD_I64LE()
        case .other(let name): preconditionFailure("HDF5Scalar conformance with unsupported element type \(name)")
        }
    }
}

extension HDF5ElementType {
    /// Classifies an HDF5 datatype: the three supported types by class and size, anything else by description.
    init(typeID: hid_t) {
        let size = H5Tget_size(typeID)
        switch H5Tget_class(typeID) {
        case H5T_FLOAT where size == 4: self = .float32
        case H5T_FLOAT where size == 8: self = .float64
        case H5T_FLOAT: self = .other("float\(size * 8)")
        case H5T_INTEGER:
            let signed = H5Tget_sign(typeID) != H5T_SGN_NONE
            if signed && size == 8 {
                self = .int64
            } else {
                self = .other("\(signed ? "int" : "uint")\(size * 8)")
            }
        case H5T_STRING:
            self = .other(H5Tis_variable_str(typeID) > 0 ? "variable-length string" : "string (\(size) bytes)")
        case let typeClass:
            self = .other("\(Self.className(typeClass)) (\(size) bytes)")
        }
    }

    private static func className(_ typeClass: H5T_class_t) -> String {
        switch typeClass {
        case H5T_TIME: return "time"
        case H5T_BITFIELD: return "bitfield"
        case H5T_OPAQUE: return "opaque"
        case H5T_COMPOUND: return "compound"
        case H5T_REFERENCE: return "reference"
        case H5T_ENUM: return "enum"
        case H5T_VLEN: return "variable-length sequence"
        case H5T_ARRAY: return "array"
        default: return "unknown class"
        }
    }
}
