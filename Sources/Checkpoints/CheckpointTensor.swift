/// One tensor of a checkpoint: its shape, its element type in the file, and its values in C (row-major) order.
///
/// Reading converts floating-point types to `Float` (float64 is rounded, as `tensor.float()` does) and integer
/// and bool types to `Int64`; views with offsets or strides are materialised as contiguous copies. Writing
/// converts the values back to `dtype`.
public struct CheckpointTensor: Equatable, Sendable {
    /// The values, contiguous in C order: `Float` for floating-point dtypes, `Int64` for integer and bool dtypes.
    public enum Values: Equatable, Sendable {
        case float([Float])
        case integer([Int64])

        /// The number of values.
        public var count: Int {
            switch self {
            case let .float(values): return values.count
            case let .integer(values): return values.count
            }
        }
    }

    /// Sizes of the dimensions; `[]` for a 0-d (scalar) tensor.
    public var shape: [Int]
    /// The element type in the file that was read, or the element type to write.
    public var dtype: CheckpointDType
    /// The values in C order.
    public var values: Values

    /// A floating-point tensor; `dtype` must be a floating-point type.
    public init(shape: [Int], floats: [Float], dtype: CheckpointDType = .float32) {
        self.shape = shape
        self.dtype = dtype
        self.values = .float(floats)
    }

    /// An integer or bool tensor (`num_batches_tracked` is a 0-d int64); `dtype` must be an integer type.
    public init(shape: [Int], integers: [Int64], dtype: CheckpointDType = .int64) {
        self.shape = shape
        self.dtype = dtype
        self.values = .integer(integers)
    }

    /// A tensor of already converted values, as the readers build it.
    init(shape: [Int], dtype: CheckpointDType, values: Values) {
        self.shape = shape
        self.dtype = dtype
        self.values = values
    }

    /// The number of elements the shape describes (1 for a 0-d tensor).
    public var elementCount: Int {
        shape.reduce(1, *)
    }

    /// The values as `Float`, or nil for an integer tensor.
    public var floats: [Float]? {
        if case let .float(values) = values { return values }
        return nil
    }

    /// The values as `Int64`, or nil for a floating-point tensor.
    public var integers: [Int64]? {
        if case let .integer(values) = values { return values }
        return nil
    }
}
