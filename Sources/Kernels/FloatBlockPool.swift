import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Released float blocks kept for reuse, so that a steady-state training step takes every tensor, gradient and
/// scratch buffer from blocks the previous step released instead of from the system (the role of PyTorch's
/// caching allocators: `c10::CachingAllocator` on GPUs, the CPU allocator's `CPUCachingAllocator`).
///
/// - Blocks of 256 KiB and more - activations, gradients, convolution scratch, weights - are whole pages of one
///   reserved address range (`mmap` with `MAP_NORESERVE`: untouched pages cost nothing), kept by ``FloatArena``:
///   best fit, split on the way out, merged with free neighbours on the way back. The forward pass's released
///   sizes serve the backward pass's requests and the other way round, so the footprint stays near the most bytes
///   in use at once (a b8x224 training step: 314 MB of large blocks at the peak, where keeping every size's blocks
///   for that size alone held 416 MB). Should the reservation run out, a block is its own mapping, unmapped when
///   released.
/// - Smaller requests are rounded up to a size class - 64-byte steps up to 4 KiB, then eight classes per power of
///   two (at most 12.5% more than asked) - and a released block waits in its class's free list for the next
///   request of that class (or of one of the ``largerClasses`` classes below it).
/// - A step asks for the same sizes in the same order every time, so after the first steps every request is served
///   from kept blocks (``AllocationStatistics/Snapshot/systemAllocations`` counts the others: new pages at the
///   arena's top, fresh mappings, `malloc`).
/// - At most ``capacityBytes`` of released blocks are kept (`WORKBENCH_FLOAT_CACHE_MB`, default 1024; 0 keeps
///   none): past it, a released small block is freed and a released large block's pages go back to the system
///   (`madvise(MADV_DONTNEED)`; its address range stays in the arena, and counts as kept, until reused).
///   ``emptyCache()`` releases every kept block.
public enum FloatBlockPool {
    /// Requests of at least this many bytes are arena blocks (whole pages).
    static let arenaThreshold = 256 << 10
    /// The arena's unit: sizes are rounded up to whole pages.
    static let pageSize = 4096

    /// The most bytes of released blocks kept for reuse.
    public static let capacityBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["WORKBENCH_FLOAT_CACHE_MB"], let megabytes = Int(text),
            megabytes >= 0
        {
            return megabytes << 20
        }
        return 1024 << 20
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    /// Bytes of small blocks kept in the class lists.
    nonisolated(unsafe) private static var keptBytes = 0

    /// The reserved address range large blocks come from (nil where it could not be reserved) and its bookkeeping.
    nonisolated(unsafe) private static var reservation: UnsafeMutableRawPointer?
    nonisolated(unsafe) private static var reservedBytes = 0
    nonisolated(unsafe) private static var arena = FloatArena(capacity: 0)
    nonisolated(unsafe) private static var reservationTried = false

    /// Reserves the arena's address range the first time a large block is asked for: 64 GiB of address space,
    /// halved until the system grants it (down to 256 MiB; below that, large blocks are mappings of their own).
    /// Callers hold the lock.
    private static func reserveIfNeeded() {
        guard !reservationTried else { return }
        reservationTried = true
        #if canImport(Glibc)
        var bytes = 64 << 30
        while bytes >= 256 << 20 {
            let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
            if let mapped, mapped != MAP_FAILED {
                reservation = mapped
                reservedBytes = bytes
                arena = FloatArena(capacity: bytes)
                return
            }
            bytes /= 2
        }
        #endif
    }

    /// Bytes of released blocks kept now: small blocks in their class lists and the arena's free ranges.
    public static var cachedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return keptBytes + arena.freeBytes
    }

    /// Bytes of the arena handed out at least once (its footprint: blocks in use and kept).
    public static var arenaBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return arena.top
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

    /// Small blocks handed out from a larger class than their request's, with their real size.
    nonisolated(unsafe) private static var standIns: [UnsafeMutableRawPointer: Int] = [:]

    /// A 64-byte aligned block of at least `bytes`; `fromSystem` says whether it was a miss.
    @usableFromInline
    static func take(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, fromSystem: Bool) {
        if bytes >= arenaThreshold { return takeLarge(pageRounded(bytes)) }
        let own = sizeClass(bytes)
        lock.lock()
        var size = own
        for _ in 0...largerClasses {
            if var list = free[size], let block = list.popLast() {
                free[size] = list.isEmpty ? nil : list
                keptBytes -= size
                if size != own { standIns[block] = size }
                lock.unlock()
                return (block, false)
            }
            size = sizeClass(size + 1)
            if size >= arenaThreshold { break }
        }
        lock.unlock()
        return (UnsafeMutableRawPointer.allocate(byteCount: own, alignment: 64), true)
    }

    /// Takes back a block from ``take(_:)`` of the same `bytes`.
    @usableFromInline
    static func give(_ block: UnsafeMutableRawPointer, _ bytes: Int) {
        if bytes >= arenaThreshold { return giveLarge(block, pageRounded(bytes)) }
        lock.lock()
        let size = standIns.removeValue(forKey: block) ?? sizeClass(bytes)
        if keptBytes + arena.freeBytes + size <= capacityBytes {
            free[size, default: []].append(block)
            keptBytes += size
            lock.unlock()
            return
        }
        lock.unlock()
        block.deallocate()
    }

    private static func pageRounded(_ bytes: Int) -> Int { (bytes + pageSize - 1) & ~(pageSize - 1) }

    private static func takeLarge(_ size: Int) -> (pointer: UnsafeMutableRawPointer, fromSystem: Bool) {
        lock.lock()
        reserveIfNeeded()
        if let reservation, let (offset, grew) = arena.take(size) {
            lock.unlock()
            return (reservation + offset, grew)
        }
        lock.unlock()
        return (mapBlock(size), true)
    }

    private static func giveLarge(_ block: UnsafeMutableRawPointer, _ size: Int) {
        lock.lock()
        guard let reservation, block >= reservation, block < reservation + reservedBytes else {
            lock.unlock()
            unmapBlock(block, size)
            return
        }
        arena.give(offset: block - reservation, size: size)
        let overCapacity = keptBytes + arena.freeBytes > capacityBytes
        lock.unlock()
        #if canImport(Glibc)
        if overCapacity { _ = madvise(block, size, MADV_DONTNEED) }
        #endif
    }

    /// Returns every kept block to the system (`torch.cuda.empty_cache()` for this pool): small blocks are
    /// freed, the arena's free ranges lose their pages, and the free range at its top its address range too.
    public static func emptyCache() {
        lock.lock()
        let blocks = free
        free = [:]
        keptBytes = 0
        let ranges = arena.free
        let base = reservation
        _ = arena.trimTop()
        lock.unlock()
        for (_, list) in blocks {
            for block in list { block.deallocate() }
        }
        #if canImport(Glibc)
        if let base {
            for range in ranges { _ = madvise(base + range.offset, range.size, MADV_DONTNEED) }
        }
        #endif
    }

    /// A block of `size` bytes (whole pages) mapped on its own.
    private static func mapBlock(_ size: Int) -> UnsafeMutableRawPointer {
        #if canImport(Glibc)
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            fatalError("out of memory: mapping \(size) bytes for a float buffer failed (errno \(errno))")
        }
        return mapped
        #else
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        #endif
    }

    private static func unmapBlock(_ block: UnsafeMutableRawPointer, _ size: Int) {
        #if canImport(Glibc)
        munmap(block, size)
        #else
        block.deallocate()
        #endif
    }
}

extension FloatBlockPool {
    /// ``sizeClass(_:)``, for tests.
    public static func sizeClassForTesting(_ bytes: Int) -> Int { sizeClass(bytes) }
}
