/// A Lua table by value: the sequence `1...n` in `array`, every other key in `hash`.
///
/// The split is kept canonical (as the Lua side would see it), so two tables are equal exactly when
/// they hold the same keys and values: `[1: "a"]` and `["a"]` compare equal.
public struct LuaTable: Sendable, Equatable, Hashable {
    /// The values at keys `1...array.count`; never contains `nil`.
    public private(set) var array: [LuaValue]
    /// Every other key; never a `nil` key or value.
    public private(set) var hash: [LuaValue: LuaValue]

    /// An empty table.
    public init() {
        array = []
        hash = [:]
    }

    /// A table from a sequence part and a hash part (integer keys continuing the sequence move into it).
    public init(array: [LuaValue], hash: [LuaValue: LuaValue] = [:]) {
        self.init()
        for (i, value) in array.enumerated() { self[.integer(Int64(i + 1))] = value }
        for (key, value) in hash { self[key] = value }
    }

    /// Whether the table has no entries.
    public var isEmpty: Bool { array.isEmpty && hash.isEmpty }

    /// The number of entries.
    public var count: Int { array.count + hash.count }

    /// The value at `key` (`nil` when absent); setting `nil` removes the entry, as in Lua.
    public subscript(key: LuaValue) -> LuaValue {
        get {
            if let i = Self.arrayIndex(key), i <= array.count { return array[i - 1] }
            return hash[Self.normalized(key)] ?? .nil
        }
        set {
            let key = Self.normalized(key)
            guard !key.isNil else { return }
            if let i = Self.arrayIndex(key), i <= array.count + 1 {
                setSequence(at: i, to: newValue)
            } else if newValue.isNil {
                hash[key] = nil
            } else {
                hash[key] = newValue
            }
        }
    }

    /// The field `key`; `nil` when absent.
    public subscript(key: String) -> LuaValue {
        get { self[.string(key)] }
        set { self[.string(key)] = newValue }
    }

    private mutating func setSequence(at i: Int, to value: LuaValue) {
        if value.isNil {
            guard i <= array.count else { return }
            // keys after a hole are no longer part of the sequence
            for (j, moved) in array[i...].enumerated() { hash[.integer(Int64(i + 1 + j))] = moved }
            array.removeSubrange((i - 1)...)
            return
        }
        if i <= array.count {
            array[i - 1] = value
            return
        }
        array.append(value)
        while let next = hash.removeValue(forKey: .integer(Int64(array.count + 1))) { array.append(next) }
    }

    /// Lua normalises float keys with an integer value to integers (`t[1.0]` is `t[1]`).
    private static func normalized(_ key: LuaValue) -> LuaValue {
        if case .number(let d) = key, let i = Int64(exactly: d) { return .integer(i) }
        return key
    }

    private static func arrayIndex(_ key: LuaValue) -> Int? {
        guard case .integer(let i) = normalized(key), i >= 1, i <= Int64(Int.max) else { return nil }
        return Int(i)
    }
}
