import Foundation
import Kernels
import Synchronization

/// A reference-counted, 64-byte aligned block of `Float`s shared by a tensor and its views
/// (the analogue of `torch.UntypedStorage`).
public final class TensorStorage {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let count: Int
    /// Bumped by every in-place change (`_version` in PyTorch), so that backward can refuse values that changed
    /// after an operation saved them, and so that copies made from the values (``preparedWeights()``) are
    /// dropped.
    public internal(set) var version = 0
    /// How many ``Tensor`` objects (the tensor and its views) use this storage: 1 means the one tensor holding it
    /// is the only way to reach these values, so autograd may keep it as a leaf's gradient without copying.
    let tensorCount = Atomic<Int>(0)

    /// Reordered copies of these values as convolution weights, and the ``version`` they were made at.
    private var prepared: (version: Int, weights: PreparedWeights)?
    private static let preparedLock = NSLock()

    /// Allocates `count` uninitialised floats.
    public init(uninitializedCount count: Int) {
        _ = AllocatorTuning.applied
        self.count = count
        self.pointer = allocateFloats(count)
    }

    deinit { deallocateFloats(pointer, count: count) }

    /// The cache of these values reordered into oneDNN's weight layouts (``Kernels/PreparedWeights``), for the
    /// current ``version``: a new, empty cache once the values have changed. For weights that do not change
    /// between calls (frozen parameters, folded eval-mode weights) only; the copies live as long as the storage
    /// and its version.
    func preparedWeights() -> PreparedWeights {
        Self.preparedLock.lock()
        defer { Self.preparedLock.unlock() }
        if let prepared, prepared.version == version { return prepared.weights }
        let weights = PreparedWeights()
        prepared = (version, weights)
        return weights
    }
}

extension Tensor {
    /// The storage's ``TensorStorage/preparedWeights()`` when this tensor is its whole storage (a view at an
    /// offset would share the copies of a different tensor), else nil.
    func preparedWeights() -> PreparedWeights? {
        offset == 0 && count == storage.count ? storage.preparedWeights() : nil
    }
}
