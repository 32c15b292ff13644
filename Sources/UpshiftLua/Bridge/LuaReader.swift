import CLua

/// Reads values out of Lua for one crossing (a call's arguments, a hook's results, an error value), all of
/// them under one allowance: a table shared many times over (`t = {t, t}`, forty times) would otherwise
/// expand to 2^40 entries in Swift, and one long string referenced many times to terabytes.
///
/// Raw access only, so no metamethod (Lua code) runs and nothing raises a Lua error under Swift frames.
struct LuaReader {
    /// Table entries and top-level values one crossing may carry.
    static let maxElements = 100_000
    /// String bytes one crossing may carry, unless the sandbox's memory limit is higher.
    static let minStringBytes = 64 << 20

    let state: OpaquePointer
    private var elementsLeft = LuaReader.maxElements
    private let byteAllowance: Int
    private var bytesLeft: Int
    private var path: [UnsafeRawPointer] = []

    init(state: OpaquePointer) {
        self.state = state
        let memoryLimit = Int(clamping: upshift_control_of(state).pointee.memory_limit)
        byteAllowance = max(memoryLimit, Self.minStringBytes)
        bytesLeft = byteAllowance
    }

    /// The value at `index`, counted against this crossing's allowance.
    mutating func read(at index: Int32) throws(LuaConversionError) -> LuaValue {
        try countElements(1)
        let entries = upshift_count_entries(state, index, Int32(LuaStack.maxDepth), Int64(elementsLeft))
        if entries > elementsLeft { try countElements(Int(entries)) }
        return try value(at: lua_absindex(state, index))
    }

    private mutating func countElements(_ count: Int) throws(LuaConversionError) {
        elementsLeft -= count
        guard elementsLeft >= 0 else {
            throw LuaConversionError(description: "value too large to pass out of Lua: more than \(Self.maxElements) elements")
        }
    }

    private mutating func value(at index: Int32) throws(LuaConversionError) -> LuaValue {
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
            bytesLeft -= length
            guard bytesLeft >= 0 else {
                throw LuaConversionError(description: "value too large to pass out of Lua: more than \(byteAllowance) bytes of strings")
            }
            return .string(String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self))
        case LUA_TTABLE:
            return .table(try table(at: index))
        default:
            let name = String(cString: lua_typename(state, lua_type(state, index)))
            throw LuaConversionError(description: "a \(name) cannot be passed between Lua and Swift")
        }
    }

    private mutating func table(at index: Int32) throws(LuaConversionError) -> LuaTable {
        guard let identity = lua_topointer(state, index) else { return LuaTable() }
        if path.contains(identity) { throw LuaConversionError(description: "a table contains itself (cycle)") }
        guard path.count < LuaStack.maxDepth else {
            throw LuaConversionError(description: "tables nested deeper than \(LuaStack.maxDepth) levels")
        }
        guard lua_checkstack(state, 3) != 0 else { throw LuaConversionError(description: "Lua stack overflow") }
        path.append(identity)
        defer { path.removeLast() }
        let top = lua_gettop(state)
        defer { lua_settop(state, top) }
        var table = LuaTable()
        lua_pushnil(state)
        while lua_next(state, index) != 0 {
            try countElements(1)
            let key = try value(at: top + 1)
            table[key] = try value(at: top + 2)
            upshift_pop(state, 1)
        }
        return table
    }
}
