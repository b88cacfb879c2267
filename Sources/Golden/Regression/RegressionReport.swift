import Foundation

/// What `workbench regress` prints: per family of stored PyTorch references (op cases, traces, lessons, ...) the
/// cases and tensors replayed, the worst error relative to its tolerance and the failures, with the first divergence
/// of each failing case; and the provenance of the run beside that of the references. Text for a person, JSON for
/// tools, JUnit XML for CI.
public struct RegressionReport: Sendable {
    public enum Format: String, CaseIterable, Sendable {
        case text, json, junit
    }

    /// One replayed case: its name, how many tensors it compared, how close the closest came to its tolerance, and
    /// the first divergence (nil when it passed).
    public struct Case: Sendable {
        public let name: String
        public let tensors: Int
        public let worstViolation: Float
        public let firstDivergence: String?
        /// Checks reported "not informative", near-ties, and checks that diverged after a near-tie.
        public var notInformative = 0
        public var nearTies: [String] = []
        public var afterNearTie = 0

        public init(name: String, comparisons: [TensorComparison]) {
            self.name = name
            tensors = comparisons.count
            worstViolation = comparisons.map(\.worstViolation).max() ?? 0
            firstDivergence = comparisons.first { !$0.passed }.map(\.description)
        }

        /// A case replayed by a family's replay (tensor comparisons and exact checks).
        public init(name: String, result: ReplayResult) {
            self.name = name
            tensors = result.count
            worstViolation = result.worstViolation
            firstDivergence = result.firstDivergence
            notInformative = result.notInformative.count
            nearTies = result.nearTies
            afterNearTie = result.afterNearTie.count
        }

        /// A case that could not be replayed at all (a malformed file, a missing key).
        public init(name: String, error: Error) {
            self.name = name
            tensors = 0
            worstViolation = .infinity
            firstDivergence = "could not be replayed: \(error)"
        }

        public var passed: Bool { firstDivergence == nil }
    }

    public struct Family: Sendable {
        public let name: String
        public let cases: [Case]
        /// Files of this family recorded with another torch than the pinned one (compared all the same, and said).
        public let warnings: [String]

        public init(name: String, cases: [Case], warnings: [String] = []) {
            self.name = name
            self.cases = cases
            self.warnings = warnings
        }

        public var tensors: Int { cases.reduce(0) { $0 + $1.tensors } }
        public var failures: [Case] { cases.filter { !$0.passed } }
        public var worstViolation: Float { cases.map(\.worstViolation).max() ?? 0 }
        public var notInformative: Int { cases.reduce(0) { $0 + $1.notInformative } }
        public var nearTies: Int { cases.reduce(0) { $0 + $1.nearTies.count } }

        /// The notes column: provenance warnings, not-informative checks, near-ties.
        var notes: String {
            var notes: [String] = []
            if !warnings.isEmpty { notes.append("\(warnings.count) provenance warning(s)") }
            if notInformative > 0 { notes.append("\(notInformative) not informative") }
            if nearTies > 0 { notes.append("\(nearTies) near-tie(s)") }
            return notes.joined(separator: ", ")
        }
    }

    public let families: [Family]
    /// The run: engine commit, machine, CPU flags, BLAS core, threads.
    public let run: [(key: String, value: String)]
    /// The references: per file, the torch version and the generator's arguments, and any version warning.
    public let references: [String]
    /// Families of stored references this command does not replay (yet); the test suite does.
    public let notReplayed: [String]

    public init(families: [Family], run: [(key: String, value: String)], references: [String], notReplayed: [String]) {
        self.families = families
        self.run = run
        self.references = references
        self.notReplayed = notReplayed
    }

    public var passed: Bool { families.allSatisfy { $0.failures.isEmpty } && !families.isEmpty }

    public func rendered(_ format: Format) -> String {
        switch format {
        case .text: return text()
        case .json: return json()
        case .junit: return junit()
        }
    }

    public func text() -> String {
        var lines = ["family        cases  tensors  worst/tol  failures  notes"]
        for family in families {
            lines.append(
                pad(family.name, 14) + pad("\(family.cases.count)", 7) + pad("\(family.tensors)", 9)
                    + pad(String(format: "%.2f", Double(family.worstViolation)), 11)
                    + pad("\(family.failures.count)", 10) + family.notes)
        }
        for family in families {
            for warning in family.warnings {
                let text = warning.hasPrefix("warning: ") ? String(warning.dropFirst("warning: ".count)) : warning
                lines.append("WARNING \(family.name): \(text)")
            }
        }
        for family in families {
            for item in family.cases {
                for tie in item.nearTies.prefix(3) { lines.append("NEAR-TIE \(family.name) \(item.name): \(tie)") }
                if item.afterNearTie > 0 {
                    lines.append(
                        "NEAR-TIE \(family.name) \(item.name): \(item.afterNearTie) end-to-end check(s) diverged after "
                            + "it (the local checks decide)")
                }
            }
            for failure in family.failures {
                lines.append("FAIL \(family.name) \(failure.name): \(failure.firstDivergence ?? "")")
            }
        }
        if !notReplayed.isEmpty {
            lines.append(
                "not replayed by this command (the test suite replays them): "
                    + notReplayed.joined(separator: ", "))
        }
        lines.append("run: " + run.map { "\($0.key) \($0.value)" }.joined(separator: "; "))
        for reference in references { lines.append("reference: \(reference)") }
        let failing = families.reduce(0) { $0 + $1.failures.count }
        let cases = families.reduce(0) { $0 + $1.cases.count }
        lines.append(failing == 0 ? "\(cases) cases: all passed" : "\(cases) cases: \(failing) FAILED")
        return lines.joined(separator: "\n")
    }

    public func json() -> String {
        let object: [String: Any] = [
            "passed": passed,
            "families": families.map { family in
                [
                    "name": family.name, "cases": family.cases.count, "tensors": family.tensors,
                    // null when a case could not be replayed or an exact check failed (no finite ratio).
                    "worst_violation": family.worstViolation.isFinite ? Double(family.worstViolation) : NSNull(),
                    "warnings": family.warnings,
                    "not_informative": family.notInformative,
                    "near_ties": family.cases.flatMap { item in item.nearTies.map { "\(item.name): \($0)" } },
                    "failures": family.failures.map {
                        ["case": $0.name, "first_divergence": $0.firstDivergence ?? ""]
                    },
                ] as [String: Any]
            },
            "run": Dictionary(run.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
            "references": references,
            "not_replayed": notReplayed,
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    public func junit() -> String {
        let all = families.flatMap(\.cases)
        let failing = all.filter { !$0.passed }.count
        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<testsuites name=\"workbench regress\" tests=\"\(all.count)\" failures=\"\(failing)\">",
        ]
        for family in families {
            lines.append(
                "  <testsuite name=\"\(xml(family.name))\" tests=\"\(family.cases.count)\" "
                    + "failures=\"\(family.failures.count)\">")
            if !family.warnings.isEmpty {
                lines.append("    <system-out>\(xml(family.warnings.joined(separator: "\n")))</system-out>")
            }
            for item in family.cases {
                let name = "classname=\"\(xml(family.name))\" name=\"\(xml(item.name))\""
                if let divergence = item.firstDivergence {
                    lines.append(
                        "    <testcase \(name)><failure message=\"first divergence\">\(xml(divergence))"
                            + "</failure></testcase>")
                } else {
                    lines.append("    <testcase \(name)/>")
                }
            }
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func xml(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
