/// The checkpoint file formats this module reads and writes.
public enum CheckpointFormat: String, CaseIterable, Sendable {
    /// `torch.save` since torch 1.6: a zip archive holding `data.pkl` and raw storage records.
    case torchZip
    /// `torch.save(..., _use_new_zipfile_serialization=False)` and every file before torch 1.6: pickles in a row.
    case torchLegacy
    /// Hugging Face safetensors: a JSON header and a flat little-endian buffer, no code.
    case safetensors

    /// The format whose magic bytes start `bytes`; otherwise an error that shows the first bytes. The extension
    /// of `path` only sharpens that message; it never decides the format.
    static func detect(_ bytes: UnsafeRawBufferPointer, path: String) throws -> CheckpointFormat {
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03 || bytes[2] == 0x05,
            bytes[3] == bytes[2] + 1
        {
            return .torchZip
        }
        if bytes.count >= 9, bytes[8] == UInt8(ascii: "{") {
            return .safetensors
        }
        if bytes.count >= 2, bytes[0] == 0x80, bytes[1] <= 5 {
            return .torchLegacy
        }
        if bytes.count >= 262, Array(bytes[257..<262]) == Array("ustar".utf8) {
            throw CheckpointError.unsupportedFormat(
                path: path, detail: "a tar archive: the format torch used before 0.4; load and re-save it with torch")
        }
        let shown = bytes.prefix(8).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
        let suffix = path.split(separator: "/").last.flatMap { name in
            name.contains(".") ? name.split(separator: ".").last.map(String.init) : nil
        }
        let expectation =
            suffix.map { suffix in
                " (the extension .\(suffix) suggests " + expectedFormat(forExtension: suffix) + ")"
            } ?? ""
        throw CheckpointError.unknownFormat(
            path: path,
            detail: "starts with \(shown); expected a zip (50 4b 03 04), a legacy torch pickle (80 02) or a "
                + "safetensors header (8-byte length, then '{')\(expectation)")
    }

    /// What a file with this extension usually holds, for messages.
    private static func expectedFormat(forExtension suffix: String) -> String {
        switch suffix.lowercased() {
        case "safetensors": return "safetensors, but its JSON header does not start with '{' at byte 8"
        case "pth", "pt", "bin", "ckpt", "tar": return "a torch.save file, but it has neither zip nor pickle magic"
        default: return "nothing this reader knows"
        }
    }
}
