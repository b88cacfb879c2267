import CDNNL
import CKernels
import Foundation

/// Which library computes the GEMMs (and so the convolutions and linear layers built on them).
///
/// - ``oneDNN`` (the default): oneDNN's `dnnl_sgemm`, whose JIT kernels are chosen at run time from the CPU itself
///   (AVX-512 here), whatever OpenBLAS would pick (`OPENBLAS_CORETYPE`, or its SSE3 fallback on CPUs it does not
///   know).
/// - ``reference``: OpenBLAS's `cblas_sgemm`, the readable reference path the fast one is tested against.
///
/// `WORKBENCH_KERNELS=reference` (or `onednn`) selects one for the whole process; any other value is refused with a
/// message naming it. Both run single-threaded inside the kernels' own worker pool (``Parallelism``): oneDNN's
/// OpenMP teams are limited to one thread on every thread that calls it (``OpenMPThreads``), so there is one set
/// of threads on the cores and nothing spin-waits against it.
public enum KernelBackend: String, CaseIterable, Sendable {
    case oneDNN = "onednn"
    case reference

    /// The environment variable that selects the backend.
    public static let variable = "WORKBENCH_KERNELS"

    /// The backend of this process: `WORKBENCH_KERNELS`, else ``oneDNN``.
    public static let selected: KernelBackend = {
        let text = ProcessInfo.processInfo.environment[variable] ?? ""
        do { return try parse(text) } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(2)
        }
    }()

    /// Reads a value of `WORKBENCH_KERNELS` (empty: the default).
    public static func parse(_ text: String) throws -> KernelBackend {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value.isEmpty { return .oneDNN }
        guard let backend = KernelBackend(rawValue: value) else {
            throw KernelBackendError.unknown(value: text)
        }
        return backend
    }

    /// What computes GEMMs and convolutions, for benchmark and report headers.
    public var summary: String {
        switch self {
        case .oneDNN:
            let v = dnnl_version().pointee
            return "oneDNN \(v.major).\(v.minor).\(v.patch) dnnl_sgemm (CPU dispatch: \(Self.oneDNNISA))"
        case .reference:
            return "OpenBLAS cblas_sgemm (core \(BLASThreading.coreName))"
        }
    }

    /// What computes conv2d, for benchmark and report headers.
    public var convolutionSummary: String {
        switch self {
        case .oneDNN:
            return "oneDNN convolution primitives (blocked layouts chosen by oneDNN, reordered per call; NHWC as it "
                + "is in resnet18/34's direct channels-last forwards; Winograd F(4x4, 3x3) for 3x3 stride-1 "
                + "convolutions of up to 128 channels (256 with kept weights, any for one image) on planes large enough; im2col + "
                + "dnnl_sgemm for backward data into fewer than 16 channels and GEMM-preferred shapes)"
        case .reference:
            return "im2col + OpenBLAS cblas_sgemm"
        }
    }

    /// The clone of the C element-wise and batch-norm loops this CPU runs (`avx512f`, `avx2` or `default`), the
    /// same on both backends.
    public static var elementwiseISA: String { String(cString: tl_kernels_isa()) }

    /// The instruction set oneDNN dispatches to (`dnnl_get_effective_cpu_isa`).
    static var oneDNNISA: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_sse41: return "SSE4.1"
        case dnnl_cpu_isa_avx: return "AVX"
        case dnnl_cpu_isa_avx2: return "AVX2"
        case dnnl_cpu_isa_avx512_mic, dnnl_cpu_isa_avx512_mic_4ops: return "AVX-512 MIC"
        case dnnl_cpu_isa_avx512_core: return "AVX-512"
        case dnnl_cpu_isa_avx512_core_vnni: return "AVX-512 VNNI"
        case dnnl_cpu_isa_avx512_core_bf16: return "AVX-512 BF16"
        case dnnl_cpu_isa_avx512_core_amx: return "AVX-512 AMX"
        case dnnl_cpu_isa_avx2_vnni: return "AVX2 VNNI"
        default: return "baseline"
        }
    }
}

/// A `WORKBENCH_KERNELS` value that names no backend.
public enum KernelBackendError: Error, CustomStringConvertible, Equatable {
    case unknown(value: String)

    public var description: String {
        switch self {
        case .unknown(let value):
            return "\(KernelBackend.variable)=\(value) names no kernel backend (expected "
                + KernelBackend.allCases.map(\.rawValue).joined(separator: " or ") + ", or unset for onednn)"
        }
    }
}

/// Keeps oneDNN's OpenMP runtime to one thread per calling thread.
///
/// libdnnl is built with OpenMP (`ldd`: libgomp). A thread that OpenMP did not create starts a new team of
/// `omp_get_max_threads()` (the core count) at each parallel region, so two pool workers each calling oneDNN would
/// put four threads on two cores, and the idle team members spin after each region while the pool's
/// memory-bound loops run. `omp_set_num_threads(1)` sets the calling thread's own team size; it is looked up at run
/// time in the libgomp that libdnnl loaded (there is no unversioned libgomp.so to link against).
enum OpenMPThreads {
    typealias SetNumThreads = @convention(c) (Int32) -> Void

    static let setNumThreads: SetNumThreads? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads") else { return nil }
        return unsafeBitCast(symbol, to: SetNumThreads.self)
    }()

    /// Limits the calling thread's OpenMP teams to one thread (a thread-local setting: cheap to repeat).
    @inline(__always)
    static func singleOnThisThread() {
        setNumThreads?(1)
    }
}
