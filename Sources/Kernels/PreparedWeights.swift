import CDNNL
import Foundation

/// Convolution weights already reordered into the layouts oneDNN's primitives chose (OIhw16i16o, Acdb32a, ...),
/// kept between calls so that a convolution whose weights do not change skips the reorder of every call.
///
/// PyTorch eager reorders `weight` on every `conv2d` call (ideep's weight cache is for its JIT/inference modes
/// only); here the owner of the weights - a frozen parameter's storage, the folded weights of an eval-mode
/// `conv -> bn` - keeps one of these for as long as the values it was made from stay the same, and drops it when
/// they change (a new version). Each copy is keyed by the layout and by where in the weights it starts (the
/// channel slices of a batch-1 call; the `[O, C]` tap of a single-pixel convolution, by its offset in the kernel); it is made on first use, under a lock, so two threads running the same
/// frozen model share one set.
public final class PreparedWeights: @unchecked Sendable {
    private struct Copy {
        let layout: dnnl_memory_desc_t
        let offset: Int
        let pointer: UnsafeMutablePointer<Float>
        let floats: Int
    }

    private let lock = NSLock()
    private var copies: [Copy] = []

    public init() {}

    deinit {
        for copy in copies { deallocateFloats(copy.pointer, count: copy.floats) }
    }

    /// Floats held by every copy.
    public var floats: Int {
        lock.lock()
        defer { lock.unlock() }
        return copies.reduce(0) { $0 + $1.floats }
    }

    /// Number of copies held (one per layout and slice used so far).
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return copies.count
    }

    /// The copy of the weights starting `offset` floats in, in `layout` (`floats` long), made by `make` the first
    /// time it is asked for.
    func copy(
        layout: dnnl_memory_desc_t, offset: Int, floats: Int, make: (UnsafeMutablePointer<Float>) -> Void
    ) -> UnsafeMutablePointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        if let found = copies.first(where: { $0.offset == offset && OneDNN.equal($0.layout, layout) }) {
            return found.pointer
        }
        let pointer = allocateFloats(floats)
        make(pointer)
        copies.append(Copy(layout: layout, offset: offset, pointer: pointer, floats: floats))
        return pointer
    }
}
