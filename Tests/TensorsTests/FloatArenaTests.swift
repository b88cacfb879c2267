import Kernels
import Testing

/// ``FloatArena``'s bookkeeping on its own: best fit, splitting, merging, the top mark and the reservation's end.
@Suite("Float arena")
struct FloatArenaTests {
    @Test("blocks are placed one after another at the top, and the top is the footprint")
    func blocksGrowTheTop() throws {
        var arena = FloatArena(capacity: 100)
        let a = try take(&arena, 10)
        let b = try take(&arena, 20)
        #expect(a.offset == 0 && a.grew && b.offset == 10 && b.grew)
        #expect(arena.top == 30 && arena.free.isEmpty && arena.freeBytes == 0)
    }

    @Test("the smallest free range that fits is split, the lowest of equal ones")
    func bestFitSplits() throws {
        var arena = FloatArena(capacity: 1000)
        let blocks = try [40, 5, 30, 5, 30, 5].map { try take(&arena, $0).offset }
        for index in [0, 2, 4] { arena.give(offset: blocks[index], size: [40, 5, 30, 5, 30, 5][index]) }
        let taken = try take(&arena, 25)
        #expect(taken.offset == blocks[2] && !taken.grew)  // the first 30 (not the 40), split
        #expect(arena.free.map(\.size) == [40, 5, 30] && arena.free[1].offset == blocks[2] + 25)
        #expect(arena.freeBytes == 75 && arena.top == 115)
    }

    @Test("a released range merges with free neighbours on either side")
    func releasedRangesMerge() throws {
        var arena = FloatArena(capacity: 1000)
        let offsets = try (0..<5).map { _ in try take(&arena, 10).offset }
        arena.give(offset: offsets[1], size: 10)
        arena.give(offset: offsets[3], size: 10)
        #expect(arena.free == [.init(offset: 10, size: 10), .init(offset: 30, size: 10)])
        arena.give(offset: offsets[2], size: 10)  // joins both
        #expect(arena.free == [.init(offset: 10, size: 30)])
        let whole = try take(&arena, 30)
        #expect(whole.offset == 10 && !whole.grew && arena.free.isEmpty)
    }

    @Test("with nothing free that fits, a free range ending at the top grows; trimTop gives it back")
    func lastFreeRangeGrows() throws {
        var arena = FloatArena(capacity: 100)
        _ = try take(&arena, 10)
        let b = try take(&arena, 10)
        arena.give(offset: b.offset, size: 10)
        let c = try take(&arena, 25)
        #expect(c.offset == 10 && c.grew && arena.top == 35 && arena.freeBytes == 0)
        arena.give(offset: c.offset, size: 25)
        #expect(arena.trimTop() == .init(offset: 10, size: 25))
        #expect(arena.top == 10 && arena.free.isEmpty && arena.trimTop() == nil)
    }

    @Test("a request past the reservation's end fails and changes nothing")
    func fullReservationRefuses() throws {
        var arena = FloatArena(capacity: 64)
        _ = try take(&arena, 60)
        let refused = arena.take(8)
        #expect(refused == nil)
        #expect(arena.top == 60 && arena.free.isEmpty)
    }

    @Test("a training-like pattern (forward sizes freed, backward sizes asked) stays within the most bytes in use")
    func forwardBackwardPatternReusesRanges() throws {
        var arena = FloatArena(capacity: 1 << 40)
        let forward = [64, 64, 32, 32, 16, 16, 8, 8]  // activations, largest first
        var mostInUse = 0
        for _ in 0..<5 {
            var inUse = 0
            var live: [(Int, Int)] = []
            for size in forward {
                live.append((try take(&arena, size).offset, size))
                inUse += size
            }
            mostInUse = max(mostInUse, inUse)
            // Backward: each activation's gradient (its size) is asked for, then the activation and the gradient
            // are released, smallest first.
            for (offset, size) in live.reversed() {
                let gradient = try take(&arena, size)
                mostInUse = max(mostInUse, inUse + size)
                arena.give(offset: offset, size: size)
                arena.give(offset: gradient.offset, size: size)
                inUse -= size
            }
            #expect(arena.freeBytes == arena.top && arena.free.count == 1)
        }
        #expect(arena.top <= mostInUse + forward.max()!)
    }

    /// `arena.take(size)`, required to succeed.
    private func take(_ arena: inout FloatArena, _ size: Int) throws -> (offset: Int, grew: Bool) {
        let taken = arena.take(size)
        return try #require(taken, "taking \(size) bytes")
    }
}
