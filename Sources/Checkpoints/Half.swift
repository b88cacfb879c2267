/// IEEE half precision (float16) and bfloat16 <-> Float conversions on raw bit patterns.
///
/// Float -> 16-bit rounds to nearest, ties to even, as torch's `c10::Half` and `c10::BFloat16` constructors do
/// (`c10/util/Half.h`, `c10/util/BFloat16.h`); the portable bit arithmetic avoids Swift's `Float16`, which is
/// missing on Intel macOS.
enum Half {
    /// The Float a float16 bit pattern denotes (exact: every float16 is a Float).
    static func float(fromFloat16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// The float16 bit pattern nearest to `value` (ties to even; overflow gives infinity, NaN stays NaN).
    static func float16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 {
            return sign | 0x7E00
        }
        if magnitude >= 0x477F_F000 {
            return sign | 0x7C00
        }
        if magnitude < 0x3880_0000 {
            let scaled = (Float(bitPattern: magnitude) * 0x1p24).rounded(.toNearestOrEven)
            return sign | UInt16(scaled)
        }
        let exponent = (magnitude >> 23) - 112
        let mantissa = magnitude & 0x7F_FFFF
        var half = (exponent << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) {
            half += 1
        }
        return sign | UInt16(half)
    }

    /// The Float a bfloat16 bit pattern denotes (exact: bfloat16 is the top half of a Float).
    static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even; NaN becomes 0x7FC0 as in torch).
    static func bfloat16(from value: Float) -> UInt16 {
        if value.isNaN {
            return 0x7FC0
        }
        let bits = value.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
