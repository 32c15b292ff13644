import Testing
import UpshiftLua

@Suite struct ErrorReportingTests {
    @Test func compileCheckReportsTheSyntaxErrorLine() throws {
        let source = "return function(ctx)\n  local x = 1\n  if x then return x +\nend\n"
        do {
            try LuaSandbox.compileCheck(source: source, chunkName: "Hooks/bad.lua")
            Issue.record("a broken hook compiled")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.line == 4)
            #expect(error.description == "Hooks/bad.lua:4: unexpected symbol near 'end'")
        }
    }

    @Test func compileCheckDoesNotRunTheChunk() throws {
        try LuaSandbox.compileCheck(source: "while true do end", chunkName: "Hooks/spin.lua")
    }

    @Test func runHookReportsASyntaxErrorToo() throws {
        let error = try #require(hookError("return function(ctx)\n  local = 3\nend", chunk: "Hooks/typo.lua"))
        #expect(error.kind == .syntax)
        #expect(error.description == "Hooks/typo.lua:2: <name> expected near '='")
    }

    @Test func runtimeErrorInANestedFunctionNamesItsLine() throws {
        let source = """
            local function inner(row)
              return row.id
            end
            local function outer() return inner(nil) end
            return function(ctx)
              return outer()
            end
            """
        let error = try #require(hookError(source, chunk: "Hooks/nested.lua"))
        #expect(error.kind == .runtime)
        #expect(error.description == "Hooks/nested.lua:2: attempt to index a nil value (local 'row')")
    }

    @Test func errorWithATableIsReadable() throws {
        let source = "return function(ctx)\n  error({code = 7, reason = 'locked', 'first'})\nend"
        let error = try #require(hookError(source))
        #expect(error.description == "Hooks/test.lua:2: {\"first\", code = 7, reason = \"locked\"}")
    }

    @Test func errorWithToStringUsesIt() throws {
        let source = """
            return function(ctx)
              local e = setmetatable({}, {__tostring = function() return "custom failure" end})
              error(e)
            end
            """
        #expect(try #require(hookError(source)).description == "Hooks/test.lua:3: custom failure")
    }

    @Test func errorWithoutPositionStillGetsTheLine() throws {
        let error = try #require(hookError("return function(ctx)\n\n  error('bare message', 0)\nend"))
        #expect(error.description == "Hooks/test.lua:3: bare message")
    }

    @Test func errorWithLevelTwoBlamesTheCaller() throws {
        let source = "local function check(v)\n  if not v then error('v is required', 2) end\nend\nreturn function(ctx)\n  check(nil)\nend"
        #expect(try #require(hookError(source)).description == "Hooks/test.lua:5: v is required")
    }

    @Test func hookThatReturnsANonFunctionIsAClearError() throws {
        let error = try #require(hookError("return 42", chunk: "Hooks/notify.lua"))
        #expect(error.kind == .runtime)
        #expect(error.description == "Hooks/notify.lua: the hook file must return a function, it returned number")
        let empty = try #require(hookError("local x = 1", chunk: "Hooks/empty.lua"))
        #expect(empty.description == "Hooks/empty.lua: the hook file must return a function, it returned nil")
    }

    @Test func longChunkNamesAreReportedInFull() throws {
        let chunk = "Hooks/" + String(repeating: "very-long-directory/", count: 4) + "hook.lua"
        let error = try #require(hookError("return function(ctx)\n  local x = nil + 1\nend", chunk: chunk))
        #expect(error.chunk == chunk)
        #expect(error.line == 2)
    }
}
