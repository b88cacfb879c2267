import HDF5
import Testing

@Suite("HDF5 attributes")
struct HDF5AttributeTests {
    static let everyKind: [String: HDF5AttributeValue] = [
        "count": .int64(-42),
        "big": .int64(.min),
        "rate": .float64(0.1),
        "name": .string("résumé ✓ tab\tend"),
        "empty": .string(""),
        "sizes": .int64Array([3, 224, 224]),
        "betas": .float64Array([0.9, 0.999]),
        "one": .float64Array([1.5]),
        "none": .int64Array([]),
    ]

    @Test("every kind of value round trips on groups and datasets", arguments: ["/", "/g/h", "/g/data"])
    func roundTrip(object: String) throws {
        try withTemporaryFile { path in
            do {
                let file = try HDF5File(path: path, mode: .create)
                try file.root.createGroup("g/h")
                try file.root.write("g/data", HDF5Array(scalar: Float(1)))
                for (name, value) in Self.everyKind {
                    try file.root.setAttribute(name, value, on: object)
                }
            }
            let root = try HDF5File(path: path).root
            #expect(try root.attributes(of: object) == Self.everyKind)
            #expect(try root.attribute("sizes", of: object) == .int64Array([3, 224, 224]))
        }
    }

    @Test("attributes are addressed relative to the group, '.' being the group itself")
    func relativeObjects() throws {
        try withTemporaryFile { path in
            let file = try HDF5File(path: path, mode: .create)
            let g = try file.root.createGroup("g")
            try g.setAttribute("here", .int64(1))
            try g.write("x", HDF5Array(scalar: Double(2)))
            try g.setAttribute("there", .float64(2), on: "x")
            #expect(try file.root.attributes(of: "g") == ["here": .int64(1)])
            #expect(try file.root.attribute("there", of: "g/x") == .float64(2))
            #expect(try file.root.attributes() == [:])
        }
    }

    @Test("setting an attribute again replaces it, even with another type")
    func replace() throws {
        try withTemporaryFile { path in
            let root = try HDF5File(path: path, mode: .create).root
            try root.setAttribute("a", .string("first"))
            try root.setAttribute("a", .float64Array([1, 2]))
            #expect(try root.attributes() == ["a": .float64Array([1, 2])])
        }
    }
}
