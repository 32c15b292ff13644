import CLua

extension LuaSandbox {
    /// Compiles `source` as chunk `chunkName` (e.g. "Hooks/notify.lua") without running it.
    public static func compileCheck(source: String, chunkName: String) throws(LuaError) {
        let sandbox = LuaSandbox()
        let base = lua_gettop(sandbox.state)
        defer { lua_settop(sandbox.state, base) }
        try sandbox.load(source: source, chunkName: chunkName)
    }

    /// Loads the chunk, runs it (it must return a function), calls that function with `argument` (the ctx),
    /// and returns its results. Budget and wall clock cover the whole call, the chunk's top level included.
    public func runHook(source: String, chunkName: String, argument: LuaValue) throws(LuaError) -> [LuaValue] {
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        startRun()
        upshift_pushcfunction(state, upshift_message_handler)
        let handler = base + 1
        try load(source: source, chunkName: chunkName)
        try call(arguments: 0, results: 1, handler: handler, chunkName: chunkName)
        guard lua_type(state, -1) == LUA_TFUNCTION else {
            let got = String(cString: upshift_typename(state, -1))
            throw LuaError(chunk: chunkName, message: "the hook file must return a function, it returned \(got)", kind: .runtime)
        }
        let stack = LuaStack(state: state)
        do { try stack.push(argument) } catch {
            throw LuaError(chunk: chunkName, message: "the hook argument: \(error)", kind: .runtime)
        }
        try call(arguments: 1, results: LUA_MULTRET, handler: handler, chunkName: chunkName)
        let top = lua_gettop(state)
        guard top > handler else { return [] }
        var results: [LuaValue] = []
        var reader = LuaReader(state: state)
        for index in (handler + 1)...top {
            do { results.append(try reader.read(at: index)) } catch {
                throw LuaError(chunk: chunkName, message: "hook result \(index - handler): \(error)", kind: .runtime)
            }
        }
        return results
    }

    private func startRun() {
        record.termination = nil
        let now = upshift_now_ns()
        let deadline = now.addingReportingOverflow(limits.wallClockNanoseconds)
        upshift_start_run(state, Int64(limits.instructionBudget), deadline.overflow ? .max : deadline.partialValue,
                          limits.checkInterval)
    }

    /// Text mode only: a binary chunk could break the VM's memory safety.
    func load(source: String, chunkName: String) throws(LuaError) {
        var source = source
        control.pointee.enforce_memory_limit = 1
        let status = source.withUTF8 { luaL_loadbufferx(state, $0.baseAddress, $0.count, "=" + chunkName, "t") }
        control.pointee.enforce_memory_limit = 0
        guard status != LUA_OK else { return }
        defer { upshift_pop(state, 1) }
        if status == LUA_ERRMEM { throw memoryError(chunkName: chunkName) }
        let text = LuaStack(state: state).stringOrEmpty(at: -1)
        if let location = locate(text, chunkName: chunkName) {
            throw LuaError(chunk: chunkName, line: location.line, message: location.message, kind: .syntax)
        }
        throw LuaError(chunk: chunkName, message: text, kind: .syntax)
    }

    private func call(arguments: Int32, results: Int32, handler: Int32, chunkName: String) throws(LuaError) {
        control.pointee.error_line = -1
        control.pointee.enforce_memory_limit = 1
        let status = upshift_pcall(state, arguments, results, handler)
        control.pointee.enforce_memory_limit = 0
        if status == LUA_OK {
            // a stopped run whose last act was a C call (`return pcall(f)`) returns normally, yet it failed
            if let stopped = stopError(chunkName: chunkName, at: (chunkName, nil), message: "hook terminated") { throw stopped }
            return
        }
        defer { upshift_pop(state, 1) }
        throw runError(status: status, chunkName: chunkName)
    }
}

extension LuaStack {
    /// The string at `index` (at most `limit` bytes of it, then "…"), or "" when it is not one.
    func stringOrEmpty(at index: Int32, limit: Int = 4096) -> String {
        guard lua_type(state, index) == LUA_TSTRING else { return "" }
        var length = 0
        let bytes = upshift_tostring(state, index, &length)
        let text = String(decoding: UnsafeRawBufferPointer(start: bytes, count: min(length, limit)), as: UTF8.self)
        return length > limit ? text + "…" : text
    }
}
