extension Tensor {
    /// The same elements viewed with another shape, sharing storage (`reshape` / `view` on a contiguous tensor).
    /// One dimension may be `-1` and is then inferred.
    public func reshape(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            require(known > 0 && count % known == 0, "reshape: cannot infer -1 in \(newShape) for \(count) elements")
            resolved[inferred] = count / known
        }
        require(
            resolved.reduce(1, *) == count,
            "reshape: shape \(newShape) is invalid for a tensor of shape \(shape) (\(count) elements)")
        let output = Tensor(shape: resolved, storage: storage, offset: offset)
        let inputShape = shape
        record("ViewBackward", output: output, inputs: [self]) { gradOutput, _ in [gradOutput.reshape(inputShape)] }
        return output
    }

    /// Merges dimensions `startDim...endDim` into one (`torch.flatten`); negative dimensions count from the end.
    ///
    /// Shape: `[N, C, H, W]` with `startDim: 1` gives `[N, C * H * W]`.
    public func flatten(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        if rank == 0 { return reshape([1]) }
        let start = normalizedDim(startDim)
        let end = normalizedDim(endDim)
        require(start <= end, "flatten: start_dim \(startDim) comes after end_dim \(endDim) for shape \(shape)")
        let merged = shape[start...end].reduce(1, *)
        return reshape(Array(shape[..<start]) + [merged] + Array(shape[(end + 1)...]))
    }
}

/// Functional form of ``Tensor/flatten(startDim:endDim:)`` (`torch.flatten`).
public func flatten(_ input: Tensor, startDim: Int = 0, endDim: Int = -1) -> Tensor {
    input.flatten(startDim: startDim, endDim: endDim)
}
