import Foundation

extension ImageFolder {
    /// Python's `str` order: by Unicode code point, which is the byte order of UTF-8 (not Swift's `<`, which
    /// compares canonically equivalent strings as equal, nor the locale's collation).
    static func codePointOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// `os.path.join(directory, name)` for a relative `name`.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Whether `name` ends with one of ``imageExtensions``, ignoring case (`has_file_allowed_extension`).
    static func hasImageExtension(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return imageExtensions.contains { lowered.hasSuffix($0) }
    }

    /// The first entry of `directory` whose name is not valid UTF-8, spelled with its invalid bytes as `\xFF`, or
    /// nil. (Foundation's listing cannot represent such a name, so it would drop the entry without a word.)
    static func undecodableName(in directory: String) -> String? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            guard !isUTF8(name[...]) else { continue }
            var shown = ""
            var index = 0
            while index < name.count {
                if let end = (index + 1...min(name.count, index + 4)).first(where: {
                    isUTF8(name[index..<$0])
                }) {
                    shown += String(decoding: name[index..<end], as: UTF8.self)
                    index = end
                } else {
                    shown += "\\x" + String(name[index], radix: 16, uppercase: true)
                    index += 1
                }
            }
            return shown
        }
        return nil
    }

    private static func isUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes)
    }

    /// The entries of `directory` split as `os.scandir` + `is_dir()` would: folders (symbolic links to folders
    /// included) and everything else. An unreadable folder lists nothing, as `os.walk` ignores it.
    static func listing(_ directory: String) -> (directories: [String], files: [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ([], []) }
        var directories: [String] = []
        var files: [String] = []
        for name in names {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: join(directory, name), isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                directories.append(name)
            } else {
                files.append(name)
            }
        }
        return (directories, files)
    }

    /// The image files under `top`, in torchvision's order: `sorted(os.walk(top, followlinks=True))` (walked
    /// folders sorted by path), then each folder's file names sorted. Each folder is visited once even when
    /// symbolic links form a cycle (where `os.walk` would recurse until the path is too long).
    static func imageFiles(under top: String) -> [String] {
        var walked: [(folder: String, files: [String])] = []
        var visited: Set<String> = []
        walk(top, into: &walked, visited: &visited)
        walked.sort { codePointOrder($0.folder, $1.folder) }
        return walked.flatMap { folder, files in
            files.filter(hasImageExtension).sorted(by: codePointOrder).map { join(folder, $0) }
        }
    }

    /// Appends `folder` and, recursively, its sub-folders to `walked`, skipping real paths already in `visited`.
    private static func walk(
        _ folder: String, into walked: inout [(folder: String, files: [String])],
        visited: inout Set<String>
    ) {
        let realPath = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        guard visited.insert(realPath).inserted else { return }
        let (directories, files) = listing(folder)
        walked.append((folder, files))
        for name in directories {
            walk(join(folder, name), into: &walked, visited: &visited)
        }
    }
}
