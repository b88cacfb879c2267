import Golden
import Tensors

/// The stored PyTorch op references shared by the op tests.
enum References {
    static let opsPath = PackagePaths.file(OpReferenceFile.defaultRelativePath)
    static let ops: OpReferenceFile = {
        do { return try OpReferenceFile(path: opsPath) } catch { fatalError("cannot open \(opsPath): \(error)") }
    }()
}
