import Foundation

/// An append-only file of JSON lines, each on disk (fsync) before `append` returns: what the coordinator's
/// and the agents' journals are written with.
public final class JSONLinesFile: @unchecked Sendable {
    /// The file.
    public let path: String
    private let handle: FileHandle
    private let encoder: JSONEncoder
    private let lock = NSLock()

    /// Opens `path` for appending, creating it with `permissions` when it does not exist.
    public init(path: String, permissions: Int) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path),
           !FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: permissions]) {
            throw JSONLinesError(path: path, message: "cannot create the file")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw JSONLinesError(path: path, message: "cannot open the file for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
        encoder = WireJSON.makeEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit { try? handle.close() }

    /// Appends one value as a line and, when `durable` (the default), waits until it is on disk. A line written
    /// without waiting reaches the disk with the next durable one (fsync covers the whole file) or later.
    public func append<Value: Encodable>(_ value: Value, durable: Bool = true) throws {
        var line = try encoder.encode(value)
        line.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        do {
            try handle.write(contentsOf: line)
            if durable { try handle.synchronize() }
        } catch {
            throw JSONLinesError(path: path, message: "write failed: \(error)")
        }
    }
}

/// A JSON-lines file that cannot be written.
public struct JSONLinesError: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What went wrong.
    public var message: String
    public var description: String { "\(path): \(message)" }
}
