import Foundation
import Tensors

extension Adam {
    /// Applies one Adam step to `parameter` in a single pass over its elements (the loop body of
    /// `_single_tensor_adam`); `state.step` has already been advanced to this step's `t`.
    static func update(_ parameter: Tensor, grad: Tensor, state: ParamState, group: Group) {
        // Bias corrections in double as Python computes them, then each scalar rounded to float32 at the kernel.
        let t = Double(state.step)
        let biasCorrection1 = 1 - pow(group.betas.0, t)
        let biasCorrection2 = 1 - pow(group.betas.1, t)
        let stepSize = group.lr / biasCorrection1
        let weight = Float(1 - group.betas.0)
        let scalars = Scalars(
            decay: group.weightDecay != 0 && group.decoupledWeightDecay ? Float(1 - group.lr * group.weightDecay) : 1,
            l2: group.weightDecay != 0 && !group.decoupledWeightDecay ? Float(group.weightDecay) : 0,
            weight: weight, oneMinusWeight: 1 - weight, smallWeight: abs(weight) < 0.5,
            beta2: Float(group.betas.1), oneMinusBeta2: Float(1 - group.betas.1),
            biasCorrection2Sqrt: Float(pow(biasCorrection2, 0.5)), eps: Float(group.eps),
            negativeStepSize: Float(-stepSize), maximize: group.maximize)
        let count = parameter.count
        guard count > 0 else { return }
        parameter.withUnsafeMutableBufferPointer { p in
            grad.withUnsafeBufferPointer { g in
                state.expAvg.withUnsafeMutableBufferPointer { m in
                    state.expAvgSq.withUnsafeMutableBufferPointer { v in
                        if group.amsgrad, let maxExpAvgSq = state.maxExpAvgSq {
                            maxExpAvgSq.withUnsafeMutableBufferPointer { vMax in
                                step(
                                    p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!,
                                    vMax.baseAddress, count: count, scalars)
                            }
                        } else {
                            step(
                                p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, nil,
                                count: count, scalars)
                        }
                    }
                }
            }
        }
    }

    /// The float32 hyperparameters of one step.
    struct Scalars {
        /// `1 - lr * weightDecay` for decoupled decay, else 1 (no multiply).
        let decay: Float
        /// The L2 coefficient added to the gradient, 0 when none.
        let l2: Float
        /// The lerp weight `1 - beta1` and `1 - weight`.
        let weight: Float
        let oneMinusWeight: Float
        /// ATen's lerp takes the `start + weight * (end - start)` form when `|weight| < 0.5`, else
        /// `end - (end - start) * (1 - weight)`.
        let smallWeight: Bool
        let beta2: Float
        let oneMinusBeta2: Float
        let biasCorrection2Sqrt: Float
        let eps: Float
        /// `-lr / (1 - beta1^t)`.
        let negativeStepSize: Float
        let maximize: Bool
    }

    /// The element loop over `count` floats of parameter, gradient, both moments and (AMSGrad) `vMax`.
    private static func step(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
        _ v: UnsafeMutablePointer<Float>, _ vMax: UnsafeMutablePointer<Float>?, count: Int, _ s: Scalars
    ) {
        for i in 0..<count {
            var d = s.maximize ? -g[i] : g[i]
            if s.decay != 1 { p[i] = p[i] * s.decay }
            if s.l2 != 0 { d = d + s.l2 * p[i] }
            let difference = d - m[i]
            let mean = s.smallWeight ? m[i] + s.weight * difference : d - difference * s.oneMinusWeight
            m[i] = mean
            let variance = v[i] * s.beta2 + (s.oneMinusBeta2 * d) * d
            v[i] = variance
            var second = variance
            if let vMax {
                // torch.maximum: NaN wins.
                let previous = vMax[i]
                second = previous > variance || previous.isNaN ? previous : variance
                vMax[i] = second
            }
            let denominator = second.squareRoot() / s.biasCorrection2Sqrt + s.eps
            p[i] = p[i] + (s.negativeStepSize * mean) / denominator
        }
    }
}
