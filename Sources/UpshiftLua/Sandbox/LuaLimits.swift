/// Limits for one hook run.
public struct LuaLimits: Sendable {
    /// Lua VM instructions a run may execute (checked every 1000 instructions). The library functions that
    /// loop in C (pattern matching, `table.insert`/`remove`/`move`) count 8 of their steps as one instruction.
    public var instructionBudget: Int
    /// Wall-clock time a run may take, from the start of `runHook`.
    public var wallClock: Duration
    /// Bytes the Lua state may hold; enforced while Lua code runs.
    public var memoryLimit: Int

    /// Defaults: 50 000 000 instructions, 300 s, 256 MiB.
    public init(instructionBudget: Int = 50_000_000, wallClock: Duration = .seconds(300), memoryLimit: Int = 256 << 20) {
        self.instructionBudget = instructionBudget
        self.wallClock = wallClock
        self.memoryLimit = memoryLimit
    }

    /// The wall-clock limit in nanoseconds, saturating.
    var wallClockNanoseconds: Int64 {
        let (seconds, attoseconds) = wallClock.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? 0 : .max }
        return max(0, whole.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue)
    }

    /// How often the hook checks the budget and the clock: often enough for a small budget to be exact.
    var checkInterval: Int32 { Int32(max(1, min(1000, instructionBudget))) }
}
