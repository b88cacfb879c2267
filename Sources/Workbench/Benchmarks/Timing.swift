import Foundation

/// Wall-clock timing for benchmarks: the median over repeated runs after untimed warm-up runs, the same procedure
/// the committed PyTorch scripts use, so the two can be compared as a ratio.
public enum Timing {
    /// Median milliseconds of `body` over `repeats` timed runs after `warmup` untimed ones.
    public static func medianMilliseconds(warmup: Int, repeats: Int, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }
}
