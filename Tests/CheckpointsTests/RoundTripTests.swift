import Checkpoints
import Foundation
import Golden
import Testing

/// Swift writes every format and reads back identical values; the zip writer reproduces torch.save byte for byte.
@Suite struct RoundTripTests {
    static let sources = [
        "zip_tiny_f32", "zip_tiny_f16", "zip_tiny_bf16", "zip_dtypes", "zip_views",
        "zip_shared_storage",
    ]

    @Test(arguments: sources, CheckpointFormat.allCases)
    func writesAndReadsBack(_ source: String, _ format: CheckpointFormat) throws {
        var original = try ExpectedCheckpoint(group: source).stateDict
        if format == .safetensors {
            original.moduleVersions = []
            original.metadata = ["format": "pt"]
        }
        let bytes = try Checkpoint.encode(original, format: format)
        let reread = try Checkpoint.decode(bytes, name: "\(source) as \(format)")
        expectSameStateDict(reread, original, "\(source) as \(format)")
        #expect(reread.metadata == original.metadata)
    }

    @Test(arguments: ["zip_tiny_f32", "zip_tiny_f16", "zip_tiny_bf16"])
    func zipOutputIsByteIdenticalToTorchSave(_ source: String) throws {
        let torchBytes = try fixtureBytes(source + ".pth")
        let stateDict = try Checkpoint.decode(torchBytes, name: source)
        let swiftBytes = try Checkpoint.encode(stateDict, format: .torchZip, archiveName: source)
        #expect(swiftBytes.count == torchBytes.count)
        let idRecord = Array("\(source)/.data/serialization_id".utf8)
        let idHeader =
            try #require(
                (0..<(swiftBytes.count - idRecord.count)).first { position in
                    Array(swiftBytes[position..<(position + idRecord.count)]) == idRecord
                }) - 30
        let mismatch = (0..<idHeader).first { swiftBytes[$0] != torchBytes[$0] }
        #expect(mismatch == nil, "first differing byte \(mismatch ?? -1) of \(idHeader) before the serialization id")
    }

    @Test func savesFilesByExtension() throws {
        let original = try ExpectedCheckpoint(group: "zip_tiny_f32").stateDict
        try withTemporaryFolder { folder in
            try Checkpoint.save(original, to: folder + "/model.pth")
            try Checkpoint.save(original, to: folder + "/model.safetensors")
            try Checkpoint.save(original, to: folder + "/old.pth", format: .torchLegacy)
            #expect(try Checkpoint.detectFormat(path: folder + "/model.pth") == .torchZip)
            #expect(try Checkpoint.detectFormat(path: folder + "/model.safetensors") == .safetensors)
            #expect(try Checkpoint.detectFormat(path: folder + "/old.pth") == .torchLegacy)
            expectSameStateDict(try Checkpoint.load(path: folder + "/model.pth"), original, "model.pth")
            expectSameStateDict(try Checkpoint.load(path: folder + "/old.pth"), original, "old.pth")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            #expect(names == ["model.pth", "model.safetensors", "old.pth"])
            let zip = try Data(contentsOf: URL(fileURLWithPath: folder + "/model.pth"))
            #expect(zip.range(of: Data("model/data.pkl".utf8)) != nil)
        }
        let unwritable = checkpointError { try Checkpoint.save(original, to: "/nonexistent-folder/model.pth") }
        #expect(unwritable?.caseName == "writeFailed")
        #expect(unwritable?.description.contains("/nonexistent-folder/model.pth") == true)
    }

    @Test func halfPrecisionRoundsToNearestEven() throws {
        let inputs: [Float] = [
            0.1, 65504, 65519.99, 65520, 0x1p-24, 0x1p-25, 0x1.8p-24, -0.0, .infinity, 1 + 0x1p-11,
            1 + 0x1.8p-10,
        ]
        let half: [Float] = [
            0.0999755859375, 65504, 65504, .infinity, 0x1p-24, 0, 0x1p-23, -0.0, .infinity, 1,
            1 + 0x1p-9,
        ]
        #expect(try reread(inputs, as: .float16) == half)
        let brainInputs: [Float] = [1 + 0x1p-8, 1 + 0x1.8p-7, 3.14159265, -0x1p-130, .greatestFiniteMagnitude]
        let brain: [Float] = [1, 1 + 0x1p-6, 3.140625, -0x1p-130, .infinity]
        #expect(try reread(brainInputs, as: .bfloat16) == brain)
        #expect(try reread([.nan], as: .float16).first?.isNaN == true)
        #expect(try reread([.nan], as: .bfloat16).first?.isNaN == true)
    }

    @Test func invalidTensorsAreRefusedWhenWriting() throws {
        let cases: [(CheckpointTensor, String)] = [
            (CheckpointTensor(shape: [2, 2], floats: [1, 2, 3]), "needs 4 values but 3"),
            (CheckpointTensor(shape: [-1], floats: []), "negative"),
            (CheckpointTensor(shape: [1], floats: [1], dtype: .int64), "cannot be written as int64"),
            (CheckpointTensor(shape: [1], integers: [1], dtype: .float32), "cannot be written as float32"),
            (CheckpointTensor(shape: [2], integers: [0, 256], dtype: .uint8), "256 does not fit uint8"),
            (CheckpointTensor(shape: [1], integers: [2], dtype: .bool), "2 does not fit bool"),
        ]
        for (tensor, phrase) in cases {
            let stateDict = StateDict([.init(key: "t", tensor: tensor)])
            for format in CheckpointFormat.allCases {
                let error = checkpointError { _ = try Checkpoint.encode(stateDict, format: format) }
                #expect(error?.caseName == "invalidTensorForWriting")
                let message = error?.description ?? ""
                #expect(message.contains("tensor 't'") && message.contains(phrase), "\(message)")
            }
        }
        let reserved = StateDict([.init(key: "__metadata__", tensor: CheckpointTensor(shape: [], floats: [1]))])
        let error = checkpointError { _ = try Checkpoint.encode(reserved, format: .safetensors) }
        #expect(error?.description.contains("reserved for metadata") == true)
    }

    @Test func safeTensorsDataIsAlignedAndHeaderPadded() throws {
        let stateDict = StateDict([
            .init(key: "flag", tensor: CheckpointTensor(shape: [3], integers: [1, 0, 1], dtype: .bool)),
            .init(key: "half", tensor: CheckpointTensor(shape: [1], floats: [1], dtype: .float16)),
            .init(key: "count", tensor: CheckpointTensor(shape: [], integers: [5])),
            .init(key: "weight", tensor: CheckpointTensor(shape: [3], floats: [1, 2, 3])),
        ])
        let bytes = try Checkpoint.encode(stateDict, format: .safetensors)
        let length = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(length % 8 == 0)
        let json = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)]))
        let header = try #require(json as? [String: Any])
        for (key, size) in [("flag", 1), ("half", 2), ("count", 8), ("weight", 4)] {
            let entry = try #require(header[key] as? [String: Any])
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets[0] % size == 0, "\(key) starts at \(offsets[0])")
        }
        #expect(try Checkpoint.decode(bytes, name: "aligned").keys == ["flag", "half", "count", "weight"])
    }

    @Test func stateDictEditing() throws {
        var stateDict = StateDict()
        stateDict["a"] = CheckpointTensor(shape: [1], floats: [1])
        stateDict["b"] = CheckpointTensor(shape: [1], floats: [2])
        stateDict["a"] = CheckpointTensor(shape: [1], floats: [3])
        #expect(stateDict.keys == ["a", "b"] && stateDict["a"]?.floats == [3])
        stateDict["a"] = nil
        #expect(stateDict.keys == ["b"] && stateDict["b"]?.floats == [2] && stateDict.count == 1)
    }
}

/// `values` written as `dtype` and read back as Float.
private func reread(_ values: [Float], as dtype: CheckpointDType) throws -> [Float] {
    let tensor = CheckpointTensor(shape: [values.count], floats: values, dtype: dtype)
    let stateDict = StateDict([.init(key: "x", tensor: tensor)])
    let bytes = try Checkpoint.encode(stateDict, format: .safetensors)
    return try #require(try Checkpoint.decode(bytes, name: "half").entries.first?.tensor.floats)
}
