import Checkpoints
import Testing

/// A seeded mutation fuzz over the fixtures: bit flips, byte replacements, truncations and deleted ranges.
/// Every mutated input must either load or throw a `CheckpointError`; a crash, a trap or a hang fails the run.
@Suite struct MutationFuzzTests {
    static let sources = [
        "zip_tiny_f32.pth", "legacy_tiny_f32.pth", "st_tiny_f32.safetensors",
        "zip_shared_storage.pth", "zip_wrapped.pth", "legacy_dtypes.pth", "st_dtypes.safetensors",
        "zip64_forced.pth",
    ]
    static let casesPerSource = 400
    static let interestingBytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x2E, 0x28, 0x4A, 0x58, 0x71, 0x7B]

    @Test func mutatedFixturesLoadOrFailCleanly() throws {
        var random = SplitMix64(state: 0x5EED_C0DE)
        var (tried, loaded, rejected) = (0, 0, 0)
        var rejections: [String: Int] = [:]
        for source in Self.sources {
            let original = try fixtureBytes(source)
            for number in 0..<Self.casesPerSource {
                let bytes = mutate(original, &random)
                let options = CheckpointLoadOptions(
                    unwrap: true, keepPrefixedKeys: true,
                    verifyChecksums: number % 2 == 0)
                tried += 1
                do {
                    _ = try Checkpoint.decode(bytes, name: source, options: options)
                    loaded += 1
                } catch let error as CheckpointError {
                    rejected += 1
                    rejections[error.caseName, default: 0] += 1
                } catch {
                    Issue.record("\(source) mutation \(number): threw \(error), which is not a CheckpointError")
                }
            }
        }
        let summary = rejections.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("mutation fuzz: \(tried) inputs tried, \(loaded) loaded, \(rejected) rejected (\(summary))")
        #expect(tried == Self.sources.count * Self.casesPerSource)
        #expect(loaded > 0 && rejected > 0)
    }

    /// One mutation of `bytes`: 1-3 bit flips, 1-4 byte replacements, a truncation, or a deleted range.
    private func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var result = bytes
        switch random.below(4) {
        case 0:
            for _ in 0...random.below(3) {
                result[random.below(result.count)] ^= UInt8(1 << random.below(8))
            }
        case 1:
            for _ in 0...random.below(4) {
                let value =
                    random.below(2) == 0
                    ? Self.interestingBytes[random.below(Self.interestingBytes.count)]
                    : UInt8(random.below(256))
                result[random.below(result.count)] = value
            }
        case 2:
            result.removeLast(1 + random.below(result.count - 1))
        default:
            let start = random.below(result.count)
            result.removeSubrange(start..<min(result.count, start + 1 + random.below(64)))
        }
        return result
    }
}
