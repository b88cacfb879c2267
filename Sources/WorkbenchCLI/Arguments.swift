import ArgumentParser
import Benchmarks
import Lessons
import NN

// Choices parsed by swift-argument-parser: `--help` lists them and a bad value is rejected before `run()`.

extension TransferSetting: ExpressibleByArgument {}
extension ResNetArchitecture: ExpressibleByArgument {}

extension ModelBenchmark.Case: ExpressibleByArgument {
    /// The short command-line names: inference, full, frozen, layer4.
    public init?(argument: String) {
        guard let match = Self.allCases.first(where: { $0.argumentName == argument }) else { return nil }
        self = match
    }

    public var defaultValueDescription: String { argumentName }
    public static var allValueStrings: [String] { allCases.map(\.argumentName) }
    public static var allValueDescriptions: [String: String] {
        [
            "inference": "a forward pass in eval mode, no gradients",
            "full": "a training step with every parameter trained (fine-tuning)",
            "frozen": "a training step with the backbone frozen (train mode) and only fc trained",
            "layer4": "a training step with layer4 and fc trained",
        ]
    }

    var argumentName: String {
        switch self {
        case .inference: return "inference"
        case .fullStep: return "full"
        case .frozenStep: return "frozen"
        case .layer4Step: return "layer4"
        }
    }
}

/// A benchmark shape `BATCHxSIZE`, e.g. `8x224`.
struct BenchShape: ExpressibleByArgument, CustomStringConvertible {
    let batch: Int
    let size: Int

    init?(argument: String) {
        let parts = argument.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let batch = parts[0], let size = parts[1], batch >= 1, size >= 32 else { return nil }
        (self.batch, self.size) = (batch, size)
    }

    var description: String { "\(batch)x\(size)" }
}

/// Rejects a value below `minimum` with a message naming the flag.
func require(_ value: Int, atLeast minimum: Int, flag: String) throws {
    guard value >= minimum else { throw ValidationError("\(flag) must be at least \(minimum), got \(value)") }
}

/// The lesson a command-line argument names (a number or a folder name), or a usage error listing the range.
func lessonArgument(_ name: String) throws -> Lesson {
    do { return try Lessons.named(name) } catch { throw ValidationError("\(error)") }
}
