/// Renders values as Lua source-like text, so `error({code = 7})` reads as `{code = 7}` in a message.
extension LuaValue: CustomStringConvertible {
    /// The value as Lua-like literal text; strings are quoted.
    public var description: String {
        switch self {
        case .nil: "nil"
        case .boolean(let b): b ? "true" : "false"
        case .integer(let i): String(i)
        case .number(let d): Self.render(d)
        case .string(let s): Self.quote(s)
        case .table(let t): t.description
        }
    }

    private static func render(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return String(d)
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += "\\\(scalar.value)"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension LuaTable: CustomStringConvertible {
    /// The table as a Lua constructor: sequence first, then the other keys sorted by their text.
    public var description: String {
        var parts = array.map(\.description)
        let fields = hash.map { key, value in (Self.renderKey(key), value.description) }
        parts += fields.sorted { $0.0 < $1.0 }.map { "\($0.0) = \($0.1)" }
        return parts.isEmpty ? "{}" : "{" + parts.joined(separator: ", ") + "}"
    }

    private static func renderKey(_ key: LuaValue) -> String {
        if case .string(let s) = key, isIdentifier(s) { return s }
        return "[\(key.description)]"
    }

    private static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
    }
}
