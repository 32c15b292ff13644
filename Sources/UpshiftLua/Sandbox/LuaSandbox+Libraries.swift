import CLua

/// The allow-list: only what a hook needs and what cannot reach the host (files, processes, bytecode).
extension LuaSandbox {
    /// Base functions kept; notably absent: load, loadfile, dofile, collectgarbage, print, warn.
    /// `setmetatable` is then wrapped to refuse `__gc`: finalizers run with hooks off, past any budget.
    static let baseFunctions: Set<String> = [
        "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
        "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall", "_G", "_VERSION",
    ]

    /// Pure libraries opened whole (string without `dump`).
    static let libraries: [(name: String, open: lua_CFunction)] = [
        ("table", luaopen_table), ("string", luaopen_string), ("math", luaopen_math),
        ("utf8", luaopen_utf8), ("coroutine", luaopen_coroutine),
    ]

    /// The clock functions of `os`, copied into a fresh table: no execute, exit, getenv, remove, rename, tmpname.
    static let osFunctions = ["time", "clock", "date", "difftime"]

    /// Runs once on a fresh state, before any hook code; no metamethods exist yet, so nothing here can
    /// raise a Lua error except real out-of-memory (which aborts through Lua's panic handler).
    func openLibraries() {
        luaL_requiref(state, "_G", luaopen_base, 1)
        keepOnly(Self.baseFunctions)
        upshift_pop(state, 1)
        upshift_install_setmetatable(state)
        for library in Self.libraries {
            luaL_requiref(state, library.name, library.open, 1)
            upshift_pop(state, 1)
        }
        // the string metatable's __index is this same table, so `("").dump` goes too
        lua_getglobal(state, "string")
        lua_pushnil(state)
        lua_setfield(state, -2, "dump")
        upshift_pop(state, 1)
        // pattern matching and table shifting that stop at the run's limits, xpcall and coroutines that
        // keep hooks on (see guards.h)
        upshift_install_guards(state)
        openClockFunctions()
    }

    private func openClockFunctions() {
        luaL_requiref(state, "os", luaopen_os, 0)
        upshift_newtable(state)
        for name in Self.osFunctions {
            lua_getfield(state, -2, name)
            lua_setfield(state, -2, name)
        }
        lua_setglobal(state, "os")
        upshift_pop(state, 1)
        // the full os table must not stay reachable through the loaded-modules registry table
        lua_getfield(state, upshift_registry_index(), "_LOADED")
        lua_pushnil(state)
        lua_setfield(state, -2, "os")
        upshift_pop(state, 1)
    }

    /// Removes every string key of the table on top of the stack that is not in `allowed`.
    private func keepOnly(_ allowed: Set<String>) {
        var names: [String] = []
        lua_pushnil(state)
        while lua_next(state, -2) != 0 {
            if lua_type(state, -2) == LUA_TSTRING, let name = lua_tolstring(state, -2, nil) {
                names.append(String(cString: name))
            }
            upshift_pop(state, 1)
        }
        for name in names where !allowed.contains(name) {
            lua_pushnil(state)
            lua_setfield(state, -2, name)
        }
    }
}
