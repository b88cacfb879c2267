/// The sum of `values` in the order numpy adds a float64 array (`np.sum`, and so `np.mean` and `np.average`, which
/// scikit-learn's metric averages call): left to right below 8 terms; up to 128 terms, eight running sums over
/// strides of 8, combined as `((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`, then the remainder added in order;
/// longer arrays split in two halves (the first a multiple of 8 long) summed the same way (numpy's
/// `pairwise_sum`, numpy/_core/src/umath/loops_utils.h.src).
///
/// Rounding follows the order, so this gives numpy's last bit where a left-to-right sum may not - the averages of
/// ``ClassificationMetrics`` equal scikit-learn's exactly (Tests/TrainingTests/MetricsReferenceTests).
func pairwiseSum(_ values: ArraySlice<Double>) -> Double {
    let n = values.count
    let start = values.startIndex
    if n < 8 {
        var sum = 0.0
        for value in values { sum += value }
        return sum
    }
    if n <= 128 {
        var r = Array(values[start..<(start + 8)])
        var i = 8
        while i < n - n % 8 {
            for j in 0..<8 { r[j] += values[start + i + j] }
            i += 8
        }
        var sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n {
            sum += values[start + i]
            i += 1
        }
        return sum
    }
    var half = n / 2
    half -= half % 8
    return pairwiseSum(values[start..<(start + half)]) + pairwiseSum(values[(start + half)...])
}

/// ``pairwiseSum(_:)`` of a whole array.
func pairwiseSum(_ values: [Double]) -> Double { pairwiseSum(values[...]) }
