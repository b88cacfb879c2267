import Foundation
import Tensors
import Vision

/// How `workbench train --val-split F` held out validation images from one ImageFolder, as `run.json` records it so
/// `evaluate` (or a resumed run) sees the same split.
///
/// The split is **stratified**: each class gives `round(F * n)` of its `n` images (at least one when it has two or
/// more, and never all of them), chosen by a seeded Fisher-Yates shuffle of the class's images in the folder's
/// order - the ``PortableRandom`` stream `"validation split <class>"` under the run's seed, as
/// ``DataLoader/shuffledOrder(count:seed:epoch:)`` shuffles. Unlike `torch.utils.data.random_split`, which draws
/// the whole folder at once, every class is then in both sets in proportion. The chosen files are listed too, so
/// the split is reproduced exactly even by a reader that does not recompute it.
public struct ValidationSplit: Codable, Equatable, Sendable {
    /// Always `stratified`.
    public var method: String
    /// The fraction asked for (`--val-split`).
    public var fraction: Double
    public var seed: UInt64
    /// The validation images, relative to the data folder, in the folder's order.
    public var validationFiles: [String]

    public init(method: String = "stratified", fraction: Double, seed: UInt64, validationFiles: [String]) {
        self.method = method
        self.fraction = fraction
        self.seed = seed
        self.validationFiles = validationFiles
    }

    /// Splits `folder`: the training and validation subsets (each in the folder's order) and the record.
    ///
    /// - Precondition: `fraction` is in (0, 1).
    public static func make(
        _ folder: ImageFolder, fraction: Double, seed: UInt64
    ) -> (split: ValidationSplit, train: ImageFolder, validation: ImageFolder) {
        require(fraction > 0 && fraction < 1, "a validation fraction must be in (0, 1), got \(fraction)")
        var held: Set<Int> = []
        for (classIndex, name) in folder.classes.enumerated() {
            let members = folder.samples.indices.filter { folder.samples[$0].classIndex == classIndex }
            let n = members.count
            guard n >= 2 else { continue }
            let count = min(max(Int((fraction * Double(n)).rounded()), 1), n - 1)
            var order = members
            let stream = PortableRandom(name: "validation split \(name)", seed: seed)
            for (k, i) in (0..<n).dropFirst().reversed().enumerated() {
                order.swapAt(i, Int(Double(stream.uniform(k)) * Double(i + 1)))
            }
            held.formUnion(order.prefix(count))
        }
        let validation = folder.samples.indices.filter(held.contains)
        let train = folder.samples.indices.filter { !held.contains($0) }
        let files = validation.map { relativePath(folder.samples[$0].path, root: folder.root) }
        return (
            ValidationSplit(fraction: fraction, seed: seed, validationFiles: files), folder.subset(train),
            folder.subset(validation)
        )
    }

    /// The training and validation subsets of `folder` this record lists (the listed files that are still there).
    ///
    /// - Throws: ``RunError/mismatch(path:reason:)`` naming `manifestPath` when a listed file is no longer in the
    ///   folder.
    public func apply(
        to folder: ImageFolder, manifestPath: String
    ) throws -> (train: ImageFolder, validation: ImageFolder) {
        let listed = Set(validationFiles)
        let paths = folder.samples.map { ValidationSplit.relativePath($0.path, root: folder.root) }
        let validation = paths.indices.filter { listed.contains(paths[$0]) }
        if validation.count != listed.count {
            let missing = listed.subtracting(paths).sorted().prefix(3).joined(separator: ", ")
            throw RunError.mismatch(
                path: manifestPath,
                reason: "the validation split lists files no longer in \(folder.root) (e.g. \(missing))")
        }
        let train = paths.indices.filter { !listed.contains(paths[$0]) }
        return (folder.subset(train), folder.subset(validation))
    }

    /// `path` relative to `root` (ImageFolder's sample paths are the root joined with the rest).
    static func relativePath(_ path: String, root: String) -> String {
        let expanded = NSString(string: root).expandingTildeInPath
        let prefix = expanded.hasSuffix("/") ? expanded : expanded + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
