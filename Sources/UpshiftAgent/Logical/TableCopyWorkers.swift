import Foundation
import UpshiftPostgres

/// Copies a table's pending ranges on up to `parallel` threads; a failed range is retried alone while the others go on.
final class TableCopyWorkers: @unchecked Sendable {
    /// A range is tried this many times before the copy fails.
    static let attempts = 3

    private let copier: TableCopyRangeCopy
    private let progress: TableCopyProgress
    private let lock = NSLock()
    private var queue: [TableCopyRange]
    private var copiedRows: Int64 = 0
    private var copiedBytes: Int64 = 0
    private var foundDone = 0
    private var failures: [String] = []

    /// Workers for `ranges`, counting into `progress`.
    init(copier: TableCopyRangeCopy, ranges: [TableCopyRange], progress: TableCopyProgress) {
        self.copier = copier
        self.queue = ranges.reversed()
        self.progress = progress
    }

    /// Runs the ranges on `threads` threads and waits for them, calling `tick` on this thread every `interval`.
    /// Returns the rows and bytes copied and the ranges found done meanwhile; throws when stopped or when a range failed
    /// every attempt (after the other ranges finished).
    func run(threads: Int, interval: TimeInterval, tick: () -> Void) throws -> (rows: Int64, bytes: Int64, foundDone: Int) {
        let group = DispatchGroup()
        for _ in 0..<max(1, min(threads, queue.count)) {
            group.enter()
            let thread = Thread { [self] in
                work()
                group.leave()
            }
            thread.start()
        }
        while group.wait(timeout: .now() + interval) == .timedOut { tick() }
        try copier.control.checkStopped()
        return try lock.withLock {
            if let first = failures.first {
                let more = failures.count > 1 ? " (and \(failures.count - 1) more range(s) failed)" : ""
                throw AgentError(first + more)
            }
            return (copiedRows, copiedBytes, foundDone)
        }
    }

    /// Takes ranges until none are left or the copy is stopped.
    private func work() {
        while copier.control.stopReason == nil, let range = lock.withLock({ queue.popLast() }) {
            copy(range)
        }
    }

    /// Copies one range, retrying it after a failure with a growing pause; records a range that failed every time.
    private func copy(_ range: TableCopyRange) {
        for attempt in 1...Self.attempts {
            do {
                let outcome = try copier.run(range) { rows, bytes in progress.streaming(range.number, rows: rows, bytes: bytes) }
                switch outcome {
                case .copied(let rows, let bytes):
                    progress.committed(range.number, rows: rows, bytes: bytes)
                    lock.withLock {
                        copiedRows += rows
                        copiedBytes += bytes
                    }
                case .alreadyDone:
                    progress.dropped(range.number)
                    lock.withLock { foundDone += 1 }
                }
                return
            } catch {
                progress.dropped(range.number)
                if copier.control.stopReason != nil { return }
                if attempt == Self.attempts {
                    let failure = "copy_table \(copier.shape.sourceName) \(range.label), after \(attempt) attempts: \(error)"
                    lock.withLock { failures.append(failure) }
                    return
                }
                pause(seconds: Double(attempt))
            }
        }
    }

    /// Sleeps, waking early when the copy is stopped.
    private func pause(seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end, copier.control.stopReason == nil { Thread.sleep(forTimeInterval: 0.05) }
    }
}
