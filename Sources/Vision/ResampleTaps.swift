/// The weights of a 1-d resampling from `inputSize` to `outputSize` samples, precomputed once per resize:
/// output `i` is `sum over j < counts[i] of weights[i * stride + j] * input[indices[i * stride + j]]`, summed in
/// order `j = 0, 1, ...` in float32.
///
/// The two constructors reproduce PyTorch's weight computations bit for bit, including which steps are float32
/// and which are double (aten/src/ATen/native/cpu/UpSampleKernel.cpp and UpSample.h).
struct ResampleTaps {
    let inputSize: Int
    let outputSize: Int
    /// The largest number of taps of any output (the row length of `indices` and `weights`).
    let stride: Int
    var counts: [Int]
    var indices: [Int]
    var weights: [Float]

    private init(inputSize: Int, outputSize: Int, stride: Int) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.stride = stride
        counts = [Int](repeating: 0, count: outputSize)
        indices = [Int](repeating: 0, count: outputSize * stride)
        weights = [Float](repeating: 0, count: outputSize * stride)
    }

    /// Antialiased bilinear weights: PyTorch's `_compute_indices_min_size_weights_aa` with the triangle filter
    /// (`HelperInterpLinear::aa_filter`, from Pillow), as `_upsample_bilinear2d_aa` uses for tensors.
    ///
    /// With `scale = in / out` (float32), the filter's support is `scale` when downscaling and 1 when upscaling;
    /// output `i` covers the inputs whose centres are within the support of `center = scale * (i + 0.5)`, weighs
    /// each by `1 - |(x - center + 0.5) / max(scale, 1)|`, and divides by the sum of its weights.
    static func antialiased(from inputSize: Int, to outputSize: Int) -> ResampleTaps {
        let scale = Float(inputSize) / Float(outputSize)
        let support: Float = scale >= 1 ? scale : 1
        let invScale: Float = scale >= 1 ? Float(1 / Double(scale)) : 1
        let maxTaps = Int(Double(support).rounded(.up)) * 2 + 1
        var taps = ResampleTaps(inputSize: inputSize, outputSize: outputSize, stride: maxTaps)
        for i in 0..<outputSize {
            let center = Float(Double(scale) * (Double(i) + 0.5))
            let first = max(Int(Double(center - support) + 0.5), 0)
            let count = min(max(min(Int(Double(center + support) + 0.5), inputSize) - first, 0), maxTaps)
            var total: Float = 0
            for j in 0..<count {
                let x = abs(Float((Double(Float(first + j) - center) + 0.5) * Double(invScale)))
                let weight: Float = x < 1 ? Float(1 - Double(x)) : 0
                taps.weights[i * maxTaps + j] = weight
                taps.indices[i * maxTaps + j] = first + j
                total += weight
            }
            if total != 0 {
                for j in 0..<count { taps.weights[i * maxTaps + j] /= total }
            }
            taps.counts[i] = count
        }
        return taps
    }

    /// Plain bilinear weights with `align_corners=False`: PyTorch's `compute_source_index_and_lambda`, as
    /// `F.interpolate(mode="bilinear")` uses.
    ///
    /// `src = max(scale * (i + 0.5) - 0.5, 0)`, `i0 = min(floor(src), in - 1)`, `i1 = i0 + (i0 < in - 1)`,
    /// `l1 = clamp(src - i0, 0, 1)`, `l0 = 1 - l1`. The source index is computed with one rounding (a fused
    /// multiply-add), as PyTorch's x86-64 build does on the path 3-channel images take; two roundings move some
    /// `l1` by an ulp, which shows up as output errors of up to 3e-6.
    static func bilinear(from inputSize: Int, to outputSize: Int) -> ResampleTaps {
        let scale = Float(inputSize) / Float(outputSize)
        var taps = ResampleTaps(inputSize: inputSize, outputSize: outputSize, stride: 2)
        for i in 0..<outputSize {
            let source = max(Float(-0.5).addingProduct(scale, Float(i) + 0.5), 0)
            let i0 = min(Int(source), inputSize - 1)
            let lambda1 = min(max(source - Float(i0), 0), 1)
            taps.indices[2 * i] = i0
            taps.indices[2 * i + 1] = i0 + (i0 < inputSize - 1 ? 1 : 0)
            taps.weights[2 * i] = 1 - lambda1
            taps.weights[2 * i + 1] = lambda1
            taps.counts[i] = 2
        }
        return taps
    }
}
