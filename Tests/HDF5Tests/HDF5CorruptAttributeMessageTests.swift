import Foundation
import HDF5
import Testing

/// An object whose attribute messages do not all decode is refused with `HDF5Error.corruptAttributeMessages` before
/// `H5Aiterate2` lists them: libhdf5 1.10.8 then releases a half-built attribute table including entries it never
/// wrote, and crashed (SEGV in `H5A__close`, at once or when `H5Fclose` freed the object header):
/// `Fuzz/regressions/hdf5/libhdf5_H5A__close_on_H5Fclose.h5`. Each test writes a real file with seven attributes,
/// damages one attribute message on disk (the sixth of seven: the table has grown to 8 entries, 5 written, when it
/// fails) and lists the attributes again.
@Suite struct HDF5CorruptAttributeMessageTests {
    static let names = ["a1_first", "a2_second", "a3_third", "a4_fourth", "a5_fifth", "a6_damaged", "a7_last"]

    /// Where the damaged attribute's message is: its version byte and the offset of its name in the file.
    struct Message {
        let version: Int
        let versionAt: Int
        let nameAt: Int
        /// Offset of the 2-byte stored name length (counting the NUL).
        var nameLengthAt: Int { versionAt + 2 }
        /// Offset of the datatype, which follows the name (padded to 8 bytes in version 1).
        var datatypeAt: Int {
            let length = "a6_damaged".utf8.count + 1
            return nameAt + (version == 1 ? (length + 7) / 8 * 8 : length)
        }
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    /// Writes the seven attributes (int64 scalars), lets `damage` change the file's bytes, and lists them back.
    static func listDamaged(
        _ damage: (inout [UInt8], Message) -> Void
    ) throws -> Result<[String: HDF5AttributeValue], Error> {
        try withTemporaryFile { path in
            try writeAndClose(path) { root in
                for (index, name) in names.enumerated() { try root.setAttribute(name, .int64(Int64(index))) }
            }
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let nameAt = try #require(find(Array("a6_damaged".utf8) + [0], in: bytes), "the name is not in the file")
            // Versions 1 and 2 put the name 8 bytes after the version byte, version 3 (with an encoding byte) 9.
            let message: Message
            if bytes[nameAt - 9] == 3 {
                message = Message(version: 3, versionAt: nameAt - 9, nameAt: nameAt)
            } else {
                message = Message(version: Int(bytes[nameAt - 8]), versionAt: nameAt - 8, nameAt: nameAt)
            }
            #expect((1...3).contains(message.version), "no attribute message version before the name")
            #expect(Int(bytes[message.nameLengthAt]) == "a6_damaged".utf8.count + 1)
            damage(&bytes, message)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let file = try HDF5File(path: path)
            return Result { try file.root.attributes() }
        }
    }

    /// The reason of the `corruptAttributeMessages` error `result` holds; fails the test for anything else.
    static func corruption(_ result: Result<[String: HDF5AttributeValue], Error>) -> String {
        guard case let .failure(error as HDF5Error) = result,
            case let .corruptAttributeMessages(file, object, reason) = error
        else {
            Issue.record("expected HDF5Error.corruptAttributeMessages, got \(result)")
            return ""
        }
        #expect(object == "/")
        #expect("\(error)".contains("HDF5 file '\(file)': the attributes of '/' are corrupt: "))
        return reason
    }

    @Test func undamagedAttributesAreListed() throws {
        let values = try Self.listDamaged { _, _ in }.get()
        #expect(values.count == Self.names.count)
        #expect(values["a6_damaged"] == .int64(5))
    }

    /// The corruption of the fuzz input: a stored name length 2 bytes short of the name.
    @Test func nameLengthShorterThanTheNameIsRefusedNamingIt() throws {
        let reason = Self.corruption(
            try Self.listDamaged { bytes, message in bytes[message.nameLengthAt] -= 2 })
        #expect(reason.hasPrefix("attribute message 5 of the object header at address "), "\(reason)")
        #expect(reason.contains("stores a name length of 9 bytes, but its name 'a6_damaged' takes 11"), "\(reason)")
    }

    /// The corruption of `libhdf5_H5O__attr_decode_memcpy_overflow_in_H5Aexists.h5`: a dataspace size larger than
    /// the message (libhdf5 copied past its buffer). Refused from the header on disk, before libhdf5 decodes it.
    @Test func dataspaceSizeBeyondTheMessageIsRefused() throws {
        let reason = Self.corruption(
            try Self.listDamaged { bytes, message in
                bytes[message.versionAt + 6] = 0x08
                bytes[message.versionAt + 7] = 0x02
            })
        #expect(reason.hasPrefix("attribute message 5 of the object header at address "), "\(reason)")
        #expect(reason.contains("-byte datatype and a 520-byte dataspace, which do not fit in its"), "\(reason)")
    }

    /// A dataspace claiming more elements than the message holds data for.
    @Test func dataLargerThanTheMessageIsRefused() throws {
        let reason = Self.corruption(
            try Self.listDamaged { bytes, message in
                // Rank 0 (a scalar) becomes rank 1 whose dimension is read from the bytes that follow; the
                // attribute's int64 value is 5, so the dataspace claims at least 5 elements of 8 bytes.
                let dataspaceAt =
                    message.datatypeAt
                    + (message.version == 1
                        ? (Self.read(bytes, at: message.versionAt + 4) + 7) / 8 * 8
                        : Self.read(bytes, at: message.versionAt + 4))
                bytes[dataspaceAt + 1] = 1
            })
        #expect(
            reason.contains("elements of 8 bytes, which do not fit in the") || reason.contains("rank 1"), "\(reason)")
    }

    static func read(_ bytes: [UInt8], at offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }

    @Test func nameLengthLongerThanTheNameIsRefused() throws {
        let reason = Self.corruption(
            try Self.listDamaged { bytes, message in bytes[message.nameLengthAt] += 1 })
        #expect(reason.contains("stores a name length of 12 bytes, but its name 'a6_damaged' takes 11"), "\(reason)")
    }

    @Test func unknownAttributeMessageVersionIsRefused() throws {
        let reason = Self.corruption(
            try Self.listDamaged { bytes, message in bytes[message.versionAt] = 9 })
        #expect(reason.contains("attribute message 5 of the object header at address "), "\(reason)")
        #expect(reason.contains("has version 9 (libhdf5 reads 1 to 3)"), "\(reason)")
    }

    /// A datatype that does not decode is nothing the name check sees: the reason is libhdf5's own innermost error.
    @Test func undecodableDatatypeIsRefusedWithLibhdf5sReason() throws {
        let reason = Self.corruption(
            try Self.listDamaged { bytes, message in
                // The datatype's first byte: class in the low 4 bits, version in the high 4; version 15 is unknown.
                bytes[message.datatypeAt] = 0xF0 | (bytes[message.datatypeAt] & 0x0F)
            })
        #expect(reason.hasPrefix("libhdf5 cannot decode one of its attribute messages: "), "\(reason)")
        #expect(reason.count > "libhdf5 cannot decode one of its attribute messages: ".count, "\(reason)")
    }

    /// The fuzz input itself (a mutation of `h5py_interop.h5` whose root attribute `half_float` stores a 9-byte
    /// name length for its 11 bytes) is refused by name, with no crash.
    @Test func fuzzInputIsRefusedNamingTheAttribute() throws {
        let input = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/regressions/hdf5/libhdf5_H5A__close_on_H5Fclose.h5").path
        let file = try HDF5File(path: input)
        let reason = Self.corruption(Result { try file.root.attributes() })
        #expect(
            reason == "attribute message 7 of the object header at address 96 (in the chunk at address 800) stores "
                + "a name length of 9 bytes, but its name 'half_float' takes 11 with its terminating NUL")
    }
}
