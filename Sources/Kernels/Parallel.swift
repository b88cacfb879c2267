import Dispatch
import Foundation

/// Splits `0..<count` into contiguous chunks, one per core, and runs `body` on them in parallel
/// (`at::parallel_for`), on the kernels' own threads (``ThreadPool``). Used by the memory-bound loops between GEMMs. The image-parallel convolution runs its
/// GEMMs inside ``parallelChunks(_:chunks:_:)``, which is safe because OpenBLAS runs single-threaded under this
/// pool (``BLASThreading``): one set of threads, never two competing ones (oversubscription is a known 10-30x
/// slowdown).
///
/// - Parameter grain: below this many items per chunk the loop runs on the calling thread alone.
public func parallelFor(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
    let chunks = min(Parallelism.cores, count / max(grain, 1))
    guard chunks > 1 else {
        if count > 0 { body(0..<count) }
        return
    }
    runChunks(chunks) { chunk in
        body((count * chunk / chunks)..<(count * (chunk + 1) / chunks))
    }
}

/// Splits `0..<count` into `chunks` contiguous ranges and runs `body(chunk, range)` on them in parallel, one
/// task per chunk, so that each chunk can own a slice of a scratch buffer (image-parallel convolution). With one
/// chunk, `body` runs on the calling thread.
public func parallelChunks(_ count: Int, chunks: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let chunks = max(1, min(chunks, count))
    guard chunks > 1 else {
        if count > 0 { body(0, 0..<count) }
        return
    }
    runChunks(chunks) { chunk in
        body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks))
    }
}

/// Runs `body(0..<chunks)` in parallel: on the kernels' ``ThreadPool`` when `chunks` fits it (one chunk per core),
/// else through Dispatch (more chunks than cores).
private func runChunks(_ chunks: Int, _ body: (Int) -> Void) {
    if let pool = ThreadPool.shared, chunks <= Parallelism.cores {
        pool.run(chunks, body)
    } else {
        DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
    }
}

/// How many threads the kernels use (GEMM blocks and parallel loops): the machine's cores, or the
/// `WORKBENCH_THREADS` environment variable when set (like `torch.set_num_threads`).
public enum Parallelism {
    /// Parallel calls that have run on the kernels' ``ThreadPool`` so far (the others, made while it was busy,
    /// went through Dispatch); 0 on one core.
    public static var poolCalls: Int { ThreadPool.shared?.calls.load(ordering: .relaxed) ?? 0 }

    public static let cores: Int = {
        if let text = ProcessInfo.processInfo.environment["WORKBENCH_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()
}
