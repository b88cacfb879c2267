import Foundation
import Kernels
import Testing

/// The float block pool (``FloatBlockPool``): released blocks serve later requests of their size class, so a
/// repeated pattern of allocations stops reaching the system.
@Suite("Float block pool")
struct FloatBlockPoolTests {
    @Test("size classes: 64-byte steps to 4 KiB, then at most 12.5% above the request")
    func sizeClasses() {
        #expect(FloatBlockPool.sizeClassForTesting(1) == 64)
        #expect(FloatBlockPool.sizeClassForTesting(4096) == 4096)
        for bytes in [4097, 10_000, 262_144, 1_000_003, 12_845_056] {
            let size = FloatBlockPool.sizeClassForTesting(bytes)
            #expect(size >= bytes && Double(size) <= Double(bytes) * 1.125, "\(bytes) -> \(size)")
        }
    }

    @Test("a repeated allocation pattern (a training step's) is served from released blocks the second time")
    func steadyStateTakesNothingFromTheSystem() {
        // Sizes unlikely to be in use elsewhere in the test process, small and mapped (>= 256 KiB).
        let counts = [1_234_567, 77_777, 333_333, 1_234_567, 5_001]
        func step() -> Int {
            let before = AllocationStatistics.snapshot().systemAllocations
            let blocks = counts.map { allocateFloats($0) }
            for (block, count) in zip(blocks, counts) {
                block[0] = 1
                block[count - 1] = 2
                deallocateFloats(block, count: count)
            }
            return AllocationStatistics.snapshot().systemAllocations - before
        }
        _ = step()
        guard FloatBlockPool.capacityBytes >= 16 << 20 else { return }  // WORKBENCH_FLOAT_CACHE_MB set small
        // Other tests allocate at the same time and may take a released block first, so allow a retry.
        var misses = step()
        if misses > 0 { misses = step() }
        #expect(misses < counts.count, "the second pass should reuse the released blocks")
    }

    @Test("with WORKBENCH_FLOAT_CACHE_SLACK_MB=0 a miss releases kept blocks rather than raise the footprint")
    func footprintLimitReleasesKeptBlocks() async {
        await #expect(processExitsWith: .success) {
            setenv("WORKBENCH_FLOAT_CACHE_SLACK_MB", "0", 1)
            guard FloatBlockPool.slackBytes == 0, FloatBlockPool.capacityBytes >= 64 << 20 else { exit(1) }
            let large = 2 << 20  // 8 MiB of floats, then 2 MiB: too small to take the 8 MiB block
            let a = allocateFloats(large)
            deallocateFloats(a, count: large)
            guard FloatBlockPool.cachedBytes >= large * 4 else { exit(2) }  // kept: the footprint did not grow
            let b = allocateFloats(large / 4)  // a miss: keeping `a` too would pass the 8 MiB high-water mark
            guard FloatBlockPool.cachedBytes == 0 else { exit(3) }
            deallocateFloats(b, count: large / 4)
            let before = AllocationStatistics.snapshot().systemAllocations
            let again = allocateFloats(large / 4)  // served from the kept block
            guard AllocationStatistics.snapshot().systemAllocations == before else { exit(4) }
            deallocateFloats(again, count: large / 4)
        }
    }
}
