import Testing
import UpshiftLua

/// Values leaving Lua are bounded: a table holding one table many times over is a few bytes in Lua and
/// 2^40 entries once copied into Swift.
extension HostileHookTests {
    static let sharedSubtables = "local t = {} for i = 1, 40 do t = {t, t} end"

    @Test func sharedSubtablesAsAResultAreRefused() {
        let sandbox = LuaSandbox()
        let (error, seconds) = hostileRun(hostileHook(Self.sharedSubtables + " return t"), on: sandbox)
        #expect(error?.kind == .runtime)
        #expect(error?.description == "Hooks/test.lua: hook result 1: value too large to pass out of Lua: more than 100000 elements")
        #expect(seconds < 1, "took \(seconds) s")
        expectStillRuns(sandbox)
    }

    @Test(arguments: [
        (sharedSubtables + " upshift.echo(t)", "argument 1: value too large to pass out of Lua: more than 100000 elements"),
        ("local t = {} for i = 1, 1000 do t[i] = i end local c = {} for i = 1, 200 do c[i] = t end upshift.echo(table.unpack(c))",
         "argument 100: value too large to pass out of Lua: more than 100000 elements"),
        ("local big, t = s:rep(35), {} for i = 1, 100 do t[i] = big end upshift.echo(t)",
         "argument 1: value too large to pass out of Lua: more than 67108864 bytes of strings"),
        ("local t = {} for i = 1, 70 do t = {t} end upshift.echo(t)", "argument 1: tables nested deeper than 64 levels"),
    ])
    func oversizedArgumentFailsTheCallingLine(code: String, message: String) {
        let sandbox = LuaSandbox(limits: LuaLimits(memoryLimit: 32 << 20))
        sandbox.register("echo") { $0 }
        let (error, seconds) = hostileRun(hostileHook(code), on: sandbox)
        #expect(error?.kind == .runtime)
        #expect(error?.description == "Hooks/test.lua:2: upshift.echo: \(message)")
        #expect(seconds < 1, "took \(seconds) s")
        expectStillRuns(sandbox)
    }

    @Test func swiftDescriptionsAreCut() {
        var value: LuaValue = ["x"]
        for _ in 0..<40 { value = [value, value] }
        let (text, seconds) = timed { value.description }
        #expect(text.count == 4097 && text.hasPrefix("{{{{") && text.hasSuffix("…"))
        #expect(seconds < 0.5)
        #expect(LuaValue.string(String(repeating: "é", count: 10_000)).description.count == 4097)
    }

    /// The message names the value's type, as Lua's own interpreter does, at the line that raised it.
    static let errorObjects: [(code: String, message: String)] = [
        ("error({})", "(error object is a table value)"),
        ("error(nil)", "(error object is a nil value)"),
        ("error()", "(error object is a nil value)"),
        ("error(true)", "(error object is a boolean value)"),
        ("error(error)", "(error object is a function value)"),
        ("error(coroutine.create(function() end))", "(error object is a thread value)"),
        ("error(setmetatable({}, {__tostring = function() return {} end}))", "(error object is a table value)"),
        ("error(setmetatable({}, {__tostring = function() error('broken __tostring') end}))", "broken __tostring"),
        ("error(setmetatable({}, {__tostring = function() return 'custom' end}))", "custom"),
        ("error(42)", "42"),
        ("error({code = 7})", "{code = 7}"),
        (sharedSubtables + " error(t)", "(error object is a table value)"),
    ]

    @Test(arguments: errorObjects)
    func errorObjectIsDescribed(code: String, message: String) {
        let sandbox = LuaSandbox()
        let (error, seconds) = hostileRun(hostileHook(code), on: sandbox)
        #expect(error?.kind == .runtime)
        #expect(error?.description == "Hooks/test.lua:2: \(message)")
        #expect(seconds < 1, "took \(seconds) s")
        expectStillRuns(sandbox)
    }

    @Test func longErrorMessageIsCut() {
        let (error, _) = hostileRun(hostileHook("error(s)"), on: LuaSandbox())
        #expect(error?.line == 2)
        #expect((error?.message.count ?? 0) < 4097 && error?.message.hasSuffix("aaa…") == true)
    }
}
