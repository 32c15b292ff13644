/// One line a program printed, split at `\n` or `\r` (rsync redraws its progress with `\r`).
public struct ProgramOutputLine: Sendable, Equatable {
    /// Which stream a line came from.
    public enum Stream: Sendable { case stdout, stderr }
    /// The stream it came from.
    public var stream: Stream
    /// The line without its terminator.
    public var text: String
    /// False for the start of a line not yet ended (pg_upgrade prints a step's name, works, then `ok`);
    /// the whole line follows later with `isComplete` true.
    public var isComplete: Bool

    /// Makes a line.
    public init(stream: Stream, text: String, isComplete: Bool = true) {
        self.stream = stream
        self.text = text
        self.isComplete = isComplete
    }
}

/// How a program ended and what it printed.
public struct ProgramResult: Sendable {
    /// The program's path as it was run.
    public var executable: String
    /// Its arguments.
    public var arguments: [String]
    /// The exit status; 128 + N when killed by signal N.
    public var status: Int32
    /// Everything it printed on stdout.
    public var stdout: String
    /// Everything it printed on stderr.
    public var stderr: String
    /// Wall-clock time from start to exit.
    public var duration: Duration

    /// Whether the program exited with status 0.
    public var succeeded: Bool { status == 0 }

    /// Returns self when the program succeeded, or throws a ProgramError naming it.
    @discardableResult
    public func requireSuccess() throws -> ProgramResult {
        guard succeeded else { throw ProgramError(result: self) }
        return self
    }
}

/// A program that could not start or that failed; names the program, its arguments, status, last stderr lines.
public struct ProgramError: Error, CustomStringConvertible, Sendable {
    /// The program's path.
    public var executable: String
    /// Its arguments, with passwords in connection strings masked.
    public var arguments: [String]
    /// The exit status; nil when it could not be started.
    public var status: Int32?
    /// The last lines of stderr (or of stdout when stderr was empty), or why it could not start.
    public var lastLines: [String]

    /// Describes a failed run.
    public init(result: ProgramResult, lineCount: Int = 5) {
        executable = result.executable
        arguments = result.arguments.map(redactSecrets)
        status = result.status
        let stream = result.stderr.trimmingWhitespace().isEmpty ? result.stdout : result.stderr
        lastLines = Array(stream.split(whereSeparator: \.isNewline).map(String.init).suffix(lineCount))
    }

    /// Describes a program that could not be started.
    public init(executable: String, arguments: [String], launchFailure: String) {
        self.executable = executable
        self.arguments = arguments.map(redactSecrets)
        status = nil
        lastLines = [launchFailure]
    }

    public var description: String {
        let name = executable.split(separator: "/").last.map(String.init) ?? executable
        let what = status.map { "exited with status \($0)" } ?? "could not be started"
        let tail = lastLines.isEmpty ? "" : ": " + lastLines.joined(separator: " | ")
        return "\(name) \(what)\(tail) (\(([executable] + arguments).joined(separator: " ")))"
    }
}

/// Masks `password=…` in conninfo strings and the password of `scheme://user:password@host` URIs.
func redactSecrets(_ argument: String) -> String {
    var text = argument
    if let range = text.range(of: "password=") {
        let end = text[range.upperBound...].firstIndex(where: { $0 == " " }) ?? text.endIndex
        text.replaceSubrange(range.upperBound..<end, with: "***")
    }
    if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
       let colon = text[scheme.upperBound..<at].firstIndex(of: ":") {
        text.replaceSubrange(text.index(after: colon)..<at, with: "***")
    }
    return text
}
