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

    @Test func refusesTheClassAnInstOpcodeNames() throws {
        let error = checkpointError { _ = try Checkpoint.load(path: fixture("bad_inst_opcode.pth")) }
        #expect(
            error
                == .forbiddenGlobal(
                    path: fixture("bad_inst_opcode.pth"), location: "archive/data.pkl, INST opcode at byte 3",
                    global: "__main__.Thing"))
    }

    @Test(arguments: [("bad_unknown_opcode.pth", UInt8(0xFE), 2)])
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

/// One hostile object pickle: what it would do if a pickle VM ran it (every payload would create `marker`), and
/// the error kind and the text naming what is refused.
struct HostilePickle: CustomStringConvertible, Sendable {
    var name: String
    var errorKind: String
    /// What the message must name (the global, opcode or key).
    var named: String
    var build: @Sendable (_ marker: String) -> [UInt8]

    var description: String { name }

    static let all: [HostilePickle] = [
        HostilePickle(name: "os.system", errorKind: "forbiddenGlobal", named: "'os.system'") { marker in
            var pickle = PickleProgram()
            pickle.call("os", "system", "touch \(marker)")
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "subprocess.Popen", errorKind: "forbiddenGlobal", named: "'subprocess.Popen'") { marker in
            var pickle = PickleProgram()
            pickle.global("subprocess", "Popen")
            pickle.emptyList()
            pickle.mark()
            pickle.string("touch")
            pickle.string(marker)
            pickle.appends()
            pickle.tuple1()
            pickle.reduce()
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "builtins.exec", errorKind: "forbiddenGlobal", named: "'builtins.exec'") { marker in
            var pickle = PickleProgram()
            pickle.call("builtins", "exec", "open('\(marker)', 'w').close()")
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "builtins.eval", errorKind: "forbiddenGlobal", named: "'builtins.eval'") { marker in
            var pickle = PickleProgram()
            pickle.call("builtins", "eval", "__import__('os').system('touch \(marker)')")
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "builtins.__import__", errorKind: "forbiddenGlobal", named: "'builtins.__import__'") {
            marker in
            // builtins.getattr would come next; __import__('os') is refused first.
            var pickle = PickleProgram()
            pickle.call("builtins", "__import__", "os")
            pickle.string("touch \(marker)")
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "functools.partial", errorKind: "forbiddenGlobal", named: "'functools.partial'") { marker in
            var pickle = PickleProgram()
            pickle.global("functools", "partial")
            pickle.global("os", "system")
            pickle.string("touch \(marker)")
            pickle.tuple2()
            pickle.reduce()
            pickle.emptyTuple()
            pickle.reduce()
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(
            name: "importlib.import_module", errorKind: "forbiddenGlobal", named: "'importlib.import_module'"
        ) { marker in
            var pickle = PickleProgram()
            pickle.call("importlib", "import_module", "os")
            pickle.string("touch \(marker)")
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(
            name: "importlib via STACK_GLOBAL", errorKind: "forbiddenGlobal", named: "'importlib.import_module'"
        ) { marker in
            var pickle = PickleProgram()
            pickle.string("importlib")
            pickle.string("import_module")
            pickle.stackGlobal()
            pickle.string("os")
            pickle.tuple1()
            pickle.reduce()
            pickle.string("touch \(marker)")
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "nested REDUCE getattr", errorKind: "forbiddenGlobal", named: "'builtins.getattr'") {
            marker in
            // getattr(__import__('os'), 'system')('touch MARKER')
            var pickle = PickleProgram()
            pickle.global("builtins", "getattr")
            pickle.call("builtins", "__import__", "os")
            pickle.string("system")
            pickle.tuple2()
            pickle.reduce()
            pickle.string("touch \(marker)")
            pickle.tuple1()
            pickle.reduce()
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(
            name: "nested REDUCE on an allowed result", errorKind: "malformedPickle", named: "REDUCE on a str"
        ) { marker in
            // torch.device('cpu') is allowed and becomes the str 'cpu'; calling that result is refused.
            var pickle = PickleProgram()
            pickle.call("torch", "device", "cpu")
            pickle.string("touch \(marker)")
            pickle.tuple1()
            pickle.reduce()
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "INST os.system", errorKind: "forbiddenGlobal", named: "'os.system' (") { marker in
            var pickle = PickleProgram()
            pickle.mark()
            pickle.string("touch \(marker)")
            pickle.inst("os", "system")
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "INST of an allowed class", errorKind: "unknownOpcode", named: "0x69 INST") { _ in
            var pickle = PickleProgram()
            pickle.mark()
            pickle.inst("collections", "OrderedDict")
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "OBJ os.system", errorKind: "forbiddenGlobal", named: "'os.system'") { marker in
            var pickle = PickleProgram()
            pickle.mark()
            pickle.global("os", "system")
            pickle.string("touch \(marker)")
            pickle.obj()
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "OBJ of an allowed class", errorKind: "unknownOpcode", named: "0x6f OBJ") { _ in
            var pickle = PickleProgram()
            pickle.mark()
            pickle.global("collections", "OrderedDict")
            pickle.obj()
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(name: "NEWOBJ of an allowed class", errorKind: "unknownOpcode", named: "0x81 NEWOBJ") { _ in
            var pickle = PickleProgram()
            pickle.global("collections", "OrderedDict")
            pickle.emptyTuple()
            pickle.newObj()
            pickle.stop()
            return pickle.bytes
        },
        HostilePickle(
            name: "persistent id ../ outside the archive", errorKind: "malformedPickle",
            named: "'../../../../etc/passwd'"
        ) { _ in storagePersistentID(key: "../../../../etc/passwd") },
        HostilePickle(name: "persistent id absolute path", errorKind: "malformedPickle", named: "storage key '/") {
            marker in storagePersistentID(key: marker)
        },
    ]

    /// `{'w': _rebuild_tensor_v2(<storage persistent id>, 0, (4,), (1,), False, OrderedDict())}`: what
    /// `torch.save` writes for a 4-element float tensor, with `key` in place of its storage's record number.
    static func storagePersistentID(key: String) -> [UInt8] {
        var pickle = PickleProgram()
        pickle.bytes += [0x7D]  // EMPTY_DICT
        pickle.string("w")
        pickle.global("torch._utils", "_rebuild_tensor_v2")
        pickle.mark()
        pickle.mark()
        pickle.string("storage")
        pickle.global("torch", "FloatStorage")
        pickle.string(key)
        pickle.string("cpu")
        pickle.int(4)
        pickle.tupleFromMark()
        pickle.binPersId()
        pickle.int(0)
        pickle.int(4)
        pickle.tuple1()
        pickle.int(1)
        pickle.tuple1()
        pickle.bytes += [0x89]  // NEWFALSE
        pickle.global("collections", "OrderedDict")
        pickle.emptyTuple()
        pickle.reduce()
        pickle.tupleFromMark()
        pickle.reduce()
        pickle.bytes += [0x73]  // SETITEM
        pickle.stop()
        return pickle.bytes
    }
}

/// Every hostile pickle, in a zip and in a legacy file written to disk and loaded as a user would: refused with an
/// error that names what it refused, and nothing it would have done happened (no marker file, nothing new in the
/// folder).
@Suite struct HostilePickleTests {
    @Test(arguments: HostilePickle.all, TorchContainer.allCases)
    func refusedByNameWithoutSideEffects(_ hostile: HostilePickle, _ container: TorchContainer) throws {
        try withTemporaryFolder { folder in
            let marker = folder + "/pwned"
            let file = folder + "/hostile.pth"
            try Data(container.file(around: hostile.build(marker))).write(to: URL(fileURLWithPath: file))
            let error = checkpointError { _ = try Checkpoint.load(path: file) }
            #expect(error?.caseName == hostile.errorKind, "\(hostile) in \(container): \(String(describing: error))")
            #expect(
                error?.description.contains(hostile.named) == true,
                "\(hostile) in \(container): the message does not name \(hostile.named): \(String(describing: error))")
            #expect(error?.description.hasPrefix(file + ": ") == true)
            #expect(!FileManager.default.fileExists(atPath: marker))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["hostile.pth"])
        }
    }

    /// The absolute-path persistent id points at a real file: refused, and its contents never become a tensor.
    @Test(arguments: TorchContainer.allCases)
    func persistentIDNamingARealFileIsRefused(_ container: TorchContainer) throws {
        try withTemporaryFolder { folder in
            let secret = folder + "/secret.bin"
            try Data(repeating: 0x41, count: 16).write(to: URL(fileURLWithPath: secret))
            let file = folder + "/hostile.pth"
            let bytes = container.file(around: HostilePickle.storagePersistentID(key: secret))
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let error = checkpointError { _ = try Checkpoint.load(path: file) }
            #expect(error?.caseName == "malformedPickle")
            #expect(error?.description.contains("storage key '\(secret)'") == true, "\(String(describing: error))")
        }
    }

    /// Zip entry names that would leave a folder if they were ever used as paths are refused by name; nothing is
    /// created where they point.
    @Test(arguments: [
        "../escape/data.pkl", "archive/../../escape/data.pkl", "/tmp/absolute-zip-entry/data.pkl",
        "\\windows\\data.pkl", "C:evil/data.pkl", "archive/data/../../../../x",
    ])
    func unsafeZipEntryNamesAreRefused(_ entry: String) throws {
        try withTemporaryFolder { folder in
            let file = folder + "/hostile.pth"
            let pickle = HostilePickle.storagePersistentID(key: "0")
            let zip = storedZip([("archive/data.pkl", pickle), (entry, Array(repeating: 0, count: 16))])
            try Data(zip).write(to: URL(fileURLWithPath: file))
            let error = checkpointError { _ = try Checkpoint.load(path: file) }
            #expect(error?.caseName == "corruptArchive")
            #expect(
                error?.description.contains("'\(entry.replacingOccurrences(of: "\\", with: "\\\\"))'") == true,
                "\(String(describing: error))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["hostile.pth"])
            #expect(!FileManager.default.fileExists(atPath: "/tmp/absolute-zip-entry"))
        }
    }

    /// The zip writer above makes loadable files: the same pickle with a plain key and its record loads, so the
    /// refusals are about the hostile parts, not the container.
    @Test(arguments: TorchContainer.allCases)
    func theSameFileWithAPlainKeyLoads(_ container: TorchContainer) throws {
        let pickle = HostilePickle.storagePersistentID(key: "0")
        let floats: [UInt8] = [Float](repeating: 1.5, count: 4).withUnsafeBytes { Array($0) }
        let bytes: [UInt8]
        switch container {
        case .zip:
            bytes = storedZip([("archive/data.pkl", pickle), ("archive/data/0", floats)])
        case .legacy:
            let keys: [UInt8] = [0x80, 0x02, 0x5D, 0x58, 1, 0, 0, 0, 0x30, 0x61, 0x2E]
            bytes =
                legacyStream(object: pickle, keys: keys) + withUnsafeBytes(of: Int64(4).littleEndian) { Array($0) }
                + floats
        }
        let stateDict = try Checkpoint.decode(bytes, name: "plain.\(container).pth")
        #expect(stateDict.keys == ["w"])
        #expect(stateDict["w"]?.values == .float([1.5, 1.5, 1.5, 1.5]))
    }
}
