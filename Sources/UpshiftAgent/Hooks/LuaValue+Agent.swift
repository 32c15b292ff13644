import UpshiftLua
import UpshiftPlan

/// Conversions between the plan's, PostgreSQL's and Lua's values, as the hook API needs them.
extension LuaValue {
    /// A Lua table with string keys.
    static func record(_ fields: [String: LuaValue]) -> LuaValue {
        var hash: [LuaValue: LuaValue] = [:]
        for (key, value) in fields { hash[.string(key)] = value }
        return .table(LuaTable(array: [], hash: hash))
    }

    /// A Lua sequence.
    static func list(_ items: [LuaValue]) -> LuaValue {
        .table(LuaTable(array: items, hash: [:]))
    }

    /// A plan value (`with:`, `vars:`) as Lua sees it.
    init(json: JSONValue) {
        switch json {
        case .null: self = .nil
        case .bool(let b): self = .boolean(b)
        case .int(let i): self = .integer(Int64(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(LuaValue.init(json:)))
        case .object(let fields): self = .record(fields.mapValues(LuaValue.init(json:)))
        }
    }

    /// A column value in PostgreSQL's text format, typed by its OID where Lua has a matching type.
    init(postgresText text: String?, typeOID: UInt32) {
        guard let text else { self = .nil; return }
        switch typeOID {
        case 16: self = .boolean(text == "t")
        case 20, 21, 23, 26: self = Int64(text).map(LuaValue.integer) ?? .string(text)
        case 700, 701: self = Double(text).map(LuaValue.number) ?? .string(text)
        default: self = .string(text)
        }
    }

    /// The value as a bind parameter: nil is SQL NULL, everything else its text.
    var bindText: String? {
        switch self {
        case .nil: return nil
        case .boolean(let b): return b ? "true" : "false"
        default: return displayString
        }
    }

    /// A readable rendering for logs and binds.
    var displayString: String {
        switch self {
        case .nil: return "nil"
        case .boolean(let b): return String(b)
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .string(let s): return s
        case .table(let t): return "table(\(t.array.count) items, \(t.hash.count) fields)"
        }
    }

    /// The sequence part of a table.
    var listValue: [LuaValue]? {
        if case .table(let t) = self { return t.array }
        return nil
    }

    /// The string-keyed part of a table.
    var recordValue: [String: LuaValue]? {
        guard case .table(let t) = self else { return nil }
        var fields: [String: LuaValue] = [:]
        for (key, value) in t.hash { if case .string(let k) = key { fields[k] = value } }
        return fields
    }
}
