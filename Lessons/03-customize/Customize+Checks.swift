import ExerciseSupport
import Foundation
import Golden
import Grading
import Tensors

extension Lessons {
    /// Lesson 03's exercise: "unfreeze the last N residual blocks", for N = 1, 2, 3.
    static let customizeExercise = ExerciseSpec(
        lesson: 3, id: "03-customize", title: "Unfreeze the last N residual blocks",
        files: ["Unfreeze.swift"],
        checks: [1, 2, 3].map { n in
            ExerciseCheck(
                id: "blocks-\(n)", name: "N = \(n): the trainable set is PyTorch's blocks/\(n)",
                points: n == 3 ? 4 : 3
            ) { output, root in
                try gradeUnfreeze(output, try LessonReferences.shared(root: root), n: n)
            }
        },
        hints: [
            "A residual block is a BasicBlock; the stages layer1 ... layer4 are Sequentials whose children are "
                + "the blocks. The model's own children are not blocks.",
            "Collect the blocks of all four stages in forward order into one list, then take its last n; "
                + "unfreeze() on a module lets gradients flow to every parameter below it.",
            "Change only the selected blocks: the model arrives with its head already trainable and must keep it.",
        ])

    static func gradeUnfreeze(_ output: ExerciseOutput, _ references: LessonReferences, n: Int) throws -> CheckResult {
        let name = "N = \(n): the trainable set is PyTorch's blocks/\(n)"
        let points: Double = n == 3 ? 4 : 3
        guard let text = output.texts["trainable_names"], let count = output.integers["trainable_count"]?.first else {
            return .failed(name, maxPoints: points, "unfreezeLastBlocks returned no model", hint: "return the model")
        }
        let trainable = text.isEmpty ? [] : text.split(separator: "\n").map(String.init)
        let group = "03-customize/blocks/\(n)"
        let expected = try references.list("trainable_names", of: group)
        let expectedCount = try references.integer("trainable_count", of: group)
        let selected = try references.list("selected", of: group).joined(separator: ", ")
        let yours = "\(count) trainable numbers in \(trainable.count) tensors"
        let theirs = "PyTorch's blocks/\(n) (\(selected) and fc): \(expectedCount) in \(expected.count)"
        if trainable == expected && count == expectedCount {
            return .passed(name, points: points, "\(yours), the same names as \(theirs)")
        }
        // The start (lesson 02's freeze-then-replace: only the head) and the other recorded readings.
        let head = try references.list("trainable_names", of: "02-freeze")
        if trainable == expected.filter({ !head.contains($0) }) {
            return CheckResult(
                name: name, points: points - 1, maxPoints: points, status: .partial,
                diagnosis: "the blocks \(selected) are trainable as in \(theirs), but the new head "
                    + "(\(head.joined(separator: ", "))) is frozen",
                hint: "the model arrives with a trainable head; change only the blocks")
        }
        func last(_ count: Int, _ one: String, _ many: String) -> String {
            count == 1 ? "the last \(one)" : "the last \(count) \(many)"
        }
        var readings: [(String, String)] = [
            ("03-customize/children/\(n)", last(n, "child", "children") + " of the model"),
            ("03-customize/tensors/\(n)", last(n, "parameter tensor", "parameter tensors")),
        ]
        readings += [1, 2, 3].filter { $0 != n }.map { ("03-customize/blocks/\($0)", last($0, "block", "blocks")) }
        readings.append(("03-customize/layer4_fc", "layer4 + fc"))
        let matching = try readings.filter { try references.list("trainable_names", of: $0.0) == trainable }
            .map { "\($0.0.dropFirst("03-customize/".count)) (\($0.1))" }
        let recognised = matching.isEmpty ? "" : "; it is PyTorch's recorded " + matching.joined(separator: " and ")
        if trainable == head {
            return .failed(
                name, maxPoints: points,
                "\(yours): only the new head is trainable, nothing was unfrozen"
                    + "\(recognised); expected \(theirs)",
                hint: "a model's last children here are avgpool and fc, and its last tensors belong to fc: "
                    + "the unit to count is the residual block")
        }
        if !matching.isEmpty {
            return CheckResult(
                name: name, points: 1, maxPoints: points, status: .partial,
                diagnosis: "\(yours)\(recognised), not the last \(n) residual blocks; expected \(theirs)",
                hint: "count residual blocks (BasicBlocks), not children, tensors or stages")
        }
        let extra = trainable.filter { !expected.contains($0) }, missing = expected.filter { !trainable.contains($0) }
        func list(_ names: [String]) -> String {
            names.isEmpty
                ? "none" : names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", ... (\(names.count))" : "")
        }
        return .failed(
            name, maxPoints: points,
            "\(yours); expected \(theirs). Trainable but should be frozen: "
                + "\(list(extra)); frozen but should be trainable: \(list(missing))",
            hint: "the blocks run layer1.0, layer1.1, ..., layer4.1; take the last n of that list")
    }
}
