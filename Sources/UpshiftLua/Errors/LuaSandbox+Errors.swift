import CLua

/// Maps a failed protected call to a `LuaError` located at the hook line.
extension LuaSandbox {
    /// The error value is on top of the stack; the caller pops it.
    func runError(status: Int32, chunkName: String) -> LuaError {
        if status == LUA_ERRMEM { return memoryError(chunkName: chunkName) }
        let (chunk, line, message) = describeErrorValue(chunkName: chunkName)
        switch control.pointee.stop {
        case UPSHIFT_STOP_BUDGET:
            return LuaError(chunk: chunk, line: line, message: "instruction budget of \(limits.instructionBudget) instructions exhausted",
                            kind: .budgetExhausted)
        case UPSHIFT_STOP_DEADLINE:
            return LuaError(chunk: chunk, line: line, message: "wall-clock limit of \(limits.wallClock) reached", kind: .timeout)
        case UPSHIFT_STOP_TERMINATED:
            return record.termination ?? LuaError(chunk: chunk, line: line, message: message, kind: .runtime)
        default:
            return LuaError(chunk: chunk, line: line, message: message, kind: .runtime)
        }
    }

    func memoryError(chunkName: String) -> LuaError {
        let limit = limits.memoryLimit
        let shown = limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes"
        return LuaError(chunk: chunkName, message: "memory limit of \(shown) reached", kind: .memoryExhausted)
    }

    /// A string error carries its own `CHUNK:LINE:` (unless raised with level 0); any other value is
    /// rendered as Lua text and placed at the line the message handler recorded.
    private func describeErrorValue(chunkName: String) -> (String, Int?, String) {
        let recordedLine = Int(control.pointee.error_line)
        let recordedChunk = String(cString: upshift_error_source(control))
        let fallbackChunk = recordedLine > 0 ? resolve(recordedChunk, chunkName: chunkName) : chunkName
        let fallbackLine = recordedLine > 0 ? recordedLine : nil
        let stack = LuaStack(state: state)
        if lua_type(state, -1) == LUA_TSTRING {
            let text = stack.stringOrEmpty(at: -1)
            if let location = locate(text, chunkName: chunkName) ?? locateOther(text, recordedChunk, chunkName) {
                return (location.chunk, location.line, location.message)
            }
            return (fallbackChunk, fallbackLine, text)
        }
        let rendered = (try? stack.value(at: -1))?.description
            ?? "(an error value of type \(String(cString: upshift_typename(state, -1))))"
        return (fallbackChunk, fallbackLine, rendered)
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
