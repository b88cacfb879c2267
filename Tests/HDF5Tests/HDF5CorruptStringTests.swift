import Foundation
import HDF5
import Testing

/// A variable-length string attribute whose stored length or global heap reference disagrees with the file is
/// refused with `HDF5Error.corruptAttribute` before libhdf5 reads it (libhdf5 1.10.8 would copy past its buffer,
/// index past its object table or loop forever: the fuzz inputs in `Fuzz/regressions/hdf5/libhdf5_*`). Each test
/// writes a real file with one string attribute, damages one field of it on disk, and reads the attribute back.
@Suite struct HDF5CorruptStringTests {
    static let text = "conv2d"

    /// Where the attribute's bytes are in a file written by `HDF5File` (8-byte addresses and lengths, no user block).
    struct Layout {
        /// Offset of the global heap collection ("GCOL").
        let collection: Int
        /// Offset of the stored string element: 4-byte length, 8-byte collection address, 4-byte index.
        let element: Int
        /// Offset of the heap object's header (2-byte index, 2-byte references, 4 reserved, 8-byte size).
        let object: Int
        /// Offset of the free-space object's header (index 0), after the last object.
        let freeSpace: Int
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func read(_ bytes: [UInt8], at offset: Int, size: Int) -> Int {
        (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }

    /// Writes the attribute, lets `damage` change the file's bytes (given where things are), and reads it back.
    static func readDamaged(_ damage: (inout [UInt8], Layout) -> Void) throws -> Result<HDF5AttributeValue, Error> {
        try withTemporaryFile { path in
            try writeAndClose(path) { try $0.setAttribute("op", .string(text)) }
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let collection = try #require(find(Array("GCOL".utf8), in: bytes))
            let element = try #require(
                find(littleEndian(UInt32(text.utf8.count)) + littleEndian(UInt64(collection)), in: bytes),
                "the stored string element is not in the file")
            let index = read(bytes, at: element + 12, size: 4)
            var object = collection + 16
            while read(bytes, at: object, size: 2) != index {
                object += 16 + (read(bytes, at: object + 8, size: 8) + 7) / 8 * 8
            }
            let freeSpace = object + 16 + (read(bytes, at: object + 8, size: 8) + 7) / 8 * 8
            #expect(read(bytes, at: freeSpace, size: 2) == 0, "the free space does not follow the only object")
            damage(&bytes, Layout(collection: collection, element: element, object: object, freeSpace: freeSpace))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let file = try HDF5File(path: path)
            return Result { try file.root.attribute("op") }
        }
    }

    /// The reason of the `corruptAttribute` error `result` holds; fails the test for anything else.
    static func corruption(_ result: Result<HDF5AttributeValue, Error>) -> String {
        guard case let .failure(error as HDF5Error) = result,
            case let .corruptAttribute(_, object, name, reason) = error
        else {
            Issue.record("expected HDF5Error.corruptAttribute, got \(result)")
            return ""
        }
        #expect(object == "/" && name == "op")
        #expect("\(error)".contains("attribute 'op' of '/' is corrupt"))
        return reason
    }

    @Test func undamagedStringReadsBack() throws {
        let result = try Self.readDamaged { _, _ in }
        #expect(try result.get() == .string(Self.text))
    }

    @Test func storedLengthDisagreeingWithHeapObjectIsRefused() throws {
        let reason = Self.corruption(
            try Self.readDamaged { bytes, at in bytes[at.element] = 2 })
        #expect(reason.contains("stored length 2 disagrees with the 6 bytes of object"), "\(reason)")
    }

    @Test func indexOfAnAbsentObjectIsRefused() throws {
        let reason = Self.corruption(
            try Self.readDamaged { bytes, at in
                bytes.replaceSubrange((at.element + 12)..<(at.element + 16), with: Self.littleEndian(UInt32(999)))
            })
        #expect(reason.contains("refers to object 999 of the global heap collection"), "\(reason)")
    }

    @Test func indexOfTheFreeSpaceObjectIsRefused() throws {
        let reason = Self.corruption(
            try Self.readDamaged { bytes, at in
                bytes.replaceSubrange((at.element + 12)..<(at.element + 16), with: Self.littleEndian(UInt32(0)))
            })
        #expect(reason.contains("refers to object 0"), "\(reason)")
    }

    @Test func collectionAddressOutsideTheFileIsRefused() throws {
        let reason = Self.corruption(
            try Self.readDamaged { bytes, at in
                bytes.replaceSubrange(
                    (at.element + 4)..<(at.element + 12), with: Self.littleEndian(UInt64(bytes.count + 100)))
            })
        #expect(reason.contains("is not inside the file's"), "\(reason)")
    }

    @Test func damagedCollectionSignatureIsRefused() throws {
        let reason = Self.corruption(try Self.readDamaged { bytes, at in bytes[at.collection + 3] = UInt8(ascii: "X") })
        #expect(reason.contains("no version-1 global heap collection ('GCOL')"), "\(reason)")
    }

    @Test func collectionSizePastTheFileIsRefused() throws {
        let reason = Self.corruption(
            try Self.readDamaged { bytes, at in
                bytes.replaceSubrange(
                    (at.collection + 8)..<(at.collection + 16), with: Self.littleEndian(UInt64(1 << 40)))
            })
        #expect(reason.contains("claims 1099511627776 bytes"), "\(reason)")
    }

    /// An object size past the collection's end: libhdf5 would walk (and copy) out of the collection's buffer.
    @Test func objectSizePastTheCollectionIsRefused() throws {
        let reason = Self.corruption(
            try Self.readDamaged { bytes, at in
                bytes.replaceSubrange((at.object + 8)..<(at.object + 16), with: Self.littleEndian(UInt64(70_000)))
            })
        #expect(reason.contains("claims 70000 bytes, past the collection's end"), "\(reason)")
    }

    /// A free-space object of size 0: libhdf5's walk of the collection never advances (the fuzz run's timeouts).
    @Test func zeroSizeFreeSpaceIsRefused() throws {
        let reason = Self.corruption(
            try Self.readDamaged { bytes, at in
                bytes.replaceSubrange((at.freeSpace + 8)..<(at.freeSpace + 16), with: Self.littleEndian(UInt64(0)))
            })
        #expect(reason.contains("object 0 at offset"), "\(reason)")
        #expect(reason.contains("less than its own 16-byte header"), "\(reason)")
    }
}
