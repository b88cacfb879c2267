/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// Swift's `precondition` drops its message in optimized builds, and this package always runs optimized (the
/// tests and the CLI are release builds): a learner who passes a wrong shape must still read which shape was
/// wrong. Use it for programming errors (mismatched shapes, invalid arguments); input from files throws instead.
@inline(__always)
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #file, line: UInt = #line
) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
