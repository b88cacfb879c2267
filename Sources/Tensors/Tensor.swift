import Kernels

/// A dense, contiguous float32 tensor in row-major (NCHW) order that can record the operations applied to it
/// for reverse-mode automatic differentiation, like `torch.Tensor`.
///
/// Tensors have reference semantics, as in PyTorch: a tensor's identity is what autograd tracks, and views made by
/// ``reshape(_:)`` or ``detach()`` share storage with their source.
public final class Tensor {
    /// The size of every dimension; `[]` for a scalar (0-d) tensor.
    public let shape: [Int]
    /// The number of elements (`numel()`).
    public let count: Int
    let storage: TensorStorage
    let offset: Int

    /// Whether gradients flow to this tensor. Setting it is meaningful on leaves (tensors no operation produced).
    public var requiresGrad: Bool
    /// The accumulated gradient after ``backward(gradient:)``; `nil` until then and after ``zeroGrad()``.
    public var grad: Tensor?
    /// The operation that produced this tensor while recording, or `nil` for a leaf.
    var gradFn: Node?

    init(shape: [Int], storage: TensorStorage, offset: Int = 0, requiresGrad: Bool = false) {
        let count = shape.reduce(1, *)
        require(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        require(offset + count <= storage.count, "shape \(shape) does not fit its storage")
        self.shape = shape
        self.count = count
        self.storage = storage
        self.offset = offset
        self.requiresGrad = requiresGrad
        storage.tensorCount.add(1, ordering: .relaxed)
    }

    deinit { storage.tensorCount.subtract(1, ordering: .releasing) }

    /// Whether this tensor is its storage's only tensor and covers all of it: nothing else can read or change
    /// these values.
    var ownsStorageExclusively: Bool {
        offset == 0 && count == storage.count && storage.tensorCount.load(ordering: .acquiring) == 1
    }

    /// A tensor with uninitialised contents; every element must be written before it is read.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)))
    }

    /// Creates a tensor of the given shape from row-major values.
    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        let count = shape.reduce(1, *)
        require(values.count == count, "\(values.count) values do not fill shape \(shape) (\(count) elements)")
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: count), requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: count) }
        }
    }

    /// A 0-d tensor holding `value` (`torch.tensor(value)`).
    public convenience init(_ value: Float, requiresGrad: Bool = false) {
        self.init(shape: [], values: [value], requiresGrad: requiresGrad)
    }

    /// A tensor of `value` everywhere (`torch.full`).
    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let result = uninitialized(shape)
        result.pointer.update(repeating: value, count: result.count)
        result.requiresGrad = requiresGrad
        return result
    }

    /// Zeros (`torch.zeros`).
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 0, requiresGrad: requiresGrad)
    }

    /// Ones (`torch.ones`).
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    /// The first element, for kernels. Valid while `self` is alive.
    var pointer: UnsafeMutablePointer<Float> { storage.pointer + offset }

    /// The number of dimensions (`dim()`).
    public var rank: Int { shape.count }

    /// True for tensors that no recorded operation produced.
    public var isLeaf: Bool { gradFn == nil }

    /// The name of the backward function that produced this tensor (`grad_fn`), e.g. `"ConvolutionBackward"`.
    public var gradFnName: String? { gradFn?.name }

    /// The size of dimension `dim`; negative values count from the end (`size(dim)`).
    public func size(_ dim: Int) -> Int { shape[normalizedDim(dim)] }

    /// Maps a possibly negative dimension index into `0..<rank`.
    func normalizedDim(_ dim: Int, rank: Int? = nil) -> Int {
        let r = rank ?? self.rank
        let d = dim < 0 ? dim + r : dim
        require(d >= 0 && d < max(r, 1), "dimension \(dim) out of range for a tensor of shape \(shape)")
        return d
    }

    /// The values in row-major order (`tolist()` flattened).
    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// The single value of a one-element tensor (`item()`).
    public func item() -> Float {
        require(count == 1, "item() needs a tensor with one element, got shape \(shape)")
        return pointer[0]
    }

    /// Reads the values in place.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// Changes the values in place, outside autograd (as `tensor.data` in PyTorch): views see the change.
    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        storage.version += 1
        return try body(UnsafeMutableBufferPointer(start: pointer, count: count))
    }

    /// A tensor sharing this one's storage, cut off from autograd (`detach()`).
    public func detach() -> Tensor { Tensor(shape: shape, storage: storage, offset: offset) }

    /// A copy with its own storage and no autograd history (`detach().clone()`).
    public func copy() -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.pointer.update(from: pointer, count: count)
        return result
    }

    /// Overwrites this tensor's values with `source`'s (`copy_` under `no_grad`); shapes must hold as many elements.
    public func assign(_ source: Tensor) {
        require(source.count == count, "cannot assign shape \(source.shape) to shape \(shape)")
        storage.version += 1
        pointer.update(from: source.pointer, count: count)
    }

    /// Forgets the accumulated gradient (`tensor.grad = None`, PyTorch's `set_to_none=True`).
    public func zeroGrad() { grad = nil }
}

extension Tensor: CustomStringConvertible {
    /// `tensor([...], shape: [2, 3])`, eliding the middle of long tensors.
    public var description: String {
        let values = toArray()
        let shown =
            values.count <= 12
            ? values.map { "\($0)" }
            : values.prefix(6).map { "\($0)" } + ["..."] + values.suffix(6).map { "\($0)" }
        let grad = gradFn.map { ", gradFn: \($0.name)" } ?? (requiresGrad ? ", requiresGrad: true" : "")
        return "tensor([\(shown.joined(separator: ", "))], shape: \(shape)\(grad))"
    }
}
