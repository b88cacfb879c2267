import ArgumentParser
import Foundation
import Golden

/// `--root`: the package root holding `Fixtures/`. Without it the root is found from the executable's location
/// (`.build/release/workbench` sits inside the package it was built from), then from the current folder, so the
/// commands work from any folder.
struct RootOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The package root (the folder holding Fixtures/).",
            discussion: "Default: the package this executable was built in, else the current folder's."),
        completion: .directory)
    var root: String?

    /// The package root, or a validation error naming where it looked.
    func resolved() throws -> URL {
        if let root {
            let url = URL(fileURLWithPath: root).standardizedFileURL
            guard PackagePaths.isPackageRoot(url) else {
                throw ValidationError("--root '\(root)' holds no Fixtures/ folder: pass the workbench package's root")
            }
            return url
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [
            executable.deletingLastPathComponent(),
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        ]
        for start in candidates {
            if let root = PackagePaths.packageRoot(above: start) { return root }
        }
        throw ValidationError(
            "no workbench package (a folder with Package.swift and Fixtures/) above the executable "
                + "or the current folder: pass --root PATH")
    }

    /// `relativePath` under the resolved root.
    func path(_ relativePath: String) throws -> String {
        try resolved().appendingPathComponent(relativePath).path
    }
}
