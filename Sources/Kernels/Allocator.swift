#if canImport(CMalloc)
import CMalloc
#endif

/// Process-wide allocator tuning for tensor workloads, applied once before the first tensor allocation.
///
/// glibc serves blocks above its mmap threshold (128 KiB, rising to at most 32 MiB) with fresh `mmap` pages and
/// returns them on free, so every large activation of every layer would be zero-filled by the kernel again (page
/// faults showed up as ~9% of a ResNet forward pass). Raising the mmap and trim thresholds keeps freed blocks in
/// the heap for reuse, as PyTorch's caching CPU allocators do; peak memory is unchanged.
public enum AllocatorTuning {
    public static let applied: Bool = {
        #if canImport(CMalloc)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
        return true
    }()
}
