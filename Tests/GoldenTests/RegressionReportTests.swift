import Foundation
import Golden
import Testing

@Suite("Regression report")
struct RegressionReportTests {
    static let ok = TensorComparison(
        name: "a out", actual: [1, 2], actualShape: [2], expected: [1, 2],
        expectedShape: [2], tolerance: .float32)
    static let bad = TensorComparison(
        name: "b grads/w", actual: [1, 3], actualShape: [2], expected: [1, 2],
        expectedShape: [2], tolerance: .float32)

    @Test("a failing case fails the report and is listed with its first divergence in every format")
    func failureIsReported() throws {
        let report = RegressionReport(
            families: [
                .init(
                    name: "ops",
                    cases: [
                        .init(name: "a", comparisons: [Self.ok]),
                        .init(name: "b", comparisons: [Self.ok, Self.bad]),
                    ])
            ],
            run: [("threads", "2")], references: ["ops.h5: recorded with torch 2.15.0"], notReplayed: ["optim"])
        #expect(!report.passed)
        #expect(report.families[0].failures.map(\.name) == ["b"])
        #expect(report.text().contains("FAIL ops b: b grads/w: MISMATCH"))
        #expect(report.text().hasSuffix("2 cases: 1 FAILED"))
        #expect(report.junit().contains("failures=\"1\"") && report.junit().contains("<failure"))
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any]
        #expect(json?["passed"] as? Bool == false)
    }

    @Test("a case that could not be replayed counts as a failure; an empty report does not pass")
    func errorsAndEmptiness() {
        struct Broken: Error, CustomStringConvertible { var description: String { "file.h5: key 'x' missing" } }
        let errored = RegressionReport(
            families: [.init(name: "traces", cases: [.init(name: "t", error: Broken())])],
            run: [], references: [], notReplayed: [])
        #expect(!errored.passed && errored.text().contains("could not be replayed: file.h5: key 'x' missing"))
        #expect(!RegressionReport(families: [], run: [], references: [], notReplayed: []).passed)
    }
}
