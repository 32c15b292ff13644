import CLua

/// A plain Lua state with Lua's own libraries: the expected answers for the sandbox's replacements.
enum ReferenceLua {
    /// Runs `source` as a hook would run (the chunk returns a function, which is called with no argument)
    /// and returns the string that function returns, or the error text.
    static func run(_ source: String, chunkName: String) -> String {
        guard let state = luaL_newstate() else { return "no Lua state" }
        defer { lua_close(state) }
        luaL_openlibs(state)
        var source = source
        let loaded = source.withUTF8 { luaL_loadbufferx(state, $0.baseAddress, $0.count, "=" + chunkName, "t") }
        guard loaded == LUA_OK, upshift_pcall(state, 0, 1, 0) == LUA_OK, upshift_pcall(state, 0, 1, 0) == LUA_OK
        else { return "error: " + text(state) }
        return text(state)
    }

    private static func text(_ state: OpaquePointer) -> String {
        var length = 0
        guard let bytes = upshift_tostring(state, -1, &length) else { return "(not a string)" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
    }
}
