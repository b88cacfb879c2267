import Foundation

/// The seed of default initialisation and dropout, like `torch.manual_seed`: each draw takes the next
/// ``PortableRandom`` stream, so a program that seeds first gets the same weights on every run and machine.
///
/// ``set(_:)`` seeds the process-wide sequence, as `torch.manual_seed` does. ``withSeed(_:_:)`` gives a block a
/// sequence of its own that no other task can advance - what code that runs beside other work (tests in
/// parallel, a lesson inside the test suite) uses so its weights do not depend on what else is running.
public enum ManualSeed {
    /// One seeded sequence of streams.
    final class Sequence: @unchecked Sendable {
        private let lock = NSLock()
        private var seed: UInt64
        private var draws: UInt64 = 0

        init(seed: UInt64) { self.seed = seed }

        func reset(_ seed: UInt64) {
            lock.lock()
            defer { lock.unlock() }
            self.seed = seed
            draws = 0
        }

        func next(_ purpose: String) -> PortableRandom {
            lock.lock()
            defer { lock.unlock() }
            draws += 1
            return PortableRandom(name: "\(purpose)#\(draws)", seed: seed)
        }
    }

    private static let global = Sequence(seed: 0)
    @TaskLocal private static var scoped: Sequence?

    /// Restarts the sequence of streams from `seed` (`torch.manual_seed(seed)`): the block's own sequence inside
    /// ``withSeed(_:_:)``, the process-wide one elsewhere.
    public static func set(_ seed: UInt64) {
        (scoped ?? global).reset(seed)
    }

    /// The next stream of the sequence, labelled with `purpose` (e.g. "Conv2d.weight") for readability.
    public static func nextStream(_ purpose: String) -> PortableRandom {
        (scoped ?? global).next(purpose)
    }

    /// Runs `body` with a sequence of its own starting at `seed`: the same streams as `set(seed)` followed by the
    /// same draws, but not shared with, or advanced by, any other task.
    public static func withSeed<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(Sequence(seed: seed), operation: body)
    }
}
