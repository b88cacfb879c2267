import Foundation
import HDF5
import Testing

@Suite("HDF5 datasets")
struct HDF5DatasetTests {
    @Test("float32 round trip", arguments: 0...5)
    func float32RoundTrip(rank: Int) throws {
        let shape = testShape(rank: rank)
        let values = (0..<shape.reduce(1, *)).map { Float($0) * 0.25 - 3.5 }
        let result = try roundTrip(HDF5Array(shape: shape, values: values))
        #expect(result.array == HDF5Array(shape: shape, values: values))
        #expect(result.info == HDF5DatasetInfo(elementType: .float32, shape: shape))
    }

    @Test("float64 round trip", arguments: 0...5)
    func float64RoundTrip(rank: Int) throws {
        let shape = testShape(rank: rank)
        let values = (0..<shape.reduce(1, *)).map { (index: Int) -> Double in
            index.isMultiple(of: 2) ? Double(index) / 3 : -1e300 * Double(index)
        }
        let result = try roundTrip(HDF5Array(shape: shape, values: values))
        #expect(result.array == HDF5Array(shape: shape, values: values))
        #expect(result.info == HDF5DatasetInfo(elementType: .float64, shape: shape))
    }

    @Test("int64 round trip", arguments: 0...5)
    func int64RoundTrip(rank: Int) throws {
        let shape = testShape(rank: rank)
        let values = (0..<shape.reduce(1, *)).map { Int64($0) * 3_000_000_007 - Int64.max / 2 }
        let result = try roundTrip(HDF5Array(shape: shape, values: values))
        #expect(result.array == HDF5Array(shape: shape, values: values))
        #expect(result.info == HDF5DatasetInfo(elementType: .int64, shape: shape))
    }

    @Test("a scalar is rank 0 with one value")
    func scalar() throws {
        let result = try roundTrip(HDF5Array(scalar: Float(3)))
        #expect(result.array.shape == [])
        #expect(result.array.values == [3])
        #expect(result.info.count == 1)
    }

    @Test("arrays with a zero dimension round trip, with or without gzip", arguments: [nil, 6] as [Int?])
    func emptyArray(gzipLevel: Int?) throws {
        let empty = HDF5Array<Double>(shape: [0, 3], values: [])
        #expect(try roundTrip(empty, gzipLevel: gzipLevel).array == empty)
    }

    @Test("gzip-compressed chunked datasets round trip", arguments: [0, 1, 9])
    func gzipRoundTrip(level: Int) throws {
        let shape = [3, 5, 7]
        let values = (0..<105).map { Float($0 % 7) }
        #expect(try roundTrip(HDF5Array(shape: shape, values: values), gzipLevel: level).array.values == values)
    }

    @Test("gzip shrinks a repetitive dataset, and large arrays are split into chunks")
    func gzipCompresses() throws {
        let count = 600_000
        let array = HDF5Array(shape: [count], values: [Float](repeating: 1, count: count))
        try withTemporaryFile { path in
            try writeAndClose(path) { try $0.write("big", array, gzipLevel: 4) }
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            #expect(size < count * 4 / 20)
            #expect(try HDF5File(path: path).root.read("big", as: Float.self) == array)
        }
    }

    @Test("nested paths create intermediate groups and read through any group")
    func nestedGroups() throws {
        try withTemporaryFile { path in
            let file = try HDF5File(path: path, mode: .create)
            try file.root.write("a/b/c", HDF5Array(shape: [2], values: [1.5, 2.5] as [Double]))
            try file.root.group("a").write("b/d", HDF5Array(scalar: Int64(9)))
            let b = try file.root.group("a/b")
            #expect(b.path == "/a/b")
            #expect(try b.read("c", as: Double.self).values == [1.5, 2.5])
            #expect(try b.read("/a/b/d", as: Int64.self).values == [9])
            #expect(try file.root.group("a").read("./b//c", as: Double.self).shape == [2])
        }
    }

    @Test("createGroup makes intermediates and returns an existing group")
    func createGroup() throws {
        try withTemporaryFile { path in
            let file = try HDF5File(path: path, mode: .create)
            let c = try file.root.createGroup("a/b/c")
            #expect(c.path == "/a/b/c")
            try c.write("x", HDF5Array(scalar: Float(1)))
            #expect(try file.root.createGroup("a/b").groupNames() == ["c"])
            #expect(try file.root.createGroup("a/b/c").datasetNames() == ["x"])
        }
    }

    @Test("listing is sorted and separates groups from datasets")
    func listing() throws {
        try withTemporaryFile { path in
            let file = try HDF5File(path: path, mode: .create)
            for name in ["zeta", "alpha", "mid/inner"] {
                try file.root.write(name, HDF5Array(scalar: Double(1)))
            }
            try file.root.createGroup("beta")
            #expect(try file.root.childNames() == ["alpha", "beta", "mid", "zeta"])
            #expect(try file.root.groupNames() == ["beta", "mid"])
            #expect(try file.root.datasetNames() == ["alpha", "zeta"])
            #expect(try file.root.group("beta").childNames() == [])
            #expect(file.root.contains("mid/inner"))
            #expect(file.root.contains("beta"))
            #expect(!file.root.contains("mid/missing"))
            #expect(!file.root.contains("alpha/below-a-dataset"))
            #expect(file.root.kind(of: "mid") == .group)
            #expect(file.root.kind(of: "mid/inner") == .dataset)
            #expect(file.root.kind(of: "nothing") == nil)
        }
    }

    @Test("writing an existing dataset replaces it, with a new type and shape")
    func replaceDataset() throws {
        try withTemporaryFile { path in
            let file = try HDF5File(path: path, mode: .create)
            try file.root.write("x", HDF5Array(shape: [3], values: [1, 2, 3] as [Float]))
            try file.root.write("x", HDF5Array(shape: [1, 2], values: [7, 8] as [Int64]))
            #expect(try file.root.info("x") == HDF5DatasetInfo(elementType: .int64, shape: [1, 2]))
            #expect(try file.root.read("x", as: Int64.self).values == [7, 8])
        }
    }

    @Test("readWrite mode adds to an existing file and keeps what was there")
    func readWriteMode() throws {
        try withTemporaryFile { path in
            try writeAndClose(path) { try $0.write("first", HDF5Array(scalar: Float(1))) }
            try HDF5File(path: path, mode: .readWrite).root.write("g/second", HDF5Array(scalar: Float(2)))
            let root = try HDF5File(path: path).root
            #expect(try root.childNames() == ["first", "g"])
            #expect(try root.read("g/second", as: Float.self).values == [2])
        }
    }

    @Test("create mode truncates an existing file")
    func createTruncates() throws {
        try withTemporaryFile { path in
            try writeAndClose(path) { try $0.write("old", HDF5Array(scalar: Float(1))) }
            try writeAndClose(path) { try $0.write("new", HDF5Array(scalar: Float(2))) }
            #expect(try HDF5File(path: path).root.childNames() == ["new"])
        }
    }

    @Test("reading a read-only file leaves its bytes untouched")
    func readOnlyIsUntouched() throws {
        try withTemporaryFile { path in
            do {
                let file = try HDF5File(path: path, mode: .create)
                try file.root.write("g/x", HDF5Array(shape: [4], values: [1, 2, 3, 4] as [Double]))
                try file.root.setAttribute("note", .string("n"), on: "g")
            }
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            do {
                let root = try HDF5File(path: path).root
                _ = try root.read("g/x", as: Double.self)
                _ = try root.attributes(of: "g")
                _ = try root.childNames()
                #expect(throws: HDF5Error.self) { try root.setAttribute("other", .int64(1)) }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }
}
