import CPNGCodec

/// Which channels ``PNG/read(path:mode:)`` returns; mirrors `torchvision.io.ImageReadMode`.
public enum ImageReadMode: Sendable, CaseIterable {
    /// The file's own channels (gray, gray + alpha, RGB or RGBA). Low bit depth gray is scaled to
    /// 8 bits (1-bit 0/1 -> 0/255); a palette is expanded to RGB, or to RGBA when the file has a
    /// tRNS chunk. (torchvision's `UNCHANGED` returns palette indices instead.)
    case unchanged
    /// One channel, like `ImageReadMode.GRAY`: alpha dropped, colour reduced by libpng's
    /// `png_set_rgb_to_gray` with torchvision's weights (0.2989 R, 0.587 G, the rest B). When the
    /// file has a gAMA chunk, libpng (hence torchvision) mixes the colours in linear light.
    case gray
    /// Three channels, like `ImageReadMode.RGB` and PIL's `convert("RGB")`: gray replicated,
    /// palette expanded, alpha dropped (not composited over a background).
    case rgb

    /// The matching `TL_PNG_MODE_*` code of the C codec.
    var code: Int32 {
        switch self {
        case .unchanged: return TL_PNG_MODE_UNCHANGED
        case .gray: return TL_PNG_MODE_GRAY
        case .rgb: return TL_PNG_MODE_RGB
        }
    }
}
