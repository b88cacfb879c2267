import CHDF5
import Foundation

/// An open HDF5 file; it is closed when the last reference (including groups obtained from it) goes away.
///
/// Mirrors `h5py.File(path, mode)`: `.readOnly` is `"r"`, `.readWrite` is `"r+"`, `.create` is `"w"`.
///
/// ```swift
/// let file = try HDF5File(path: "ref.h5")
/// let weights = try file.root.read("model/conv1/weight", as: Float.self, rank: 4)
/// ```
public final class HDF5File {
    /// How a file is opened.
    public enum Mode: Sendable {
        /// Open an existing file for reading; nothing is ever written to it.
        case readOnly
        /// Open an existing file for reading and writing.
        case readWrite
        /// Create a new, empty file, replacing (truncating) any file at the path.
        case create
    }

    /// The path the file was opened with.
    public let path: String
    /// The mode the file was opened with.
    public let mode: Mode
    /// The HDF5 file identifier, valid until `deinit`.
    let id: hid_t

    /// Opens or creates the HDF5 file at `path`.
    ///
    /// - Throws: `HDF5Error.fileNotFound`, `.notHDF5` (a directory, an empty, a non-HDF5, a truncated or a damaged
    ///   file, the reason naming its size), `.libraryFailure` (read-write refused where read-only works) or
    ///   `.cannotCreate`.
    public init(path: String, mode: Mode = .readOnly) throws {
        self.path = path
        self.mode = mode
        id = try HDF5Library.call {
            mode == .create ? try Self.create(path) : try Self.open(path, mode: mode)
        }
    }

    deinit {
        HDF5Library.call { _ = H5Fclose(id) }
    }

    /// The root group `"/"`; its methods accept absolute paths such as `"a/b/c"`.
    public var root: HDF5Group {
        HDF5Group(file: self, path: "/")
    }

    private static func create(_ path: String) throws -> hid_t {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw HDF5Error.cannotCreate(file: path, reason: "it is a directory")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder) else {
            throw HDF5Error.cannotCreate(file: path, reason: "folder '\(folder)' does not exist")
        }
        let id = H5Fcreate(
            path, shim_H5F_ACC_TRUNC(), HDF5Library.defaultProperties,
            HDF5Library.defaultProperties)
        guard id >= 0 else {
            throw HDF5Error.cannotCreate(
                file: path, reason: "HDF5 refused (no write permission, or the file is open elsewhere)")
        }
        return id
    }

    private static func open(_ path: String, mode: Mode) throws -> hid_t {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HDF5Error.fileNotFound(file: path)
        }
        if isDirectory.boolValue {
            throw HDF5Error.notHDF5(file: path, reason: "it is a directory")
        }
        let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        if size == 0 {
            throw HDF5Error.notHDF5(file: path, reason: "the file is empty")
        }
        guard H5Fis_hdf5(path) > 0 else {
            let size = size.map { "in its \($0) bytes " } ?? ""
            throw HDF5Error.notHDF5(
                file: path,
                reason: HDF5Superblock.truncation(ofFileAt: path)
                    ?? "no HDF5 signature found \(size)(or the file is unreadable)")
        }
        // libhdf5 reads the driver information, the superblock extension and the root group's object header while
        // opening, allocating what they claim.
        do {
            try HDF5Superblock.checkStructures(ofFileAt: path)
        } catch {
            throw HDF5Error.notHDF5(
                file: path, reason: HDF5Superblock.truncation(ofFileAt: path) ?? "it is damaged: \(error.reason)")
        }
        let flags = mode == .readOnly ? shim_H5F_ACC_RDONLY() : shim_H5F_ACC_RDWR()
        let id = H5Fopen(path, flags, HDF5Library.defaultProperties)
        guard id >= 0 else {
            if let truncation = HDF5Superblock.truncation(ofFileAt: path) {
                throw HDF5Error.notHDF5(file: path, reason: truncation)
            }
            if mode == .readWrite,
                case let readOnly = H5Fopen(path, shim_H5F_ACC_RDONLY(), HDF5Library.defaultProperties),
                readOnly >= 0
            {
                H5Fclose(readOnly)
                throw HDF5Error.libraryFailure(
                    file: path, path: "/", operation: "opening read-write (no write permission, or the file is locked)")
            }
            let size = size.map { "\($0) bytes, " } ?? ""
            throw HDF5Error.notHDF5(
                file: path,
                reason: "it starts with an HDF5 superblock (\(size)as long as the superblock says) but libhdf5 "
                    + "cannot open it: it is damaged, or locked by a process writing it")
        }
        return id
    }
}
