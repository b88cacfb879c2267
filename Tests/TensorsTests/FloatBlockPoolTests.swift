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

    @Test("a released large block serves smaller requests, and their ranges merge back to serve it again")
    func largeBlocksSplitAndMerge() async {
        await #expect(processExitsWith: .success) {
            // Holds whatever WORKBENCH_FLOAT_CACHE_MB says: past the capacity a released range loses its pages, not
            // its place in the arena.
            let large = 2 << 20  // 8 MiB of floats, then four of 2 MiB
            let a = allocateFloats(large)
            a[large - 1] = 1
            let footprint = FloatBlockPool.arenaBytes
            guard footprint >= large * 4 else { exit(2) }
            deallocateFloats(a, count: large)
            let before = AllocationStatistics.snapshot().systemAllocations
            let quarters = (0..<4).map { _ in allocateFloats(large / 4) }
            // Each quarter is carved from the released block: no new pages, no new mapping.
            guard AllocationStatistics.snapshot().systemAllocations == before else { exit(3) }
            guard FloatBlockPool.arenaBytes == footprint else { exit(4) }
            for quarter in quarters { deallocateFloats(quarter, count: large / 4) }
            let again = allocateFloats(large)  // the four ranges merged into one
            guard AllocationStatistics.snapshot().systemAllocations == before else { exit(5) }
            guard FloatBlockPool.arenaBytes == footprint else { exit(6) }
            deallocateFloats(again, count: large)
            FloatBlockPool.emptyCache()
            guard FloatBlockPool.cachedBytes < large * 4 else { exit(7) }
        }
    }

    @Test("blocks taken and given back from several threads at once never overlap")
    func concurrentBlocksNeverOverlap() async {
        // Large (arena) and small (size-class) blocks, each filled with its owner's mark and checked before release:
        // two blocks handed out over the same bytes would show the other's mark.
        let counts = [70_001, 300_000, 1_000, 65_536, 2_000_000, 17]
        let failures = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var failures = 0
                    for round in 0..<20 {
                        let mark = Float(worker * 1000 + round)
                        let blocks = counts.map { count in
                            let block = allocateFloats(count)
                            block.update(repeating: mark, count: count)
                            return block
                        }
                        for (block, count) in zip(blocks, counts) {
                            if block[0] != mark || block[count / 2] != mark || block[count - 1] != mark {
                                failures += 1
                            }
                            deallocateFloats(block, count: count)
                        }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }
}
