import CLua

/// A value that cannot cross the boundary (a function, a cycle, a nil table key…).
struct LuaConversionError: Error, CustomStringConvertible {
    var description: String
}

/// Reads and pushes `LuaValue`s on a Lua stack with raw access only, so no metamethod (Lua code) runs and
/// nothing can raise a Lua error while Swift frames are on the C stack.
struct LuaStack {
    let state: OpaquePointer

    /// Deeper nesting than this is refused: it is almost surely a cycle and would exhaust the C stack.
    static let maxDepth = 100

    func value(at index: Int32) throws(LuaConversionError) -> LuaValue {
        var path: [UnsafeRawPointer] = []
        return try value(at: lua_absindex(state, index), path: &path)
    }

    private func value(at index: Int32, path: inout [UnsafeRawPointer]) throws(LuaConversionError) -> LuaValue {
        switch lua_type(state, index) {
        case LUA_TNIL, LUA_TNONE:
            return .nil
        case LUA_TBOOLEAN:
            return .boolean(lua_toboolean(state, index) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(state, index) != 0 { return .integer(lua_tointegerx(state, index, nil)) }
            return .number(lua_tonumberx(state, index, nil))
        case LUA_TSTRING:
            var length = 0
            let bytes = upshift_tostring(state, index, &length)
            return .string(String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self))
        case LUA_TTABLE:
            return .table(try table(at: index, path: &path))
        default:
            let name = String(cString: lua_typename(state, lua_type(state, index)))
            throw LuaConversionError(description: "a \(name) cannot be passed between Lua and Swift")
        }
    }

    private func table(at index: Int32, path: inout [UnsafeRawPointer]) throws(LuaConversionError) -> LuaTable {
        guard let identity = lua_topointer(state, index) else { return LuaTable() }
        if path.contains(identity) { throw LuaConversionError(description: "a table contains itself (cycle)") }
        guard path.count < Self.maxDepth else {
            throw LuaConversionError(description: "tables nested deeper than \(Self.maxDepth) levels")
        }
        guard lua_checkstack(state, 3) != 0 else { throw LuaConversionError(description: "Lua stack overflow") }
        path.append(identity)
        defer { path.removeLast() }
        let top = lua_gettop(state)
        defer { lua_settop(state, top) }
        var table = LuaTable()
        lua_pushnil(state)
        while lua_next(state, index) != 0 {
            let key = try value(at: top + 1, path: &path)
            table[key] = try value(at: top + 2, path: &path)
            upshift_pop(state, 1)
        }
        return table
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
