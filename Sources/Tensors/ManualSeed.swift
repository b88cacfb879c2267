import Foundation

/// The process-wide seed of default initialisation and dropout, like `torch.manual_seed`: each draw takes the next
/// ``PortableRandom`` stream, so a program that seeds first gets the same weights on every run and machine.
public enum ManualSeed {
    private static let lock = NSLock()
    private static var seed: UInt64 = 0
    private static var draws: UInt64 = 0

    /// Restarts the sequence of streams from `seed` (`torch.manual_seed(seed)`).
    public static func set(_ seed: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        self.seed = seed
        draws = 0
    }

    /// The next stream of the sequence, labelled with `purpose` (e.g. "Conv2d.weight") for readability.
    public static func nextStream(_ purpose: String) -> PortableRandom {
        lock.lock()
        defer { lock.unlock() }
        draws += 1
        return PortableRandom(name: "\(purpose)#\(draws)", seed: seed)
    }
}
