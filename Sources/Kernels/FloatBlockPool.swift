import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Released float blocks kept for reuse, so that a steady-state training step takes every tensor, gradient and
/// scratch buffer from blocks the previous step released instead of from the system (the role of PyTorch's
/// caching allocators: `c10::CachingAllocator` on GPUs, the CPU allocator's `CPUCachingAllocator`).
///
/// - Requests are rounded up to a size class - 64-byte steps up to 4 KiB, then eight classes per power of two
///   (at most 12.5% more than asked) - and a released block waits in its class's free list for the next request
///   of that class. A step asks for the same sizes in the same order every time, so after the first step every
///   request is a hit (``AllocationStatistics/Snapshot/systemAllocations`` counts the misses).
/// - Blocks of 256 KiB and more are their own anonymous `mmap` pages, and a block the pool does not keep is
///   `munmap`ed, so its memory goes back to the system at once (with glibc's `malloc` they stayed in the heap:
///   ``AllocatorTuning`` keeps large blocks out of `mmap` for the sake of speed, and a heap block of one size does
///   not serve a request of another). Untouched pages of a rounded-up block are never made resident.
/// - At most ``capacityBytes`` of released blocks are kept (`WORKBENCH_FLOAT_CACHE_MB`, default 1024; 0 keeps
///   none): a block released beyond that goes back to the system. ``emptyCache()`` releases every kept block.
/// - With `WORKBENCH_FLOAT_CACHE_SLACK_MB` set, the pool never holds more than the most bytes ever in use at once
///   plus ``slackBytes``: a miss first releases kept blocks (largest classes first) so that it does not raise the
///   footprint past that. The forward pass's sizes and the backward pass's, kept for each other, make a b8x224
///   training step's process ~100 MB larger than its peak of live tensors; the limit trades that memory for
///   allocations from the system (page faults) in every step.
public enum FloatBlockPool {
    /// Blocks at least this large are mapped pages of their own.
    static let mappedThreshold = 256 << 10

    /// The most bytes of released blocks kept for reuse.
    public static let capacityBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["WORKBENCH_FLOAT_CACHE_MB"], let megabytes = Int(text),
            megabytes >= 0
        {
            return megabytes << 20
        }
        return 1024 << 20
    }()

    /// How far the pool's footprint - blocks in use and blocks kept - may rise above the most bytes ever in use at
    /// once (`WORKBENCH_FLOAT_CACHE_SLACK_MB`; unset: no limit but ``capacityBytes``).
    ///
    /// Measured on a b8x224 full step (2026-12-03): no limit 435 MB of anonymous memory at the peak and 1
    /// allocation from the system per step after warm-up; 32 MB of slack 391 MB and 47; 0 MB 367 MB and 155
    /// (`WORKBENCH_FLOAT_CACHE_MB=0`, nothing kept: 337 MB, every allocation). The page faults cost: a process
    /// timing b8x224 and b64x32 full steps peaked at 421 instead of 473 MiB with 32 MB of slack, but took 0.80
    /// instead of 0.43 s of system time and 8% longer (median of 6 alternating runs), so the default keeps speed.
    public static let slackBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["WORKBENCH_FLOAT_CACHE_SLACK_MB"],
            let megabytes = Int(text), (0...(1 << 30)).contains(megabytes)
        {
            return megabytes << 20
        }
        return 1 << 50
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var keptBytes = 0
    /// Bytes of blocks handed out and not yet given back, and the most there ever were at once.
    nonisolated(unsafe) private static var inUseBytes = 0
    nonisolated(unsafe) private static var highWaterBytes = 0

    /// The most bytes the pool may hold in all (in use and kept): the high-water mark of bytes in use plus
    /// ``slackBytes``. Kept blocks that would take the pool past it are released: a block kept in a size class the
    /// next requests do not ask for is memory a step's peak pays for twice (the forward pass's sizes and the
    /// backward pass's are not the same). Callers hold the lock.
    private static var footprintLimit: Int { highWaterBytes + slackBytes }

    /// Takes kept blocks, largest classes first, until the pool's footprint is within ``footprintLimit``; returns
    /// them with their sizes for release outside the lock. Callers hold the lock.
    private static func trimToFootprint() -> [(UnsafeMutableRawPointer, Int)] {
        var released: [(UnsafeMutableRawPointer, Int)] = []
        guard inUseBytes + keptBytes > footprintLimit else { return released }
        for size in free.keys.sorted(by: >) {
            guard var list = free[size] else { continue }
            while inUseBytes + keptBytes > footprintLimit, let block = list.popLast() {
                keptBytes -= size
                released.append((block, size))
            }
            free[size] = list.isEmpty ? nil : list
            if inUseBytes + keptBytes <= footprintLimit { break }
        }
        return released
    }

    /// Bytes of released blocks kept now.
    public static var cachedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return keptBytes
    }

    /// The size class of a request of `bytes` (at least 64).
    static func sizeClass(_ bytes: Int) -> Int {
        let bytes = max(bytes, 64)
        if bytes <= 4096 { return (bytes + 63) & ~63 }
        let power = Int.bitWidth - (bytes - 1).leadingZeroBitCount - 1
        let step = 1 << (power - 3)
        return (bytes + step - 1) & ~(step - 1)
    }

    /// Size classes above a request's own that may serve it (up to about twice its size) before the system is
    /// asked: a step's peak needs fewer blocks in all when a free larger block can stand in for a smaller one.
    static let largerClasses = 8

    /// Blocks handed out from a larger class than their request's, with their real size.
    nonisolated(unsafe) private static var standIns: [UnsafeMutableRawPointer: Int] = [:]

    /// A 64-byte aligned block of at least `bytes`; `fromSystem` says whether it was a miss.
    @usableFromInline
    static func take(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, fromSystem: Bool) {
        let own = sizeClass(bytes)
        lock.lock()
        var size = own
        for _ in 0...largerClasses {
            if var list = free[size], let block = list.popLast() {
                free[size] = list.isEmpty ? nil : list
                keptBytes -= size
                inUseBytes += size
                highWaterBytes = max(highWaterBytes, inUseBytes)
                if size != own { standIns[block] = size }
                lock.unlock()
                return (block, false)
            }
            size = sizeClass(size + 1)
        }
        inUseBytes += own
        highWaterBytes = max(highWaterBytes, inUseBytes)
        let released = trimToFootprint()
        lock.unlock()
        for (block, size) in released { systemRelease(block, size) }
        return (systemAllocate(own), true)
    }

    /// Takes back a block from ``take(_:)`` of the same `bytes`.
    @usableFromInline
    static func give(_ block: UnsafeMutableRawPointer, _ bytes: Int) {
        lock.lock()
        let size = standIns.removeValue(forKey: block) ?? sizeClass(bytes)
        inUseBytes -= size
        if keptBytes + size <= capacityBytes {
            free[size, default: []].append(block)
            keptBytes += size
            lock.unlock()
            return
        }
        lock.unlock()
        systemRelease(block, size)
    }

    /// Returns every kept block to the system (`torch.cuda.empty_cache()` for this pool).
    public static func emptyCache() {
        lock.lock()
        let blocks = free
        free = [:]
        keptBytes = 0
        lock.unlock()
        for (size, list) in blocks {
            for block in list { systemRelease(block, size) }
        }
    }

    private static func systemAllocate(_ size: Int) -> UnsafeMutableRawPointer {
        #if canImport(Glibc)
        if size >= mappedThreshold {
            let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let mapped, mapped != MAP_FAILED else {
                fatalError("out of memory: mapping \(size) bytes for a float buffer failed (errno \(errno))")
            }
            return mapped
        }
        #endif
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    private static func systemRelease(_ block: UnsafeMutableRawPointer, _ size: Int) {
        #if canImport(Glibc)
        if size >= mappedThreshold {
            munmap(block, size)
            return
        }
        #endif
        block.deallocate()
    }
}

extension FloatBlockPool {
    /// ``sizeClass(_:)``, for tests.
    public static func sizeClassForTesting(_ bytes: Int) -> Int { sizeClass(bytes) }
}
