import Testing
import UpshiftLua

/// The sandbox's own pattern matcher, string.rep, table shifting, xpcall and coroutine guards answer as
/// Lua 5.4's library does, errors included.
@Suite struct LibraryDifferentialTests {
    @Test func sandboxAnswersAsLuasOwnLibrary() throws {
        let chunk = "Hooks/cases.lua"
        let expected = ReferenceLua.run(LibraryCases.hook, chunkName: chunk)
        let limits = LuaLimits(instructionBudget: 2_000_000_000, wallClock: .seconds(300), memoryLimit: 1 << 30)
        let results = try runHook(LibraryCases.hook, chunk: chunk, limits: limits)
        guard case .string(let actual)? = results.first else {
            Issue.record("the hook returned \(results)")
            return
        }
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(expectedLines.count > 200_000, "the reference run failed: \(expected.prefix(300))")
        #expect(actualLines.count == expectedLines.count)
        let differing = zip(actualLines, expectedLines).filter { $0 != $1 }
        for (mine, lua) in differing.prefix(10) {
            Issue.record("sandbox: \(mine)\nLua:     \(lua)")
        }
        #expect(differing.isEmpty, "\(differing.count) of \(expectedLines.count) calls differ")
    }
}
