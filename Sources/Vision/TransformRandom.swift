import Tensors

/// The random draws of a pipeline of transforms: the uniforms u_0, u_1, ... of one ``PortableRandom`` stream,
/// taken in order (the role torch's global generator plays for torchvision's random transforms).
///
/// Every sample a ``DataLoader`` loads gets its own stream (``forSample(index:epoch:seed:)``), so augmentations do
/// not depend on which worker thread ran first, and are the same on every machine and in the Python generator
/// (Fixtures/tlref/transforms.py), which feeds the same uniforms to torchvision's own code.
public struct TransformRandom: Sendable {
    /// The stream the draws come from.
    public let stream: PortableRandom
    /// The index of the next uniform to draw (the number drawn so far).
    public private(set) var position: Int

    /// Draws from `stream`, starting at uniform `position`.
    public init(_ stream: PortableRandom, position: Int = 0) {
        self.stream = stream
        self.position = position
    }

    /// Draws from the stream `name` under `seed`.
    public init(name: String, seed: UInt64) {
        self.init(PortableRandom(name: name, seed: seed))
    }

    /// The stream of sample `index` (its index in the dataset) in `epoch` of a loader seeded with `seed`: named
    /// `"transforms epoch <epoch> sample <index>"`.
    public static func forSample(index: Int, epoch: Int, seed: UInt64) -> TransformRandom {
        TransformRandom(name: "transforms epoch \(epoch) sample \(index)", seed: seed)
    }

    /// The next uniform in [0, 1) (`torch.rand(1)`).
    public mutating func uniform() -> Float {
        defer { position += 1 }
        return stream.uniform(position)
    }

    /// The next uniform mapped to [low, high) in float32 as `u * (high - low) + low`
    /// (`torch.empty(1).uniform_(low, high)` on the CPU).
    public mutating func uniform(from low: Float, to high: Float) -> Float {
        uniform() * (high - low) + low
    }

    /// The next integer in `0 ..< count`: `floor(u * count)` (the role of `torch.randint(0, count, (1,))`).
    public mutating func integer(below count: Int) -> Int {
        require(count > 0, "integer(below:) needs a positive count, got \(count)")
        return Int(Double(uniform()) * Double(count))
    }
}
