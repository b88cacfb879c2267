extension Module {
    /// The module tree as PyTorch prints a model, with each layer's arguments, plus parameter totals:
    /// every line that holds parameters ends with their shapes and whether they are trainable.
    public func summary() -> String {
        var lines: [String] = []
        describe(name: nil, indent: 0, into: &lines)
        let total = parameterCount()
        let trainable = parameterCount(trainableOnly: true)
        lines.append(
            "Total params: \(total.formatted()), trainable: \(trainable.formatted()), "
                + "frozen: \((total - trainable).formatted())")
        return lines.joined(separator: "\n")
    }

    private func describe(name: String?, indent: Int, into lines: inout [String]) {
        let pad = String(repeating: "  ", count: indent)
        let label = name.map { "(\($0)): " } ?? ""
        let own = ownParameters(path: "")
        let shapes = own.map { key, tensor in "\(key) \(tensor.shape)\(tensor.requiresGrad ? "" : " frozen")" }
        let note = shapes.isEmpty ? "" : "  # " + shapes.joined(separator: ", ")
        if children.isEmpty {
            lines.append("\(pad)\(label)\(typeName)(\(extraDescription))\(note)")
        } else {
            lines.append("\(pad)\(label)\(typeName)(\(note)")
            for (childName, child) in namedChildren {
                child.describe(name: childName, indent: indent + 1, into: &lines)
            }
            lines.append("\(pad))")
        }
    }
}

private extension Int {
    /// Thousands separated by commas, as in 11,689,512.
    func formatted() -> String {
        let digits = String(Swift.abs(self))
        var groups: [Substring] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(digits[start..<end], at: 0)
            end = start
        }
        return (self < 0 ? "-" : "") + groups.joined(separator: ",")
    }
}
