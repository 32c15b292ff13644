import Glibc

/// Collects one pipe's bytes (at most a limit of them) and cuts them into lines for the callback.
struct OutputCollector {
    /// The longest line handed to the callback; a longer one arrives in pieces of this size.
    static let maxLineBytes = 64 << 10

    let stream: ProgramOutputLine.Stream
    let fd: Int32
    let onLine: ((ProgramOutputLine) -> Void)?
    var closed = false
    var captured: CappedBytes
    var pending: [UInt8] = []
    var afterCarriageReturn = false
    /// Reused for every read: a program that prints a line at a time is read a line at a time.
    private var buffer = [UInt8](repeating: 0, count: 65536)

    init(stream: ProgramOutputLine.Stream, fd: Int32, limit: Int, onLine: ((ProgramOutputLine) -> Void)?) {
        self.stream = stream
        self.fd = fd
        self.onLine = onLine
        captured = CappedBytes(limit: limit)
    }

    var text: String { String(decoding: captured.bytes, as: UTF8.self) }

    /// Reads what the pipe holds now (one chunk, or until it would block); closes it at EOF.
    mutating func readAvailable(once: Bool) {
        while !closed {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                consume(buffer[0..<count])
                if !pending.isEmpty {
                    onLine?(ProgramOutputLine(stream: stream, text: String(decoding: pending, as: UTF8.self),
                                              isComplete: false))
                }
                if once { return }
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                close(fd)
                closed = true
            }
        }
    }

    mutating func consume(_ bytes: ArraySlice<UInt8>) {
        captured.append(bytes)
        var rest = bytes
        while let first = rest.first {
            if afterCarriageReturn && first == UInt8(ascii: "\n") {
                // The \n of a \r\n: the line already ended at the \r.
                afterCarriageReturn = false
                rest = rest.dropFirst()
                continue
            }
            afterCarriageReturn = false
            guard let end = rest.firstIndex(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
                appendPending(rest)
                return
            }
            appendPending(rest[..<end])
            afterCarriageReturn = rest[end] == UInt8(ascii: "\r")
            emit()
            rest = rest[(end + 1)...]
        }
    }

    /// Flushes a last unterminated line and closes the pipe if a daemon still holds it.
    mutating func finish() {
        if !pending.isEmpty { emit() }
        if !closed {
            close(fd)
            closed = true
        }
    }

    /// Adds to the unterminated line, handing it over whole each time it would grow past `maxLineBytes`.
    private mutating func appendPending(_ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            if pending.count >= Self.maxLineBytes { emit() }
            let take = min(Self.maxLineBytes - pending.count, rest.count)
            pending.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
        }
    }

    private mutating func emit() {
        onLine?(ProgramOutputLine(stream: stream, text: String(decoding: pending, as: UTF8.self)))
        pending.removeAll(keepingCapacity: true)
    }
}

/// The first and last halves of at most `limit` bytes, with a line saying how many were left out between.
struct CappedBytes {
    private let headLimit: Int
    private let tailLimit: Int
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var leftOut = 0

    init(limit: Int) {
        headLimit = max(0, limit) / 2
        tailLimit = max(0, limit) - headLimit
    }

    /// The line put where bytes were left out.
    static func marker(leftOut: Int) -> String { "\n…[\(leftOut) bytes left out]…\n" }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        let toHead = min(headLimit - head.count, bytes.count)
        head.append(contentsOf: bytes.prefix(toHead))
        tail.append(contentsOf: bytes.dropFirst(toHead))
        // Trimmed in batches so that appending stays linear; the tail holds about twice its limit at most.
        if tail.count > 2 * tailLimit + 65536 { trimTail() }
    }

    /// Everything appended when it fits the limit; otherwise head, marker and tail.
    var bytes: [UInt8] {
        var copy = self
        copy.trimTail()
        guard copy.leftOut > 0 else { return copy.head + copy.tail }
        return copy.head + Array(Self.marker(leftOut: copy.leftOut).utf8) + copy.tail
    }

    private mutating func trimTail() {
        guard tail.count > tailLimit else { return }
        leftOut += tail.count - tailLimit
        tail.removeFirst(tail.count - tailLimit)
    }
}
