import Foundation

/// Locates this package's files (fixtures, references) for tests and tools that run from any folder.
public enum PackagePaths {
    /// Whether `url` is the workbench package's root: it holds `Package.swift` and `Fixtures/`.
    public static func isPackageRoot(_ url: URL) -> Bool {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        return manager.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
            && manager.fileExists(atPath: url.appendingPathComponent("Fixtures").path, isDirectory: &isFolder)
            && isFolder.boolValue
    }

    /// The nearest folder at or above `start` that is the package root, or nil.
    public static func packageRoot(above start: URL) -> URL? {
        var url = start.standardizedFileURL
        while true {
            if isPackageRoot(url) { return url }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { return nil }
            url = parent
        }
    }

    /// The package root above a source file of this package (`#filePath`).
    public static func root(from sourceFile: String) -> URL {
        guard let root = packageRoot(above: URL(fileURLWithPath: sourceFile).deletingLastPathComponent()) else {
            fatalError("no Package.swift with Fixtures/ above \(sourceFile)")
        }
        return root
    }

    /// `relativePath` under the package root.
    public static func file(_ relativePath: String, from sourceFile: String = #filePath) -> String {
        root(from: sourceFile).appendingPathComponent(relativePath).path
    }
}
