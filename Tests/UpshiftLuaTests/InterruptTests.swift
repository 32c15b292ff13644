import Foundation
import Testing
import UpshiftLua

/// A cancelled step (a rollback, the agent stopping) stops its hook's pure Lua code too, from another thread:
/// loops, pattern searches and sleeps end within moments, and the hook's own pcall cannot catch it.
@Suite struct InterruptTests {
    /// A large budget and wall clock: only the interrupt can end these hooks in time.
    static let generous = LuaLimits(instructionBudget: .max, wallClock: .seconds(60))

    static func interrupted(_ source: String, after delay: Double) throws -> (LuaError, Double) {
        let (error, seconds) = timed {
            hookError(source, limits: Self.generous) { sandbox in
                let interrupt = sandbox.interrupt
                // A thread of its own: the test's thread and its peers may hold every thread of the shared pool.
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: delay)
                    interrupt.request(reason: "rollback asked for")
                }
            }
        }
        return (try #require(error), seconds)
    }

    @Test func anEndlessLoopStopsWhenItsStepIsCancelled() throws {
        let (error, seconds) = try Self.interrupted("return function(ctx)\n  while true do end\nend", after: 0.2)
        #expect(error.kind == .cancelled)
        #expect(error.description == "Hooks/test.lua:2: hook stopped: rollback asked for")
        #expect(seconds >= 0.2 && seconds < 2)
    }

    @Test func pcallCannotSwallowTheInterrupt() throws {
        let source = "return function(ctx)\n  while true do pcall(function() while true do end end) end\nend"
        let (error, seconds) = try Self.interrupted(source, after: 0.1)
        #expect(error.kind == .cancelled)
        #expect(seconds < 2)
    }

    @Test func aCatastrophicPatternStopsInsideTheLibraryCall() throws {
        let source = "return function(ctx)\n  return (\"a\"):rep(30000):find(\".-.-.-.-.-b\")\nend"
        let (error, seconds) = try Self.interrupted(source, after: 0.2)
        #expect(error.kind == .cancelled)
        #expect(seconds < 2)
    }

    @Test func aSleepWakesAndCannotBeCaught() throws {
        let source = "return function(ctx)\n  pcall(upshift.sleep, 30)\n  while true do end\nend"
        let (error, seconds) = try Self.interrupted(source, after: 0.2)
        #expect(error.kind == .cancelled)
        #expect(error.message.contains("rollback asked for"))
        #expect(seconds < 2)
    }
}
