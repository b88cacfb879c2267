import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A folder tree spelled by a fuzz input, for the ImageFolder target: a sequence of records, each a path (bytes up to
/// a marker byte; `/` separates folders; any other byte, invalid UTF-8 included, is kept as the file system allows)
/// and a marker: `0x02` makes the path a folder; `0x01` makes it a file whose contents follow as a 2-byte
/// little-endian length and that many bytes. A path holding NUL, absolute or with a `.`/`..` component is skipped, so
/// a tree never reaches outside its scratch folder. At most 64 records.
public enum FolderTree {
    public struct ScratchError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// This process's scratch folder (under `TMPDIR`, `/dev/shm` when it exists, or `/tmp`).
    public static let scratchFolder: String = {
        let base =
            ProcessInfo.processInfo.environment["TMPDIR"]
            ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : "/tmp")
        let folder = base + "/workbench-fuzz-\(getpid())"
        mkdir(folder, 0o700)
        return folder
    }()

    /// Scratch names handed out so far: calls running at once (the test suite replays inputs in parallel) each
    /// get their own file or folder.
    private static let scratchNames = Atomic<Int>(0)

    /// A path in ``scratchFolder`` that no other call of this process uses: `name` with a number added.
    public static func uniqueScratchPath(_ name: String) -> String {
        let number = scratchNames.wrappingAdd(1, ordering: .relaxed).oldValue
        return scratchFolder + "/\(name)-\(number)"
    }

    /// Builds the tree of `bytes` in a fresh folder, calls `body` with its path, then removes it.
    public static func withTree(_ bytes: [UInt8], _ body: (String) throws -> Void) throws {
        let root = uniqueScratchPath("tree")
        removeTree(Array(root.utf8))
        guard mkdir(root, 0o700) == 0 else { throw ScratchError(message: "cannot create \(root)") }
        defer { removeTree(Array(root.utf8)) }
        var position = 0
        var records = 0
        while position < bytes.count, records < 64 {
            records += 1
            guard let marker = bytes[position...].firstIndex(where: { $0 == 0x01 || $0 == 0x02 }) else { break }
            let path = Array(bytes[position..<marker])
            var contents: [UInt8]?
            position = marker + 1
            if bytes[marker] == 0x01 {
                let length = position + 1 < bytes.count ? Int(bytes[position]) | Int(bytes[position + 1]) << 8 : 0
                position = min(bytes.count, position + 2)
                let end = min(bytes.count, position + length)
                contents = Array(bytes[position..<end])
                position = end
            }
            let components = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            guard !components.isEmpty, path.first != UInt8(ascii: "/"), components.count <= 8, !path.contains(0),
                !components.contains(where: { $0.elementsEqual("..".utf8) || $0.elementsEqual(".".utf8) })
            else { continue }
            var current = Array(root.utf8)
            for (index, component) in components.enumerated() {
                current += [UInt8(ascii: "/")] + component
                if let contents, index == components.count - 1 {
                    writeFile(current, contents)
                } else {
                    withCString(current) { _ = mkdir($0, 0o700) }
                }
            }
        }
        try body(root)
    }

    private static func withCString<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
        }
    }

    private static func writeFile(_ path: [UInt8], _ contents: [UInt8]) {
        let descriptor = withCString(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        guard descriptor >= 0 else { return }
        contents.withUnsafeBytes { buffer in
            if let base = buffer.baseAddress { _ = write(descriptor, base, buffer.count) }
        }
        close(descriptor)
    }

    /// Removes `path` and everything under it, by raw bytes (names need not be UTF-8; links are not followed).
    static func removeTree(_ path: [UInt8]) {
        var status = stat()
        guard withCString(path, { lstat($0, &status) }) == 0 else { return }
        if status.st_mode & S_IFMT == S_IFDIR {
            if let directory = withCString(path, { opendir($0) }) {
                var names: [[UInt8]] = []
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        Array(raw.prefix(while: { $0 != 0 }))
                    }
                    if name != Array(".".utf8), name != Array("..".utf8) { names.append(name) }
                }
                closedir(directory)
                for name in names { removeTree(path + [UInt8(ascii: "/")] + name) }
            }
            _ = withCString(path) { rmdir($0) }
        } else {
            _ = withCString(path) { unlink($0) }
        }
    }
}
