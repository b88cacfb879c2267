import Checkpoints
import Foundation
import Testing

/// Pickles that would run code under `pickle.load` are refused by name before anything happens, like
/// `torch.load(weights_only=True)` refuses them (the fixture generator checks that torch does).
@Suite struct HostileInputTests {
    @Test(arguments: [
        ("evil_os_system.pth", "os.system"),
        ("evil_posix_system.pth", "posix.system"),
        ("evil_builtins_eval.pth", "builtins.eval"),
        ("evil_hidden_exec.pth", "builtins.exec"),
        ("evil_legacy.pth", "posix.system"),
    ])
    func refusesGlobalsByName(_ file: String, _ global: String) throws {
        let error = checkpointError { _ = try Checkpoint.load(path: fixture(file)) }
        guard case let .forbiddenGlobal(path, _, named)? = error else {
            Issue.record("\(file): expected forbiddenGlobal, got \(String(describing: error))")
            return
        }
        #expect(named == global)
        #expect(path == fixture(file))
        #expect(error?.description.contains("'\(global)'") == true)
    }

    @Test func refusesTheGlobalBeforeCallingIt() throws {
        try withTemporaryFolder { folder in
            let marker = folder + "/pwned"
            let command = Array("touch \(marker)".utf8)
            var object: [UInt8] = [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x58]
            object += withUnsafeBytes(of: UInt32(command.count).littleEndian) { Array($0) } + command
            object += [0x85, 0x52, 0x2E]
            let error = checkpointError { _ = try Checkpoint.decode(legacyStream(object: object), name: "touch.pth") }
            #expect(
                error
                    == .forbiddenGlobal(
                        path: "touch.pth", location: "object pickle, opcode at byte 27",
                        global: "os.system"))
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test(arguments: [("bad_inst_opcode.pth", UInt8(0x69), 3), ("bad_unknown_opcode.pth", UInt8(0xFE), 2)])
    func refusesOpcodesOutsideTheSubset(_ file: String, _ opcode: UInt8, _ offset: Int) throws {
        let error = checkpointError { _ = try Checkpoint.load(path: fixture(file)) }
        guard case let .unknownOpcode(_, location, found)? = error else {
            Issue.record("\(file): expected unknownOpcode, got \(String(describing: error))")
            return
        }
        #expect(found == opcode)
        #expect(location == "archive/data.pkl, opcode at byte \(offset)")
    }

    @Test func refusesTorchGlobalsItCannotConvert() throws {
        let object: [UInt8] = [0x80, 0x02, 0x63] + Array("torch._utils\n_rebuild_qtensor\n".utf8) + [0x2E]
        let error = checkpointError { _ = try Checkpoint.decode(legacyStream(object: object), name: "q.pth") }
        guard case let .unsupportedFormat(_, detail)? = error else {
            Issue.record("expected unsupportedFormat, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("quantized"))
    }

    @Test func refusesCallingAStorageClass() throws {
        let object: [UInt8] = [0x80, 0x02, 0x63] + Array("torch\nFloatStorage\n".utf8) + [0x29, 0x52, 0x2E]
        let error = checkpointError { _ = try Checkpoint.decode(legacyStream(object: object), name: "s.pth") }
        guard case .malformedPickle? = error else {
            Issue.record("expected malformedPickle, got \(String(describing: error))")
            return
        }
    }
}

/// A legacy `torch.save` stream (magic number, protocol 1001, sys_info, `object`, empty storage key list)
/// around a hand-written object pickle.
func legacyStream(object: [UInt8], keys: [UInt8] = [0x80, 0x02, 0x5D, 0x2E]) -> [UInt8] {
    let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    let version: [UInt8] = [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]
    let systemInfo: [UInt8] = [0x80, 0x02, 0x7D, 0x2E]
    return magic + version + systemInfo + object + keys
}
