/// A program's output lacked what the parser needs (a changed format, a localized message).
public struct OutputParseError: Error, CustomStringConvertible, Sendable {
    /// The program whose output it was.
    public var program: String
    /// What was missing or unreadable.
    public var message: String

    /// Names the program and what was wrong.
    public init(program: String, message: String) {
        self.program = program
        self.message = message
    }

    public var description: String { "\(program): \(message)" }
}
