import Dispatch
import Golden
import Kernels
import Tensors
import TestSupport
import Testing

/// oneDNN's Winograd kernels (``Convolution/winogradAllowed``), where the engine picks them, against the reference
/// path (im2col + OpenBLAS): every direction on plain NCHW tensors, and the channels-last forward with the residual
/// sum and ReLU, with the weights transformed on every call and kept transformed (``PreparedWeights``). Each case
/// first checks that Winograd's kernels really ran, so that a rule change cannot leave these tests comparing the
/// direct kernels with themselves.
@Suite("Winograd convolution: oneDNN's jit_wino kernels against the reference path")
struct WinogradConvolutionTests {
    /// 3x3, stride 1, padding 1: a 16x16 plane (whole 4x4 tiles) and an 18x18 one (partial tiles at the edges), one
    /// and two images per core (the primitives run every direction from one image per core).
    static let geometries = [
        ConvGeometry(
            batch: Parallelism.cores, inChannels: 16, height: 16, width: 16, outChannels: 16, kernelHeight: 3,
            kernelWidth: 3,
            padH: 1, padW: 1),
        ConvGeometry(
            batch: 2 * Parallelism.cores, inChannels: 32, height: 18, width: 18, outChannels: 48, kernelHeight: 3,
            kernelWidth: 3,
            padH: 1, padW: 1),
    ]

    /// Winograd's transforms (entries up to 8 in F(4x4, 3x3)) round to a few times the direct kernels' error:
    /// measured here up to 5e-6 of the largest value of a tensor, against PyTorch-sized layers too (64 channels at
    /// 56x56). 5e-5 of the largest value leaves 10x room; a wrong tile, transform or edge is off by O(1) of it.
    static func tolerance(_ expected: [Float]) -> Tolerance {
        let largest = expected.reduce(Float(0)) { max($0, abs($1)) }
        return Tolerance(
            absolute: 5e-5 * largest, relative: 1e-5,
            reason: "Winograd F(4x4, 3x3) rounding: measured <= 5e-6 of the largest value, 10x room")
    }

    struct Data {
        let x, w, bias, gy, residual: [Float]
        init(_ g: ConvGeometry, _ index: Int) {
            let seed = UInt64(index)
            x = PortableRandom(name: "winograd x", seed: seed).symmetric(
                g.batch * g.inChannels * g.height * g.width, bound: 1)
            w = PortableRandom(name: "winograd w", seed: seed).symmetric(g.outChannels * g.columnRows, bound: 0.2)
            bias = PortableRandom(name: "winograd bias", seed: seed).symmetric(g.outChannels, bound: 0.5)
            gy = PortableRandom(name: "winograd gy", seed: seed).symmetric(
                g.batch * g.outChannels * g.outPlane, bound: 1)
            residual = PortableRandom(name: "winograd residual", seed: seed).symmetric(gy.count, bound: 1)
        }
    }

    /// `[N, C, H, W]` to `[N, H, W, C]` in memory, or back (`toChannelsLast: false`).
    static func permute(_ values: [Float], n: Int, c: Int, plane: Int, toChannelsLast: Bool) -> [Float] {
        var result = [Float](repeating: .nan, count: values.count)
        for image in 0..<n {
            for channel in 0..<c {
                for p in 0..<plane {
                    let (nchw, nhwc) = ((image * c + channel) * plane + p, (image * plane + p) * c + channel)
                    if toChannelsLast { result[nhwc] = values[nchw] } else { result[nchw] = values[nhwc] }
                }
            }
        }
        return result
    }

    func expectWinograd(_ implementations: [String]?, _ what: String) {
        #expect(
            implementations?.allSatisfy { $0.contains("wino") } == true,
            "\(what) should run Winograd's kernels, runs \(implementations ?? ["GEMM"])")
    }

    @Test("forward (bias, ReLU), backward data and backward weights on NCHW tensors")
    func plainDirections() {
        for (index, g) in Self.geometries.enumerated() {
            for direction in ConvolutionDirection.allCases {
                let epilogue = direction == .forward
                expectWinograd(
                    Convolution.primitiveImplementations(g, direction, bias: epilogue, relu: epilogue),
                    "\(direction) \(index)")
            }
            let d = Data(g, index)
            func run(_ backend: KernelBackend) -> [[Float]] {
                let workspace = Workspace()
                var (y, gx, gw) = (
                    [Float](repeating: .nan, count: d.gy.count), [Float](repeating: .nan, count: d.x.count),
                    [Float](repeating: .nan, count: d.w.count)
                )
                Convolution.forward(
                    input: d.x, weight: d.w, bias: d.bias, output: &y, geometry: g, workspace: workspace, relu: true,
                    backend: backend, algorithm: backend == .reference ? .gemm : .automatic)
                Convolution.backward(
                    gradOutput: d.gy, input: d.x, weight: d.w, gradInput: &gx, gradWeight: &gw, gradBias: nil,
                    geometry: g, workspace: workspace, backend: backend,
                    algorithm: backend == .reference ? .gemm : .automatic)
                return [y, gx, gw]
            }
            let shapes = [
                [g.batch, g.outChannels, g.outHeight, g.outWidth], [g.batch, g.inChannels, g.height, g.width],
                [g.outChannels, g.inChannels, 3, 3],
            ]
            for (name, (fast, (reference, shape))) in zip(
                ["output", "input gradient", "weight gradient"], zip(run(.oneDNN), zip(run(.reference), shapes)))
            {
                expectClose(
                    Tensor(shape: shape, values: fast), Tensor(shape: shape, values: reference),
                    "winograd \(index) \(name)", tolerance: Self.tolerance(reference))
            }
        }
    }

    @Test("channels-last forward with the residual sum and ReLU, weights transformed per call and kept transformed")
    func channelsLastSum() {
        let layout = ForwardLayout(sourceChannelsLast: true, destinationChannelsLast: true, sum: true)
        geometries: for (index, g) in Self.geometries.enumerated() {
            let d = Data(g, index)
            var expected = [Float](repeating: .nan, count: d.gy.count)
            Convolution.forward(
                input: d.x, weight: d.w, bias: d.bias, output: &expected, geometry: g, workspace: Workspace(),
                backend: .reference, algorithm: .gemm)
            for i in expected.indices { expected[i] = max(expected[i] + d.residual[i], 0) }
            let input = Self.permute(d.x, n: g.batch, c: g.inChannels, plane: g.height * g.width, toChannelsLast: true)
            let residual = Self.permute(
                d.residual, n: g.batch, c: g.outChannels, plane: g.outPlane, toChannelsLast: true)
            let prepared = PreparedWeights()
            for (kept, cache) in [(false, nil), (true, prepared), (true, prepared)] as [(Bool, PreparedWeights?)] {
                expectWinograd(
                    Convolution.primitiveImplementations(
                        g, .forward, bias: true, relu: true, layout: layout, weightsPrepared: kept),
                    "channels-last forward \(index), weights kept \(kept)")
                var output = residual
                let ran = Convolution.channelsLastForward(
                    input: input, weight: d.w, bias: d.bias, output: &output, geometry: g, workspace: Workspace(),
                    relu: true, layout: layout, prepared: cache)
                // The channels-last path runs on the oneDNN backend, for at least one image per core.
                let runs = KernelBackend.selected == .oneDNN && g.batch >= Parallelism.cores
                #expect(ran == runs, "channels-last forward \(index) ran: \(ran)")
                guard ran else { continue geometries }
                let actual = Self.permute(
                    output, n: g.batch, c: g.outChannels, plane: g.outPlane, toChannelsLast: false)
                let shape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
                expectClose(
                    Tensor(shape: shape, values: actual), Tensor(shape: shape, values: expected),
                    "winograd channels-last \(index), weights kept \(kept)", tolerance: Self.tolerance(expected))
            }
            #expect(prepared.count == 1, "the kept weights are transformed once, not per call: \(prepared.count)")
        }
    }

    static func largestError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
    }

    @Test("kept weights of several convolutions transformed at the same time, from concurrent calls")
    func concurrentTransforms() {
        // One image per part: every call shares one cached primitive (and its weights' reorder into Winograd's
        // layout), each with weights of its own. oneDNN's Winograd weight reorder keeps a scratchpad of its own:
        // run at once from two threads, it mixed their weights (ChannelsLastTrainingTests' frozen steps at 4
        // threads, run in parallel, before the reorders were made safe).
        let g = ConvGeometry(
            batch: Parallelism.cores, inChannels: 64, height: 10, width: 9, outChannels: 64, kernelHeight: 3,
            kernelWidth: 3, padH: 1, padW: 1)
        expectWinograd(
            Convolution.primitiveImplementations(g, .forward, bias: true, weightsPrepared: true), "kept weights")
        let calls = 8
        let data = (0..<calls).map { Data(g, 100 + $0) }
        let expected = data.map { d in
            var y = [Float](repeating: .nan, count: d.gy.count)
            Convolution.forward(
                input: d.x, weight: d.w, bias: d.bias, output: &y, geometry: g, workspace: Workspace(),
                backend: .reference, algorithm: .gemm)
            return y
        }
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: calls)
        results.initialize(repeating: [])
        defer {
            _ = results.deinitialize()
            results.deallocate()
        }
        DispatchQueue.concurrentPerform(iterations: calls) { index in
            let d = data[index]
            // Repeated, each time with weights to transform anew, so that the transforms overlap.
            var worst = [Float]()
            for _ in 0..<20 {
                var y = [Float](repeating: .nan, count: d.gy.count)
                Convolution.forward(
                    input: d.x, weight: d.w, bias: d.bias, output: &y, geometry: g, workspace: Workspace(),
                    backend: .oneDNN, prepared: PreparedWeights())
                if worst.isEmpty
                    || y != expected[index]
                        && Self.largestError(y, expected[index]) > Self.largestError(worst, expected[index])
                {
                    worst = y
                }
            }
            results[index] = worst
        }
        let shape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
        for index in 0..<calls {
            expectClose(
                Tensor(shape: shape, values: results[index]), Tensor(shape: shape, values: expected[index]),
                "concurrent call \(index), kept weights", tolerance: Self.tolerance(expected[index]))
        }
    }

    @Test("with Winograd off, the same shapes run the direct kernels (the measuring switch)")
    func switchOff() {
        let g = Self.geometries[0]
        for direction in ConvolutionDirection.allCases {
            let implementations = Convolution.$winogradAllowed.withValue(false) {
                Convolution.primitiveImplementations(g, direction)
            }
            #expect(
                implementations?.contains { $0.contains("wino") } == false,
                "\(direction) with Winograd off: \(implementations ?? [])")
        }
    }
}
