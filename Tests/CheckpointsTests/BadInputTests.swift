import Checkpoints
import Foundation
import Testing

/// Broken, truncated, oversized and misidentified inputs: each is a clear `CheckpointError`, never a crash, a hang
/// or an allocation sized by an unchecked number.
@Suite struct BadInputTests {
    @Test func directoryEmptyAndMissingFiles() throws {
        try withTemporaryFolder { folder in
            #expect(
                checkpointError { _ = try Checkpoint.load(path: folder) }
                    == .notARegularFile(path: folder, kind: "directory"))
            let empty = folder + "/empty.pth"
            #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
            #expect(checkpointError { _ = try Checkpoint.load(path: empty) } == .emptyFile(path: empty))
            let missing = checkpointError { _ = try Checkpoint.load(path: folder + "/missing.pth") }
            #expect(missing?.caseName == "cannotOpen")
            #expect(missing?.description.contains("No such file") == true)
        }
        #expect(checkpointError { _ = try Checkpoint.decode([], name: "nothing") } == .emptyFile(path: "nothing"))
    }

    @Test(arguments: ["legacy_tiny_f32.pth", "st_tiny_f32.safetensors", "zip_tiny_f32.pth"])
    func everyTruncationIsAnError(_ file: String) throws {
        let bytes = try fixtureBytes(file)
        let step = file.hasPrefix("zip") ? 7 : 1
        for length in stride(from: 1, to: bytes.count, by: step) {
            _ = checkpointError { _ = try Checkpoint.decode(Array(bytes[..<length]), name: file) }
        }
    }

    @Test func missingDataRecord() throws {
        let error = checkpointError { _ = try Checkpoint.load(path: fixture("bad_missing_record.pth")) }
        guard case let .missingRecord(_, record, detail)? = error else {
            Issue.record("expected missingRecord, got \(String(describing: error))")
            return
        }
        #expect(record == "zip_tiny_f32/data/1")
        #expect(detail.contains("storage '1'"))
    }

    @Test func recordShorterThanItsStorage() throws {
        let error = checkpointError { _ = try Checkpoint.load(path: fixture("bad_short_record.pth")) }
        guard case let .invalidStorage(_, storage, detail)? = error else {
            Issue.record("expected invalidStorage, got \(String(describing: error))")
            return
        }
        #expect(storage == "0")
        #expect(detail.contains("holds 12 bytes") && detail.contains("4 float32 elements"))
    }

    @Test(arguments: [
        ("bad_huge_tensor.pth", "invalidTensor", "reach element 999999999999 of a storage with 4 elements"),
        ("bad_huge_storage.pth", "invalidStorage", "declares 1000000000000 float32 elements"),
        ("bad_expanded_view.pth", "invalidTensor", "has 1000000000000 elements but its storage only 4"),
    ])
    func hugeHeaderNumbersAreRefusedBeforeAllocating(_ file: String, _ kind: String, _ phrase: String) throws {
        let error = checkpointError { _ = try Checkpoint.load(path: fixture(file)) }
        #expect(error?.caseName == kind)
        #expect(error?.description.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        ("bad_compressed.pth", "compressed (zip method 8)"),
        ("bad_torchscript.pt", "TorchScript archive"),
    ])
    func unsupportedContainers(_ file: String, _ phrase: String) throws {
        let error = checkpointError { _ = try Checkpoint.load(path: fixture(file)) }
        #expect(error?.caseName == "unsupportedFormat")
        #expect(error?.description.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test func oldTarArchivesAreNamed() throws {
        var tar = [UInt8](repeating: 0, count: 1024)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        let error = checkpointError { _ = try Checkpoint.decode(tar, name: "old.tar") }
        #expect(error?.caseName == "unsupportedFormat")
        #expect(error?.description.contains("before 0.4") == true)
    }

    @Test func unknownFormatShowsTheFirstBytesAndTheExtensionHint() throws {
        let text = checkpointError { _ = try Checkpoint.decode(Array("hello, not a model".utf8), name: "w.pth") }
        #expect(text?.caseName == "unknownFormat")
        #expect(text?.description.contains("starts with 68 65 6c 6c 6f 2c 20 6e") == true)
        #expect(text?.description.contains("the extension .pth suggests a torch.save file") == true)
        let notJSON: [UInt8] = [4, 0, 0, 0, 0, 0, 0, 0] + Array("[1] ".utf8)
        let array = checkpointError { _ = try Checkpoint.decode(notJSON, name: "a.safetensors") }
        #expect(array?.caseName == "unknownFormat")
        #expect(array?.description.contains("the extension .safetensors suggests safetensors") == true)
    }

    @Test func corruptRecordFailsItsChecksumUnlessChecksAreOff() throws {
        var bytes = try fixtureBytes("zip_tiny_f32.pth")
        bytes[try recordDataOffset(bytes, name: "zip_tiny_f32/data/0")] ^= 0x40
        let error = checkpointError { _ = try Checkpoint.decode(bytes, name: "flipped.pth") }
        #expect(error?.caseName == "checksumMismatch")
        #expect(error?.description.contains("record 'zip_tiny_f32/data/0' is corrupt") == true)
        let options = CheckpointLoadOptions(verifyChecksums: false)
        let unchecked = try Checkpoint.decode(bytes, name: "flipped.pth", options: options)
        let original = try Checkpoint.load(path: fixture("zip_tiny_f32.pth"))
        #expect(unchecked["conv1.weight"] != original["conv1.weight"])
        #expect(unchecked["fc.weight"] == original["fc.weight"])
    }

    @Test func wrappedCheckpointsAreNamedNotGuessed() throws {
        let wrapped = checkpointError { _ = try Checkpoint.load(path: fixture("zip_wrapped.pth")) }
        #expect(
            wrapped
                == .wrappedStateDict(
                    path: fixture("zip_wrapped.pth"), candidates: ["state_dict"],
                    otherKeys: ["epoch", "arch", "best_accuracy", "optimizer", "history", "flags", "extras"]))
        #expect(wrapped?.description.contains("unwrap: true or unwrapKey: \"state_dict\"") == true)

        let model = checkpointError { _ = try Checkpoint.load(path: fixture("legacy_wrapped_model.pth")) }
        #expect(
            model
                == .wrappedStateDict(
                    path: fixture("legacy_wrapped_model.pth"), candidates: ["model"],
                    otherKeys: ["epoch"]))

        let options = CheckpointLoadOptions(unwrapKey: "model")
        let wrongKey = checkpointError { _ = try Checkpoint.load(path: fixture("zip_wrapped.pth"), options: options) }
        #expect(wrongKey?.caseName == "notAStateDict")
        #expect(wrongKey?.description.contains("no dict under 'model'") == true)
    }

    @Test func dataParallelPrefixIsReported() throws {
        let error = checkpointError { _ = try Checkpoint.load(path: fixture("zip_dataparallel.pth")) }
        #expect(error == .prefixedKeys(path: fixture("zip_dataparallel.pth"), prefix: "module.", count: 8))
        #expect(error?.description.contains("stripPrefix: \"module.\"") == true)
    }

    @Test func objectsThatAreNotStateDicts() throws {
        let list: [UInt8] = [0x80, 0x02, 0x5D, 0x2E]
        #expect(
            checkpointError { _ = try Checkpoint.decode(legacyStream(object: list), name: "l.pth") }
                == .notAStateDict(path: "l.pth", detail: "the file holds a list, not a dict"))
        let intValue: [UInt8] = [0x80, 0x02, 0x7D, 0x58, 1, 0, 0, 0, 0x61, 0x4B, 1, 0x73, 0x2E]
        #expect(
            checkpointError { _ = try Checkpoint.decode(legacyStream(object: intValue), name: "i.pth") }
                == .notAStateDict(path: "i.pth", detail: "entry 'a' holds a int, not a tensor"))
    }

    @Test(
        arguments: [
            ("stack underflow", [0x80, 0x02, 0x52, 0x2E]),
            ("memo index 9 was never stored", [0x80, 0x02, 0x68, 0x09, 0x2E]),
            ("no MARK", [0x80, 0x02, 0x74, 0x2E]),
            ("not a dict", [0x80, 0x02, 0x5D, 0x4B, 1, 0x4B, 2, 0x73, 0x2E]),
            ("not valid UTF-8", [0x80, 0x02, 0x58, 1, 0, 0, 0, 0xFF, 0x2E]),
            ("protocol 9", [0x80, 0x09, 0x2E]),
        ] as [(String, [UInt8])])
    func malformedPickles(_ phrase: String, _ object: [UInt8]) throws {
        let error = checkpointError { _ = try Checkpoint.decode(legacyStream(object: object), name: "m.pth") }
        #expect(error?.caseName == "malformedPickle")
        #expect(error?.description.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test func viewsOfOneStorageCannotMultiplyMemoryWithoutLimit() throws {
        let count = 1 << 18
        func text(_ value: String) -> [UInt8] {
            [0x58] + withUnsafeBytes(of: UInt32(value.utf8.count).littleEndian) { Array($0) } + Array(value.utf8)
        }
        let size: [UInt8] = [0x4A] + withUnsafeBytes(of: Int32(count).littleEndian) { Array($0) }
        var object: [UInt8] = [0x80, 0x02, 0x7D, 0x28]
        for index in 0..<20 {
            object += text("t\(index)") + [0x63] + Array("torch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28, 0x28]
            object += text("storage") + [0x63] + Array("torch\nFloatStorage\n".utf8) + text("0") + text("cpu") + size
            object += [0x4E, 0x74, 0x51, 0x4B, 0] + size + [0x85, 0x4B, 1, 0x85, 0x89, 0x7D, 0x74, 0x52]
        }
        object += [0x75, 0x2E]
        let keys: [UInt8] = [0x80, 0x02, 0x5D] + text("0") + [0x61, 0x2E]
        let data =
            withUnsafeBytes(of: Int64(count).littleEndian) { Array($0) }
            + [UInt8](repeating: 0, count: 4 * count)
        let file = legacyStream(object: object, keys: keys) + data
        let error = checkpointError { _ = try Checkpoint.decode(file, name: "v") }
        #expect(error?.caseName == "resourceLimit")
        #expect(error?.description.contains("above 16x the file size") == true, "\(String(describing: error))")
    }

    @Test func lengthsBeyondTheFileAreTruncation() throws {
        let hugeString: [UInt8] = [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F]
        let error = checkpointError { _ = try Checkpoint.decode(legacyStream(object: hugeString), name: "s.pth") }
        #expect(error?.caseName == "truncated")
        #expect(error?.description.contains("needs 2147483647 bytes") == true)
    }
}

/// Where the data of the stored record `name` starts: after its local header, name and extra field.
func recordDataOffset(_ bytes: [UInt8], name: String) throws -> Int {
    let needle = Array(name.utf8)
    let signature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    let found = (30..<(bytes.count - needle.count)).first { (position: Int) -> Bool in
        Array(bytes[(position - 30)..<(position - 26)]) == signature
            && Array(bytes[position..<(position + needle.count)]) == needle
    }
    let start = try #require(found)
    let extraLength = Int(bytes[start - 2]) | Int(bytes[start - 1]) << 8
    return start + needle.count + extraLength
}
