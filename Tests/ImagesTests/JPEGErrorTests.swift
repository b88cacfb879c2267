import Foundation
import Golden
import HDF5
import Images
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Truncated, corrupt, non-JPEG and oversized files give an ``ImageError`` that names the file, as PIL refuses
/// them; nothing crashes and libjpeg prints nothing.
@Suite("JPEG errors name the file")
struct JPEGErrorTests {
    @Test(
        "every refused fixture throws the recorded kind of error, naming the path",
        arguments: JPEGFixtures.refused)
    func refusedFixture(name: String) throws {
        let result = try JPEGFixtures.references().replayRefused(name)
        #expect(result.count == 2 * ImageReadMode.allCases.count)
        expectPassed(result)
    }

    @Test(
        "a file that ends early is 'truncated', as PIL's OSError says, even when only EOI is missing",
        arguments: ["error_corrupt_truncated_scan", "error_corrupt_truncated_progressive", "error_corrupt_no_eoi"])
    func truncation(name: String) throws {
        let pil = try PNGFixtures.string(JPEGFixtures.group("errors/" + name), "pil")
        #expect(pil.hasPrefix("OSError: image file is truncated"), "PIL: \(pil)")
        let bytes = try JPEGFixtures.bytes(name)
        let error = #expect(throws: ImageError.self) { try JPEG.decode(bytes, name: name + ".jpg") }
        guard case let .corrupt(file, format, reason)? = error else {
            Issue.record("\(name).jpg: \(String(describing: error))")
            return
        }
        #expect(file == name + ".jpg" && format == .jpeg)
        #expect(
            reason == "image file is truncated: the data ends after \(bytes.count) bytes, before the image does "
                + "(libjpeg: Premature end of JPEG file)")
    }

    @Test("the empty file and a text file are not JPEG, with the reason")
    func notJPEG() throws {
        #expect(throws: ImageError.notJPEG(file: "empty.jpg", reason: "the file is empty")) {
            try JPEG.decode([], name: "empty.jpg")
        }
        #expect(
            throws: ImageError.notJPEG(
                file: "x.jpg", reason: "the JPEG signature FF D8 FF is missing (the file starts with 89 50 4E)")
        ) {
            try JPEG.decode(PNGFixtures.bytes("rgb8"), name: "x.jpg")
        }
        #expect(
            throws: ImageError.notJPEG(
                file: "x.jpg", reason: "the file is shorter than the 3-byte JPEG signature FF D8 FF")
        ) {
            try JPEG.decode([0xFF, 0xD8], name: "x.jpg")
        }
    }

    @Test("65500 x 65500 in the SOF of a 1.4 KB file is refused before allocating, naming PIL's limit")
    func decompressionBomb() throws {
        let path = JPEGFixtures.path("error_tooLarge_65500x65500")
        let error = #expect(throws: ImageError.self) { try JPEG.read(path: path) }
        #expect(
            error
                == .tooLarge(
                    file: path, format: .jpeg,
                    reason: "65500 x 65500 = 4290250000 pixels exceeds the limit of 178956970 pixels"))
        #expect(JPEG.maximumPixels == 178_956_970)
        let pil = try PNGFixtures.string(JPEGFixtures.group("errors/error_tooLarge_65500x65500"), "pil")
        #expect(pil.contains("exceeds limit of \(JPEG.maximumPixels) pixels"), "PIL: \(pil)")
        let header = try JPEG.header(path: path)
        #expect(header.width == 65500 && header.height == 65500)
    }

    @Test("maximumPixels accepts width * height exactly and refuses one pixel less")
    func pixelLimit() throws {
        let bytes = try JPEGFixtures.bytes("rgb420_64x48")
        #expect(try JPEG.decode(bytes, name: "a.jpg", maximumPixels: 64 * 48).samples.count == 64 * 48 * 3)
        #expect(
            throws: ImageError.tooLarge(
                file: "a.jpg", format: .jpeg, reason: "64 x 48 = 3072 pixels exceeds the limit of 3071 pixels")
        ) {
            try JPEG.decode(bytes, name: "a.jpg", maximumPixels: 64 * 48 - 1)
        }
    }

    @Test("maximumScans stops a progressive file at the first scan past the limit")
    func scanLimit() throws {
        let progressive = try JPEGFixtures.bytes("progressive420_64x48")
        #expect(try JPEG.decode(progressive, name: "p.jpg", maximumScans: 0).width == 64)
        #expect(try JPEG.decode(progressive, name: "p.jpg").width == 64)
        #expect(
            throws: ImageError.tooLarge(
                file: "p.jpg", format: .jpeg,
                reason: "the file has more than 3 scans (scan 4 started), the limit for progressive files")
        ) {
            try JPEG.decode(progressive, name: "p.jpg", maximumScans: 3)
        }
        #expect(try JPEG.decode(JPEGFixtures.bytes("rgb420_64x48"), name: "b.jpg", maximumScans: 1).width == 64)
    }

    @Test("libjpeg's warnings and errors are never printed to standard error")
    func nothingPrinted() throws {
        let output = try JPEGErrorTests.standardError {
            _ = try JPEG.read(path: JPEGFixtures.path("damaged_junk_before_marker"))
            for name in JPEGFixtures.refused {
                _ = try? JPEG.read(path: JPEGFixtures.path(name))
            }
        }
        // Other suites run in parallel and the test runner itself writes to standard error, so the check looks for
        // libjpeg's own messages (jerror.h) rather than for silence.
        let libjpegMessages = [
            "Corrupt JPEG data", "Premature end of JPEG file", "Not a JPEG file", "Bogus ", "Invalid JPEG file",
            "Unsupported marker", "JPEG datastream", "Huffman", "Improper call to JPEG", "Invalid SOS parameters",
            "Quantization table", "Unsupported JPEG process", "Empty JPEG image",
        ]
        let printed = output.split(separator: "\n").filter { line in libjpegMessages.contains { line.contains($0) } }
        #expect(printed.isEmpty, "libjpeg printed: \(printed)")
    }

    /// What `body` writes to file descriptor 2, captured through a temporary file.
    static func standardError(of body: () throws -> Void) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        fflush(stderr)
        let saved = dup(2)
        let capture = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(saved >= 0 && capture >= 0)
        dup2(capture, 2)
        close(capture)
        defer {
            fflush(stderr)
            dup2(saved, 2)
            close(saved)
        }
        try body()
        fflush(stderr)
        // Not String(contentsOfFile:): Foundation's reader leaked a 4096-byte buffer on some reads (LeakSanitizer).
        return (try? ImageFile.readBytes(path: path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
