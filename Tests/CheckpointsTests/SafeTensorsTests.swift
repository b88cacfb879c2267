import Checkpoints
import Testing

/// A safetensors file: the header's length, the header, then `data`.
func safetensorsFile(_ header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let length = declaredLength ?? UInt64(json.count)
    return withUnsafeBytes(of: length.littleEndian) { Array($0) } + json + data
}

/// The safetensors header validation the reference implementation performs, one rule per case.
@Suite struct SafeTensorsTests {
    static let eightBytes = [UInt8](repeating: 0, count: 8)

    @Test func readsAMinimalFileAndUnicodeKeys() throws {
        let header = #"{"a\u00e9\n":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}, "__metadata__":{"k":"v"}}"#
        let data: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]
        let loaded = try Checkpoint.decode(safetensorsFile(header, data: data), name: "m.safetensors")
        #expect(loaded.keys == ["a\u{e9}\n"])
        #expect(loaded["a\u{e9}\n"]?.floats == [1, 2])
        #expect(loaded.metadata == ["k": "v"])
        #expect(try Checkpoint.decode(safetensorsFile("{}", data: []), name: "e.safetensors").count == 0)
    }

    @Test func keysKeepHeaderOrderWhileDataMayBeInAnyOrder() throws {
        let header =
            #"{"second":{"dtype":"U8","shape":[1],"data_offsets":[4,5]},"#
            + #""first":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}"#
        let loaded = try Checkpoint.decode(safetensorsFile(header, data: [7, 0, 0, 0, 9]), name: "o.safetensors")
        #expect(loaded.keys == ["second", "first"])
        #expect(loaded["first"]?.integers == [7] && loaded["first"]?.shape == [])
        #expect(loaded["second"]?.integers == [9])
    }

    @Test(arguments: [
        (
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
                + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 12, "b", "overlaps"
        ),
        (
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
                + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, 12, "b", "gap"
        ),
        (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, 8, "a", "outside"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, "a", "needs 12 bytes"),
        (#"{"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}"#, 8, "a", "outside"),
        (#"{"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}}"#, 8, "a", "4000000000000 bytes"),
        (#"{"a":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,8]}}"#, 8, "a", "overflowing"),
        (#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, 8, "a", "integers >= 0"),
        (#"{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, 8, "a", "integers >= 0"),
        (#"{"a":{"dtype":"F32","shape":[2]}}"#, 8, "a", "no 'data_offsets'"),
        (#"{"a":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}}"#, 8, "a", "unknown dtype"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, 8, "a", "[begin, end]"),
        (#"{"a":[1]}"#, 8, "a", "not a JSON object"),
    ])
    func invalidEntries(_ header: String, _ dataCount: Int, _ key: String, _ phrase: String) throws {
        let bytes = safetensorsFile(header, data: [UInt8](repeating: 0, count: dataCount))
        let error = checkpointError { _ = try Checkpoint.decode(bytes, name: "bad.safetensors") }
        guard case let .invalidSafeTensorsEntry(_, found, detail)? = error else {
            Issue.record("expected invalidSafeTensorsEntry for \(header), got \(String(describing: error))")
            return
        }
        #expect(found == key)
        #expect(detail.contains(phrase), "\(detail)")
    }

    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "cover 4 bytes but the data buffer holds 8"),
        (#"{"a":}"#, "invalid JSON"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{}}"#, "duplicate key 'a'"),
        (#"{"__metadata__":{"k":1}}"#, "is not a string"),
        (#"{"__metadata__":[]}"#, "is not an object"),
        (#"{"a":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}", "nesting"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} x"#, "after the JSON value"),
        ("{\"\u{01}\":1}", "control character"),
    ])
    func invalidHeaders(_ header: String, _ phrase: String) throws {
        let bytes = safetensorsFile(header, data: Self.eightBytes)
        let error = checkpointError { _ = try Checkpoint.decode(bytes, name: "h") }
        guard case let .invalidSafeTensorsHeader(_, detail)? = error else {
            Issue.record("expected invalidSafeTensorsHeader for \(header), got \(String(describing: error))")
            return
        }
        #expect(detail.contains(phrase), "\(detail)")
    }

    @Test func headerLengthLimits() throws {
        let huge = safetensorsFile("{}", data: Self.eightBytes, declaredLength: 200_000_000)
        let error = checkpointError { _ = try Checkpoint.decode(huge, name: "h") }
        #expect(error?.caseName == "invalidSafeTensorsHeader")
        #expect(error?.description.contains("exceeds the 100 MB limit") == true)
        let beyond = safetensorsFile("{}", data: Self.eightBytes, declaredLength: 64)
        #expect(checkpointError { _ = try Checkpoint.decode(beyond, name: "b") }?.caseName == "truncated")
        var invalidUTF8 = safetensorsFile("{\"\u{e9}\":1}", data: [])
        invalidUTF8[10] = 0xFF
        let utf8 = checkpointError { _ = try Checkpoint.decode(invalidUTF8, name: "u") }
        #expect(utf8?.description.contains("not valid UTF-8") == true)
    }

    @Test func typesWithoutAConversionAreNamed() throws {
        let bytes = safetensorsFile(#"{"a":{"dtype":"U16","shape":[4],"data_offsets":[0,8]}}"#, data: Self.eightBytes)
        #expect(
            checkpointError { _ = try Checkpoint.decode(bytes, name: "t") }
                == .unsupportedDType(path: "t", key: "a", dtype: "U16"))
    }
}
