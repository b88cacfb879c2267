import Dispatch
import Kernels

/// How fast the machine is at this moment, measured in the same run as the cases so that a case's time can be
/// read relative to it: a fixed sgemm through the engine's GEMM (compute) and a STREAM triad (memory bandwidth).
/// A baseline recorded at a calmer or busier moment on the same machine kind then still compares: both the case
/// and the calibration slow down when a neighbour takes a share of the cores or of the memory bus.
///
/// The calibration unit is the sum of the two medians; a case's normalised figure is its median over that unit.
/// Each sample repeats its probe ``repeatsPerSample`` times: single 20 ms probes on a loaded machine moved their
/// median by a third between two runs whose cases moved by a tenth, because a short probe catches a burst of a
/// neighbour's load that a multi-second case averages out.
public enum Calibration {
    /// Probes per calibration sample.
    public static let repeatsPerSample = 8
    /// The sgemm's M = N = K (268 MFLOP, ~1.5 ms on two cores here).
    public static let gemmSize = 512
    /// Floats per triad array: three arrays of 32 MB, like the largest activations of a b8x224 step, so the probe
    /// streams through the same cache or memory level the convolutions' im2col and batch norm do.
    public static let triadCount = 8 << 20

    /// The buffers, allocated once per run.
    public final class Probe {
        private let a: UnsafeMutablePointer<Float>
        private let b: UnsafeMutablePointer<Float>
        private let c: UnsafeMutablePointer<Float>
        private let x: UnsafeMutablePointer<Float>
        private let y: UnsafeMutablePointer<Float>
        private let z: UnsafeMutablePointer<Float>

        public init() {
            let n = Calibration.gemmSize * Calibration.gemmSize
            (a, b, c) = (allocateFloats(n), allocateFloats(n), allocateFloats(n))
            for i in 0..<n {
                a[i] = Float(i % 7) / 7 - 0.5
                b[i] = Float(i % 11) / 11 - 0.5
            }
            let m = Calibration.triadCount
            (x, y, z) = (allocateFloats(m), allocateFloats(m), allocateFloats(m))
            y.update(repeating: 1, count: m)
            z.update(repeating: 2, count: m)
            x.update(repeating: 0, count: m)
        }

        deinit {
            let n = Calibration.gemmSize * Calibration.gemmSize
            for pointer in [a, b, c] { deallocateFloats(pointer, count: n) }
            for pointer in [x, y, z] { deallocateFloats(pointer, count: Calibration.triadCount) }
        }

        /// Milliseconds of ``Calibration/repeatsPerSample`` products `C = A B` at ``Calibration/gemmSize``
        /// through ``sgemm``, threaded as the convolutions' GEMMs are.
        public func gemmMilliseconds() -> Double {
            let n = Calibration.gemmSize
            return Probe.time {
                for _ in 0..<Calibration.repeatsPerSample {
                    sgemm(
                        transposeA: .none, transposeB: .none, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c,
                        ldc: n)
                }
            }
        }

        /// Milliseconds of ``Calibration/repeatsPerSample`` triad passes `x = y + 3 z` over
        /// ``Calibration/triadCount`` floats, split across the cores as the engine's memory-bound loops are.
        public func triadMilliseconds() -> Double {
            let (x, y, z) = (self.x, self.y, self.z)
            return Probe.time {
                for _ in 0..<Calibration.repeatsPerSample {
                    parallelFor(Calibration.triadCount) { range in
                        for i in range { x[i] = y[i] + 3 * z[i] }
                    }
                }
            }
        }

        private static func time(_ body: () -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
    }
}
