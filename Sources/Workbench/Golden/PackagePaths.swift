import Foundation

/// Locates files of this package (fixtures, references) from a source file's `#filePath`, for tests and tools that
/// run from anywhere.
public enum PackagePaths {
    /// The package root: the nearest ancestor of `sourceFile` that holds `Package.swift`.
    public static func root(from sourceFile: String) -> URL {
        var url = URL(fileURLWithPath: sourceFile).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        fatalError("no Package.swift above \(sourceFile)")
    }

    /// `relativePath` under the package root.
    public static func file(_ relativePath: String, from sourceFile: String = #filePath) -> String {
        root(from: sourceFile).appendingPathComponent(relativePath).path
    }
}
