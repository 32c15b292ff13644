/// One problem found in a plan file, at a 1-based line and column.
public struct PlanDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The plan file's path as the user gave it.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column (in Unicode scalars, as libyaml counts).
    public var column: Int
    /// What is wrong, in one line.
    public var message: String

    /// Creates a diagnostic.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COL: message`.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found in a plan file, sorted by position; thrown by `PlanLoader`.
public struct PlanErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, sorted by line then column.
    public var diagnostics: [PlanDiagnostic]

    /// Sorts the diagnostics by position (stable for equal positions).
    public init(_ diagnostics: [PlanDiagnostic]) {
        self.diagnostics = diagnostics.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }

    /// One `FILE:LINE:COL: message` per line.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
