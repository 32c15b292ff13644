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
        let interrupt = self.interrupt
        register("sleep") { arguments in
            try Self.sleep(arguments, deadline: control.pointee.deadline_ns, limits: limits, interrupt: interrupt)
            return []
        }
        register("fail") { arguments in
            let reason = arguments.first.map { $0.stringValue ?? $0.description } ?? "the hook failed"
            throw LuaError(message: reason, kind: .failed)
        }
    }

    /// Sleeping past the deadline could only end in a timeout, so that timeout comes at once; an interrupt
    /// wakes the sleep within 50 ms.
    private static func sleep(_ arguments: [LuaValue], deadline: Int64, limits: LuaLimits, interrupt: LuaInterrupt) throws {
        guard let seconds = arguments.first?.doubleValue, seconds.isFinite, seconds >= 0 else {
            let got = arguments.first?.typeName ?? "nothing"
            throw LuaError(message: "upshift.sleep expects a non-negative number of seconds, got \(got)", kind: .runtime)
        }
        let nanoseconds = seconds * 1e9
        guard nanoseconds <= Double(deadline - upshift_now_ns()) else {
            throw LuaError(message: "upshift.sleep(\(arguments[0])) would pass the wall-clock limit of \(limits.wallClock)",
                           kind: .timeout)
        }
        let wake = upshift_now_ns() + Int64(nanoseconds)
        while !interrupt.isRequested {
            let left = wake - upshift_now_ns()
            guard left > 0 else { return }
            var slice = timespec(tv_sec: 0, tv_nsec: Int(min(left, 50_000_000)))
            nanosleep(&slice, nil)
        }
        throw LuaError(message: "upshift.sleep stopped: \(interrupt.reason)", kind: .cancelled)
    }
}
