/// A Lua value crossing the boundary.
///
/// Integers and floats stay distinct, as Lua 5.4 keeps them (`.integer(3) != .number(3.0)`).
/// Lua strings are bytes; they arrive as UTF-8 decoded lossily (invalid bytes become U+FFFD).
public enum LuaValue: Sendable, Equatable, Hashable {
    /// Lua `nil`.
    case `nil`
    /// A Lua boolean.
    case boolean(Bool)
    /// A Lua integer (subtype of number).
    case integer(Int64)
    /// A Lua float (subtype of number).
    case number(Double)
    /// A Lua string.
    case string(String)
    /// A Lua table, by value.
    case table(LuaTable)
}

extension LuaValue {
    /// Whether this is `nil`.
    public var isNil: Bool { self == .nil }

    /// Lua truthiness: everything but `nil` and `false`.
    public var isTruthy: Bool {
        switch self {
        case .nil, .boolean(false): false
        default: true
        }
    }

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer, if this is an integer or a float with an exact integer value (as `math.tointeger`).
    public var intValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .number(let d): return Int64(exactly: d)
        default: return nil
        }
    }

    /// The number as a Double, if this is an integer or a float.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The boolean, if this is a boolean.
    public var boolValue: Bool? {
        if case .boolean(let b) = self { return b }
        return nil
    }

    /// The table, if this is a table.
    public var tableValue: LuaTable? {
        if case .table(let t) = self { return t }
        return nil
    }

    /// The field `key` of a table; `nil` for a missing key or a non-table.
    public subscript(key: String) -> LuaValue {
        tableValue?[.string(key)] ?? .nil
    }

    /// The element at the 1-based `index` of a table; `nil` for a missing index or a non-table.
    public subscript(index: Int) -> LuaValue {
        tableValue?[.integer(Int64(index))] ?? .nil
    }

    /// The Lua type name (`"nil"`, `"boolean"`, `"number"`, `"string"`, `"table"`).
    public var typeName: String {
        switch self {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .string: "string"
        case .table: "table"
        }
    }
}
