/// The element type of a tensor as stored in a checkpoint file (`torch.dtype` / safetensors `dtype`).
///
/// Floating-point types are converted to `Float` when read; integer and bool types to `Int64`.
public enum CheckpointDType: String, CaseIterable, Sendable {
    case float32, float16, bfloat16, float64
    case int64, int32, int16, int8, uint8, bool

    /// Bytes per element in the file.
    public var elementSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// True for the types read into `CheckpointTensor.Values.float`.
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        case .int64, .int32, .int16, .int8, .uint8, .bool: return false
        }
    }

    /// The legacy storage class torch pickles for this type (`torch.FloatStorage` ...).
    var torchStorageClass: String {
        switch self {
        case .float32: return "FloatStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .float64: return "DoubleStorage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .int16: return "ShortStorage"
        case .int8: return "CharStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        }
    }

    /// The type for a torch storage class name, or nil when the class is not one of ours.
    init?(torchStorageClass name: String) {
        guard let match = CheckpointDType.allCases.first(where: { $0.torchStorageClass == name }) else { return nil }
        self = match
    }

    /// The safetensors header spelling (`F32`, `BF16`, `I64`, `BOOL` ...).
    var safeTensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .float64: return "F64"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int16: return "I16"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    /// The type for a safetensors `dtype` string, or nil when it is not one of ours.
    init?(safeTensorsName name: String) {
        guard let match = CheckpointDType.allCases.first(where: { $0.safeTensorsName == name }) else { return nil }
        self = match
    }

    /// The values an integer type can hold (the whole `Int64` range for `int64` and the floating-point types).
    var integerRange: ClosedRange<Int64> {
        switch self {
        case .int32: return Int64(Int32.min)...Int64(Int32.max)
        case .int16: return Int64(Int16.min)...Int64(Int16.max)
        case .int8: return Int64(Int8.min)...Int64(Int8.max)
        case .uint8: return 0...255
        case .bool: return 0...1
        case .int64, .float32, .float16, .bfloat16, .float64: return Int64.min...Int64.max
        }
    }
}
