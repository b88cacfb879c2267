import Foundation
import Kernels

/// Where a run happened: the engine commit and the machine kind as the kernels see it (CPU model, the CPU flags
/// the kernels care about, cores, the OpenBLAS core and the kernels' thread count). `workbench regress` prints it
/// beside the references' provenance; benchmark baselines record it and refuse to compare across machine kinds.
public struct RunProvenance: Sendable, Codable, Equatable {
    /// The machine kind: what decides which kernels run and how fast.
    public struct Machine: Sendable, Codable, Equatable {
        /// `/proc/cpuinfo`'s model name, e.g. `Intel(R) Xeon(R) Processor`.
        public var cpuModel: String
        /// The SIMD flags relevant to the kernels that the CPU has, in ``RunProvenance/kernelFlags`` order.
        public var cpuFlags: [String]
        /// Cores the process may use.
        public var cores: Int
        /// `openblas_get_corename()`: the GEMM kernel OpenBLAS picked (or `OPENBLAS_CORETYPE` forced).
        public var blasCore: String
        /// `OPENBLAS_CORETYPE` when the environment sets it.
        public var openblasCoretype: String?
        /// Threads the kernels use (`WORKBENCH_THREADS` or the cores).
        public var threads: Int
        /// The GEMM backend (``KernelBackend``'s raw value, `onednn` or `reference`); nil in files that predate it.
        public var gemmBackend: String?

        public init(
            cpuModel: String, cpuFlags: [String], cores: Int, blasCore: String, openblasCoretype: String?,
            threads: Int, gemmBackend: String? = nil
        ) {
            self.cpuModel = cpuModel
            self.cpuFlags = cpuFlags
            self.cores = cores
            self.blasCore = blasCore
            self.openblasCoretype = openblasCoretype
            self.threads = threads
            self.gemmBackend = gemmBackend
        }

        /// Whether OpenBLAS's core decides this machine's speed: on the reference backend, or when the backend is
        /// not recorded (files that predate the field). On oneDNN, which dispatches on the CPU itself, it does not.
        var blasCoreMatters: Bool { gemmBackend != KernelBackend.oneDNN.rawValue }

        /// The fields in which `other` is another machine kind, e.g. `BLAS core: Cooperlake here, Haswell there`
        /// (the `OPENBLAS_CORETYPE` variable itself does not count: the core it leads to does, and only when a side
        /// computes its GEMMs with OpenBLAS).
        public func differences(from other: Machine, here: String = "here", there: String = "there") -> [String] {
            var result: [String] = []
            func check(_ name: String, _ mine: String, _ theirs: String) {
                if mine != theirs { result.append("\(name): \(mine) \(here), \(theirs) \(there)") }
            }
            check("CPU model", cpuModel, other.cpuModel)
            check("CPU flags", cpuFlags.joined(separator: " "), other.cpuFlags.joined(separator: " "))
            check("cores", "\(cores)", "\(other.cores)")
            if let mine = gemmBackend, let theirs = other.gemmBackend { check("GEMM backend", mine, theirs) }
            if blasCoreMatters || other.blasCoreMatters { check("BLAS core", blasCore, other.blasCore) }
            check("threads", "\(threads)", "\(other.threads)")
            return result
        }
    }

    /// `git rev-parse --short HEAD` of the package, or a note that it is not a checkout.
    public var engineCommit: String
    public var machine: Machine
    /// What computed GEMMs and convolutions (``KernelBackend``'s summaries; nil in files that predate it).
    public var kernels: String?

    public init(engineCommit: String, machine: Machine, kernels: String? = nil) {
        self.engineCommit = engineCommit
        self.machine = machine
        self.kernels = kernels
    }

    /// The CPU flags that decide which kernels run (OpenBLAS's and the compiler's SIMD paths).
    public static let kernelFlags = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl"]

    /// This process's provenance, with the commit of the package at `root`.
    public static func current(root: URL) -> RunProvenance {
        RunProvenance(
            engineCommit: commit(root: root), machine: currentMachine(),
            kernels: "GEMMs: \(KernelBackend.selected.summary); convolutions: "
                + KernelBackend.selected.convolutionSummary)
    }

    /// This machine, as the kernels see it.
    public static func currentMachine() -> Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let lines = cpuinfo.split(separator: "\n")
        func value(_ line: Substring) -> String {
            line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        let model = lines.first { $0.hasPrefix("model name") }.map(value) ?? "unknown"
        let flags = Set(
            lines.first { $0.hasPrefix("flags") }.map { value($0).split(separator: " ").map(String.init) } ?? [])
        return Machine(
            cpuModel: model, cpuFlags: kernelFlags.filter(flags.contains),
            cores: ProcessInfo.processInfo.activeProcessorCount, blasCore: BLASThreading.coreName,
            openblasCoretype: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
            threads: BLASThreading.threads, gemmBackend: KernelBackend.selected.rawValue)
    }

    /// The lines `workbench regress` prints: engine commit, machine, CPU flags, BLAS core, threads.
    public var entries: [(key: String, value: String)] {
        [
            ("engine commit", engineCommit), ("machine", "\(machine.cpuModel), \(machine.cores) cores"),
            ("CPU flags", machine.cpuFlags.joined(separator: " ")),
            ("BLAS core", machine.blasCore + (machine.openblasCoretype.map { " (OPENBLAS_CORETYPE=\($0))" } ?? "")),
            ("threads", "\(machine.threads)"),
        ] + (kernels.map { [("kernels", $0)] } ?? [])
    }

    private static func commit(root: URL) -> String {
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", root.path, "rev-parse", "--short", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        git.standardError = FileHandle.nullDevice
        guard (try? git.run()) != nil else { return "unknown (git did not run)" }
        git.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return git.terminationStatus == 0 && !text.isEmpty ? text : "unknown (not a git checkout)"
    }
}
