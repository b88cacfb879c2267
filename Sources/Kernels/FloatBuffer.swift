/// 64-byte aligned allocation of uninitialised `Float` storage, the unit every kernel works on, from
/// ``FloatBlockPool`` (a released block or arena range when one fits, else new pages or memory from the system).
///
/// Callers own the returned pointer and release it with ``deallocateFloats(_:count:)``, passing the same count;
/// ``AllocationStatistics`` counts both.
@inlinable
public func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let byteCount = max(count, 1) * MemoryLayout<Float>.stride
    let (raw, fromSystem) = FloatBlockPool.take(byteCount)
    AllocationStatistics.allocated(bytes: byteCount, fromSystem: fromSystem)
    return raw.bindMemory(to: Float.self, capacity: max(count, 1))
}

/// Releases storage of `count` floats obtained from ``allocateFloats(_:)``.
@inlinable
public func deallocateFloats(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
    let byteCount = max(count, 1) * MemoryLayout<Float>.stride
    AllocationStatistics.released(bytes: byteCount)
    FloatBlockPool.give(UnsafeMutableRawPointer(pointer), byteCount)
}

/// Per-task scratch of a parallel kernel (im2col's zero-bordered plane, max pooling's row buffers): like
/// ``allocateFloats(_:)``, counted in ``AllocationStatistics``' allocations and bytes, but not in its live and
/// peak live bytes. Two pool tasks hold theirs at the same moment or not depending on thread timing, so counting
/// them would make the peak differ between two runs of the same code; these buffers are at most a few planes, far
/// below the tensors the peak is about. Release with ``deallocateScratchFloats(_:count:)``.
@inlinable
public func allocateScratchFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let byteCount = max(count, 1) * MemoryLayout<Float>.stride
    let (raw, fromSystem) = FloatBlockPool.take(byteCount)
    AllocationStatistics.allocatedScratch(bytes: byteCount, fromSystem: fromSystem)
    return raw.bindMemory(to: Float.self, capacity: max(count, 1))
}

/// Releases scratch of `count` floats obtained from ``allocateScratchFloats(_:)``.
@inlinable
public func deallocateScratchFloats(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
    FloatBlockPool.give(UnsafeMutableRawPointer(pointer), max(count, 1) * MemoryLayout<Float>.stride)
}

/// A scratch buffer that grows on demand and is reused between calls (for im2col columns and
/// transposed gradients), so that hot paths do not allocate per call.
public final class Workspace {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int

    public init(capacity: Int = 0) {
        self.capacity = capacity
        self.pointer = allocateFloats(capacity)
    }

    deinit { deallocateFloats(pointer, count: capacity) }

    /// Returns a pointer to at least `count` floats; previous contents are not preserved.
    public func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            deallocateFloats(pointer, count: capacity)
            pointer = allocateFloats(count)
            capacity = count
        }
        return pointer
    }
}
