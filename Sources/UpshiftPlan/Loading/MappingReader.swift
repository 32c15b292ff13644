import Yams

/// Reads one YAML mapping of the plan: typed values by key, each problem reported at its node.
struct MappingReader {
    let mapping: Node.Mapping
    let context: LoadContext
    /// What the mapping is, for messages ("host", "hook", "the plan").
    let what: String

    /// Nil (and a diagnostic) when `node` is not a mapping; `item` when it is one entry of the list `key`.
    init?(_ node: Node, key: String, item: Bool = false, what: String, context: LoadContext) {
        guard case .mapping(let mapping) = node else {
            let subject = item ? "each entry of '\(key)'" : "'\(key)'"
            context.error(at: node, "\(subject) expects a mapping, got \(node.shapeDescription)")
            return nil
        }
        self.mapping = mapping
        self.context = context
        self.what = what
    }

    var mark: Position? { Position(mapping.mark) }

    /// The value of `key`, if present.
    func node(_ key: String) -> Node? {
        mapping.first { $0.key.scalar?.string == key }?.value
    }

    /// The key node itself (for positions that point at a key).
    func keyNode(_ key: String) -> Node? {
        mapping.first { $0.key.scalar?.string == key }?.key
    }

    /// The value of `key`; reports a missing key at the mapping's position.
    func required(_ key: String) -> Node? {
        guard let value = node(key) else {
            context.error(at: mark, "missing required key '\(key)' in \(what)")
            return nil
        }
        return value
    }

    /// Reports every key not in `allowed`, with a suggestion.
    func rejectUnknownKeys(allowed: [String]) {
        for (key, _) in mapping {
            guard case .scalar(let scalar) = key else {
                context.error(at: key, "keys in \(what) must be plain names")
                continue
            }
            if !allowed.contains(scalar.string) {
                let hint = Suggestions.didYouMean(scalar.string, in: allowed)
                context.error(at: key, "unknown key '\(scalar.string)' in \(what)\(hint)")
            }
        }
    }

    /// Reports `key` if present: it belongs to another strategy.
    func rejectKey(_ key: String, because reason: String) {
        if let keyNode = keyNode(key) { context.error(at: keyNode, "'\(key)' \(reason)") }
    }

    func string(_ key: String, required isRequired: Bool = false) -> String? {
        guard let value = isRequired ? required(key) : node(key) else { return nil }
        return context.string(value, key: key)
    }

    func int(_ key: String, required isRequired: Bool = false, in range: ClosedRange<Int>? = nil) -> Int? {
        guard let value = isRequired ? required(key) : node(key) else { return nil }
        return context.int(value, key: key, in: range)
    }

    func bool(_ key: String) -> Bool? {
        node(key).flatMap { context.bool($0, key: key) }
    }

    func choice<E: RawRepresentable & CaseIterable>(_ key: String, required isRequired: Bool = false) -> E?
    where E.RawValue == String {
        guard let value = isRequired ? required(key) : node(key) else { return nil }
        return context.choice(value, key: key)
    }

    /// A path on the database hosts: never resolved locally, so it must be absolute.
    func hostPath(_ key: String, required isRequired: Bool = false) -> String? {
        guard let value = isRequired ? required(key) : node(key),
              let text = context.string(value, key: key) else { return nil }
        guard text.hasPrefix("/") else {
            context.error(at: value, "'\(key)' must be an absolute path (it is a path on the database host), got '\(text)'")
            return nil
        }
        return text
    }
}
