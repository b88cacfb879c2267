/// A (height, width) pair of integers for kernel sizes, strides, paddings and dilations, written as a single
/// integer when both are equal - PyTorch's `_pair` convention (`stride=2` or `stride=(2, 1)`).
public struct IntPair: Equatable, Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    public init(_ both: Int) { self.init(both, both) }

    public init(integerLiteral value: Int) { self.init(value) }

    public var description: String { height == width ? "\(height)" : "(\(height), \(width))" }
}
