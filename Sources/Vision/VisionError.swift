import Images

/// Why a dataset could not be scanned, an image loaded, a transform applied or a batch assembled; every message
/// names the file, folder or tensor shape at fault.
public enum VisionError: Error, Equatable, CustomStringConvertible {
    /// The dataset root does not exist.
    case rootNotFound(path: String)
    /// The dataset root exists but is not a folder.
    case notADirectory(path: String)
    /// The root holds no class sub-folder (torchvision: "Couldn't find any class folder in ...").
    case noClassFolders(root: String)
    /// These classes hold no file with an image extension (torchvision: "Found no valid file for the classes ...").
    case emptyClasses(root: String, classes: [String])
    /// A class folder or image file name is not valid UTF-8 (`name` shows its bytes, invalid ones as `\xFF`): it
    /// could be neither shown nor opened again by name, so it is refused rather than silently left out.
    case undecodableName(folder: String, name: String)
    /// The file has an image extension, but a format this module cannot decode (PNG and JPEG are decoded).
    case unsupportedImageFormat(path: String, reason: String)
    /// The file could not be read or decoded.
    case unreadableImage(path: String, error: ImageError)
    /// A transform was given a tensor it cannot handle (wrong rank or channel count).
    case invalidInput(transform: String, shape: [Int], reason: String)
    /// A sample's transformed shape differs from the first sample of its batch, so the batch cannot be stacked.
    case shapeMismatch(path: String, expected: [Int], actual: [Int])
    /// A ``Compose`` whose steps do not fit what it is applied to (no `ToTensor()` first for an image).
    case invalidPipeline(reason: String)

    public var description: String {
        switch self {
        case let .invalidPipeline(reason):
            return reason
        case let .undecodableName(folder, name):
            return "\(folder): holds '\(name)', a name that is not valid UTF-8; rename it (class folder and image "
                + "names must be UTF-8 text)"
        case let .rootNotFound(path):
            return "image folder '\(path)' does not exist"
        case let .notADirectory(path):
            return "image folder root '\(path)' is not a directory"
        case let .noClassFolders(root):
            return "found no class folder in '\(root)': each class must be a sub-folder of the root"
        case let .emptyClasses(root, classes):
            return "found no valid file for the classes \(classes.joined(separator: ", ")) in '\(root)'; supported "
                + "extensions are: \(ImageFolder.imageExtensions.joined(separator: ", "))"
        case let .unsupportedImageFormat(path, reason):
            return "cannot decode image '\(path)': \(reason)"
        case let .unreadableImage(path, error):
            // The image errors name their file already: say it once.
            let reason = "\(error)"
            return reason.contains(path) ? reason : "cannot load image '\(path)': \(reason)"
        case let .invalidInput(transform, shape, reason):
            return "\(transform) cannot transform a tensor of shape \(shape): \(reason)"
        case let .shapeMismatch(path, expected, actual):
            return "'\(path)' transforms to shape \(actual), but the batch's first sample has shape \(expected); "
                + "add a Resize or CenterCrop so that every sample has the same size"
        }
    }
}

extension VisionError {
    /// Whether the error is about one image file that cannot be read or decoded (what `skipBadFiles` leaves out).
    public var isAboutOneImage: Bool { path != nil }

    /// The image file a load error is about (`nil` for errors that are not about one file).
    var path: String? {
        switch self {
        case let .unsupportedImageFormat(path, _), let .unreadableImage(path, _): return path
        default: return nil
        }
    }
}
