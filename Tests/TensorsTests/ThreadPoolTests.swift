import Foundation
import Kernels
import Synchronization
import Testing

/// The kernels' thread pool behind ``parallelFor(_:grain:_:)`` and ``parallelChunks(_:chunks:_:)``: every chunk runs
/// exactly once with its own range, back-to-back calls (the spinning hand-off) lose none, calls from several threads
/// at once and calls from inside a chunk (which take the Dispatch path) stay correct, and the chunks of one call run
/// on more than one thread when there is more than one core.
@Suite("Kernel thread pool: every chunk once, concurrent and nested callers", .serialized)
struct ThreadPoolTests {
    /// One call's record: which thread ran each chunk and the range it got.
    final class Record: @unchecked Sendable {
        let lock = NSLock()
        var ranges: [Int: Range<Int>] = [:]
        var threads: Set<ObjectIdentifier> = []
        var repeats = 0

        func add(_ chunk: Int, _ range: Range<Int>) {
            lock.lock()
            defer { lock.unlock() }
            if ranges[chunk] != nil { repeats += 1 }
            ranges[chunk] = range
            threads.insert(ObjectIdentifier(Thread.current))
        }
    }

    static func check(_ record: Record, count: Int, chunks: Int) {
        #expect(record.repeats == 0, "a chunk ran twice")
        #expect(record.ranges.count == chunks, "\(record.ranges.count) of \(chunks) chunks ran")
        for chunk in 0..<chunks {
            #expect(record.ranges[chunk] == (count * chunk / chunks)..<(count * (chunk + 1) / chunks))
        }
    }

    @Test("20,000 back-to-back calls: every chunk once, with its range")
    func backToBack() {
        let chunks = min(Parallelism.cores, 2)
        var parallel = 0
        for call in 0..<20_000 {
            let record = Record()
            let count = 10 + call % 7
            parallelChunks(count, chunks: chunks) { chunk, range in record.add(chunk, range) }
            Self.check(record, count: count, chunks: chunks)
            if record.threads.count > 1 { parallel += 1 }
        }
        if Parallelism.cores > 1 { #expect(parallel > 0, "no call ran its chunks on two threads") }
    }

    @Test("calls 300 µs apart (the workers asleep in between) still run every chunk once; the pool is used")
    func afterSleeping() {
        let chunks = min(Parallelism.cores, 2)
        let before = Parallelism.poolCalls
        for call in 0..<200 {
            usleep(300)
            let record = Record()
            let count = 5 + call % 3
            parallelChunks(count, chunks: chunks) { chunk, range in record.add(chunk, range) }
            Self.check(record, count: count, chunks: chunks)
        }
        // Other tests' calls may hold the pool meanwhile (then these go through Dispatch), and theirs count too:
        // this fails only when the pool is never used.
        if Parallelism.cores > 1 { #expect(Parallelism.poolCalls > before, "no call ran on the kernels' pool") }
    }

    @Test("four threads calling at once, each call also calling parallelFor from inside its chunks")
    func concurrentAndNested() {
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for call in 0..<500 {
                let count = 1_000 + caller * 10 + call % 5
                let sums = UnsafeMutablePointer<Int>.allocate(capacity: count)
                sums.initialize(repeating: 0, count: count)
                defer { sums.deallocate() }
                parallelChunks(count, chunks: Parallelism.cores) { _, range in
                    // Nested: the pool is owned by this call, so this one runs through Dispatch.
                    parallelFor(range.count, grain: 16) { inner in
                        for i in inner { sums[range.lowerBound + i] += i + range.lowerBound + 1 }
                    }
                }
                for i in 0..<count where sums[i] != i + 1 { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }
}
