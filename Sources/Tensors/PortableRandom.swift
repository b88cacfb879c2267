import Foundation

/// A counter-based random stream that Python (Fixtures/tlref/portable.py) and Swift compute bit for bit alike,
/// so that model weights and inputs can be regenerated on both sides instead of being stored.
///
/// Element `i` of the stream named `name` under `seed` is `splitmix64(key + i) >> 40` scaled by 2^-24, with
/// `key = splitmix64(fnv1a64(name) ^ seed)`: a float32 in [0, 1) that is exact in float32. Unlike PyTorch's
/// MT19937 this does not depend on call order: every named tensor has its own stream.
public struct PortableRandom: Sendable {
    public let key: UInt64

    /// The stream for `name` (e.g. a state-dict key) under `seed`.
    public init(name: String, seed: UInt64) {
        key = PortableRandom.splitmix64(PortableRandom.fnv1a64(name) ^ seed)
    }

    /// SplitMix64's output function applied to `z + golden gamma`.
    @inline(__always)
    public static func splitmix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64-bit FNV-1a over the UTF-8 bytes of `text`.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    /// Element `index` of the stream: a float32 uniform in [0, 1).
    @inline(__always)
    public func uniform(_ index: Int) -> Float {
        Float(PortableRandom.splitmix64(key &+ UInt64(index)) >> 40) * 0x1p-24
    }

    /// `count` consecutive uniforms mapped through `transform` (evaluated in float32).
    public func values(_ count: Int, _ transform: (Float) -> Float) -> [Float] {
        (0..<count).map { transform(uniform($0)) }
    }

    /// `count` values uniform in `[-bound, bound)`, computed as `(u * 2 - 1) * bound` in float32.
    public func symmetric(_ count: Int, bound: Float) -> [Float] {
        values(count) { ($0 * 2 - 1) * bound }
    }

    /// `count` standard normal values by the Box-Muller transform over pairs of uniforms (for seeded default
    /// initialisation; not bit-compatible with torch.randn).
    public func normal(_ count: Int, mean: Float = 0, std: Float = 1) -> [Float] {
        var result = [Float]()
        result.reserveCapacity(count)
        var i = 0
        while result.count < count {
            let u1 = Double(max(uniform(i), 0x1p-24))
            let u2 = Double(uniform(i + 1))
            let radius = (-2 * log(u1)).squareRoot()
            result.append(mean + std * Float(radius * cos(2 * Double.pi * u2)))
            if result.count < count { result.append(mean + std * Float(radius * sin(2 * Double.pi * u2))) }
            i += 2
        }
        return result
    }
}
