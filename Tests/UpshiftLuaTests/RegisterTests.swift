import Testing
import UpshiftLua

private struct Denied: Error, CustomStringConvertible {
    var description: String { "permission denied for table orders" }
}

/// A Swift-side stand-in for the agent's functions, recording what Lua passed.
private final class Received: @unchecked Sendable {
    var arguments: [[LuaValue]] = []
}

@Suite struct RegisterTests {
    @Test func registeredFunctionReceivesArgumentsAndReturnsValues() throws {
        let received = Received()
        let source = """
            return function(ctx)
              local row, n, s = upshift.echo({1, 2, 3, name = "orders", nested = {deep = {flag = true}}}, 7, 1.5, "text")
              return row.name, row[3], row.nested.deep.flag, n, s, math.type(n)
            end
            """
        let results = try runHook(source) { sandbox in
            sandbox.register("echo") { args in
                received.arguments.append(args)
                return [args[0], args[1], .string(args[3].stringValue! + "!")]
            }
        }
        #expect(received.arguments.count == 1)
        let args = try #require(received.arguments.first)
        let row = LuaTable(array: [1, 2, 3], hash: ["name": "orders", "nested": ["deep": ["flag": true]]])
        #expect(args == [.table(row), 7, 1.5, "text"])
        #expect(args[0]["nested"]["deep"]["flag"] == true)
        #expect(results == ["orders", 3, true, 7, "text!", "integer"])
    }

    @Test func throwingFunctionGivesTheCallingLine() throws {
        let source = "return function(ctx)\n  local x = 1\n  upshift.sql('old', 'select 1')\nend"
        let error = try #require(hookError(source, chunk: "Hooks/copy.lua") { sandbox in
            sandbox.register("sql") { _ in throw Denied() }
        })
        #expect(error.kind == .runtime)
        #expect(error.description == "Hooks/copy.lua:3: permission denied for table orders")
    }

    @Test func hookCanCatchAThrownErrorWithPcall() throws {
        let source = "return function(ctx)\n  local ok, err = pcall(function()\n    upshift.sql()\n  end)\n  return ok, err\nend"
        let results = try runHook(source) { sandbox in
            sandbox.register("sql") { _ in throw Denied() }
        }
        #expect(results == [false, "Hooks/test.lua:3: permission denied for table orders"])
    }

    @Test func failEndsTheHookWithKindFailed() throws {
        let source = "return function(ctx)\n  if ctx then\n    upshift.fail('replica lag too high')\n  end\n  return 'unreachable'\nend"
        let error = try #require(hookError(source, chunk: "Hooks/gate.lua"))
        #expect(error.kind == .failed)
        #expect(error.description == "Hooks/gate.lua:3: replica lag too high")
    }

    @Test func failCannotBeCaughtByPcall() throws {
        let source = "return function(ctx)\n  local ok = pcall(upshift.fail, 'x')\n  return 'kept going', ok\nend"
        let error = try #require(hookError(source))
        #expect(error.kind == .failed)
        #expect(error.message == "x")
    }

    @Test func swiftFunctionCanFailTheHook() throws {
        let source = "return function(ctx)\n  pcall(upshift.check)\n  return 'kept going'\nend"
        let error = try #require(hookError(source) { sandbox in
            sandbox.register("check") { _ in throw LuaError(message: "disk nearly full", kind: .failed) }
        })
        #expect(error.kind == .failed)
        #expect(error.description == "Hooks/test.lua:2: disk nearly full")
    }

    @Test func cyclicTableArgumentIsRefusedAtTheCallingLine() throws {
        let source = "return function(ctx)\n  local t = {}\n  t.self = t\n  upshift.echo(t)\nend"
        let error = try #require(hookError(source) { sandbox in sandbox.register("echo") { $0 } })
        #expect(error.description == "Hooks/test.lua:4: upshift.echo: argument 1: a table contains itself (cycle)")
    }

    @Test func functionArgumentIsRefused() throws {
        let source = "return function(ctx)\n  upshift.echo('a', {cb = function() end})\nend"
        let error = try #require(hookError(source) { sandbox in sandbox.register("echo") { $0 } })
        #expect(error.description == "Hooks/test.lua:2: upshift.echo: argument 2: a function cannot be passed between Lua and Swift")
    }
}
