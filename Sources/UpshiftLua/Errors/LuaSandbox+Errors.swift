import CLua

/// Maps a failed protected call to a `LuaError` located at the hook line.
extension LuaSandbox {
    /// The error value is on top of the stack; the caller pops it.
    func runError(status: Int32, chunkName: String) -> LuaError {
        if status == LUA_ERRMEM { return memoryError(chunkName: chunkName) }
        let (chunk, line, message) = describeErrorValue(chunkName: chunkName)
        if let stopped = stopError(chunkName: chunkName, at: (chunk, line), message: message) { return stopped }
        // a string buffer that outgrows the cap raises this as a plain error (so does coroutine.wrap)
        if control.pointee.memory_refused != 0 && message == "not enough memory" {
            return memoryError(chunkName: chunk, line: line)
        }
        return LuaError(chunk: chunk, line: line, message: message, kind: .runtime)
    }

    /// How the budget, the deadline or a Swift callback stopped the run, if one did: located where it first
    /// stopped (a coroutine's line, say), else at `location`.
    func stopError(chunkName: String, at location: (chunk: String, line: Int?), message: String) -> LuaError? {
        let stopLine = Int(control.pointee.stop_line)
        let (chunk, line) = stopLine > 0
            ? (resolve(String(cString: upshift_stop_source(control)), chunkName: chunkName), stopLine) : location
        switch control.pointee.stop {
        case UPSHIFT_STOP_BUDGET:
            return LuaError(chunk: chunk, line: line, message: "instruction budget of \(limits.instructionBudget) instructions exhausted",
                            kind: .budgetExhausted)
        case UPSHIFT_STOP_DEADLINE:
            return LuaError(chunk: chunk, line: line, message: "wall-clock limit of \(limits.wallClock) reached", kind: .timeout)
        case UPSHIFT_STOP_INTERRUPTED:
            return LuaError(chunk: chunk, line: line, message: "hook stopped: \(interrupt.reason)", kind: .cancelled)
        case UPSHIFT_STOP_TERMINATED:
            return record.termination ?? LuaError(chunk: location.chunk, line: location.line, message: message, kind: .runtime)
        default:
            return nil
        }
    }

    func memoryError(chunkName: String, line: Int? = nil) -> LuaError {
        let limit = limits.memoryLimit
        let shown = limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes"
        return LuaError(chunk: chunkName, line: line, message: "memory limit of \(shown) reached", kind: .memoryExhausted)
    }

    /// A string error carries its own `CHUNK:LINE:` (unless raised with level 0); any other value is
    /// described and placed at the line the message handler recorded.
    private func describeErrorValue(chunkName: String) -> (String, Int?, String) {
        let recordedLine = Int(control.pointee.error_line)
        let recordedChunk = String(cString: upshift_error_source(control))
        let fallbackChunk = recordedLine > 0 ? resolve(recordedChunk, chunkName: chunkName) : chunkName
        let fallbackLine = recordedLine > 0 ? recordedLine : nil
        let stack = LuaStack(state: state)
        guard lua_type(state, -1) == LUA_TSTRING else { return (fallbackChunk, fallbackLine, describeErrorObject()) }
        let text = stack.stringOrEmpty(at: -1, limit: LuaValue.descriptionLimit)
        if let location = locate(text, chunkName: chunkName) ?? locateOther(text, recordedChunk, chunkName) {
            return (location.chunk, location.line, location.message)
        }
        return (fallbackChunk, fallbackLine, text)
    }

    /// A number or a table with entries as Lua-like text (`{code = 7}`); any other value (nil, an empty
    /// or unreadable table, a function, a coroutine) as Lua's interpreter names it.
    private func describeErrorObject() -> String {
        let type = lua_type(state, -1)
        if type == LUA_TNUMBER || type == LUA_TTABLE, let value = try? LuaStack(state: state).value(at: -1),
           value.tableValue?.isEmpty != true {
            return value.description
        }
        return "(error object is a \(String(cString: upshift_typename(state, -1))) value)"
    }

    /// Lua cuts chunk names to LUA_IDSIZE - 1 bytes in locations; both forms mean the hook.
    func locate(_ text: String, chunkName: String) -> ErrorLocation? {
        if let location = ErrorLocation(parsing: text, chunk: chunkName) { return location }
        guard var location = ErrorLocation(parsing: text, chunk: Self.luaChunkID(chunkName)) else { return nil }
        location.chunk = chunkName
        return location
    }

    private func locateOther(_ text: String, _ recordedChunk: String, _ chunkName: String) -> ErrorLocation? {
        guard var location = ErrorLocation(parsing: text, chunk: recordedChunk) else { return nil }
        location.chunk = resolve(recordedChunk, chunkName: chunkName)
        return location
    }

    private func resolve(_ luaChunk: String, chunkName: String) -> String {
        luaChunk == Self.luaChunkID(chunkName) ? chunkName : luaChunk
    }

    static func luaChunkID(_ chunkName: String) -> String {
        String(decoding: chunkName.utf8.prefix(Int(LUA_IDSIZE) - 1), as: UTF8.self)
    }
}
