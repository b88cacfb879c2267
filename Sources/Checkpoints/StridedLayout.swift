/// Where a tensor's elements sit in its storage: `storage[offset + sum(index[d] * strides[d])]`, as
/// `torch.Tensor.as_strided` defines it. Shapes and strides are validated by the caller before use.
struct StridedLayout {
    var shape: [Int]
    var strides: [Int]
    var offset: Int

    /// True when the elements are the contiguous run `offset ..< offset + count` in C order.
    var isContiguous: Bool {
        var expected = 1
        for dimension in shape.indices.reversed() where shape[dimension] != 1 {
            if strides[dimension] != expected {
                return false
            }
            expected = expected &* shape[dimension]
        }
        return true
    }

    /// Calls `body` with the storage index of each of the `count` elements, in C order.
    func forEachStorageIndex(count: Int, _ body: (Int) -> Void) {
        let steps = zip(shape, strides).map { size, stride in size > 1 ? stride : 0 }
        var index = [Int](repeating: 0, count: shape.count)
        var position = offset
        for _ in 0..<count {
            body(position)
            var dimension = shape.count - 1
            while dimension >= 0 {
                index[dimension] += 1
                position += steps[dimension]
                if index[dimension] < shape[dimension] {
                    break
                }
                position -= steps[dimension] * shape[dimension]
                index[dimension] = 0
                dimension -= 1
            }
        }
    }

    /// C-order strides for `shape` as torch computes them (sizes of 0 count as 1); wrapping arithmetic, since
    /// only an empty tensor's strides can overflow and an empty tensor reads nothing.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for dimension in shape.indices.dropLast().reversed() {
            strides[dimension] = strides[dimension + 1] &* max(shape[dimension + 1], 1)
        }
        return strides
    }
}
