import Testing
import UpshiftLua

/// A hostile hook (DBA-written Lua gone wrong, or worse) ends as a clean `LuaError` within its limits, and
/// the sandbox runs the next hook as if nothing happened. A hook that would hang fails by the time limit.
@Suite(.serialized, .timeLimit(.minutes(1))) struct HostileHookTests {
    /// Lua's own matcher is C, where the count hook never fires: each of these ran for minutes.
    static let catastrophicPatterns = [
        "string.find(s, '.-.-.-.-.-.-b')",
        "string.match(s, '.-.-.-.-.-.-b')",
        "for w in string.gmatch(s, '.-.-.-.-.-.-b') do end",
        "string.gsub(s, '.-.-.-.-.-.-b', 'x')",
        "s:find('(.-)(.-)(.-)(.-)(.-)b')",
        "s:match('a-a-a-a-a-a-b')",
        "s:gmatch('.-.-.-.-b')()",
        "s:gsub('.-.-.-.-b', function() end)",
        "s:gsub('%f[a].-.-.-.-b', {})",
        "pcall(string.find, s, '.-.-.-.-.-.-b') return 'swallowed'",
        "s:rep(40):find(s:rep(20) .. 'b', 1, true)",
        "s:rep(40):find('.' .. s:rep(20) .. 'b')",
    ]

    @Test(arguments: Stop.allCases, catastrophicPatterns)
    func catastrophicPatternStops(stop: Stop, code: String) {
        expectStopped(code, by: stop)
    }

    /// table.insert/remove/move shift elements in a C loop as long as a range or `__len` says.
    static let tableShifts = [
        "table.move({}, 1, 1e15, 1, {})",
        "table.insert(setmetatable({}, {__len = function() return 1e15 end}), 1, 'x')",
        "table.remove(setmetatable({}, {__len = function() return 1e15 end}), 1)",
    ]

    @Test(arguments: Stop.allCases, tableShifts)
    func hugeTableShiftStops(stop: Stop, code: String) {
        expectStopped(code, by: stop)
    }

    /// Lua runs these with hooks off after the count hook raised: an xpcall message handler, and the
    /// `__close` handlers of a coroutine killed by the hook (wrap closes them itself); a `__tostring` that
    /// loops runs inside the sandbox's own message handler.
    static let loopsOutOfReach = [
        "xpcall(function() while true do end end, function() while true do end end)",
        "coroutine.wrap(function() local x <close> = setmetatable({}, {__close = function() while true do end end}) while true do end end)()",
        "local co = coroutine.create(function() local x <close> = setmetatable({}, {__close = function() while true do end end}) while true do end end) coroutine.resume(co) coroutine.close(co)",
        "error(setmetatable({}, {__tostring = function() while true do end end}))",
    ]

    @Test(arguments: Stop.allCases, loopsOutOfReach)
    func loopOutsideTheHooksReachStops(stop: Stop, code: String) {
        expectStopped(code, by: stop)
    }

    /// A stopped run whose last act is a C function's return (a tail call) used to return normally.
    @Test(arguments: Stop.allCases)
    func stopCaughtByATailCalledPcallStillStops(stop: Stop) {
        expectStopped("return pcall(function() while true do end end)", by: stop)
    }

    @Test func failCaughtByATailCalledPcallStillFails() throws {
        let error = try #require(hookError("return function(ctx)\n  return pcall(upshift.fail, 'replica lag')\nend"))
        #expect(error.kind == .failed)
        #expect(error.description == "Hooks/test.lua:2: replica lag")
    }

    /// Each makes a string or buffer bigger than the 16 MiB cap (and below the string library's own 2 GiB
    /// ceiling, which refuses `string.rep('x', 2^40)` before allocating: see `oversizedRepIsRefused`).
    static let memoryBombs = [
        "string.rep('x', 2^30)",
        "('x'):rep(1e9, ',')",
        "local d = 'x' while true do d = d .. d end",
        "local big = s:rep(100) return table.concat({big, big, big, big, big, big})",
        "string.format('%s', string.rep('x', 2^30))",
        "s:rep(300):gsub('a+', '%0%0')",
        "local t = {} for i = 1, 1e9 do t[i] = i end",
    ]

    @Test(arguments: memoryBombs)
    func memoryBombFailsAtTheCap(code: String) {
        let sandbox = LuaSandbox(limits: LuaLimits(wallClock: .seconds(60), memoryLimit: 16 << 20))
        let (error, seconds) = hostileRun(hostileHook(code), on: sandbox)
        #expect(error?.kind == .memoryExhausted, "\(String(describing: error))")
        #expect(error?.chunk == "Hooks/test.lua" && error?.message == "memory limit of 16 MiB reached")
        #expect(seconds < 1, "took \(seconds) s")
        expectStillRuns(sandbox)
    }

    @Test func oversizedRepIsRefused() {
        let sandbox = LuaSandbox(limits: LuaLimits(wallClock: .seconds(60), memoryLimit: 16 << 20))
        let (error, seconds) = hostileRun(hostileHook("string.rep('x', 2^40)"), on: sandbox)
        #expect(error?.kind == .runtime)
        #expect(error?.description == "Hooks/test.lua:2: resulting string too large")
        #expect(seconds < 0.5)
        expectStillRuns(sandbox)
    }

    /// Lua 5.4.4 made these empty copies one by one in a C loop.
    @Test func emptyRepeatsCostNothing() throws {
        let source = "return function(ctx)\n  return string.rep('', 2^62), ('').rep('', 1e15, ''), #string.rep('', 9, '-')\nend"
        let (results, seconds) = try timed { try runHook(source, limits: Stop.deadline.limits) }
        #expect(results == ["", "", 8])
        #expect(seconds < 0.2)
    }

    /// Up to Lua's own limits (LUAI_MAXCCALLS, LUAI_MAXSTACK), then a clean error.
    static let deepRecursion: [(code: String, message: String)] = [
        ("local function f() return f() + 1 end f()", "stack overflow"),
        ("local c = {} for i = 1, 1e5 do c[i] = pcall end c[#c + 1] = error local r = table.pack(pcall(table.unpack(c))) error(r[r.n])",
         "C stack overflow"),
        ("local function f() return coroutine.wrap(f)() end f()", "C stack overflow"),
        ("local t = setmetatable({}, {}) getmetatable(t).__index = function(t, k) return t[k] end return t.x", "C stack overflow"),
        ("local mt = {} mt.__tostring = function(v) return tostring(v) end return tostring(setmetatable({}, mt))", "C stack overflow"),
        ("local function f(x) return (x:gsub('.', f)) end f('abc')", "C stack overflow"),
    ]

    /// Reaching Lua's stack limit (a million slots) takes about a second in a debug build.
    @Test(arguments: deepRecursion)
    func deepRecursionFailsCleanly(code: String, message: String) {
        let sandbox = LuaSandbox(limits: LuaLimits(wallClock: .seconds(10)))
        let (error, seconds) = hostileRun(hostileHook(code), on: sandbox)
        #expect(error?.kind == .runtime)
        #expect(error?.chunk == "Hooks/test.lua" && error?.line == 2)
        #expect(error?.message.hasSuffix(message) == true, "\(String(describing: error))")
        #expect(seconds < 2, "took \(seconds) s")
        expectStillRuns(sandbox)
    }
}
