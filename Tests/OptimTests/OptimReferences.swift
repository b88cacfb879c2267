import Golden

/// `Fixtures/references/optim.h5`, opened once; the replays live in Golden (`OptimizerReplay`, `ScheduleReplay`),
/// shared with `workbench regress`.
enum OptimReferences {
    static let path = PackagePaths.file(OptimReferenceFile.defaultRelativePath)
    static let file: OptimReferenceFile = {
        do { return try OptimReferenceFile(path: path) } catch { fatalError("cannot open \(path): \(error)") }
    }()
    static let optimizerCaseNames = file.optimizerCaseNames
    static let scheduleCaseNames = file.scheduleCaseNames
}
