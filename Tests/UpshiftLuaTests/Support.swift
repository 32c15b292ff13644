import Testing
import UpshiftLua

/// Runs `source` as hook `chunk` in a fresh sandbox.
func runHook(
    _ source: String, chunk: String = "Hooks/test.lua", limits: LuaLimits = .init(), argument: LuaValue = [:],
    setUp: (LuaSandbox) -> Void = { _ in }
) throws(LuaError) -> [LuaValue] {
    let sandbox = LuaSandbox(limits: limits)
    setUp(sandbox)
    return try sandbox.runHook(source: source, chunkName: chunk, argument: argument)
}

/// The error a hook that must fail raises; records a test failure when it succeeds.
func hookError(
    _ source: String, chunk: String = "Hooks/test.lua", limits: LuaLimits = .init(),
    setUp: (LuaSandbox) -> Void = { _ in }, sourceLocation: SourceLocation = #_sourceLocation
) -> LuaError? {
    do {
        let results = try runHook(source, chunk: chunk, limits: limits, setUp: setUp)
        Issue.record("the hook succeeded with \(results)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Seconds `body` took.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = start.duration(to: clock.now)
    return (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
