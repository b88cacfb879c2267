/// Why `workbench export` wrote nothing; each case names the file.
public enum ExportError: Error, Equatable, CustomStringConvertible {
    /// The file is there already (pass `--force` to replace it).
    case exists(path: String)
    /// The extension names no checkpoint format the export writes.
    case unsupportedExtension(path: String)

    public var description: String {
        switch self {
        case let .exists(path):
            return "\(path) exists; pass --force to replace it"
        case let .unsupportedExtension(path):
            return "\(path): export writes .pth (torch.save's zip format) or .safetensors; choose one of those "
                + "extensions"
        }
    }
}
