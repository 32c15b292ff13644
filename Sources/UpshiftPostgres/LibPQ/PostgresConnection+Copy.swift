import CLibPQ

extension PostgresConnection {
    /// Runs `COPY … TO STDOUT` and hands each chunk (a row, in text format) to `onChunk` as it arrives; returns the bytes read.
    /// If `onChunk` throws, the COPY is cancelled, the connection stays usable and the error is rethrown.
    public func copyOut(_ sql: String, _ onChunk: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let connection = try open()
        try startCopy(connection, sql, expecting: PGRES_COPY_OUT)
        var total = 0
        var failure: Error?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let count = PQgetCopyData(connection, &buffer, 0)
            if count > 0, let buffer {
                defer { PQfreemem(buffer) }
                if failure != nil { continue }
                total += Int(count)
                do {
                    try onChunk(UnsafeRawBufferPointer(start: buffer, count: Int(count)))
                } catch {
                    failure = error
                    cancelRequest(connection)
                }
            } else if count == -1 {
                break
            } else {
                throw PostgresError(connection: connection, context: context, fallback: "COPY OUT failed")
            }
        }
        let outcome = finishCopy(connection)
        if let failure { throw failure }
        _ = try outcome.get()
        return total
    }

    /// Runs `COPY … FROM STDIN`, sending what `producer` returns until it returns nil; returns the rows copied.
    /// If `producer` throws, the COPY is aborted on the server (nothing is written) and the error is rethrown.
    public func copyIn(_ sql: String, _ producer: () throws -> [UInt8]?) throws -> Int {
        try beginCopyIn(sql)
        while true {
            let chunk: [UInt8]?
            do {
                chunk = try producer()
            } catch {
                abortCopyIn("upshift: the data source failed")
                throw error
            }
            guard let chunk else { return try endCopyIn() }
            try chunk.withUnsafeBytes { try putCopyData($0) }
        }
    }

    /// Starts `COPY … FROM STDIN` for data pushed with `putCopyData`; end it with `endCopyIn` or `abortCopyIn`.
    public func beginCopyIn(_ sql: String) throws {
        try startCopy(try open(), sql, expecting: PGRES_COPY_IN)
    }

    /// Sends COPY data, cut anywhere (a row may span calls). libpq writes its buffer out every few kB and blocks
    /// while the server is slower, so memory stays bounded. When the server has already failed the COPY, its
    /// error is thrown and the connection is idle again.
    public func putCopyData(_ bytes: UnsafeRawBufferPointer) throws {
        let connection = try open()
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard PQputCopyData(connection, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count)) == 1 else {
            throw failedCopyIn(connection, fallback: "COPY IN send failed")
        }
    }

    /// Ends the data of a COPY IN; returns the rows the server wrote, or throws its error (a bad row, say).
    public func endCopyIn() throws -> Int {
        let connection = try open()
        guard PQputCopyEnd(connection, nil) == 1 else { throw failedCopyIn(connection, fallback: "COPY IN end failed") }
        return try finishCopy(connection).get()
    }

    /// Aborts a COPY IN: the server discards what it received, with `reason` in its error; the connection stays usable.
    public func abortCopyIn(_ reason: String) {
        guard let connection = try? open() else { return }
        _ = PQputCopyEnd(connection, reason)
        _ = finishCopy(connection)
    }

    /// The error of a COPY IN libpq refused to go on with: the server's, when it had already failed the COPY, else libpq's.
    /// Either way the connection is brought back to idle, and a COPY still open is aborted, never committed half-sent.
    private func failedCopyIn(_ connection: OpaquePointer, fallback: String) -> PostgresError {
        let client = PostgresError(connection: connection, context: context, fallback: fallback)
        let stillCopying = PQputCopyEnd(connection, "upshift: sending COPY data failed") == 1
        if case .failure(let server) = finishCopy(connection), !stillCopying { return server }
        return client
    }

    private func startCopy(_ connection: OpaquePointer, _ sql: String, expecting status: ExecStatusType) throws {
        guard let result = PQexec(connection, sql) else {
            throw PostgresError(connection: connection, context: context, fallback: "no result from server")
        }
        defer { PQclear(result) }
        guard PQresultStatus(result) == status else {
            if PQresultStatus(result) == PGRES_FATAL_ERROR { throw PostgresError(result: result, context: context) }
            abandonCopy(PQresultStatus(result))
            let wanted = status == PGRES_COPY_OUT ? "COPY … TO STDOUT" : "COPY … FROM STDIN"
            throw PostgresError(message: "expected a \(wanted) statement", context: context)
        }
    }

    /// Reads every result left after the copy data; returns the row count from the command tag or the first error.
    private func finishCopy(_ connection: OpaquePointer) -> Result<Int, PostgresError> {
        var outcome: Result<Int, PostgresError> = .success(0)
        var failed = false
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            if failed { continue }
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                outcome = .success(Int(String(cString: PQcmdTuples(result))) ?? 0)
            } else {
                outcome = .failure(PostgresError(result: result, context: context))
                failed = true
            }
        }
        return outcome
    }

    /// Brings a connection that entered a COPY by mistake back to idle: ends COPY IN with an error,
    /// drains COPY OUT, then reads the remaining results.
    func abandonCopy(_ status: ExecStatusType) {
        guard let connection = try? open() else { return }
        if status == PGRES_COPY_IN || status == PGRES_COPY_BOTH {
            _ = PQputCopyEnd(connection, "upshift: COPY started outside copyIn")
        }
        if status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
            cancelRequest(connection)
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(connection, &buffer, 0) > 0 {
                PQfreemem(buffer)
                buffer = nil
            }
        }
        _ = finishCopy(connection)
    }

    /// Asks the server to cancel the running statement (a separate connection, as libpq does it).
    private func cancelRequest(_ connection: OpaquePointer) {
        guard let cancel = PQgetCancel(connection) else { return }
        defer { PQfreeCancel(cancel) }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &message, Int32(message.count))
    }
}
