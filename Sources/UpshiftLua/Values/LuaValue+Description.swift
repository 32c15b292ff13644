/// Renders values as Lua source-like text, so `error({code = 7})` reads as `{code = 7}` in a message.
extension LuaValue: CustomStringConvertible {
    /// Characters of text a description stops at (then "…"): a value can be far larger than any message
    /// should be, e.g. a table that holds one big table many times over renders as every copy.
    static let descriptionLimit = 4096

    /// The value as Lua-like literal text; strings are quoted; cut after 4096 characters.
    public var description: String {
        var writer = LuaTextWriter(limit: Self.descriptionLimit)
        writer.write(self)
        return writer.text
    }
}

extension LuaTable: CustomStringConvertible {
    /// The table as a Lua constructor: sequence first, then the other keys sorted by their text; cut after
    /// 4096 characters.
    public var description: String { LuaValue.table(self).description }
}

/// Lua-like text up to a limit: past it one "…" and nothing more, and rendering stops early, so the work
/// stays small however large the value.
struct LuaTextWriter {
    private(set) var text = ""
    private var room: Int

    init(limit: Int) {
        room = limit
    }

    var isFull: Bool { room < 0 }

    mutating func append(_ piece: String) {
        guard !isFull else { return }
        let count = piece.count
        if count <= room {
            text += piece
            room -= count
        } else {
            text += piece.prefix(room) + "…"
            room = -1
        }
    }

    mutating func write(_ value: LuaValue) {
        switch value {
        case .nil: append("nil")
        case .boolean(let b): append(b ? "true" : "false")
        case .integer(let i): append(String(i))
        case .number(let d): append(Self.render(d))
        case .string(let s): writeQuoted(s)
        case .table(let t): write(t)
        }
    }

    private static func render(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return String(d)
    }

    private mutating func writeQuoted(_ s: String) {
        append("\"")
        for scalar in s.unicodeScalars {
            guard !isFull else { return }
            switch scalar {
            case "\"": append("\\\"")
            case "\\": append("\\\\")
            case "\n": append("\\n")
            case "\t": append("\\t")
            case _ where scalar.value < 0x20: append("\\\(scalar.value)")
            default: append(String(scalar))
            }
        }
        append("\"")
    }

    private mutating func write(_ table: LuaTable) {
        append("{")
        var separator = ""
        for element in table.array {
            guard !isFull else { return }
            append(separator)
            write(element)
            separator = ", "
        }
        let fields = table.hash.map { key, value in (key: Self.renderKey(key), value: value) }
        for field in fields.sorted(by: { $0.key < $1.key }) {
            guard !isFull else { return }
            append(separator + field.key + " = ")
            write(field.value)
            separator = ", "
        }
        append("}")
    }

    private static func renderKey(_ key: LuaValue) -> String {
        if case .string(let s) = key, isIdentifier(s) { return s }
        var writer = LuaTextWriter(limit: 256)
        writer.write(key)
        return "[\(writer.text)]"
    }

    private static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
    }
}
