/// The tolerances of the transform references, and why each is what it is.
public enum TransformTolerances {
    /// Copies, divisions and subtractions in the same order as torchvision give identical floats.
    public static let exact = Tolerance.exact

    /// Resizing sums up to 15 products per output and pass in float32. Swift adds them one rounding at a time, in
    /// the order of PyTorch's source; PyTorch's x86-64 build fuses some of those additions into FMA instructions,
    /// so outputs differ by 1-3 ulp. Measured against transforms.h5: max 1.8e-7 on [0, 1] images (Resize), 6.0e-7
    /// after Normalize scales by 1/std (Compose), 0 for the uint8 preset (its rounding to integers absorbs them).
    public static let resampled = Tolerance(
        absolute: 1e-6, relative: 1e-6,
        reason: "float32 resize sums; PyTorch fuses some adds into FMA (1-3 ulp)")

    /// The tolerance of a deterministic case of kind `kind` (its `transform` attribute).
    public static func forCase(_ kind: String) -> Tolerance {
        switch kind {
        case "resize", "compose", "preset": return resampled
        default: return exact
        }
    }
}
