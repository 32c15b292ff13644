import CLibPQ
import Foundation

/// A synchronous libpq connection; one thread at a time.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    /// host, port, database and user of this connection, for error messages; never the password.
    public let context: String
    /// Receives the server's NOTICE and WARNING messages; they are dropped when nil (libpq would print them to stderr).
    public var noticeHandler: ((String) -> Void)?

    /// Connects with a keyword/value string or a `postgresql://` URI (PQconnectdb); the error names host, port and database.
    public init(conninfo: String) throws {
        // client_encoding and the application name come first so that the caller's conninfo overrides them.
        let keywords = ["client_encoding", "fallback_application_name", "dbname"]
        let values = ["UTF8", "upshift", conninfo]
        let connection = withCStringArray(keywords) { keys in
            withCStringArray(values) { vals in PQconnectdbParams(keys, vals, 1) }
        }
        context = connection.map(Self.describe) ?? "conninfo unreadable"
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let error = PostgresError(connection: connection, context: context, fallback: "connection failed")
            if let connection { PQfinish(connection) }
            throw error
        }
        handle = connection
        PQsetNoticeReceiver(connection, { argument, result in
            guard let argument, let result else { return }
            let owner = Unmanaged<PostgresConnection>.fromOpaque(argument).takeUnretainedValue()
            let text = String(cString: PQresultErrorMessage(result)).trimmingWhitespace()
            owner.noticeHandler?(text)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { close() }

    /// Runs one statement with text parameters bound to $1, $2, … (PQexecParams); values never enter the SQL text.
    public func query(_ sql: String, _ params: [String?] = []) throws -> QueryResult {
        let connection = try open()
        let result = withOptionalCStringArray(params) { values in
            PQexecParams(connection, sql, Int32(params.count), nil, values, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs SQL over the simple protocol (PQexec): several statements may be separated by `;`.
    public func execute(_ sql: String) throws {
        _ = try simpleQuery(sql)
    }

    /// Runs SQL over the simple protocol and returns the last statement's result; replication commands
    /// such as IDENTIFY_SYSTEM need this protocol.
    public func simpleQuery(_ sql: String) throws -> QueryResult {
        let connection = try open()
        return try consume(PQexec(connection, sql))
    }

    /// The server's version as a number, e.g. 150018 for 15.18 (PQserverVersion).
    public var serverVersionNumber: Int {
        handle.map { Int(PQserverVersion($0)) } ?? 0
    }

    /// Whether the session is inside a transaction block (an error there aborts the whole block).
    public var isInTransaction: Bool {
        handle.map { [PQTRANS_INTRANS, PQTRANS_INERROR].contains(PQtransactionStatus($0)) } ?? false
    }

    /// Whether the connection is open and healthy.
    public var isOpen: Bool {
        handle.map { PQstatus($0) == CONNECTION_OK } ?? false
    }

    /// Closes the connection (PQfinish); later calls throw.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Double-quotes an identifier (`a"b` → `"a""b"`); for identifiers only, never for values.
    public static func quoteIdentifier(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func open() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(message: "connection is closed", context: context) }
        return handle
    }

    /// Turns a PGresult into a value or an error, and frees it.
    func consume(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else {
            throw PostgresError(connection: handle, context: context, fallback: "no result from server")
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return QueryResult(result: result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            abandonCopy(PQresultStatus(result))
            throw PostgresError(message: "COPY needs copyIn/copyOut, not a plain query", context: context)
        default:
            throw PostgresError(result: result, context: context)
        }
    }

    /// host, port, dbname, user and replication as libpq resolved them.
    private static func describe(_ connection: OpaquePointer) -> String {
        guard let options = PQconninfo(connection) else { return "" }
        defer { PQconninfoFree(options) }
        var found: [String: String] = [:]
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val { found[String(cString: keyword)] = String(cString: value) }
            cursor += 1
        }
        return ["host", "hostaddr", "port", "dbname", "user", "replication"]
            .compactMap { key in found[key].flatMap { $0.isEmpty ? nil : "\(key)=\($0)" } }
            .joined(separator: " ")
    }
}
