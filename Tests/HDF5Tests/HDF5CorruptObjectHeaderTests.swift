import Foundation
import HDF5
import Testing

/// An object header whose chunk claims more bytes than the file holds is refused before libhdf5 loads it: libhdf5
/// 1.10.8 allocates what a chunk claims before reading it (1 GB in `H5Fopen` for
/// `Fuzz/regressions/hdf5/libhdf5_H5C_protect_1GB_on_H5Fopen.h5`, whose root header's continuation message claims
/// 1,061,109,567 bytes). Each test writes a real file (version-0 superblock, version-1 object headers: libhdf5's
/// defaults), damages the size of one header's first chunk on disk, and opens it again.
@Suite struct HDF5CorruptObjectHeaderTests {
    /// The claimed chunk size written over the real one: 0x3F3F3F3F, the fuzzer's bytes.
    static let claimed: UInt32 = 1_061_109_567

    static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    static func read(_ bytes: [UInt8], at offset: Int, size: Int) -> Int {
        (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }

    /// Writes a group `/g` with one attribute and a dataset, lets `damage` change the file's bytes, and writes them
    /// back; returns what `body` does with the reopened file.
    static func withDamagedFile<Result>(
        _ damage: (inout [UInt8]) throws -> Void, _ body: (String, Int) throws -> Result
    ) throws -> Result {
        try withTemporaryFile { path in
            try writeAndClose(path) { root in
                let group = try root.createGroup("g")
                try group.setAttribute("header_marker", .int64(7))
                try root.write("g/x", HDF5Array(shape: [3], values: [1, 2, 3] as [Float]))
            }
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            try damage(&bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return try body(path, bytes.count)
        }
    }

    /// Sets the first-chunk size of the version-1 object header at `address` to ``claimed``.
    static func claimHugeFirstChunk(_ bytes: inout [UInt8], headerAt address: Int) {
        #expect(bytes[address] == 1 && read(bytes, at: address + 4, size: 4) >= 1, "no v1 header at \(address)")
        withUnsafeBytes(of: claimed.littleEndian) { bytes.replaceSubrange((address + 8)..<(address + 12), with: $0) }
    }

    /// The object header address of `/g`, the root group's only child: the first entry of the root's symbol table
    /// node (`SNOD`, version 1: signature, version, reserved, 2-byte count, then 40-byte entries of an 8-byte name
    /// offset, the 8-byte header address, cache type, reserved and scratch pad).
    static func childHeaderAddress(in bytes: [UInt8]) throws -> Int {
        let node = try #require(find(Array("SNOD".utf8), in: bytes), "no symbol table node in the file")
        #expect(bytes[node + 4] == 1 && read(bytes, at: node + 6, size: 2) == 1, "not one entry in the root's node")
        return read(bytes, at: node + 16, size: 8)
    }

    @Test func undamagedFileOpens() throws {
        let names = try Self.withDamagedFile({ _ in }) { path, _ in
            try HDF5File(path: path).root.group("g").childNames()
        }
        #expect(names == ["x"])
    }

    @Test func rootHeaderClaimingMoreThanTheFileIsRefusedAtOpen() throws {
        let error = try Self.withDamagedFile({ bytes in
            // A version-0 superblock with 8-byte addresses: the root symbol table entry's header address at 64.
            #expect(bytes[8] == 0 && bytes[13] == 8)
            Self.claimHugeFirstChunk(&bytes, headerAt: Self.read(bytes, at: 64, size: 8))
        }) { path, size in
            (#expect(throws: HDF5Error.self) { try HDF5File(path: path) }, size)
        }
        guard case let (.notHDF5(_, reason)?, size) = error else {
            Issue.record("expected HDF5Error.notHDF5, got \(String(describing: error.0))")
            return
        }
        #expect(reason.hasPrefix("it is damaged: the root group's object header is corrupt: the first chunk"))
        #expect(reason.contains("\(Self.claimed + 16) bytes) does not fit in the file's \(size) bytes"))
    }

    @Test func driverInformationClaimingMoreThanTheFileIsRefusedAtOpen() throws {
        let error = try Self.withDamagedFile({ bytes in
            // The fourth superblock address (driver information, undefined in h5py's files) names a block appended
            // to the file whose 4-byte size field claims 0xFF000000 bytes (the fuzzer's
            // Fuzz/regressions/hdf5/libhdf5_H5F__super_read_4GB_driver_info.h5).
            #expect(Self.read(bytes, at: 48, size: 8) == -1, "the driver information address is defined")
            let block = bytes.count
            bytes.replaceSubrange(48..<56, with: withUnsafeBytes(of: UInt64(block).littleEndian) { Array($0) })
            bytes += [0, 0, 0, 0, 0, 0, 0, 0xFF] + Array("NCSAmult".utf8)
        }) { path, _ in
            #expect(throws: HDF5Error.self) { try HDF5File(path: path) }
        }
        guard case let .notHDF5(_, reason)? = error else {
            Issue.record("expected HDF5Error.notHDF5, got \(String(describing: error))")
            return
        }
        #expect(reason.hasPrefix("it is damaged: its driver information block at address"))
        #expect(reason.contains("claims 4278190080 bytes after its 16-byte header"))
    }

    @Test func childHeaderClaimingMoreThanTheFileIsRefusedByName() throws {
        let (error, contains, names) = try Self.withDamagedFile({ bytes in
            Self.claimHugeFirstChunk(&bytes, headerAt: try Self.childHeaderAddress(in: bytes))
        }) { path, _ in
            let file = try HDF5File(path: path)
            return (
                #expect(throws: HDF5Error.self) { try file.root.attributes(of: "g") },
                file.root.contains("g"), try file.root.childNames()
            )
        }
        guard case let .corruptObjectHeader(_, object, reason)? = error else {
            Issue.record("expected HDF5Error.corruptObjectHeader, got \(String(describing: error))")
            return
        }
        #expect(object == "/g")
        #expect(reason.contains("the first chunk of the object header at address"))
        #expect("\(error!)".contains("the object header of '/g' is corrupt"))
        // The link is still listed; what it names cannot be opened, so it is not reported as present.
        #expect(names == ["g"] && !contains)
    }

    @Test func datasetUnderCorruptGroupIsRefusedNamingTheGroup() throws {
        let error = try Self.withDamagedFile({ bytes in
            Self.claimHugeFirstChunk(&bytes, headerAt: try Self.childHeaderAddress(in: bytes))
        }) { path, _ in
            let file = try HDF5File(path: path)
            return #expect(throws: HDF5Error.self) { try file.root.read("g/x", as: Float.self) }
        }
        guard case let .corruptObjectHeader(_, object, _)? = error else {
            Issue.record("expected HDF5Error.corruptObjectHeader, got \(String(describing: error))")
            return
        }
        #expect(object == "/g")
    }
}
