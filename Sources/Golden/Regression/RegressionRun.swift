import Foundation

/// Collects `workbench regress`'s families: replays every stored reference family this library can (op cases,
/// optimizer steps, schedules, transforms, PNG and JPEG decoding, checkpoints, whole-model traces) with the same
/// replay code the test suites call, records each file's provenance, and warns by name about files recorded with
/// another torch than the pinned one or with a newer schema (the latter fail). Other libraries add their families
/// (the lessons) through ``add(family:files:cases:)``.
public struct RegressionRun {
    /// One case to replay: its name within the family and the replay.
    public typealias Case = (name: String, replay: () throws -> ReplayResult)

    /// The newest `schema_version` each family's reader understands.
    public static let supportedSchema: [String: Int] = [
        "ops": 1, "optimizers": 1, "schedulers": 1, "transforms": 1, "images": 1, "checkpoints": 1,
        "traces": TraceFile.supportedSchema,
        "lessons": 1,
    ]

    public let root: URL
    public let filter: String?
    public let pinnedTorch: String?
    public private(set) var families: [RegressionReport.Family] = []
    /// Per file: where it is, the torch and generator arguments it was recorded with.
    public private(set) var references: [String] = []

    public init(root: URL, filter: String?) {
        self.root = root
        self.filter = filter
        pinnedTorch = ReferenceProvenance.pinnedTorchVersion(root: root)
    }

    /// Whether `--filter` keeps case `name` of `family` (matched against `family/name`).
    public func wanted(_ family: String, _ name: String) -> Bool {
        filter.map { "\(family)/\(name)".contains($0) } ?? true
    }

    /// Adds a family: `files` (paths under the root) are its reference files, whose provenance is recorded;
    /// `cases` lists the cases (it may throw when a file cannot be opened: the family then has one failing case
    /// naming the file). A file with a newer schema than the family reads fails the family without replaying it.
    public mutating func add(family: String, files: [String], cases: () throws -> [Case]) {
        var warnings: [String] = []
        var provenanceLines: [String] = []
        var refusals: [RegressionReport.Case] = []
        for file in files {
            let path = root.appendingPathComponent(file).path
            guard FileManager.default.fileExists(atPath: path) else {
                refusals.append(.init(name: file, error: RegressionError.missingFile(path: path, family: family)))
                continue
            }
            do {
                let provenance = try ReferenceProvenance(path: path)
                provenanceLines.append("\(file): \(provenance.summary)")
                if let warning = provenance.versionWarning(pinned: pinnedTorch) { warnings.append(warning) }
                if let problem = provenance.schemaProblem(supported: Self.supportedSchema[family] ?? 1) {
                    refusals.append(.init(name: file, error: RegressionError.newerSchema(problem)))
                }
            } catch {
                provenanceLines.append("\(file): unreadable")
                refusals.append(.init(name: file, error: error))
            }
        }
        var replayed: [RegressionReport.Case] = []
        if refusals.isEmpty {
            do {
                for item in try cases() where wanted(family, item.name) {
                    do {
                        replayed.append(.init(name: item.name, result: try item.replay()))
                    } catch {
                        replayed.append(.init(name: item.name, error: error))
                    }
                }
            } catch {
                replayed.append(.init(name: files.first ?? family, error: error))
            }
        }
        // A file that cannot be read at all is reported unless --filter names another family.
        let familyWanted = filter.map { family.hasPrefix($0) || $0.hasPrefix(family) } ?? true
        let all = (familyWanted || !replayed.isEmpty ? refusals : []) + replayed
        guard !all.isEmpty else { return }
        references += provenanceLines.filter { !references.contains($0) }
        families.append(.init(name: family, cases: all, warnings: warnings))
    }

    /// Every family of stored references the Golden library replays.
    public mutating func addStoredFamilies() {
        let root = self.root
        let path = { (relative: String) in root.appendingPathComponent(relative).path }
        add(family: "ops", files: [OpReferenceFile.defaultRelativePath]) {
            let file = try OpReferenceFile(path: path(OpReferenceFile.defaultRelativePath))
            return file.caseNames.map { name in
                (
                    name,
                    {
                        var result = ReplayResult()
                        for comparison in try OpReplay.run(try file.loadCase(name)) { result.append(comparison) }
                        return result
                    }
                )
            }
        }
        add(family: "optimizers", files: [OptimReferenceFile.defaultRelativePath]) {
            let file = try OptimReferenceFile(path: path(OptimReferenceFile.defaultRelativePath))
            return file.optimizerCaseNames.map { name in
                (name, { try OptimizerReplay.run(try file.optimizerCase(name)) })
            }
        }
        add(family: "schedulers", files: [OptimReferenceFile.defaultRelativePath]) {
            let file = try OptimReferenceFile(path: path(OptimReferenceFile.defaultRelativePath))
            return file.scheduleCaseNames.map { name in (name, { try ScheduleReplay.run(file, name) }) }
        }
        add(family: "transforms", files: [TransformReferenceFile.defaultRelativePath]) {
            let file = try TransformReferenceFile(path: path(TransformReferenceFile.defaultRelativePath), root: root)
            return file.replayAll().map { item in (item.name, { try item.result.get() }) }
        }
        let imageFormats: [ImageReferenceFolder.Format] = [.png, .jpeg]
        add(family: "images", files: imageFormats.map { $0.relativePath + "/expected.h5" }) {
            try imageFormats.flatMap { format in
                let folder = try ImageReferenceFolder(format: format, directory: path(format.relativePath))
                return folder.replayAll().map { item in ("\(format.rawValue)/\(item.name)", { try item.result.get() }) }
            }
        }
        add(family: "checkpoints", files: [ExpectedCheckpoint.defaultRelativePath + "/expected.h5"]) {
            let folder = path(ExpectedCheckpoint.defaultRelativePath)
            return try ExpectedCheckpoint.groupNames(folder: folder).map { name in
                (name, { try CheckpointReplay.run(folder: folder, group: name) })
            }
        }
        let traceFolder = "Fixtures/references/traces"
        let traceNames = ((try? FileManager.default.contentsOfDirectory(atPath: path(traceFolder))) ?? [])
            .filter { $0.hasSuffix(".h5") }.sorted()
        add(family: "traces", files: traceNames.filter { wanted("traces", $0) }.map { "\(traceFolder)/\($0)" }) {
            traceNames.map { name in
                (
                    name,
                    { TraceReplay.result(try TraceReport(trace: try TraceFile(path: path("\(traceFolder)/\(name)")))) }
                )
            }
        }
    }

    /// The report over every family added, with this run's provenance.
    public func report(notReplayed: [String]) -> RegressionReport {
        RegressionReport(
            families: families, run: RunProvenance.current(root: root).entries, references: references,
            notReplayed: notReplayed)
    }
}

/// Why a family could not be replayed at all.
public enum RegressionError: Error, CustomStringConvertible {
    case missingFile(path: String, family: String)
    case newerSchema(String)

    public var description: String {
        switch self {
        case .missingFile(let path, let family):
            return "\(path) is missing: the \(family) family cannot be replayed (record it with "
                + "Fixtures/generate_references.py, see README 'Recording new references')"
        case .newerSchema(let message): return message
        }
    }
}
