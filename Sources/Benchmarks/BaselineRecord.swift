import Golden
import Tensors

/// What `workbench bench model --save-baseline FILE` writes and `--baseline FILE` compares against: the raw samples
/// of every case and module (summaries are computed when read, so nothing is stored twice), the in-run calibration,
/// the deterministic figures, and where and when it was recorded. The JSON layout is documented field by field here;
/// ``schemaVersion`` changes whenever a field changes meaning or is removed.
public struct BaselineRecord: Codable, Sendable, Equatable {
    /// The layout this workbench writes and reads.
    public static let schemaVersion = 1
    /// The `tool` field's value.
    public static let toolName = "workbench bench model"

    /// ``schemaVersion`` at recording.
    public var schema: Int
    /// ``toolName``.
    public var tool: String
    /// When the run started (ISO 8601, UTC).
    public var recorded: String
    /// Engine commit and machine kind.
    public var provenance: RunProvenance
    /// `/proc/loadavg`'s 1, 5 and 15 minute load averages before and after the run (other processes' share).
    public var loadBefore: [Double]
    public var loadAfter: [Double]
    /// What the recorder wants a later reader to know (e.g. what else ran).
    public var note: String?
    public var settings: Settings
    public var calibration: CalibrationSamples
    /// The process's peak resident set size at the end of the run (all cases).
    public var peakResidentMegabytes: Double
    public var cases: [CaseRecord]

    /// How the run was made.
    public struct Settings: Codable, Sendable, Equatable {
        /// Untimed runs of every case before the rounds.
        public var warmup: Int
        /// Rounds: each times every case once, then profiles every case once, round-robin.
        public var repeats: Int
        /// `BATCHxSIZE` of each shape, in run order.
        public var shapes: [String]
        /// ``ModelBenchmark/Case`` raw values, in run order.
        public var cases: [String]

        public init(warmup: Int, repeats: Int, shapes: [String], cases: [String]) {
            (self.warmup, self.repeats, self.shapes, self.cases) = (warmup, repeats, shapes, cases)
        }
    }

    /// The calibration's samples, three of each per round, taken in pairs (an sgemm sample, then a triad sample).
    public struct CalibrationSamples: Codable, Sendable, Equatable {
        public var gemmSize: Int
        public var triadFloats: Int
        /// Probes per sample (``Calibration/repeatsPerSample``).
        public var repeatsPerSample: Int
        public var gemmMilliseconds: [Double]
        public var triadMilliseconds: [Double]

        public init(
            gemmSize: Int, triadFloats: Int, repeatsPerSample: Int, gemmMilliseconds: [Double],
            triadMilliseconds: [Double]
        ) {
            self.gemmSize = gemmSize
            self.triadFloats = triadFloats
            self.repeatsPerSample = repeatsPerSample
            self.gemmMilliseconds = gemmMilliseconds
            self.triadMilliseconds = triadMilliseconds
        }

        /// The calibration unit: median sgemm sample plus median triad sample, in ms.
        public var unitMilliseconds: Double {
            SampleSummary(gemmMilliseconds).median + SampleSummary(triadMilliseconds).median
        }

        /// The spread of the unit itself (each pair summed), as a relative half interquartile range: how much the
        /// machine's speed moved during the run, which every calibrated figure inherits.
        public var unitSpread: Double {
            SampleSummary(zip(gemmMilliseconds, triadMilliseconds).map { $0 + $1 }).relativeHalfSpread
        }
    }

    /// One case at one shape.
    public struct CaseRecord: Codable, Sendable, Equatable {
        /// `b8x224 full step`: the key cases are matched by.
        public var name: String
        public var batch: Int
        public var size: Int
        /// ``ModelBenchmark/Case`` raw value.
        public var benchmarkCase: String
        /// One timed run per round.
        public var milliseconds: [Double]
        /// Floating-point operations of one run (``FLOPCounter``).
        public var flops: Int
        /// Float buffers allocated in one steady-state run (``AllocationStatistics``), their bytes, and the most
        /// bytes live at once above the live bytes before the run.
        public var allocations: Int
        public var allocatedBytes: Int
        public var peakLiveBytes: Int
        /// Those allocations the float block pool could not serve (``Kernels/FloatBlockPool``; nil in files that
        /// predate the pool). Reported, not compared: it depends on what ran before in the process.
        public var systemAllocations: Int?
        /// Per module, phase and op: one profiled run per round.
        public var modules: [ModuleRecord]

        enum CodingKeys: String, CodingKey {
            case name, batch, size, benchmarkCase = "case", milliseconds, flops, allocations, allocatedBytes
            case peakLiveBytes, systemAllocations, modules
        }

        public init(
            name: String, batch: Int, size: Int, benchmarkCase: String, milliseconds: [Double], flops: Int,
            allocations: Int, allocatedBytes: Int, peakLiveBytes: Int, systemAllocations: Int? = nil,
            modules: [ModuleRecord]
        ) {
            self.name = name
            self.batch = batch
            self.size = size
            self.benchmarkCase = benchmarkCase
            self.milliseconds = milliseconds
            self.flops = flops
            self.allocations = allocations
            self.allocatedBytes = allocatedBytes
            self.peakLiveBytes = peakLiveBytes
            self.systemAllocations = systemAllocations
            self.modules = modules
        }
    }

    /// One module's forward self time or one autograd op's backward time within a module.
    public struct ModuleRecord: Codable, Sendable, Equatable {
        /// Dotted module name (`layer3.1.conv2`), ``Tensors/Profiler/outsideScopes``, or a scope such as `(loss)`.
        public var module: String
        public var phase: Profiler.Phase
        /// The module's type forward (`Conv2d`), the autograd node backward (`ConvolutionBackward`).
        public var op: String
        /// Calls per run (e.g. 2 for a block's ReLU, used twice).
        public var calls: Int
        /// Total time per profiled run, one sample per round.
        public var milliseconds: [Double]

        public init(module: String, phase: Profiler.Phase, op: String, calls: Int, milliseconds: [Double]) {
            (self.module, self.phase, self.op, self.calls, self.milliseconds) =
                (module, phase, op, calls, milliseconds)
        }

        /// `layer3.1.conv2 backward ConvolutionBackward`: the key modules are matched by.
        public var key: String { "\(module) \(phase.rawValue) \(op)" }
    }

    public init(
        recorded: String, provenance: RunProvenance, loadBefore: [Double], loadAfter: [Double], note: String?,
        settings: Settings, calibration: CalibrationSamples, peakResidentMegabytes: Double, cases: [CaseRecord]
    ) {
        schema = BaselineRecord.schemaVersion
        tool = BaselineRecord.toolName
        self.recorded = recorded
        self.provenance = provenance
        self.loadBefore = loadBefore
        self.loadAfter = loadAfter
        self.note = note
        self.settings = settings
        self.calibration = calibration
        self.peakResidentMegabytes = peakResidentMegabytes
        self.cases = cases
    }
}
