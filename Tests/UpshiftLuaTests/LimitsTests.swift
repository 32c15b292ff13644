import Testing
import UpshiftLua

@Suite struct LimitsTests {
    static let small = LuaLimits(instructionBudget: 10_000)

    @Test func endlessLoopStopsWithinBudget() throws {
        let (error, seconds) = timed { hookError("return function(ctx)\n  while true do end\nend", limits: Self.small) }
        let stopped = try #require(error)
        #expect(stopped.kind == .budgetExhausted)
        #expect(stopped.description == "Hooks/test.lua:2: instruction budget of 10000 instructions exhausted")
        #expect(seconds < 1)
    }

    @Test func pcallCannotSwallowTheBudget() throws {
        let source = """
            return function(ctx)
              while true do
                pcall(function() while true do end end)
              end
            end
            """
        #expect(try #require(hookError(source, limits: Self.small)).kind == .budgetExhausted)
    }

    @Test func coroutinesShareTheBudget() throws {
        let source = "return function(ctx)\n  local spin = coroutine.wrap(function() while true do end end)\n  spin()\nend"
        #expect(try #require(hookError(source, limits: Self.small)).kind == .budgetExhausted)
    }

    @Test func topLevelOfTheChunkIsBudgetedToo() throws {
        #expect(try #require(hookError("while true do end", limits: Self.small)).kind == .budgetExhausted)
    }

    @Test func wallClockStopsALoopWithALargeBudget() throws {
        let limits = LuaLimits(instructionBudget: .max, wallClock: .milliseconds(200))
        let (error, seconds) = timed { hookError("return function(ctx)\n  while true do end\nend", limits: limits) }
        let stopped = try #require(error)
        #expect(stopped.kind == .timeout)
        #expect(stopped.line == 2)
        #expect(stopped.message.hasPrefix("wall-clock limit of"))
        #expect(seconds >= 0.2 && seconds < 1.5)
    }

    @Test func sleepPastTheDeadlineTimesOutAtOnce() throws {
        let limits = LuaLimits(wallClock: .milliseconds(200))
        let source = "return function(ctx)\n  upshift.sleep(0.01)\n  upshift.sleep(5)\nend"
        let (error, seconds) = timed { hookError(source, limits: limits) }
        let stopped = try #require(error)
        #expect(stopped.kind == .timeout)
        #expect(stopped.description.hasPrefix("Hooks/test.lua:3: upshift.sleep(5) would pass the wall-clock limit"))
        #expect(seconds < 0.2)
    }

    @Test func sleepTimeoutCannotBeCaught() throws {
        let limits = LuaLimits(wallClock: .milliseconds(200))
        let source = "return function(ctx)\n  pcall(upshift.sleep, 60)\n  return 'kept going'\nend"
        let stopped = try #require(hookError(source, limits: limits))
        #expect(stopped.kind == .timeout)
        #expect(stopped.line == 2)
    }

    @Test func sleepSleeps() throws {
        let (results, seconds) = try timed { try runHook("return function(ctx) upshift.sleep(0.05) return 'woke' end") }
        #expect(results == ["woke"])
        #expect(seconds >= 0.05)
    }

    @Test func sleepRejectsANonNumber() throws {
        let stopped = try #require(hookError("return function(ctx)\n  upshift.sleep('soon')\nend"))
        #expect(stopped.kind == .runtime)
        #expect(stopped.description == "Hooks/test.lua:2: upshift.sleep expects a non-negative number of seconds, got string")
    }

    @Test func memoryCapStopsAHungryHookAndTheSandboxStaysUsable() throws {
        let sandbox = LuaSandbox(limits: LuaLimits(memoryLimit: 8 << 20))
        let hungry = "return function(ctx)\n  local t = {}\n  for i = 1, 1e8 do t[i] = string.rep('x', 64) .. i end\nend"
        do {
            _ = try sandbox.runHook(source: hungry, chunkName: "Hooks/hungry.lua", argument: nil)
            Issue.record("the hungry hook finished")
        } catch {
            #expect(error.kind == .memoryExhausted)
            #expect(error.description == "Hooks/hungry.lua: memory limit of 8 MiB reached")
        }
        let after = try sandbox.runHook(source: "return function() return 1 + 1 end", chunkName: "Hooks/next.lua", argument: nil)
        #expect(after == [2])
    }

    @Test func eachRunGetsAFreshBudget() throws {
        let sandbox = LuaSandbox(limits: Self.small)
        #expect(throws: LuaError.self) {
            try sandbox.runHook(source: "while true do end", chunkName: "Hooks/spin.lua", argument: nil)
        }
        let results = try sandbox.runHook(source: "return function() local n = 0 for i = 1, 100 do n = n + i end return n end",
                                          chunkName: "Hooks/sum.lua", argument: nil)
        #expect(results == [5050])
    }

    /// Lua runs __gc finalizers with hooks off: a looping finalizer would escape budget and deadline.
    @Test func finalizersAreRefused() throws {
        let source = "return function(ctx)\n  trap = setmetatable({}, {__gc = function() while true do end end})\nend"
        let error = try #require(hookError(source, limits: LuaLimits(instructionBudget: .max, wallClock: .seconds(3))))
        #expect(error.description == "Hooks/test.lua:2: __gc metamethods are not allowed in hooks")
        #expect(try runHook("return function() return getmetatable(setmetatable({}, {__index = {x = 1}})).__index.x end") == [1])
    }

    @Test func closeMetamethodsAreBudgeted() throws {
        let source = """
            return function(ctx)
              local guard <close> = setmetatable({}, {__close = function() while true do end end})
              error("boom")
            end
            """
        let (error, seconds) = timed { hookError(source, limits: LuaLimits(instructionBudget: .max, wallClock: .milliseconds(300))) }
        #expect(try #require(error).kind == .timeout)
        #expect(seconds < 2)
    }
}
