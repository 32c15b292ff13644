import Yams

/// Typed readings of single nodes; each reports its own problem at the node and returns nil.
extension LoadContext {
    /// The expanded text of a non-empty scalar.
    func string(_ node: Node, key: String) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            error(at: node, "'\(key)' expects a string, got \(node.shapeDescription)")
            return nil
        }
        guard let text = expand(scalar) else { return nil }
        guard !text.isEmpty else {
            error(at: node, "'\(key)' must not be empty")
            return nil
        }
        return text
    }

    func int(_ node: Node, key: String, in range: ClosedRange<Int>? = nil) -> Int? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            error(at: node, "'\(key)' expects an integer, got \(node.shapeDescription)")
            return nil
        }
        guard let text = expand(scalar) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            error(at: node, "'\(key)' expects an integer, got '\(text)'")
            return nil
        }
        if let range, !range.contains(value) {
            let bounds = range.upperBound == .max ? "at least \(range.lowerBound)"
                : "between \(range.lowerBound) and \(range.upperBound)"
            error(at: node, "'\(key)' must be \(bounds), got \(value)")
            return nil
        }
        return value
    }

    func bool(_ node: Node, key: String) -> Bool? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            error(at: node, "'\(key)' expects true or false, got \(node.shapeDescription)")
            return nil
        }
        guard let text = expand(scalar) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            error(at: node, "'\(key)' expects true or false, got '\(text)'")
            return nil
        }
    }

    func choice<E: RawRepresentable & CaseIterable>(_ node: Node, key: String) -> E? where E.RawValue == String {
        guard let text = string(node, key: key) else { return nil }
        guard let value = E(rawValue: text) else {
            let valid = E.allCases.map(\.rawValue)
            error(at: node, "invalid \(key) '\(text)'; expected one of: \(valid.joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// The items of a list; reports anything else.
    func list(_ node: Node, key: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error(at: node, "'\(key)' expects a list, got \(node.shapeDescription)")
            return nil
        }
        return Array(sequence)
    }

    /// A list of non-empty strings.
    func stringList(_ node: Node, key: String) -> [String]? {
        guard let items = list(node, key: key) else { return nil }
        let strings = items.compactMap { string($0, key: key) }
        return strings.count == items.count ? strings : nil
    }
}
