import CHDF5
import Foundation

/// Entry point for every call into the HDF5 C library.
///
/// HDF5 builds without the thread-safe option (Homebrew's, for one) must not be entered from two threads at once,
/// and Swift Testing runs tests in parallel, so all calls go through one process-wide lock. HDF5 keeps its
/// error-printing switch per thread in thread-safe builds, so printing is switched off on every entry: users see
/// this module's `HDF5Error` messages, not HDF5's error stack on stderr.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Runs `body` holding the library lock, with HDF5's own error printing off.
    static func call<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        H5Eset_auto2(shim_H5E_DEFAULT(), nil, nil)
        return try body()
    }

    /// An opaque type (tagged `SHIM_RAW_VLEN_STRING_TAG`, 40 bytes: room for any address size) that a variable-length
    /// string attribute reads into as its stored bytes - length, heap address, index - through the conversion
    /// `shim_register_raw_vlen_string_conversion` registers; negative when creating or registering failed. Made
    /// once, by the first caller (who holds the lock), and kept open.
    static let rawVariableLengthStringType: hid_t = {
        let raw = H5Tcreate(H5T_OPAQUE, 40)
        guard raw >= 0 else { return raw }
        let string = H5Tcopy(shim_H5T_C_S1())
        defer { H5Tclose(string) }
        guard string >= 0, H5Tset_size(string, shim_H5T_VARIABLE()) >= 0,
            H5Tset_tag(raw, SHIM_RAW_VLEN_STRING_TAG) >= 0,
            shim_register_raw_vlen_string_conversion(string, raw) >= 0
        else {
            H5Tclose(raw)
            return -1
        }
        return raw
    }()

    /// `H5P_DEFAULT`, the default property list.
    static var defaultProperties: hid_t { shim_H5P_DEFAULT() }

    /// A link-creation property list that creates missing intermediate groups; the caller closes it.
    static func intermediateGroupsProperties() -> hid_t {
        let properties = H5Pcreate(shim_H5P_LINK_CREATE())
        H5Pset_create_intermediate_group(properties, 1)
        return properties
    }

    /// Reads a C string of `length` bytes (without its terminator) that `fill` writes into a buffer of the given
    /// capacity, decoded as UTF-8.
    static func string(length: Int, _ fill: (UnsafeMutablePointer<CChar>, Int) -> Void) -> String {
        var bytes = [UInt8](repeating: 0, count: length + 1)
        bytes.withUnsafeMutableBytes { raw in
            fill(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        return String(decoding: bytes.prefix(length), as: UTF8.self)
    }
}
