import Testing
import UpshiftLua

/// Which limit a hostile hook must run into: the clock alone, or the instruction budget alone.
enum Stop: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case deadline, budget

    var limits: LuaLimits {
        switch self {
        case .deadline: LuaLimits(instructionBudget: .max, wallClock: .milliseconds(200), memoryLimit: 32 << 20)
        case .budget: LuaLimits(instructionBudget: 200_000, wallClock: .seconds(60), memoryLimit: 32 << 20)
        }
    }

    var kind: LuaError.Kind { self == .deadline ? .timeout : .budgetExhausted }

    /// The longest a stopped run may take: its limit and well under a second more.
    var maxSeconds: Double { self == .deadline ? 0.2 + 0.4 : 0.4 }

    var testDescription: String { rawValue }
}

/// `code` as line 2 of a hook; `s` is 30 000 a's.
func hostileHook(_ code: String) -> String {
    "return function(ctx)\n  local s = string.rep('a', 30000); \(code)\nend\n"
}

/// Runs a hook that must fail: its error and the seconds it took.
func hostileRun(_ source: String, on sandbox: LuaSandbox, sourceLocation: SourceLocation = #_sourceLocation)
    -> (LuaError?, Double)
{
    timed { () -> LuaError? in
        do throws(LuaError) {
            let results = try sandbox.runHook(source: source, chunkName: "Hooks/test.lua", argument: [:])
            Issue.record("the hostile hook succeeded with \(results)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}

/// Runs `code` under `stop`'s limits: it must end with that stop, at line 2, in time; the sandbox must
/// still run a normal hook afterwards.
func expectStopped(_ code: String, by stop: Stop, sourceLocation: SourceLocation = #_sourceLocation) {
    let sandbox = LuaSandbox(limits: stop.limits)
    let (error, seconds) = hostileRun(hostileHook(code), on: sandbox, sourceLocation: sourceLocation)
    #expect(error?.kind == stop.kind, "\(String(describing: error))", sourceLocation: sourceLocation)
    #expect(error?.chunk == "Hooks/test.lua" && error?.line == 2, "\(String(describing: error))", sourceLocation: sourceLocation)
    #expect(seconds < stop.maxSeconds, "took \(seconds) s", sourceLocation: sourceLocation)
    expectStillRuns(sandbox, sourceLocation: sourceLocation)
}

/// A normal hook (patterns, tables, coroutines) still runs on `sandbox`.
func expectStillRuns(_ sandbox: LuaSandbox, sourceLocation: SourceLocation = #_sourceLocation) {
    let source = """
        return function(ctx)
          local words = {}
          for w in ctx.line:gmatch('%a+') do table.insert(words, w) end
          local co = coroutine.wrap(function() coroutine.yield(#words) end)
          return (ctx.line:gsub('=', ': ')), co(), select(2, xpcall(error, string.upper, 'ok'))
        end
        """
    do {
        let results = try sandbox.runHook(source: source, chunkName: "Hooks/after.lua", argument: ["line": "key=value"])
        #expect(results == ["key: value", 2, "OK"], sourceLocation: sourceLocation)
    } catch {
        Issue.record("a normal hook failed afterwards: \(error)", sourceLocation: sourceLocation)
    }
}
