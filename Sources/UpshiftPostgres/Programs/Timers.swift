import Foundation

/// One-shot timers that fire even when every thread of the shared pool is busy.
///
/// `DispatchQueue.global()` shares its few worker threads (one a core) with Swift's cooperative pool on Linux:
/// when blocking work holds them all, a deadline queued there waits for that work to end, which defeats it.
/// A private serial queue is served by an overcommitting thread, so a deadline here fires on time.
public enum Timers {
    private static let queue = DispatchQueue(label: "upshift.timers")

    /// Runs `body` once, `delay` from now (a negative delay runs it at once).
    public static func after(_ delay: Duration, _ body: @escaping @Sendable () -> Void) {
        let left = min(max(.zero, delay), .seconds(1 << 31))  // so the nanoseconds fit an Int
        let nanoseconds = left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: nanoseconds)), execute: body)
    }
}
