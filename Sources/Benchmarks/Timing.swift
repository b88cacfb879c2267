import Foundation

/// Wall-clock timing for benchmarks: the median over repeated runs after untimed warm-up runs, the same procedure
/// the committed PyTorch scripts use, so the two can be compared as a ratio.
public enum Timing {
    /// Median milliseconds of `body` over `repeats` timed runs after `warmup` untimed ones.
    public static func medianMilliseconds(warmup: Int, repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return median(times)
    }

    /// Milliseconds of one run of `body`.
    public static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    /// The median of `values` (the mean of the middle two for an even count); 0 for none.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Process memory, for benchmark reports: read the same way as the PyTorch scripts read theirs.
public enum ProcessMemory {
    /// Current resident set size in MB (from /proc/self/statm; 0 where it does not exist).
    public static var residentMegabytes: Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// Peak resident set size of the process so far in MB (`getrusage` `ru_maxrss`).
    public static var peakMegabytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
