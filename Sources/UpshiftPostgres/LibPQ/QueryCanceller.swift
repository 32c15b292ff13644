import CLibPQ

/// Asks the server to cancel whatever a connection runs at that moment (PQcancel); usable from any thread,
/// also after the connection closed (the server then finds nothing to cancel).
public final class QueryCanceller: @unchecked Sendable {
    private let handle: OpaquePointer

    init?(connection: OpaquePointer) {
        guard let handle = PQgetCancel(connection) else { return nil }
        self.handle = handle
    }

    deinit { PQfreeCancel(handle) }

    /// Sends the cancel request; failures are ignored (the query then ends by itself or with its connection).
    public func cancel() {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
    }
}

extension PostgresConnection {
    /// A canceller for this connection's running query, or nil when the connection is closed.
    public func makeCanceller() -> QueryCanceller? {
        guard let handle = try? open() else { return nil }
        return QueryCanceller(connection: handle)
    }
}
