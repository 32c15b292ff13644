import CLua

/// A value that cannot cross the boundary (a function, a cycle, a nil table key…).
struct LuaConversionError: Error, CustomStringConvertible {
    var description: String
}

/// Pushes `LuaValue`s on a Lua stack with raw access only, so no metamethod (Lua code) runs and nothing can
/// raise a Lua error while Swift frames are on the C stack; `LuaReader` reads them back.
struct LuaStack {
    let state: OpaquePointer

    /// Deeper nesting than this is refused: it is almost surely a cycle and would exhaust the C stack.
    static let maxDepth = 64

    /// The value at `index`, read under a fresh allowance (see `LuaReader`).
    func value(at index: Int32) throws(LuaConversionError) -> LuaValue {
        var reader = LuaReader(state: state)
        return try reader.read(at: index)
    }

    /// Pushes `value`; on a throw the stack is left as it was.
    func push(_ value: LuaValue) throws(LuaConversionError) {
        let top = lua_gettop(state)
        do {
            try push(value, depth: 0)
        } catch {
            lua_settop(state, top)
            throw error
        }
    }

    private func push(_ value: LuaValue, depth: Int) throws(LuaConversionError) {
        guard depth < Self.maxDepth else {
            throw LuaConversionError(description: "tables nested deeper than \(Self.maxDepth) levels")
        }
        guard lua_checkstack(state, 3) != 0 else { throw LuaConversionError(description: "Lua stack overflow") }
        switch value {
        case .nil: lua_pushnil(state)
        case .boolean(let b): lua_pushboolean(state, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(state, i)
        case .number(let d): lua_pushnumber(state, d)
        case .string(var s): s.withUTF8 { _ = lua_pushlstring(state, $0.baseAddress, $0.count) }
        case .table(let t):
            lua_createtable(state, Int32(clamping: t.array.count), Int32(clamping: t.hash.count))
            for (i, element) in t.array.enumerated() {
                try push(element, depth: depth + 1)
                lua_rawseti(state, -2, lua_Integer(i + 1))
            }
            for (key, element) in t.hash {
                // lua_rawset raises on these keys; a raise here would longjmp through Swift
                if case .number(let d) = key, d.isNaN { throw LuaConversionError(description: "a table key is NaN") }
                try push(key, depth: depth + 1)
                try push(element, depth: depth + 1)
                lua_rawset(state, -3)
            }
        }
    }
}
