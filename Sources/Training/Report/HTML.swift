/// A small HTML (and inline SVG) tree whose every string is escaped when rendered: text and attribute values
/// alike, so a class folder named `<script>alert(1)</script>` or `a" onmouseover="x` shows as those characters and
/// never becomes markup. Markup that is not escaped can only come from a string literal in this module's source
/// (``trusted(_:)`` takes a `StaticString`), never from a name read at run time.
///
/// (Why not JohnSundell/Plot, the HTML DSL the developers' guide suggests: Plot 0.14.0 writes attribute values
/// unescaped - `.attribute(named: "title", value: "a\" onmouseover=\"alert(1)")` renders
/// `title="a" onmouseover="alert(1)"`, a script on hover - and its text escaping keeps anything shaped like an
/// entity, so a folder named `R&amp;D` shows as "R&D". Both matter exactly for the names a report shows.)
public indirect enum HTML: Sendable {
    /// An element with attributes (rendered in the order given) and children. Void elements (`img`, `meta`,
    /// `br`) render without a closing tag.
    case element(String, attributes: [(String, String)], children: [HTML])
    /// Text, escaped.
    case text(String)
    /// Markup written in this module's source (CSS, fixed fragments): emitted as is.
    case raw(StaticString)
    /// Several nodes in a row.
    case group([HTML])

    /// `<name attributes...>children</name>`.
    public static func tag(_ name: String, _ attributes: [(String, String)] = [], _ children: [HTML] = []) -> HTML {
        .element(name, attributes: attributes, children: children)
    }

    /// `<name attributes...>text</name>`.
    public static func tag(_ name: String, _ attributes: [(String, String)] = [], text: String) -> HTML {
        .element(name, attributes: attributes, children: [.text(text)])
    }

    /// Fixed markup from this module's source.
    public static func trusted(_ markup: StaticString) -> HTML { .raw(markup) }

    static let voidElements: Set<String> = ["img", "meta", "br", "hr", "link", "input"]

    /// The markup.
    public func render() -> String {
        var output = ""
        render(into: &output)
        return output
    }

    func render(into output: inout String) {
        switch self {
        case let .element(name, attributes, children):
            output += "<" + name
            for (key, value) in attributes {
                output += " " + key + "=\"" + HTML.escape(value) + "\""
            }
            output += ">"
            if HTML.voidElements.contains(name) { return }
            for child in children { child.render(into: &output) }
            output += "</" + name + ">"
        case let .text(text):
            output += HTML.escape(text)
        case let .raw(markup):
            output += markup.description
        case let .group(nodes):
            for node in nodes { node.render(into: &output) }
        }
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references (Python's `html.escape`), valid in
    /// text and in quoted attribute values alike. NUL, which HTML turns into U+FFFD, is written as that; other
    /// control and bidi-override characters as `\u{1B}` (``TerminalText``).
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#x27;"
            case "\u{0}": result += "\u{FFFD}"
            case "\n", "\t": result.unicodeScalars.append(scalar)
            case _ where TerminalText.isUnsafe(scalar):
                // Control and bidi-override characters are invalid in HTML text and act on a terminal that shows
                // the file: written as the terminal report writes them, `\u{1B}`, so the name reads the same.
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
