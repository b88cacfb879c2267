import HDF5
import Tensors

/// Runs a stored ``OpCase`` through this engine - forward, then `output.backward(gradOutput)` - and compares the
/// output, every input gradient and any post-call state with PyTorch's.
public enum OpReplay {
    /// One compared tensor of a case: its path in the case group (`outputs/output`, `grads/weight`), the comparison,
    /// and PyTorch's own float32-vs-float64 error for it (nil for exact and integer tensors).
    public struct Check {
        public let path: String
        public let comparison: TensorComparison
        public let float64Error: Float?

        /// Our error as a multiple of PyTorch's own (nil when PyTorch's is 0 or unrecorded).
        public var errorRatio: Float? {
            guard let float64Error, float64Error > 0 else { return nil }
            return comparison.maxAbsoluteError / float64Error
        }
    }

    /// Every comparison for one case, output first. Fresh copies of the inputs are used, so a case can be replayed
    /// any number of times.
    public static func run(_ reference: OpCase) throws -> [TensorComparison] {
        try checks(reference).map(\.comparison)
    }

    /// ``run(_:)`` with each tensor's path and PyTorch's recorded error beside the comparison.
    public static func checks(_ reference: OpCase) throws -> [Check] {
        var inputs: [String: Tensor] = [:]
        for (key, tensor) in reference.inputs {
            inputs[key] = tensor.copy()
            inputs[key]!.requiresGrad = reference.expectedGrads[key] != nil
        }
        var numBatchesTracked: Int64?
        let output = try forward(reference, inputs: inputs, numBatchesTracked: &numBatchesTracked)
        var results = [compare(reference, "outputs/output", output, reference.expectedOutput)]
        if output.requiresGrad { output.backward(gradient: reference.gradOutput) }
        for key in reference.expectedGrads.keys.sorted() {
            let expected = reference.expectedGrads[key]!
            guard let grad = inputs[key]?.grad else {
                results.append(
                    Check(
                        path: "grads/\(key)",
                        comparison: TensorComparison(
                            name: "\(reference.name) grads/\(key) (no gradient computed)", actual: [], actualShape: [],
                            expected: expected.toArray(), expectedShape: expected.shape, tolerance: .exact),
                        float64Error: nil))
                continue
            }
            results.append(compare(reference, "grads/\(key)", grad, expected))
        }
        for key in reference.expectedState.keys.sorted() {
            guard let actual = inputs[key] else {
                throw OpReferenceError.missingTensor(source: reference.source, name: "inputs/\(key)")
            }
            results.append(compare(reference, "state/\(key)", actual, reference.expectedState[key]!))
        }
        if let expected = reference.expectedIntegerState["num_batches_tracked"] {
            let actual = numBatchesTracked.map { Float($0) } ?? .nan
            results.append(
                Check(
                    path: "state/num_batches_tracked",
                    comparison: TensorComparison(
                        name: "\(reference.name) state/num_batches_tracked", actual: [actual], actualShape: [],
                        expected: [Float(expected)], expectedShape: [], tolerance: .exact), float64Error: nil))
        }
        return results
    }

    private static func compare(_ reference: OpCase, _ path: String, _ actual: Tensor, _ expected: Tensor) -> Check {
        let float64Error = reference.float64Errors[path]
        return Check(
            path: path,
            comparison: TensorComparison(
                name: "\(reference.name) \(path)", actual: actual, expected: expected,
                tolerance: OpTolerances.tolerance(float64Error: float64Error)), float64Error: float64Error)
    }

    /// Calls the engine's function for `reference.op` with the case's parameters.
    private static func forward(
        _ reference: OpCase, inputs: [String: Tensor],
        numBatchesTracked: inout Int64?
    ) throws -> Tensor {
        func required(_ key: String) throws -> Tensor {
            guard let tensor = inputs[key] else {
                throw OpReferenceError.missingTensor(source: reference.source, name: "inputs/\(key)")
            }
            return tensor
        }
        let input = try required("input")
        switch reference.op {
        case "conv2d":
            return conv2d(
                input, weight: try required("weight"), bias: inputs["bias"],
                stride: try reference.pair("stride"), padding: try reference.pair("padding"),
                dilation: try reference.pair("dilation"), groups: try reference.integer("groups"))
        case "batch_norm":
            let training = try reference.integer("training") != 0
            var factor = try reference.float("momentum") ?? 0
            if reference.attributes["num_batches_tracked_before"] != nil {
                var count = Int64(try reference.integer("num_batches_tracked_before"))
                factor = batchNormAverageFactor(
                    momentum: try reference.float("momentum"), training: training,
                    numBatchesTracked: &count)
                numBatchesTracked = count
            }
            return batchNorm(
                input, runningMean: inputs["running_mean"], runningVar: inputs["running_var"],
                weight: inputs["weight"], bias: inputs["bias"], training: training, momentum: factor,
                eps: try reference.float("eps") ?? 1e-5)
        case "relu":
            return relu(input)
        case "max_pool2d":
            return maxPool2d(
                input, kernelSize: try reference.pair("kernel_size"), stride: try reference.pair("stride"),
                padding: try reference.pair("padding"), dilation: try reference.pair("dilation"))
        case "adaptive_avg_pool2d":
            return adaptiveAvgPool2d(input, outputSize: try reference.pair("output_size"))
        case "linear":
            return linear(input, weight: try required("weight"), bias: inputs["bias"])
        case "add":
            return input + (try required("other"))
        case "mul":
            return input * (try required("other"))
        case "flatten":
            return input.flatten(startDim: try reference.integer("start_dim"), endDim: try reference.integer("end_dim"))
        case "log_softmax":
            return logSoftmax(input, dim: try reference.integer("dim"))
        case "softmax":
            return softmax(input, dim: try reference.integer("dim"))
        case "sum":
            return input.sum()
        case "mean":
            return input.mean()
        case "cross_entropy":
            guard let target = reference.integerInputs["target"] else {
                throw OpReferenceError.missingTensor(source: reference.source, name: "inputs/target")
            }
            guard let reduction = Reduction(rawValue: try reference.string("reduction")) else {
                throw OpReferenceError.missingAttribute(source: reference.source, name: "reduction")
            }
            return crossEntropy(
                input, target: target, weight: inputs["weight"],
                ignoreIndex: try reference.integer("ignore_index"), reduction: reduction,
                labelSmoothing: try reference.float("label_smoothing") ?? 0)
        default:
            throw OpReferenceError.unknownOp(source: reference.source, op: reference.op)
        }
    }
}
