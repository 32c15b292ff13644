extension LuaValue: ExpressibleByNilLiteral {
    /// `nil` as a Lua value.
    public init(nilLiteral: ()) { self = .nil }
}

extension LuaValue: ExpressibleByBooleanLiteral {
    /// A boolean literal as a Lua boolean.
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
}

extension LuaValue: ExpressibleByIntegerLiteral {
    /// An integer literal as a Lua integer.
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension LuaValue: ExpressibleByFloatLiteral {
    /// A float literal as a Lua float.
    public init(floatLiteral value: Double) { self = .number(value) }
}

extension LuaValue: ExpressibleByStringLiteral {
    /// A string literal as a Lua string.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension LuaValue: ExpressibleByArrayLiteral {
    /// An array literal as a Lua sequence `{a, b, c}`.
    public init(arrayLiteral elements: LuaValue...) { self = .table(LuaTable(array: elements)) }
}

extension LuaValue: ExpressibleByDictionaryLiteral {
    /// A dictionary literal as a Lua table `{k = v}` (later duplicates win).
    public init(dictionaryLiteral elements: (LuaValue, LuaValue)...) {
        var table = LuaTable()
        for (key, value) in elements { table[key] = value }
        self = .table(table)
    }
}

extension LuaTable: ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// An array literal as a Lua sequence.
    public init(arrayLiteral elements: LuaValue...) { self.init(array: elements) }

    /// A dictionary literal as a Lua table (later duplicates win).
    public init(dictionaryLiteral elements: (LuaValue, LuaValue)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }
}
