import Foundation
import Logging
import Testing
@testable import UpshiftAgent
import UpshiftPostgres
import UpshiftTestSupport
import UpshiftWire

/// A step that reports progress thousands of times a second sends a few events a second: the newest figure
/// goes out within the interval even when the step then stays quiet, and always before the step's next event.
struct ProgressThrottleTests {
    @Test func aFloodOfProgressIsThinnedAndItsLatestFigureStillArrivesFirst() throws {
        let dir = try ScratchDir(prefix: "up-progress")
        defer { dir.remove() }
        let state = try dir.subdirectory("state")
        let registry = StepRegistry(journal: try AgentJournal(stateDirectory: state), ledger: try ChildLedger(stateDirectory: state),
                                    logger: Logger(label: "test"))
        let received = Received()
        let request = StepRequest(runID: "r-progress", stepID: "flood", host: "db1", planSHA256: "ab")
        let ended = DispatchSemaphore(value: 0)
        registry.submit(request, session: 1, send: { message in
            guard case .event(let event) = message else { return }
            received.add(event.kind, at: ContinuousClock.now)
            if case .finished = event.kind { ended.signal() }
        }, deadline: .seconds(60)) { _, emit in
            for done in 1...5000 { emit(.progress(done: Double(done), total: 5000, unit: "files")) }
            // Quiet for a while: the last figure must not wait for the next event.
            Thread.sleep(forTimeInterval: 0.6)
            emit(.log(level: "info", message: "quiet part over"))
        }
        #expect(ended.wait(timeout: .now() + 30) == .success)
        let kinds = received.all.map(\.kind)
        let progress = kinds.compactMap { if case .progress(let done, _, _) = $0 { done } else { nil } }
        #expect(progress.count >= 2 && progress.count <= 20, "\(progress.count) progress events for 5000 reports")
        #expect(progress.last == 5000)
        #expect(progress == progress.sorted(), "progress went backwards: \(progress)")
        // The last figure arrived during the quiet part, long before the log line that ends it.
        let lastProgressAt = try #require(received.all.last { if case .progress = $0.kind { true } else { false } }?.at)
        let logAt = try #require(received.all.first { if case .log = $0.kind { true } else { false } }?.at)
        #expect(logAt - lastProgressAt > .milliseconds(300), "the held figure waited for the next event")
        let order = kinds.map { kind -> String in
            switch kind {
            case .started: "started"
            case .log: "log"
            case .finished: "finished"
            default: "other"
            }
        }.filter { $0 != "other" }
        #expect(order == ["started", "log", "finished"])
    }
}

private final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(kind: StepEventKind, at: ContinuousClock.Instant)] = []
    func add(_ kind: StepEventKind, at: ContinuousClock.Instant) { lock.withLock { events.append((kind, at)) } }
    var all: [(kind: StepEventKind, at: ContinuousClock.Instant)] { lock.withLock { events } }
}
