import CLua
import Foundation

/// Stops a sandbox's running hook from any thread: the run ends at its next look at the budget (every few
/// thousand instructions, and inside long library calls) with a "hook cancelled" error, and `upshift.sleep`
/// wakes. It outlives the sandbox safely, so a step's cancel handler may hold it.
public final class LuaInterrupt: @unchecked Sendable {
    let flag: UnsafeMutablePointer<Int32>
    private let lock = NSLock()
    private var why = "the step was cancelled"

    init() {
        flag = .allocate(capacity: 1)
        flag.initialize(to: 0)
    }

    deinit {
        flag.deallocate()
    }

    /// Asks the running hook to stop, saying why.
    public func request(reason: String) {
        lock.withLock { why = reason }
        upshift_request_interrupt(flag)
    }

    /// Why the hook was asked to stop.
    var reason: String { lock.withLock { why } }

    /// True once `request` was called.
    var isRequested: Bool { upshift_interrupt_requested(flag) != 0 }
}
