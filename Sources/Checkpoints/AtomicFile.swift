import Foundation

/// Replaces a file so that a reader - or a process started after a crash, a `kill -9` or a power cut - sees either
/// the old file or the new one, never a mixture: the bytes go to a temporary file in the same folder, which is
/// flushed to disk (`fsync`), renamed over the target (`rename` is atomic within a file system), and the folder is
/// flushed so the rename itself survives. What Python's `os.replace` after `f.flush(); os.fsync(f)` does.
public enum AtomicFile {
    /// A write that failed; the previous file at `path`, if any, is untouched.
    public struct WriteError: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let reason: String

        public var description: String { "\(path): cannot write: \(reason)" }
    }

    /// Writes `bytes` to `path`, replacing any file there atomically.
    ///
    /// - Throws: ``WriteError`` naming `path` (a missing or read-only folder, a full disk); the temporary file is
    ///   removed and the old file is left as it was.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws {
        let temporary = path + ".partial-\(getpid())"
        if let injected = TestFault.shared.errorNumber(writing: path) {
            throw WriteError(path: path, reason: String(cString: strerror(injected)))
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw WriteError(path: path, reason: systemMessage()) }
        let contiguous = Array(bytes)
        var pauseAt = TestPause.shared.byteCount(writing: path, total: contiguous.count)
        var failure: String? = contiguous.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                if let point = pauseAt, written >= point {
                    TestPause.shared.pause(path: path, written: written)
                    pauseAt = nil
                }
                let limit = pauseAt ?? buffer.count
                let count = Foundation.write(descriptor, buffer.baseAddress! + written, limit - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return systemMessage()
                }
                written += count
            }
            return nil
        }
        if failure == nil, fsync(descriptor) != 0 { failure = systemMessage() }
        if close(descriptor) != 0, failure == nil { failure = systemMessage() }
        if failure == nil, rename(temporary, path) != 0 { failure = systemMessage() }
        if let failure {
            unlink(temporary)
            throw WriteError(path: path, reason: failure)
        }
        syncFolder(containing: path)
    }

    /// Writes `text` as UTF-8 (see ``write(_:to:)``).
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// A pause in the middle of a write, for tests that kill the process there: with the environment variable
    /// `WORKBENCH_TEST_PAUSE_IN_SAVE=NAME:N`, the `N`th write to a file named `NAME` stops after half of its bytes
    /// are in the temporary file, prints `paused in save: PATH` on standard error and sleeps for a minute.
    final class TestPause: @unchecked Sendable {
        static let shared = TestPause()
        private let target: (name: String, occurrence: Int)?
        private let lock = NSLock()
        private var seen = 0

        private init() {
            let value = ProcessInfo.processInfo.environment["WORKBENCH_TEST_PAUSE_IN_SAVE"] ?? ""
            let parts = value.split(separator: ":")
            if parts.count == 2, let occurrence = Int(parts[1]) {
                target = (String(parts[0]), occurrence)
            } else {
                target = nil
            }
        }

        /// The byte count to pause at in this write of `path`, or nil.
        func byteCount(writing path: String, total: Int) -> Int? {
            guard let target, (path as NSString).lastPathComponent == target.name else { return nil }
            lock.lock()
            defer { lock.unlock() }
            seen += 1
            return seen == target.occurrence ? total / 2 : nil
        }

        func pause(path: String, written: Int) {
            FileHandle.standardError.write(Data("paused in save: \(path) (\(written) bytes written)\n".utf8))
            Thread.sleep(forTimeInterval: 60)
        }
    }

    /// An injected write failure, for tests of a read-only folder or a full disk where the test cannot make one
    /// (as root, `chmod` does not stop writes): with `WORKBENCH_TEST_FAIL_WRITE=NAME:N:ERRNO` (`ERRNO` one of
    /// `EROFS`, `ENOSPC`, `EACCES`, `EIO`), the `N`th and every later write to a file named `NAME` fails before
    /// anything is written, as `open` would fail on a read-only folder.
    final class TestFault: @unchecked Sendable {
        static let shared = TestFault()
        private let target: (name: String, occurrence: Int, errorNumber: Int32)?
        private let lock = NSLock()
        private var seen = 0

        private init() {
            let value = ProcessInfo.processInfo.environment["WORKBENCH_TEST_FAIL_WRITE"] ?? ""
            let parts = value.split(separator: ":").map(String.init)
            let numbers: [String: Int32] = ["EROFS": EROFS, "ENOSPC": ENOSPC, "EACCES": EACCES, "EIO": EIO]
            if parts.count == 3, let occurrence = Int(parts[1]), let number = numbers[parts[2]] {
                target = (parts[0], occurrence, number)
            } else {
                target = nil
            }
        }

        /// The error number this write of `path` fails with, or nil.
        func errorNumber(writing path: String) -> Int32? {
            guard let target, (path as NSString).lastPathComponent == target.name else { return nil }
            lock.lock()
            defer { lock.unlock() }
            seen += 1
            return seen >= target.occurrence ? target.errorNumber : nil
        }
    }

    /// Flushes the folder entry of a renamed file (best effort: some file systems refuse `fsync` on folders).
    private static func syncFolder(containing path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
