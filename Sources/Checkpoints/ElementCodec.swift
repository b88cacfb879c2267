/// Conversion between raw little- or big-endian element bytes and `Float` / `Int64` values.
enum ElementCodec {
    /// The elements of `layout` read from `bytes` (whose element type is `dtype`), contiguous in C order.
    /// The caller guarantees that `count` is the element count of `layout` and that every index lies in `bytes`.
    static func decode(
        _ bytes: UnsafeRawBufferPointer, dtype: CheckpointDType, bigEndian: Bool,
        layout: StridedLayout, count: Int
    ) -> CheckpointTensor.Values {
        guard count > 0 else {
            return dtype.isFloatingPoint ? .float([]) : .integer([])
        }
        if dtype.isFloatingPoint {
            let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                var next = 0
                visit(layout, count: count) { index in
                    buffer[next] = float(bytes, index, dtype, bigEndian)
                    next += 1
                }
                initialized = count
            }
            return .float(values)
        }
        let values = [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            var next = 0
            visit(layout, count: count) { index in
                buffer[next] = integer(bytes, index, dtype, bigEndian)
                next += 1
            }
            initialized = count
        }
        return .integer(values)
    }

    /// Little-endian bytes of `values` converted to `dtype`; the caller has checked kinds and integer ranges.
    static func encode(_ values: CheckpointTensor.Values, as dtype: CheckpointDType) -> [UInt8] {
        let count = values.count * dtype.elementSize
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            func put<T: FixedWidthInteger>(_ value: T, at index: Int) {
                raw.storeBytes(of: value.littleEndian, toByteOffset: index * MemoryLayout<T>.size, as: T.self)
            }
            switch values {
            case let .float(floats):
                for (index, value) in floats.enumerated() {
                    switch dtype {
                    case .float64: put(Double(value).bitPattern, at: index)
                    case .float16: put(Half.float16(from: value), at: index)
                    case .bfloat16: put(Half.bfloat16(from: value), at: index)
                    default: put(value.bitPattern, at: index)
                    }
                }
            case let .integer(integers):
                for (index, value) in integers.enumerated() {
                    switch dtype.elementSize {
                    case 1: put(UInt8(truncatingIfNeeded: value), at: index)
                    case 2: put(Int16(truncatingIfNeeded: value), at: index)
                    case 4: put(Int32(truncatingIfNeeded: value), at: index)
                    default: put(value, at: index)
                    }
                }
            }
            initialized = count
        }
    }

    private static func visit(_ layout: StridedLayout, count: Int, _ body: (Int) -> Void) {
        if layout.isContiguous {
            for index in layout.offset..<(layout.offset + count) {
                body(index)
            }
        } else {
            layout.forEachStorageIndex(count: count, body)
        }
    }

    @inline(__always)
    private static func load<T: FixedWidthInteger>(
        _ bytes: UnsafeRawBufferPointer, _ index: Int,
        _ type: T.Type, _ bigEndian: Bool
    ) -> T {
        let raw = bytes.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self)
        return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
    }

    @inline(__always)
    private static func float(
        _ bytes: UnsafeRawBufferPointer, _ index: Int, _ dtype: CheckpointDType,
        _ bigEndian: Bool
    ) -> Float {
        switch dtype {
        case .float64: return Float(Double(bitPattern: load(bytes, index, UInt64.self, bigEndian)))
        case .float16: return Half.float(fromFloat16: load(bytes, index, UInt16.self, bigEndian))
        case .bfloat16: return Half.float(fromBFloat16: load(bytes, index, UInt16.self, bigEndian))
        default: return Float(bitPattern: load(bytes, index, UInt32.self, bigEndian))
        }
    }

    @inline(__always)
    private static func integer(
        _ bytes: UnsafeRawBufferPointer, _ index: Int, _ dtype: CheckpointDType,
        _ bigEndian: Bool
    ) -> Int64 {
        switch dtype {
        case .int32: return Int64(load(bytes, index, Int32.self, bigEndian))
        case .int16: return Int64(load(bytes, index, Int16.self, bigEndian))
        case .int8: return Int64(Int8(bitPattern: bytes[index]))
        case .uint8: return Int64(bytes[index])
        case .bool: return bytes[index] == 0 ? 0 : 1
        default: return load(bytes, index, Int64.self, bigEndian)
        }
    }
}
