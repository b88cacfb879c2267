import CJPEGCodec
import CPNGCodec

/// Which channels ``PNG/read(path:mode:)`` and ``JPEG/read(path:mode:)`` return; mirrors
/// `torchvision.io.ImageReadMode`.
public enum ImageReadMode: Sendable, CaseIterable {
    /// The file's own channels. PNG: gray, gray + alpha, RGB or RGBA; low bit depth gray is scaled to
    /// 8 bits (1-bit 0/1 -> 0/255); a palette is expanded to RGB, or to RGBA when the file has a tRNS
    /// chunk (torchvision's `UNCHANGED` returns palette indices instead). JPEG: gray files give 1
    /// channel, YCbCr and RGB files 3 (RGB); CMYK and YCCK files give RGB as ``rgb`` does, because
    /// ``Image`` has no CMYK layout (torchvision's `UNCHANGED` returns the 4 CMYK channels).
    case unchanged
    /// One channel, like `ImageReadMode.GRAY`. PNG: alpha dropped, colour reduced by libpng's
    /// `png_set_rgb_to_gray` with torchvision's weights (0.2989 R, 0.587 G, the rest B); when the file
    /// has a gAMA chunk, libpng (hence torchvision) mixes the colours in linear light. JPEG: libjpeg's
    /// grayscale output (the decoded Y channel of a YCbCr file); CMYK through its PIL RGB with PIL's
    /// `convert("L")` weights, as torchvision's `decode_jpeg` does.
    case gray
    /// Three channels, like `ImageReadMode.RGB` and PIL's `convert("RGB")`: gray replicated, palette
    /// expanded, alpha dropped (not composited over a background); JPEG CMYK converted by PIL's formula.
    case rgb

    /// The matching `TL_PNG_MODE_*` code of the PNG codec.
    var code: Int32 {
        switch self {
        case .unchanged: return TL_PNG_MODE_UNCHANGED
        case .gray: return TL_PNG_MODE_GRAY
        case .rgb: return TL_PNG_MODE_RGB
        }
    }

    /// The matching `TL_JPEG_MODE_*` code of the JPEG codec.
    var jpegCode: Int32 {
        switch self {
        case .unchanged: return TL_JPEG_MODE_UNCHANGED
        case .gray: return TL_JPEG_MODE_GRAY
        case .rgb: return TL_JPEG_MODE_RGB
        }
    }
}
