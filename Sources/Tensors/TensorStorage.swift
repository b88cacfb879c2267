import Kernels

/// A reference-counted, 64-byte aligned block of `Float`s shared by a tensor and its views
/// (the analogue of `torch.UntypedStorage`).
public final class TensorStorage {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let count: Int
    /// Bumped by every in-place change (`_version` in PyTorch), so that backward can refuse values that changed
    /// after an operation saved them.
    public internal(set) var version = 0

    /// Allocates `count` uninitialised floats.
    public init(uninitializedCount count: Int) {
        _ = AllocatorTuning.applied
        self.count = count
        self.pointer = allocateFloats(count)
    }

    deinit { deallocateFloats(pointer, count: count) }
}
