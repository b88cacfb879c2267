#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading an image file's bytes with `open`/`fstat`/`read`: exactly the file's bytes, in one allocation of its
/// size, and an error naming the file and the system's reason otherwise (a missing file, a folder, a file that
/// cannot be read).
///
/// Why not `Data(contentsOf:)`: on Linux, Foundation's reader leaked a 4096-byte buffer for some files (found by
/// the `image-folder` fuzz target, `Fuzz/regressions/image-folder/`), and every image goes through this path.
public enum ImageFile {
    /// The bytes of the file at `path`.
    ///
    /// - Throws: ``ImageError/unreadable(file:reason:)``.
    public static func readBytes(path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw unreadable(path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw unreadable(path) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ImageError.unreadable(
                file: path, reason: status.st_mode & S_IFMT == S_IFDIR ? "it is a folder" : "it is not a regular file")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw unreadable(path) }
            if count == 0 { break }  // the file shrank while being read
            filled += count
        }
        if filled < bytes.count { bytes.removeLast(bytes.count - filled) }
        return bytes
    }

    private static func unreadable(_ path: String) -> ImageError {
        .unreadable(file: path, reason: String(cString: strerror(errno)))
    }
}
