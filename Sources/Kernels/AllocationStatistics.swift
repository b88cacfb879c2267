import Foundation

/// Counts every Float buffer the engine allocates through ``allocateFloats(_:)`` - tensor storage, convolution
/// workspaces and kernel scratch, on any thread - so a benchmark can report allocations, bytes and peak live bytes
/// per step exactly. That is what `torch.profiler`'s `profile_memory=True` counts (the tensor allocator's calls, not
/// every `malloc`); Swift objects, arrays and closures are not counted. Live and peak live bytes leave out parallel
/// kernels' per-task scratch (``allocateScratchFloats(_:)``): whether two tasks hold theirs at the same moment
/// depends on thread timing, and the peak must be the same in every run of the same code.
///
/// The counters are always on: one uncontended lock per allocation and per release, against allocations of
/// kilobytes to megabytes that the kernels then fill.
///
/// ```swift
/// let before = AllocationStatistics.snapshot()
/// AllocationStatistics.resetPeak()
/// step()
/// let step = AllocationStatistics.snapshot().since(before)   // allocations, bytes, peak live bytes above start
/// ```
public enum AllocationStatistics {
    /// The counters at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// Buffers allocated since the process started.
        public var allocations: Int
        /// Bytes requested by those allocations.
        public var bytes: Int
        /// Bytes allocated and not yet released.
        public var liveBytes: Int
        /// The most bytes live at once since the last ``resetPeak()``.
        public var peakLiveBytes: Int
        /// Those of ``allocations`` that ``FloatBlockPool`` could not serve from a released block (a `malloc` or
        /// `mmap` each): 0 in a steady-state step.
        public var systemAllocations: Int

        public init(allocations: Int, bytes: Int, liveBytes: Int, peakLiveBytes: Int, systemAllocations: Int = 0) {
            (self.allocations, self.bytes, self.liveBytes, self.peakLiveBytes, self.systemAllocations) =
                (allocations, bytes, liveBytes, peakLiveBytes, systemAllocations)
        }

        /// What happened between `start` and this snapshot: allocations and bytes in between, live bytes gained,
        /// and the peak above the live bytes at `start` (when ``resetPeak()`` was called at `start`).
        public func since(_ start: Snapshot) -> Snapshot {
            Snapshot(
                allocations: allocations - start.allocations, bytes: bytes - start.bytes,
                liveBytes: liveBytes - start.liveBytes, peakLiveBytes: peakLiveBytes - start.liveBytes,
                systemAllocations: systemAllocations - start.systemAllocations)
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var state = Snapshot(
        allocations: 0, bytes: 0, liveBytes: 0, peakLiveBytes: 0, systemAllocations: 0)

    /// The counters now.
    public static func snapshot() -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return state
    }

    /// Starts a new peak at the bytes live now.
    public static func resetPeak() {
        lock.lock()
        state.peakLiveBytes = state.liveBytes
        lock.unlock()
    }

    @usableFromInline
    static func allocated(bytes: Int, fromSystem: Bool) {
        lock.lock()
        state.allocations += 1
        if fromSystem { state.systemAllocations += 1 }
        state.bytes += bytes
        state.liveBytes += bytes
        state.peakLiveBytes = max(state.peakLiveBytes, state.liveBytes)
        lock.unlock()
    }

    /// A parallel kernel's per-task scratch: an allocation and its bytes, never live bytes (see
    /// ``allocateScratchFloats(_:)``).
    @usableFromInline
    static func allocatedScratch(bytes: Int, fromSystem: Bool) {
        lock.lock()
        state.allocations += 1
        if fromSystem { state.systemAllocations += 1 }
        state.bytes += bytes
        lock.unlock()
    }

    @usableFromInline
    static func released(bytes: Int) {
        lock.lock()
        state.liveBytes -= bytes
        lock.unlock()
    }
}
