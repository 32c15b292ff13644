import Testing
import UpshiftLua

/// Each escape is attempted on line 2 of a hook; the error must name that line.
@Suite struct AllowListTests {
    static let refused: [(code: String, message: String)] = [
        ("io.open('/etc/passwd')", "attempt to index a nil value (global 'io')"),
        ("io.popen('id')", "attempt to index a nil value (global 'io')"),
        ("os.execute('touch /tmp/upshift-lua-escaped')", "attempt to call a nil value (field 'execute')"),
        ("os.exit(1)", "attempt to call a nil value (field 'exit')"),
        ("os.getenv('HOME')", "attempt to call a nil value (field 'getenv')"),
        ("os.remove('/tmp/x')", "attempt to call a nil value (field 'remove')"),
        ("loadfile('/etc/passwd')", "attempt to call a nil value (global 'loadfile')"),
        ("dofile('/etc/passwd')", "attempt to call a nil value (global 'dofile')"),
        ("load('return 1')", "attempt to call a nil value (global 'load')"),
        ("require('os')", "attempt to call a nil value (global 'require')"),
        ("package.loadlib('libc.so.6', 'system')", "attempt to index a nil value (global 'package')"),
        ("string.dump(function() end)", "attempt to call a nil value (field 'dump')"),
        ("(''):dump()", "attempt to call a nil value (method 'dump')"),
        ("debug.getregistry()", "attempt to index a nil value (global 'debug')"),
        ("collectgarbage('stop')", "attempt to call a nil value (global 'collectgarbage')"),
        ("print('to the agent stdout')", "attempt to call a nil value (global 'print')"),
    ]

    @Test(arguments: refused)
    func escapeIsRefusedAtItsLine(code: String, message: String) throws {
        let source = "return function(ctx)\n  \(code)\nend\n"
        let error = try #require(hookError(source, chunk: "Hooks/escape.lua"))
        #expect(error.kind == .runtime)
        #expect(error.line == 2)
        #expect(error.description == "Hooks/escape.lua:2: \(message)")
    }

    @Test func binaryChunksAreRefused() throws {
        let error = try #require(hookError("\u{1B}Lua\u{54}\u{00}junk", chunk: "Hooks/bytecode.lua"))
        #expect(error.kind == .syntax)
        #expect(error.description.hasPrefix("Hooks/bytecode.lua:"))
        #expect(error.message.contains("attempt to load a binary chunk"))
    }

    @Test func allowedLibrariesWork() throws {
        let source = """
            return function(ctx)
              local words = {}
              for w in string.gmatch("a b c", "%a") do table.insert(words, w:upper()) end
              local co = coroutine.wrap(function() coroutine.yield(math.max(3, 9)) end)
              local ok, err = pcall(error, "caught")
              return table.concat(words, ","), co(), utf8.char(233), math.type(os.time()),
                     type(os.clock()), os.date("!%Y", 0), ok, err, select("#", 1, 2), _VERSION
            end
            """
        let results = try runHook(source)
        #expect(results == ["A,B,C", 9, "é", "integer", "number", "1970", false, "caught", 2, "Lua 5.4"])
    }

    @Test func onlyTheAllowListedGlobalsExist() throws {
        let source = """
            return function(ctx)
              local names = {}
              for k in pairs(_G) do names[#names + 1] = k end
              table.sort(names)
              return table.concat(names, " ")
            end
            """
        let results = try runHook(source)
        #expect(results == [.string("_G _VERSION assert coroutine error getmetatable ipairs math next os pairs pcall rawequal rawget rawlen rawset select setmetatable string table tonumber tostring type upshift utf8 xpcall")])
    }
}
