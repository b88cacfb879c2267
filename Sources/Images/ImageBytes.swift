import Foundation

/// Reading an image file's bytes, with a failure named the way a shell names it.
public enum ImageBytes {
    /// The whole of `path` (`open(path, "rb").read()`, as PIL's `Image.open` starts).
    /// - Throws: ``ImageError/unreadable(file:reason:)`` naming `path` and why: "no such file", "permission
    ///   denied", "is a directory", or the system's own description.
    public static func read(path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ImageError.unreadable(file: path, reason: "is a directory")
        }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            throw ImageError.unreadable(file: path, reason: "no such file")
        } catch let error as CocoaError where error.code == .fileReadNoPermission {
            throw ImageError.unreadable(file: path, reason: "permission denied")
        } catch {
            throw ImageError.unreadable(file: path, reason: error.localizedDescription)
        }
    }
}
