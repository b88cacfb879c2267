/// Every lesson, in the post's order.
public enum Lessons {
    public static let all: [Lesson] = [load, freeze, customize, train, evaluate, whyTransfer]

    /// The lesson `name` names: a number (`2`), or a folder name (`02-freeze`).
    public static func named(_ name: String) throws -> Lesson {
        if let number = Int(name), let lesson = all.first(where: { $0.number == number }) { return lesson }
        if let lesson = all.first(where: { $0.id == name }) { return lesson }
        throw LessonError.unknownLesson(name)
    }
}
