/// Checking a tensor before writing it and converting its values to the bytes of its `dtype`.
extension CheckpointTensor {
    /// The element count of `shape`, or nil when a dimension is negative or the product overflows.
    static func checkedElementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            guard size >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// The little-endian bytes of the values converted to `dtype`, after checking that the values match the
    /// shape, that their kind matches the dtype, and that integers fit it.
    func encodedForWriting(key: String, path: String) throws -> [UInt8] {
        func failure(_ detail: String) -> CheckpointError {
            .invalidTensorForWriting(path: path, key: key, detail: detail)
        }
        guard let count = Self.checkedElementCount(shape) else {
            throw failure("shape \(shape) has a negative or overflowing size")
        }
        guard values.count == count else {
            throw failure("shape \(shape) needs \(count) values but \(values.count) are given")
        }
        switch values {
        case .float:
            guard dtype.isFloatingPoint else { throw failure("Float values cannot be written as \(dtype)") }
        case let .integer(integers):
            guard !dtype.isFloatingPoint else { throw failure("Int64 values cannot be written as \(dtype)") }
            let range = dtype.integerRange
            if let outlier = integers.first(where: { !range.contains($0) }) {
                throw failure("value \(outlier) does not fit \(dtype)")
            }
        }
        return ElementCodec.encode(values, as: dtype)
    }
}
