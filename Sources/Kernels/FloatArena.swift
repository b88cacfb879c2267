/// The bookkeeping of ``FloatBlockPool``'s large blocks: byte ranges carved from one reserved address range,
/// best fit, split on the way out and coalesced with their free neighbours on the way back - the block splitting
/// and merging of PyTorch's caching allocator (`c10/cuda/CUDACachingAllocator.cpp`: `get_free_block` takes the
/// smallest free block that fits, `alloc_block` splits it, `free_block` merges it with free neighbours), here over
/// offsets into one reservation instead of device segments.
///
/// Everything below ``top`` has been handed out at least once (its pages have been touched); the free ranges are
/// the kept blocks. A training step's forward pass frees blocks of one set of sizes and its backward pass asks for
/// another: coalesced ranges serve both, so the pool's footprint stays near the most bytes in use at once instead
/// of the sum of every size's own high-water mark (a b8x224 training step: 314 instead of 416 MB).
///
/// Offsets and sizes are what the caller passes (``FloatBlockPool`` uses whole pages); the arena never touches
/// memory, so it is tested on its own (public for that).
public struct FloatArena: Sendable {
    /// A free range: `size` bytes from `offset`.
    public struct Range: Equatable, Sendable {
        public var offset: Int
        public var size: Int
        public init(offset: Int, size: Int) { (self.offset, self.size) = (offset, size) }
        public var end: Int { offset + size }
    }

    /// Bytes the reservation holds; ``take(_:)`` fails rather than go past it.
    public let capacity: Int
    /// Bytes from the start handed out at least once: the arena's footprint.
    public private(set) var top = 0
    /// Free ranges below ``top``, by offset, no two adjacent (they are merged).
    public private(set) var free: [Range] = []
    /// The sum of the free ranges' sizes.
    public private(set) var freeBytes = 0

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// The offset of `size` free bytes, and whether ``top`` rose to find them (new pages); nil when the
    /// reservation is full.
    ///
    /// The smallest free range that fits is split (the lowest of equal ones); with none, the last free range, if it
    /// ends at ``top``, is extended, else the block starts at ``top``.
    public mutating func take(_ size: Int) -> (offset: Int, grew: Bool)? {
        precondition(size > 0, "an arena block has at least one byte")
        var best: Int?
        for (index, range) in free.enumerated() where range.size >= size {
            if best.map({ range.size < free[$0].size }) ?? true { best = index }
        }
        if let best {
            let range = free[best]
            if range.size == size {
                free.remove(at: best)
            } else {
                free[best] = Range(offset: range.offset + size, size: range.size - size)
            }
            freeBytes -= size
            return (range.offset, false)
        }
        let start = free.last.map { $0.end == top ? $0.offset : top } ?? top
        guard start + size <= capacity else { return nil }
        if start < top {
            freeBytes -= free.removeLast().size
        }
        top = start + size
        return (start, true)
    }

    /// Takes back `size` bytes at `offset` from ``take(_:)``, merged with the free ranges on either side.
    public mutating func give(offset: Int, size: Int) {
        var index = free.count
        var low = 0
        while low < index {  // the first range after `offset`
            let middle = (low + index) / 2
            if free[middle].offset < offset { low = middle + 1 } else { index = middle }
        }
        precondition(
            (index == 0 || free[index - 1].end <= offset)
                && (index == free.count || offset + size <= free[index].offset)
                && offset + size <= top,
            "arena block \(offset)..<\(offset + size) given back twice or never taken")
        var range = Range(offset: offset, size: size)
        if index < free.count, free[index].offset == range.end {
            range.size += free.remove(at: index).size
        }
        if index > 0, free[index - 1].end == range.offset {
            range = Range(offset: free[index - 1].offset, size: free[index - 1].size + range.size)
            free[index - 1] = range
        } else {
            free.insert(range, at: index)
        }
        freeBytes += size
    }

    /// Removes the free range that ends at ``top``, if any, lowering ``top`` to its start; returns it (its pages
    /// can go back to the system).
    public mutating func trimTop() -> Range? {
        guard let last = free.last, last.end == top else { return nil }
        free.removeLast()
        freeBytes -= last.size
        top = last.offset
        return last
    }
}
