import CLibPQ

/// A PostgreSQL error with its fields; `description` is `SQLSTATE: message` plus detail/hint when present, never the password.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE, nil for client-side failures (connection refused, protocol errors).
    public var sqlState: String?
    /// The primary message.
    public var message: String
    /// The server's DETAIL line, if any.
    public var detail: String?
    /// The server's HINT line, if any.
    public var hint: String?
    /// Where it happened: the connection's host, port, database and user, never the password.
    public var context: String?
    /// The server's CONTEXT field (the call stack of a function or trigger), if any.
    public var serverContext: String?

    /// Makes an error from its parts.
    public init(sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil,
                context: String? = nil, serverContext: String? = nil) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.context = context
        self.serverContext = serverContext
    }

    public var description: String {
        var text = sqlState.map { "\($0): \(message)" } ?? message
        if let detail { text += " DETAIL: \(detail)" }
        if let hint { text += " HINT: \(hint)" }
        if let context { text += " [\(context)]" }
        return text
    }

    /// Reads the fields of a failed result.
    init(result: OpaquePointer, context: String?) {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let primary = field(upshift_pg_diag_message_primary())
            ?? String(cString: PQresultErrorMessage(result)).trimmingWhitespace()
        self.init(sqlState: field(upshift_pg_diag_sqlstate()),
                  message: primary.isEmpty ? "unknown error" : primary,
                  detail: field(upshift_pg_diag_message_detail()),
                  hint: field(upshift_pg_diag_message_hint()),
                  context: context,
                  serverContext: field(upshift_pg_diag_context()))
    }

    /// Reads the connection's last client-side error (libpq's PQerrorMessage).
    init(connection: OpaquePointer?, context: String?, fallback: String) {
        let text = connection.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? ""
        let trimmed = text.trimmingWhitespace()
        self.init(message: trimmed.isEmpty ? fallback : trimmed, context: context)
    }
}
