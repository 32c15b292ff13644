#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLua

/// The two `upshift.*` functions that need no outside world.
extension LuaSandbox {
    func registerBuiltins() {
        let control = self.control
        let limits = self.limits
        register("sleep") { arguments in
            try Self.sleep(arguments, deadline: control.pointee.deadline_ns, limits: limits)
            return []
        }
        register("fail") { arguments in
            let reason = arguments.first.map { $0.stringValue ?? $0.description } ?? "the hook failed"
            throw LuaError(message: reason, kind: .failed)
        }
    }

    /// Sleeping past the deadline could only end in a timeout, so that timeout comes at once.
    private static func sleep(_ arguments: [LuaValue], deadline: Int64, limits: LuaLimits) throws {
        guard let seconds = arguments.first?.doubleValue, seconds.isFinite, seconds >= 0 else {
            let got = arguments.first?.typeName ?? "nothing"
            throw LuaError(message: "upshift.sleep expects a non-negative number of seconds, got \(got)", kind: .runtime)
        }
        let nanoseconds = seconds * 1e9
        guard nanoseconds <= Double(deadline - upshift_now_ns()) else {
            throw LuaError(message: "upshift.sleep(\(arguments[0])) would pass the wall-clock limit of \(limits.wallClock)",
                           kind: .timeout)
        }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds.truncatingRemainder(dividingBy: 1e9)))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
