/// Text from outside - class folder names, file names - made safe to print on a terminal: control characters
/// (C0, DEL, C1, which can move the cursor, recolour or retitle the terminal) and the bidirectional overrides
/// (which can reorder what is shown) are written as escapes, `\n`, `\t`, `\r` or `\u{1B}`, so the name shows as
/// text and nothing it holds acts on the terminal.
public enum TerminalText {
    /// `text` with every control and bidi-override character escaped.
    public static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case _ where isUnsafe(scalar):
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Whether `scalar` acts on a terminal or on the order text is displayed in.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1 controls
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true  // bidi overrides and marks
        default: return false
        }
    }

    /// `text` escaped and padded with spaces to `width` characters, on the right (`left` alignment) or left.
    public static func padded(_ text: String, to width: Int, alignLeft: Bool = true) -> String {
        let shown = escaped(text)
        let padding = String(repeating: " ", count: max(0, width - shown.count))
        return alignLeft ? shown + padding : padding + shown
    }
}
