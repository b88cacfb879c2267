import Golden
import Kernels
import Tensors
import TestSupport
import Testing

/// Random geometries against naive implementations written from PyTorch's definitions: max pooling as
/// aten/src/ATen/native/cpu/MaxPoolKernel.cpp scans a window, convolution as the sum `F.conv2d` defines (in
/// Double). They complement the recorded PyTorch cases with shapes those do not reach: strides wider than the
/// kernel, windows lying in the padding, rows of many lane blocks, batches that do or do not split over the cores.
@Suite("Kernels against naive definitions on random geometries")
struct KernelPropertyTests {
    /// A counter-based stream of small integers (splitmix64, as ``PortableRandom``).
    struct Draw {
        var state: UInt64

        mutating func int(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            return Int(PortableRandom.splitmix64(state) % UInt64(bound))
        }
    }

    @Test(
        "max_pool2d values and gradient routing match PyTorch's one-pass scan (ties, NaN, -inf, wide strides), with and without indices"
    )
    func maxPool() {
        var draw = Draw(state: 1)
        var checked = 0
        for _ in 0..<400 {
            let (kh, kw) = (1 + draw.int(4), 1 + draw.int(5))
            let (sh, sw) = (1 + draw.int(3), draw.int(8) == 0 ? 18 + draw.int(12) : 1 + draw.int(4))
            let (dh, dw) = (1 + draw.int(3), 1 + draw.int(3))
            let (ph, pw) = (draw.int(kh / 2 + 1), draw.int(kw / 2 + 1))
            let (height, width) = (1 + draw.int(10), 1 + (sw > 10 ? draw.int(300) : draw.int(40)))
            let (batch, channels) = (1 + draw.int(2), 1 + draw.int(3))
            let g = ConvGeometry(
                batch: batch, inChannels: channels, height: height, width: width,
                outChannels: channels, kernelHeight: kh, kernelWidth: kw, strideH: sh, strideW: sw,
                padH: ph, padW: pw, dilationH: dh, dilationW: dw)
            guard g.outHeight > 0 && g.outWidth > 0 else { continue }
            let mode = draw.int(4)
            let values = (0..<batch * channels * height * width).map { _ -> Float in
                switch mode {
                case 0: return Float(draw.int(2001)) / 1000 - 1
                case 1: return Float(draw.int(3))
                // NaNs with distinct payloads, so that the last NaN of a window is told from the others.
                case 2:
                    let pick = draw.int(7)
                    return pick == 0
                        ? Float(nan: UInt32(1 + draw.int(1000)), signaling: false)
                        : [Float.nan, -.infinity, .infinity, 0, -0.0, 1, 1][pick]
                default: return draw.int(3) == 0 ? Float(nan: UInt32(1 + draw.int(1000)), signaling: false) : -.infinity
                }
            }
            let (expected, winners) = Self.naiveMaxPool(values, g)
            let input = Tensor(shape: [batch, channels, height, width], values: values, requiresGrad: true)
            let output = maxPool2d(
                input, kernelSize: IntPair(kh, kw), stride: IntPair(sh, sw),
                padding: IntPair(ph, pw), dilation: IntPair(dh, dw))
            output.backward(gradient: Tensor.ones(output.shape))
            let label = "max_pool2d \(g)"
            // The shared comparison follows assert_close's equal_nan=False, so NaNs are compared by position.
            let actual = output.toArray()
            #expect(actual.map(\.isNaN) == expected.map(\.isNaN), Comment(rawValue: "\(label): NaN positions"))
            #expect(
                zip(actual, expected).allSatisfy { !$0.isNaN || $0.bitPattern == $1.bitPattern },
                Comment(rawValue: "\(label): the window's last NaN"))
            expectClose(
                Tensor(shape: output.shape, values: actual.map { $0.isNaN ? 0 : $0 }),
                Tensor(shape: output.shape, values: expected.map { $0.isNaN ? 0 : $0 }), "\(label) output",
                tolerance: .exact)
            expectClose(input.grad!, Tensor(shape: input.shape, values: winners), "\(label) grad", tolerance: .exact)
            // Without a gradient to record, the values-only kernel: the same bits (the same NaN, the same zero).
            let inference = maxPool2d(
                Tensor(shape: input.shape, values: values), kernelSize: IntPair(kh, kw), stride: IntPair(sh, sw),
                padding: IntPair(ph, pw), dilation: IntPair(dh, dw))
            #expect(
                inference.toArray().map(\.bitPattern) == actual.map(\.bitPattern),
                Comment(rawValue: "\(label): values-only kernel"))
            // Channels-last: the same values, bit for bit, once permuted back.
            let nhwc = Self.permute(values, [batch, channels, height, width], toChannelsLast: true)
            let pooled = maxPool2dChannelsLast(
                Tensor(shape: [batch, height, width, channels], values: nhwc), kernelSize: IntPair(kh, kw),
                stride: IntPair(sh, sw), padding: IntPair(ph, pw), dilation: IntPair(dh, dw))
            let back = Self.permute(
                pooled.toArray(), [batch, channels, g.outHeight, g.outWidth], toChannelsLast: false)
            #expect(
                back.map(\.bitPattern) == actual.map(\.bitPattern), Comment(rawValue: "\(label): channels-last kernel"))
            checked += 1
        }
        #expect(checked > 250)
    }

    @Test("conv2d forward and both gradients match the defining sums (groups, dilation, strides, odd batches)")
    func convolution() {
        var draw = Draw(state: 2)
        let tolerance = Tolerance(
            absolute: 2e-5, relative: 1e-5,
            reason: "float32 sums of at most 216 products of O(1) values against Double sums")
        var checked = 0
        for _ in 0..<120 {
            let groups = 1 + draw.int(3)
            let (inChannels, outChannels) = (groups * (1 + draw.int(3)), groups * (1 + draw.int(3)))
            let (kh, kw) = (1 + draw.int(4), 1 + draw.int(4))
            let g = ConvGeometry(
                batch: 1 + draw.int(9), inChannels: inChannels, height: 1 + draw.int(20),
                width: 1 + draw.int(20), outChannels: outChannels, kernelHeight: kh,
                kernelWidth: kw, strideH: 1 + draw.int(3), strideW: 1 + draw.int(3),
                padH: draw.int(3), padW: draw.int(3), dilationH: 1 + draw.int(2),
                dilationW: 1 + draw.int(2), groups: groups)
            guard g.outHeight > 0 && g.outWidth > 0 else { continue }
            func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(draw.int(2001)) / 1000 - 1 } }
            let x = random(g.batch * inChannels * g.height * g.width)
            let w = random(outChannels * g.groupInChannels * kh * kw)
            let gy = random(g.batch * outChannels * g.outPlane)
            let needs = (input: draw.int(4) != 0, weight: draw.int(4) != 0)
            let input = Tensor(shape: [g.batch, inChannels, g.height, g.width], values: x, requiresGrad: needs.input)
            let weight = Tensor(
                shape: [outChannels, g.groupInChannels, kh, kw], values: w,
                requiresGrad: needs.weight)
            let output = conv2d(
                input, weight: weight, stride: IntPair(g.strideH, g.strideW),
                padding: IntPair(g.padH, g.padW), dilation: IntPair(g.dilationH, g.dilationW),
                groups: groups)
            let (expected, gradInput, gradWeight) = Self.naiveConvolution(x, w, gy, g)
            let label = "conv2d \(g)"
            expectClose(output, Tensor(shape: output.shape, values: expected), "\(label) output", tolerance: tolerance)
            if needs.input || needs.weight {
                output.backward(gradient: Tensor(shape: output.shape, values: gy))
                if needs.input {
                    expectClose(
                        input.grad!, Tensor(shape: input.shape, values: gradInput), "\(label) grad input",
                        tolerance: tolerance)
                }
                if needs.weight {
                    expectClose(
                        weight.grad!, Tensor(shape: weight.shape, values: gradWeight),
                        "\(label) grad weight", tolerance: tolerance)
                }
            }
            checked += 1
        }
        #expect(checked > 60)
    }

    /// NCHW values of logical shape `[n, c, h, w]` as NHWC (`toChannelsLast`), or NHWC values back to NCHW.
    static func permute(_ x: [Float], _ shape: [Int], toChannelsLast: Bool) -> [Float] {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        var out = [Float](repeating: 0, count: x.count)
        for i in 0..<n {
            for k in 0..<c {
                for p in 0..<h * w {
                    let (nchw, nhwc) = ((i * c + k) * h * w + p, (i * h * w + p) * c + k)
                    if toChannelsLast { out[nhwc] = x[nchw] } else { out[nchw] = x[nhwc] }
                }
            }
        }
        return out
    }

    @Test("global average pooling channels-last equals adaptive_avg_pool2d(x, 1) bit for bit")
    func globalAveragePool() {
        var draw = Draw(state: 7)
        for (n, c, h, w) in [(1, 1, 1, 1), (2, 3, 7, 7), (3, 17, 4, 5), (2, 64, 2, 2), (1, 5, 13, 1)] {
            let values = (0..<n * c * h * w).map { _ in Float(draw.int(2001)) / 997 - 1 }
            let expected = adaptiveAvgPool2d(Tensor(shape: [n, c, h, w], values: values), outputSize: IntPair(1, 1))
            let nhwc = Self.permute(values, [n, c, h, w], toChannelsLast: true)
            let actual = globalAvgPoolChannelsLast(Tensor(shape: [n, h, w, c], values: nhwc))
            #expect(actual.shape == [n, c])
            #expect(
                actual.toArray().map(\.bitPattern) == expected.toArray().map(\.bitPattern),
                "n \(n) c \(c) h \(h) w \(w)")
        }
    }

    /// PyTorch's scan: from -inf at the first tap inside the image, take `v > best || isnan(v)`, row-major. Returns
    /// the outputs and, per input value, how many windows it won (the gradient of a sum of the outputs).
    static func naiveMaxPool(_ x: [Float], _ g: ConvGeometry) -> ([Float], [Float]) {
        var output = [Float]()
        var wins = [Float](repeating: 0, count: x.count)
        let plane = g.height * g.width
        for p in 0..<g.batch * g.inChannels {
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    var (h0, w0) = (oh * g.strideH - g.padH, ow * g.strideW - g.padW)
                    let h1 = min(h0 + (g.kernelHeight - 1) * g.dilationH + 1, g.height)
                    let w1 = min(w0 + (g.kernelWidth - 1) * g.dilationW + 1, g.width)
                    while h0 < 0 { h0 += g.dilationH }
                    while w0 < 0 { w0 += g.dilationW }
                    var (best, index) = (-Float.infinity, h0 * g.width + w0)
                    for ih in stride(from: h0, to: h1, by: g.dilationH) {
                        for iw in stride(from: w0, to: w1, by: g.dilationW) {
                            let v = x[p * plane + ih * g.width + iw]
                            if v > best || v.isNaN { (best, index) = (v, ih * g.width + iw) }
                        }
                    }
                    output.append(best)
                    if index >= 0 && index < plane { wins[p * plane + index] += 1 }
                }
            }
        }
        return (output, wins)
    }

    /// The output, input gradient and weight gradient of `conv2d` by their defining sums, in Double.
    static func naiveConvolution(
        _ x: [Float], _ w: [Float], _ gy: [Float], _ g: ConvGeometry
    )
        -> ([Float], [Float], [Float])
    {
        var (y, gx, gw) = (
            [Double](repeating: 0, count: gy.count), [Double](repeating: 0, count: x.count),
            [Double](repeating: 0, count: w.count)
        )
        let (cg, og) = (g.groupInChannels, g.groupOutChannels)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for oh in 0..<g.outHeight {
                    for ow in 0..<g.outWidth {
                        let yi = ((n * g.outChannels + o) * g.outHeight + oh) * g.outWidth + ow
                        for c in 0..<cg {
                            for ki in 0..<g.kernelHeight {
                                for kj in 0..<g.kernelWidth {
                                    let ih = oh * g.strideH - g.padH + ki * g.dilationH
                                    let iw = ow * g.strideW - g.padW + kj * g.dilationW
                                    guard ih >= 0 && ih < g.height && iw >= 0 && iw < g.width else { continue }
                                    let xi = ((n * g.inChannels + o / og * cg + c) * g.height + ih) * g.width + iw
                                    let wi = ((o * cg + c) * g.kernelHeight + ki) * g.kernelWidth + kj
                                    y[yi] += Double(x[xi]) * Double(w[wi])
                                    gx[xi] += Double(gy[yi]) * Double(w[wi])
                                    gw[wi] += Double(gy[yi]) * Double(x[xi])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (y.map(Float.init), gx.map(Float.init), gw.map(Float.init))
    }
}
