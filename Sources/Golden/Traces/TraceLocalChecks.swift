import NN
import Optim
import Tensors

/// The local checks of a schema 2 trace: each module fed PyTorch's stored input (teacher forcing) and, for the
/// modules with parameters, PyTorch's stored output gradient; each optimizer step taken from PyTorch's stored state
/// before it. Each local tolerance derives, by the op references' rule (``OpTolerances``), from PyTorch's own
/// float32-vs-float64 error of that one module or step, which the generator measured; nothing compounds, so the
/// tolerances stay those of single ops.
extension TraceReplay {
    /// One optimizer step on PyTorch's state, in the same float32 order as torch's single-tensor implementation:
    /// a few ulps of the parameter. The float64 error of the step is added by the shared rule.
    public static let localStepBase = Tolerance(
        absolute: 1e-7, relative: 1e-6, reason: "one optimizer step from PyTorch's own state: a few float32 ulps")

    static func localTolerance(base: Tolerance, float64Error: Float?) -> Tolerance {
        Tolerance.derived(base: base, float64Error: float64Error, factor: OpTolerances.factor)
    }

    static func localCheck(
        _ phase: String, _ name: String, _ actual: Tensor, _ expected: Tensor, base: Tolerance, float64Error: Float?
    ) -> Check {
        let tolerance = localTolerance(base: base, float64Error: float64Error)
        return Check(
            phase: phase,
            comparison: TensorComparison(name: name, actual: actual, expected: expected, tolerance: tolerance),
            float64Error: float64Error, scope: .local, derivedTolerance: tolerance.absolute - base.absolute,
            expectedMax: maxMagnitude(expected))
    }

    /// Every local check the trace has data for (none for schema 1).
    static func localChecks(
        _ trace: TraceFile, initialState: [(key: String, value: Tensor)]?, initial: [String: Tensor],
        trainable: [String]
    ) throws -> [Check] {
        guard trace.schemaVersion >= 2 else { return [] }
        var checks: [Check] = []
        // Teacher-forced forward: a fresh model at the initial state, each recorded call fed PyTorch's input.
        let forced = try initialModel(trace, initialState)
        if trace.root.contains("forward_inputs") {
            for entry in try trace.names(in: "forward_inputs") {
                let name = String(entry.drop { $0 != "_" }.dropFirst())
                let module = try self.module(forced, name, trace)
                let input = try trace.tensor("forward_inputs/\(entry)")
                let output = noGrad { module(input) }
                checks.append(
                    localCheck(
                        "forward", "\(name) fed PyTorch's input", output, try trace.tensor("forward/\(entry)"),
                        base: .float32, float64Error: try trace.doubleAttribute(entry, of: "forward_inputs")))
            }
        }
        // Teacher-forced backward: each parameterised module fed PyTorch's input and output gradient.
        if trace.root.contains("forward_grad_outputs") {
            for entry in try trace.names(in: "forward_grad_outputs") {
                let name = String(entry.drop { $0 != "_" }.dropFirst())
                let module = try self.module(forced, name, trace)
                for (_, parameter) in module.namedParameters() { parameter.grad = nil }
                let output = module(try trace.tensor("forward_inputs/\(entry)"))
                output.backward(gradient: try trace.tensor("forward_grad_outputs/\(entry)"))
                for (local, parameter) in module.namedParameters() {
                    let full = "\(name).\(local)"
                    guard let error = try trace.doubleAttribute(full, of: "forward_grad_outputs"),
                        trace.root.contains("grads/\(full)")
                    else { continue }
                    guard let grad = parameter.grad else {
                        throw TraceError.malformed(
                            path: trace.path, item: "grads/\(full)",
                            detail: "this engine computed no gradient for \(full) from PyTorch's output gradient")
                    }
                    checks.append(
                        localCheck(
                            "grads", "\(full).grad from PyTorch's output gradient", grad,
                            try trace.tensor("grads/\(full)"), base: .float32, float64Error: error))
                }
            }
        }
        // Local optimizer steps: PyTorch's parameters, gradients and optimizer state before step k, one step.
        let c = trace.configuration
        var before = initial
        for k in 1...max(c.steps, 1) where c.steps > 0 {
            let group = "steps/\(k)/before"
            guard trace.root.contains(group) else { throw TraceError.missing(path: trace.path, item: group) }
            let tensors = trainable.map { name in before[name]!.copy() }
            for tensor in tensors { tensor.requiresGrad = true }
            let optimizer = try makeOptimizer(c, parameters: tensors, path: trace.path)
            var state: [Int: [String: Tensor]] = [:]
            let buffers =
                trace.root.contains("\(group)/optimizer") ? try trace.root.group("\(group)/optimizer").groupNames() : []
            for buffer in buffers {
                for (position, name) in trainable.enumerated()
                where trace.root.contains("\(group)/optimizer/\(buffer)/\(name)") {
                    state[position, default: [:]][buffer] = try trace.tensor("\(group)/optimizer/\(buffer)/\(name)")
                }
            }
            if !state.isEmpty {
                do {
                    try optimizer.loadStateDict(
                        OptimizerStateDict(state: state, paramGroups: optimizer.stateDict().paramGroups))
                } catch {
                    throw TraceError.malformed(path: trace.path, item: "\(group)/optimizer", detail: "\(error)")
                }
            }
            for (tensor, name) in zip(tensors, trainable) where trace.root.contains("\(group)/grads/\(name)") {
                tensor.grad = try trace.tensor("\(group)/grads/\(name)")
            }
            optimizer.step()
            for (tensor, name) in zip(tensors, trainable) {
                let item = "steps/\(k)/state/\(name)"
                guard trace.root.contains(item) else { continue }
                checks.append(
                    localCheck(
                        "step \(k)", "\(name) one step from PyTorch's state", tensor, try trace.tensor(item),
                        base: localStepBase, float64Error: try trace.doubleAttribute(name, of: group)))
            }
            for name in try trace.names(in: "steps/\(k)/state")
            where try trace.root.info("steps/\(k)/state/\(name)").elementType != .int64 {
                before[name] = try trace.tensor("steps/\(k)/state/\(name)")
            }
        }
        return checks
    }

    /// ReLU sign flips and max-pool winner flips between our input and PyTorch's for one call (nil when none).
    static func discreteFlip(
        _ module: Module, ours: Tensor, torch: Tensor, location: String, position: Int
    )
        -> NearTie?
    {
        guard ours.shape == torch.shape else { return nil }
        let (a, t) = (ours.toArray(), torch.toArray())
        switch module {
        case is ReLU:
            let flips = a.indices.filter { (a[$0] > 0) != (t[$0] > 0) }
            guard let first = flips.first else { return nil }
            return NearTie(
                location: "\(location) (ReLU sign)", index: TensorComparison.multiIndex(first, shape: torch.shape),
                ourMargin: a[first], torchMargin: t[first], position: position, count: flips.count)
        case let pool as MaxPool2d where torch.shape.count == 4:
            return maxPoolFlip(pool, a, t, shape: torch.shape, location: location, position: position)
        default:
            return nil
        }
    }

    /// Windows whose winner (PyTorch's rule: the first maximum) differs; margins are the winners' gaps.
    static func maxPoolFlip(
        _ pool: MaxPool2d, _ a: [Float], _ t: [Float], shape: [Int], location: String, position: Int
    ) -> NearTie? {
        let (n, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let (kh, kw) = (pool.kernelSize.height, pool.kernelSize.width)
        let (sh, sw) = (pool.stride.height, pool.stride.width)
        let (ph, pw) = (pool.padding.height, pool.padding.width)
        let (dh, dw) = (pool.dilation.height, pool.dilation.width)
        let outH = (height + 2 * ph - dh * (kh - 1) - 1) / sh + 1
        let outW = (width + 2 * pw - dw * (kw - 1) - 1) / sw + 1
        var first: (index: [Int], ours: Float, torch: Float)?
        var count = 0
        func winner(_ values: [Float], _ plane: Int, _ oy: Int, _ ox: Int) -> Int {
            var best = -1
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let (y, x) = (oy * sh - ph + ky * dh, ox * sw - pw + kx * dw)
                    guard y >= 0, y < height, x >= 0, x < width else { continue }
                    let i = plane + y * width + x
                    if best < 0 || values[i] > values[best] || values[i].isNaN { best = i }
                }
            }
            return best
        }
        for image in 0..<n {
            for channel in 0..<channels {
                let plane = (image * channels + channel) * height * width
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        let (ourWinner, torchWinner) = (winner(a, plane, oy, ox), winner(t, plane, oy, ox))
                        guard ourWinner != torchWinner, a[ourWinner] != a[torchWinner] || t[ourWinner] != t[torchWinner]
                        else { continue }
                        count += 1
                        if first == nil {
                            first = (
                                [image, channel, oy, ox], a[ourWinner] - a[torchWinner], t[torchWinner] - t[ourWinner]
                            )
                        }
                    }
                }
            }
        }
        guard let first else { return nil }
        return NearTie(
            location: "\(location) (max-pool winner)", index: first.index, ourMargin: first.ours,
            torchMargin: first.torch, position: position, count: count)
    }

    /// Elements whose gradient sign differs from PyTorch's (nil when none).
    static func signFlip(ours: Tensor, torch: Tensor, location: String, position: Int) -> NearTie? {
        guard ours.shape == torch.shape else { return nil }
        let (a, t) = (ours.toArray(), torch.toArray())
        let flips = a.indices.filter { (a[$0] > 0 && t[$0] < 0) || (a[$0] < 0 && t[$0] > 0) }
        guard let first = flips.first else { return nil }
        return NearTie(
            location: location, index: TensorComparison.multiIndex(first, shape: torch.shape), ourMargin: a[first],
            torchMargin: t[first], position: position, count: flips.count)
    }
}
