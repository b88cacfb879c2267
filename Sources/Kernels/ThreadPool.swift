import CKernels
import Dispatch
import Foundation
import Synchronization

/// The kernels' own threads: `cores - 1` workers that, after each task, wait for the next one by spinning for a
/// short while (``spinNanoseconds``) before they sleep, as OpenMP's and `at::parallel_for`'s pools do.
///
/// Why not `DispatchQueue.concurrentPerform`: on this project's machines a worker woken through the kernel starts
/// 20-25 µs after the call (measured: two 14 µs halves took 37 µs through Dispatch, 15 µs here; two 71 µs halves 131
/// µs, close to running both on one thread), and a resnet18 training step at 32x64 makes about 390 parallel calls,
/// most of them a few µs to a few hundred µs long.
///
/// One call at a time owns the pool. A call made while it is busy (another thread's call, or a call from inside a
/// task) runs through `DispatchQueue.concurrentPerform` instead, so nesting and concurrent callers stay correct. The
/// spinning only follows a task (at most ``spinNanoseconds`` of one core after the pool's last call), so it never
/// competes with another pool: oneDNN and OpenBLAS run single-threaded under it (``OpenMPThreads``).
final class ThreadPool: @unchecked Sendable {
    /// The pool for ``Parallelism/cores`` threads; nil on one core.
    static let shared: ThreadPool? = Parallelism.cores > 1 ? ThreadPool(workers: Parallelism.cores - 1) : nil

    /// How long a worker keeps spinning for the next task before it sleeps (autograd's bookkeeping between two
    /// kernels of a step takes a few µs to a few tens of µs); 0 when `WORKBENCH_THREADS` asks for more threads than
    /// the machine has cores, where a spinning worker would take a core from a thread with work to do.
    static let spinNanoseconds: UInt64 =
        Parallelism.cores <= ProcessInfo.processInfo.activeProcessorCount ? 100_000 : 0

    /// The task of the current call, read by the workers after they see a new ``generation``.
    private struct Task {
        let body: (Int) -> Void
        let count: Int
    }

    private let workers: Int
    /// Bumped once per call (release); a worker runs the task it sees after the change (acquire).
    private let generation = Atomic<Int>(0)
    /// Workers still running their part of the current call.
    private let pending = Atomic<Int>(0)
    /// Whether a call owns the pool.
    private let busy = Atomic<Bool>(false)
    /// Calls that ran on the pool (not through Dispatch) so far.
    let calls = Atomic<Int>(0)
    nonisolated(unsafe) private var task: Task?
    /// Sleeping workers wait here; `sleepers` is only read and written under it.
    private let condition = NSCondition()
    nonisolated(unsafe) private var sleepers = 0

    /// Set on the pool's own threads (a call from a task runs through Dispatch).
    nonisolated(unsafe) private static var workerKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private init(workers: Int) {
        self.workers = workers
        for index in 1...workers {
            let thread = Thread { [self] in work(index) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body(i)` for `i` in `0..<count` (at most the pool's threads + 1), `i == 0` on the calling thread, and
    /// returns when every call has returned.
    func run(_ count: Int, _ body: (Int) -> Void) {
        precondition(count <= workers + 1, "ThreadPool.run: \(count) tasks for \(workers + 1) threads")
        guard pthread_getspecific(Self.workerKey) == nil,
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        calls.add(1, ordering: .relaxed)
        withoutActuallyEscaping(body) { body in
            task = Task(body: body, count: count)
            pending.store(workers, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            condition.lock()
            if sleepers > 0 { condition.broadcast() }
            condition.unlock()
            body(0)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins < 4096 { tl_cpu_relax() } else { sched_yield() }
            }
            task = nil
        }
    }

    /// A worker's loop: wait for a new generation (spinning, then sleeping), run its index of the task if the task
    /// has one, report done.
    private func work(_ index: Int) {
        pthread_setspecific(Self.workerKey, UnsafeRawPointer(bitPattern: index))
        // Named from inside: on Linux a name given before `start()` is not applied (and 15 characters are kept).
        Thread.current.name = "wb-kernels-\(index)"
        // Generation 0 is the pool's before its first call (which may come before this thread starts).
        var seen = 0
        while true {
            seen = waitForGeneration(after: seen)
            if let task, index < task.count { task.body(index) }
            pending.subtract(1, ordering: .releasing)
        }
    }

    private func waitForGeneration(after seen: Int) -> Int {
        var start: UInt64 = 0
        var spins = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            if spins & 255 != 0 {
                tl_cpu_relax()
                continue
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if start == 0 {
                start = now
            } else if now - start > Self.spinNanoseconds {
                break
            }
        }
        condition.lock()
        sleepers += 1
        while generation.load(ordering: .acquiring) == seen { condition.wait() }
        sleepers -= 1
        condition.unlock()
        return generation.load(ordering: .acquiring)
    }
}
