import Dispatch
import NIOConcurrencyHelpers

/// Items worked through by a fixed number of workers at once, in order: what a step does over `jobs` connections.
enum WorkQueue {
    /// Runs `body` on every item, at most `workers` at a time, each worker taking the next item when it is free. The
    /// first error stops any further item from being taken and is rethrown once the running ones end. A worker keeps
    /// the `State` that `makeState` gives it (its connections, say) across the items it takes; `endState` sees it last.
    static func run<Item: Sendable, State>(_ items: [Item], workers: Int, makeState: @Sendable () -> State,
                                           endState: @Sendable (State) -> Void = { _ in },
                                           _ body: @Sendable (Item, inout State) throws -> Void) throws {
        let queue = NIOLockedValueBox(Queue(items: items))
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, items.count))) { _ in
            var state = makeState()
            defer { endState(state) }
            while let item = queue.withLockedValue({ $0.take() }) {
                do {
                    try body(item, &state)
                } catch {
                    queue.withLockedValue { $0.fail(error) }
                    return
                }
            }
        }
        if let failure = queue.withLockedValue({ $0.failure }) { throw failure }
    }

    /// Runs `body` on every item, at most `workers` at a time (`run` without per-worker state).
    static func run<Item: Sendable>(_ items: [Item], workers: Int, _ body: @Sendable (Item) throws -> Void) throws {
        try run(items, workers: workers, makeState: {}) { item, _ in try body(item) }
    }

    private struct Queue<Item: Sendable>: Sendable {
        let items: [Item]
        var next = 0
        var failure: (any Error)?

        mutating func take() -> Item? {
            guard failure == nil, next < items.count else { return nil }
            next += 1
            return items[next - 1]
        }

        mutating func fail(_ error: any Error) {
            if failure == nil { failure = error }
        }
    }
}
