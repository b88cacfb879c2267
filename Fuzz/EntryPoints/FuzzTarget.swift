@_spi(Fuzzing) import Checkpoints
import Foundation
import Golden
import HDF5
import Images
import Vision

/// One fuzz target: a reader of untrusted bytes, called exactly as the workbench calls it. The libFuzzer driver
/// (`Fuzz/Driver`) and the regression replay (`Tests/FuzzRegressionTests`) both go through ``run(_:)``, so an input
/// that crashed the fuzzer is replayed by `swift test` through the same code.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `.pth` zip archives (`torch.save` since 1.6): the zip reader, the unpickler and the storage table.
    case pthZip = "pth-zip"
    /// Legacy `.pth` streams (five pickles and the storage data).
    case legacyPickle = "legacy-pickle"
    /// The restricted unpickler alone, on one pickle stream.
    case unpickler
    /// safetensors files.
    case safetensors
    /// HDF5 files read as op references (`ops.h5`) and as whole-model traces.
    case hdf5
    /// PNG decoding (libpng behind `CPNGCodec`).
    case png
    /// JPEG decoding (libjpeg-turbo behind `CJPEGCodec`).
    case jpeg
    /// An ImageFolder tree built from the input (see ``FolderTree``), scanned and its images decoded.
    case imageFolder = "image-folder"

    /// What one input did: it was read, or it was refused with an error (whose message is kept). A crash, a trap,
    /// a hang or a leak is what the fuzzer looks for; neither outcome is one.
    public enum Outcome: Equatable, Sendable {
        case accepted
        case refused(String)
    }

    /// Feeds `bytes` to this target's reader.
    public func run(_ bytes: [UInt8]) -> Outcome {
        do {
            try read(bytes)
            return .accepted
        } catch {
            return .refused("\(error)")
        }
    }

    private func read(_ bytes: [UInt8]) throws {
        switch self {
        case .pthZip:
            _ = try bytes.withUnsafeBytes { try Checkpoint.decode($0, name: "fuzz.pth", as: .torchZip) }
        case .legacyPickle:
            _ = try bytes.withUnsafeBytes { try Checkpoint.decode($0, name: "fuzz.pth", as: .torchLegacy) }
        case .unpickler:
            _ = try bytes.withUnsafeBytes { try Checkpoint.unpickle($0, name: "fuzz.pkl") }
        case .safetensors:
            _ = try bytes.withUnsafeBytes { try Checkpoint.decode($0, name: "fuzz.safetensors", as: .safetensors) }
        case .hdf5:
            try readHDF5(bytes)
        case .png:
            _ = try PNG.decode(bytes, name: "fuzz.png", mode: .rgb)
        case .jpeg:
            _ = try JPEG.decode(bytes, name: "fuzz.jpg", mode: .rgb)
        case .imageFolder:
            try FolderTree.withTree(bytes) { root in
                let folder = try ImageFolder(root: root, allowEmpty: true)
                for index in 0..<min(folder.count, 4) {
                    _ = try? folder.loadImage(at: index)
                }
            }
        }
    }

    /// Writes the bytes to a scratch file (libhdf5 reads files) and reads it as op references - every case - and
    /// as a trace. Both readers always run; the input counts as read when either accepts it, and otherwise the op
    /// reader's error is reported.
    private func readHDF5(_ bytes: [UInt8]) throws {
        let path = FolderTree.uniqueScratchPath("fuzz") + ".h5"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw FolderTree.ScratchError(message: "cannot write \(path)")
        }
        defer { unlink(path) }
        var firstError: Error?
        do {
            let references = try OpReferenceFile(path: path)
            for name in references.caseNames.prefix(8) {
                _ = try references.loadCase(name)
            }
        } catch {
            firstError = error
        }
        let traceRead = (try? TraceFile(path: path)) != nil
        if let firstError, !traceRead { throw firstError }
    }
}
