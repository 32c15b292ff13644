import Foundation
import Yams

extension LoadContext {
    /// A hook's `with:` value: plain scalars are typed as YAML reads them, quoted ones stay strings.
    func json(_ node: Node, key: String) -> JSONValue? {
        guard countWithValue(at: node) else { return nil }
        switch node {
        case .scalar(let scalar):
            guard let text = expand(scalar) else { return nil }
            let quoted = scalar.style != .plain && scalar.style != .any
            return quoted ? .string(text) : JSONValue(plainScalar: text)
        case .sequence(let sequence):
            let items = sequence.map { json($0, key: key) }
            let values = items.compactMap { $0 }
            return values.count == items.count ? .array(values) : nil
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            var failed = false
            for (memberKey, memberValue) in mapping {
                guard case .scalar(let keyScalar) = memberKey else {
                    error(at: memberKey, "keys in '\(key)' must be plain names")
                    failed = true
                    continue
                }
                if let value = json(memberValue, key: keyScalar.string) {
                    members[keyScalar.string] = value
                } else {
                    failed = true
                }
            }
            return failed ? nil : .object(members)
        case .alias:
            error(at: node, "'\(key)' holds an unresolved alias")
            return nil
        }
    }
}

extension JSONValue {
    /// Types an unquoted scalar the way YAML 1.2's core schema does.
    init(plainScalar text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE": self = .bool(true)
        case "false", "False", "FALSE": self = .bool(false)
        default:
            if let value = Int(text) {
                self = .int(value)
            } else if JSONValue.looksLikeFloat(text), let value = Double(text) {
                self = .double(value)
            } else {
                self = .string(text)
            }
        }
    }

    /// Digits with a point or an exponent; keeps `inf`, `nan` and `1_000` as text.
    private static func looksLikeFloat(_ text: String) -> Bool {
        text.range(of: #"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$"#, options: .regularExpression) != nil
    }
}
