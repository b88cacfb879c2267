import Checkpoints
import Foundation
import Golden
import Testing

/// Writes the files `Fixtures/tlref/verify_swift_checkpoints.py` checks with torch and torchvision. Enabled only
/// when `CHECKPOINTS_EXPORT_DIR` names a folder:
///
///     CHECKPOINTS_EXPORT_DIR=/tmp/swift-checkpoints swift test -c release --filter PythonExportTests
///     /opt/tlvenv/bin/python Fixtures/tlref/verify_swift_checkpoints.py /tmp/swift-checkpoints
@Suite struct PythonExportTests {
    static let folder = ProcessInfo.processInfo.environment["CHECKPOINTS_EXPORT_DIR"]

    @Test(.enabled(if: folder != nil)) func exportForPython() throws {
        let folder = try #require(Self.folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let files: [(String, String, CheckpointFormat)] = [
            ("zip_tiny_f32", "swift_tiny_f32.pth", .torchZip),
            ("zip_tiny_f16", "swift_tiny_f16.pth", .torchZip),
            ("zip_tiny_bf16", "swift_tiny_bf16_legacy.pth", .torchLegacy),
            ("zip_tiny_f32", "swift_tiny_f32_legacy.pth", .torchLegacy),
            ("zip_tiny_f32", "swift_tiny_f32.safetensors", .safetensors),
            ("zip_dtypes", "swift_dtypes.pth", .torchZip),
            ("zip_dtypes", "swift_dtypes.safetensors", .safetensors),
        ]
        for (source, file, format) in files {
            let stateDict = try Checkpoint.load(path: fixture(source + ".pth"))
            try Checkpoint.save(stateDict, to: folder + "/" + file, format: format)
        }
        let resnet = resnet18StateDict()
        try Checkpoint.save(resnet, to: folder + "/swift_resnet18.pth")
        try Checkpoint.save(resnet, to: folder + "/swift_resnet18.safetensors")
        expectSameStateDict(try Checkpoint.load(path: folder + "/swift_resnet18.pth"), resnet, "swift_resnet18.pth")
    }
}

/// A state dict with torchvision's `resnet18()` keys and shapes in its order, filled with a formula the Python
/// side recomputes in float32: element i of the k-th tensor is ((7i + 13k) mod 1000) / 1000 - 0.5 (plus 1 for
/// running variances); `num_batches_tracked` is k.
func resnet18StateDict() -> StateDict {
    var layout: [(String, [Int])] = [("conv1.weight", [64, 3, 7, 7])]
    func batchNorm(_ prefix: String, _ channels: Int) {
        for name in ["weight", "bias", "running_mean", "running_var"] {
            layout.append(("\(prefix).\(name)", [channels]))
        }
        layout.append(("\(prefix).num_batches_tracked", []))
    }
    batchNorm("bn1", 64)
    var inputs = 64
    for (stage, channels) in [64, 128, 256, 512].enumerated() {
        for block in 0..<2 {
            let prefix = "layer\(stage + 1).\(block)"
            layout.append(("\(prefix).conv1.weight", [channels, block == 0 ? inputs : channels, 3, 3]))
            batchNorm(prefix + ".bn1", channels)
            layout.append(("\(prefix).conv2.weight", [channels, channels, 3, 3]))
            batchNorm(prefix + ".bn2", channels)
            if block == 0 && stage > 0 {
                layout.append(("\(prefix).downsample.0.weight", [channels, inputs, 1, 1]))
                batchNorm(prefix + ".downsample.1", channels)
            }
        }
        inputs = channels
    }
    layout += [("fc.weight", [1000, 512]), ("fc.bias", [1000])]
    var entries: [StateDict.Entry] = []
    for (k, (key, shape)) in layout.enumerated() {
        if key.hasSuffix("num_batches_tracked") {
            entries.append(.init(key: key, tensor: CheckpointTensor(shape: [], integers: [Int64(k)])))
            continue
        }
        let shift: Float = key.hasSuffix("running_var") ? 1 : 0
        let count = shape.reduce(1, *)
        let values = (0..<count).map { i in Float((7 * i + 13 * k) % 1000) / 1000 - 0.5 + shift }
        entries.append(.init(key: key, tensor: CheckpointTensor(shape: shape, floats: values)))
    }
    return StateDict(entries)
}
