import Golden
import Kernels
import Tensors
import TestSupport
import Testing

/// oneDNN's convolution primitives (the default path) against im2col + OpenBLAS (the reference path) on the stored
/// PyTorch conv2d op cases, with the op references' own tolerance rule (``OpTolerances``: a multiple of PyTorch's
/// float32-vs-float64 error for that tensor), and a deliberately wrong setting that the same rule must catch.
@Suite("Convolution primitives: oneDNN against the reference path on the conv2d op cases")
struct ConvolutionPrimitiveTests {
    /// A conv2d op case as raw kernel arguments.
    struct Case {
        let reference: OpCase
        let geometry: ConvGeometry
        var x: [Float] { reference.inputs["input"]!.toArray() }
        var w: [Float] { reference.inputs["weight"]!.toArray() }
        var bias: [Float]? { reference.inputs["bias"]?.toArray() }

        init(_ name: String) throws {
            reference = try References.ops.loadCase(name)
            let (x, w) = (reference.inputs["input"]!, reference.inputs["weight"]!)
            let (stride, padding, dilation) = (
                try reference.pair("stride"), try reference.pair("padding"), try reference.pair("dilation")
            )
            geometry = ConvGeometry(
                batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
                outChannels: w.shape[0], kernelHeight: w.shape[2], kernelWidth: w.shape[3], strideH: stride.height,
                strideW: stride.width, padH: padding.height, padW: padding.width, dilationH: dilation.height,
                dilationW: dilation.width, groups: try reference.integer("groups"))
        }

        /// Output, input gradient and weight gradient on one path, with `geometry` (possibly a wrong one).
        func run(
            _ backend: KernelBackend, _ algorithm: ConvolutionAlgorithm, geometry g: ConvGeometry
        ) -> (
            y: [Float], gx: [Float], gw: [Float]
        ) {
            let workspace = Workspace()
            let gy: [Float] = reference.gradOutput.toArray()
            var (y, gx, gw) = (
                [Float](repeating: .nan, count: gy.count), [Float](repeating: .nan, count: x.count),
                [Float](repeating: .nan, count: w.count)
            )
            let bias = self.bias
            Convolution.forward(
                input: x, weight: w, bias: bias, output: &y, geometry: g, workspace: workspace, backend: backend,
                algorithm: algorithm)
            Convolution.backward(
                gradOutput: gy, input: x, weight: w, gradInput: &gx, gradWeight: &gw, gradBias: nil, geometry: g,
                workspace: workspace, backend: backend, algorithm: algorithm)
            return (y, gx, gw)
        }

        /// The three comparisons with PyTorch's tensors, each with the op references' tolerance.
        func compare(_ result: (y: [Float], gx: [Float], gw: [Float]), _ label: String) -> [TensorComparison] {
            [
                ("outputs/output", result.y, reference.expectedOutput),
                ("grads/input", result.gx, reference.expectedGrads["input"]!),
                ("grads/weight", result.gw, reference.expectedGrads["weight"]!),
            ].map { path, actual, expected in
                TensorComparison(
                    name: "\(reference.name) \(path) (\(label))", actual: Tensor(shape: expected.shape, values: actual),
                    expected: expected,
                    tolerance: OpTolerances.tolerance(float64Error: reference.float64Errors[path]))
            }
        }
    }

    static let caseNames = References.ops.caseNames.filter { $0.hasPrefix("conv2d") }

    @Test("the op file holds conv2d cases to replay")
    func casesExist() {
        #expect(Self.caseNames.count >= 10, "conv2d cases in \(References.opsPath): \(Self.caseNames)")
    }

    @Test("every conv2d op case: primitive, automatic and reference paths within the op tolerance of PyTorch")
    func opCases() throws {
        for name in Self.caseNames {
            let c = try Case(name)
            for (backend, algorithm) in [
                (KernelBackend.oneDNN, ConvolutionAlgorithm.primitive), (.oneDNN, .automatic), (.reference, .gemm),
            ] {
                for comparison in c.compare(
                    c.run(backend, algorithm, geometry: c.geometry), "\(backend.rawValue) \(algorithm.rawValue)")
                {
                    expectPassed(comparison)
                }
            }
        }
    }

    @Test("batch-1 forward split by output channels, bias and fused ReLU: primitive against reference")
    func channelSplitAndFusedReLU() {
        let g = ConvGeometry(
            batch: 1, inChannels: 16, height: 12, width: 11, outChannels: 48, kernelHeight: 3, kernelWidth: 3,
            padH: 1, padW: 1)
        let random = PortableRandom(name: "channel split", seed: 0)
        let x = random.symmetric(g.inChannels * g.height * g.width, bound: 1)
        let w = PortableRandom(name: "channel split weight", seed: 0).symmetric(
            g.outChannels * g.columnRows, bound: 0.1)
        let bias = PortableRandom(name: "channel split bias", seed: 0).symmetric(g.outChannels, bound: 0.5)
        func run(_ backend: KernelBackend, _ algorithm: ConvolutionAlgorithm, relu: Bool) -> Tensor {
            var y = [Float](repeating: .nan, count: g.outChannels * g.outPlane)
            Convolution.forward(
                input: x, weight: w, bias: bias, output: &y, geometry: g, workspace: Workspace(), relu: relu,
                backend: backend, algorithm: algorithm)
            return Tensor(shape: [1, g.outChannels, g.outHeight, g.outWidth], values: y)
        }
        // Sums of 144 products of magnitude <= 0.1 in another order: float32 rounding of a few ulps of the
        // largest partial sums (<= ~15), far below 1e-5; a wrong slice or channel offset is off by O(0.1).
        let tolerance = Tolerance(
            absolute: 1e-5, relative: 1e-5, reason: "float32 sums of 144 products in another order")
        for relu in [false, true] {
            expectClose(
                run(.oneDNN, .primitive, relu: relu), run(.reference, .gemm, relu: relu),
                "conv2d batch 1 split by channels, relu \(relu)", tolerance: tolerance)
        }
    }

    @Test("1x1 input to 1x1 output (layer4 at 32x32): the single-tap GEMM against im2col + reference GEMM")
    func singlePixel() {
        let geometries = [
            ConvGeometry(
                batch: 5, inChannels: 24, height: 1, width: 1, outChannels: 20, kernelHeight: 3, kernelWidth: 3,
                padH: 1, padW: 1),
            ConvGeometry(
                batch: 3, inChannels: 16, height: 1, width: 1, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
                strideH: 2, strideW: 2, padH: 1, padW: 1),
            ConvGeometry(
                batch: 2, inChannels: 7, height: 1, width: 1, outChannels: 9, kernelHeight: 1, kernelWidth: 2,
                strideH: 1, strideW: 2, padH: 0, padW: 1),
        ]
        // 1x2 kernel, left pad 1, stride 2: one output whose only tap in the image is the kernel's last column.
        let tap = Convolution.singlePixelTap(geometries[2])
        #expect(tap?.row == 0 && tap?.column == 1)
        let notSingle = ConvGeometry(
            batch: 2, inChannels: 4, height: 2, width: 2, outChannels: 4, kernelHeight: 3, kernelWidth: 3, padH: 1,
            padW: 1)
        #expect(Convolution.singlePixelTap(notSingle) == nil, "a 2x2 input has more than one tap in the image")
        // Sums of at most 24 products of magnitude <= 0.1 (forward, backward data) or 5 (weights) in another
        // order: float32 rounding of a few ulps of values <= ~3, far below 1e-5; a wrong tap, transposition or
        // zeroing is off by O(0.01) or NaN (the outputs start as NaN).
        let tolerance = Tolerance(absolute: 1e-5, relative: 1e-5, reason: "float32 sums of <= 24 products reordered")
        for (index, g) in geometries.enumerated() {
            #expect(Convolution.singlePixelTap(g) != nil)
            let x = PortableRandom(name: "single pixel x", seed: UInt64(index)).symmetric(
                g.batch * g.inChannels, bound: 1)
            let w = PortableRandom(name: "single pixel w", seed: UInt64(index)).symmetric(
                g.outChannels * g.columnRows, bound: 0.1)
            let bias = PortableRandom(name: "single pixel b", seed: UInt64(index)).symmetric(g.outChannels, bound: 0.5)
            let gy = PortableRandom(name: "single pixel gy", seed: UInt64(index)).symmetric(
                g.batch * g.outChannels, bound: 1)
            func run(_ backend: KernelBackend, _ algorithm: ConvolutionAlgorithm, relu: Bool) -> [Tensor] {
                let workspace = Workspace()
                var (y, gx, gw) = (
                    [Float](repeating: .nan, count: gy.count), [Float](repeating: .nan, count: x.count),
                    [Float](repeating: .nan, count: w.count)
                )
                Convolution.forward(
                    input: x, weight: w, bias: bias, output: &y, geometry: g, workspace: workspace, relu: relu,
                    backend: backend, algorithm: algorithm)
                Convolution.backward(
                    gradOutput: gy, input: x, weight: w, gradInput: &gx, gradWeight: &gw, gradBias: nil, geometry: g,
                    workspace: workspace, backend: backend, algorithm: algorithm)
                return [
                    Tensor(shape: [g.batch, g.outChannels, 1, 1], values: y),
                    Tensor(shape: [g.batch, g.inChannels, 1, 1], values: gx),
                    Tensor(shape: [g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth], values: gw),
                ]
            }
            for relu in [false, true] {
                for (name, (fast, reference)) in zip(
                    ["output", "input gradient", "weight gradient"],
                    zip(run(.oneDNN, .automatic, relu: relu), run(.reference, .gemm, relu: relu)))
                {
                    expectClose(fast, reference, "single pixel \(index) \(name), relu \(relu)", tolerance: tolerance)
                }
            }
        }
    }

    @Test("a wrong padding and dilation (same shapes) on the primitive fails the op tolerance")
    func wrongSettingFails() throws {
        let c = try Case("conv2d_3x3_pad1_b3_c5_o7_7x9")
        var wrong = c.geometry
        (wrong.padH, wrong.padW, wrong.dilationH, wrong.dilationW) = (2, 2, 2, 2)
        #expect(wrong.outHeight == c.geometry.outHeight && wrong.outWidth == c.geometry.outWidth)
        for comparison in c.compare(c.run(.oneDNN, .primitive, geometry: wrong), "wrong padding") {
            #expect(!comparison.passed, "\(comparison.name) passed with padding 2, dilation 2 instead of 1, 1")
        }
        for comparison in c.compare(c.run(.oneDNN, .primitive, geometry: c.geometry), "right padding") {
            expectPassed(comparison)
        }
    }
}
