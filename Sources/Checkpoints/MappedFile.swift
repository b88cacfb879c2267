#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file: the bytes are paged in on demand, never copied up front.
///
/// Directories, other non-regular files and empty files are refused before mapping.
final class MappedFile {
    let path: String
    private let base: UnsafeMutableRawPointer
    private let size: Int

    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw CheckpointError.cannotOpen(path: path, reason: systemMessage())
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw CheckpointError.cannotOpen(path: path, reason: systemMessage())
        }
        let kind = status.st_mode & S_IFMT
        guard kind == S_IFREG else {
            throw CheckpointError.notARegularFile(path: path, kind: kind == S_IFDIR ? "directory" : "special file")
        }
        guard status.st_size > 0 else {
            throw CheckpointError.emptyFile(path: path)
        }
        guard let size = Int(exactly: status.st_size) else {
            throw CheckpointError.resourceLimit(
                path: path,
                detail: "file size \(status.st_size) does not fit in memory")
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw CheckpointError.cannotOpen(path: path, reason: "mmap failed: \(systemMessage())")
        }
        self.base = mapped
        self.size = size
    }

    deinit {
        munmap(base, size)
    }

    /// Calls `body` with the file's bytes; the buffer is valid only during the call.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: size))
    }
}

/// The message for the current `errno`.
func systemMessage() -> String {
    String(cString: strerror(errno))
}
