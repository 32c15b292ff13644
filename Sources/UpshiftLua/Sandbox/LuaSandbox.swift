import CLua

/// One sandboxed Lua state; not thread-safe; use it from one thread.
///
/// Globals persist between `runHook` calls on the same sandbox; the agent makes one per hook run.
public final class LuaSandbox {
    /// The limits each `runHook` starts with.
    public let limits: LuaLimits
    let state: OpaquePointer
    let control: UnsafeMutablePointer<upshift_control>
    let record = RunRecord()
    /// Stops the running hook from another thread (a cancelled step).
    public let interrupt = LuaInterrupt()
    private var functions: [Unmanaged<SwiftFunction>] = []
    private var upshiftTable: Int32 = 0

    /// A fresh state with the allow-listed libraries, the `upshift` table, `upshift.sleep` and `upshift.fail`.
    public init(limits: LuaLimits = .init()) {
        self.limits = limits
        control = .allocate(capacity: 1)
        control.initialize(to: upshift_control())
        control.pointee.memory_limit = max(0, limits.memoryLimit)
        control.pointee.dispatch = swiftFunctionDispatch
        control.pointee.interrupt = interrupt.flag
        guard let state = upshift_newstate(control) else { fatalError("Lua could not allocate a state") }
        self.state = state
        openLibraries()
        upshift_newtable(state)
        lua_pushvalue(state, -1)
        lua_setglobal(state, "upshift")
        upshiftTable = luaL_ref(state, upshift_registry_index())
        registerBuiltins()
    }

    deinit {
        lua_close(state)
        for function in functions { function.release() }
        control.deinitialize(count: 1)
        control.deallocate()
    }

    /// Registers a Swift function as `upshift.NAME`.
    ///
    /// The function gets the Lua arguments and returns values; if it throws, the Lua caller sees a Lua
    /// error carrying the thrown error's description, prefixed with the calling hook line. Throwing a
    /// `LuaError` of kind `.failed`, `.timeout` or `.budgetExhausted` ends the whole hook with that error.
    public func register(_ name: String, _ fn: @escaping ([LuaValue]) throws -> [LuaValue]) {
        let function = Unmanaged.passRetained(SwiftFunction(name: "upshift.\(name)", record: record, body: fn))
        functions.append(function)
        lua_rawgeti(state, upshift_registry_index(), lua_Integer(upshiftTable))
        lua_pushstring(state, name)
        upshift_push_swift_function(state, function.toOpaque())
        lua_rawset(state, -3)
        upshift_pop(state, 1)
    }
}

/// A Lua state must stay on one thread at a time; keep it out of concurrent code.
@available(*, unavailable)
extension LuaSandbox: Sendable {}
