import Yams

/// Turns Yams' own errors into positioned diagnostics.
enum YAMLDiagnostics {
    static func diagnostic(for error: Error, file: String, text: String) -> PlanDiagnostic {
        func at(_ mark: Position, _ message: String) -> PlanDiagnostic {
            PlanDiagnostic(file: file, line: mark.line, column: mark.column, message: message)
        }
        guard let yamlError = error as? YamlError else { return at(Position(line: 1, column: 1), "invalid YAML: \(error)") }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return at(Position(line: mark.line, column: mark.column), "invalid YAML: \(problem)\(while_)")
        case .reader(let problem, let offset, _, _):
            return at(mark(ofCharacterOffset: offset ?? 0, in: text), "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            if let second = secondKey(key, after: context.mark, in: text) {
                return at(second, "duplicate key '\(key)' (first at line \(context.mark.line))")
            }
            return at(Position(line: context.mark.line, column: context.mark.column), "key '\(key)' appears more than once in this mapping")
        default:
            return at(Position(line: 1, column: 1), "invalid YAML: \(yamlError)")
        }
    }

    private static func mark(ofCharacterOffset offset: Int, in text: String) -> Position {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" { line += 1; column = 1 } else { column += character.unicodeScalars.count }
        }
        return Position(line: line, column: column)
    }

    /// The repeated key's position: Yams only reports the first one, and the user has to fix the second.
    static func secondKey(_ key: String, after first: Mark, in text: String) -> Position? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let keyScalars = Array(key.unicodeScalars)
        func isKey(_ line: [Unicode.Scalar], at index: Int) -> Bool {
            guard index >= 0, index + keyScalars.count <= line.count,
                  Array(line[index..<index + keyScalars.count]) == keyScalars else { return false }
            let rest = line[(index + keyScalars.count)...].drop { $0 == " " }
            return rest.first == ":"
        }
        // Flow mapping: the repeat follows on the same line after a ',' or '{'.
        let firstLine = lines[first.line - 1]
        var index = first.column - 1 + keyScalars.count
        while index < firstLine.count {
            let before = firstLine[..<index].reversed().drop { $0 == " " }.first
            if (before == "," || before == "{"), isKey(firstLine, at: index) {
                return Position(line: first.line, column: index + 1)
            }
            index += 1
        }
        // Block mapping: siblings share the first key's column; a shallower line ends the mapping.
        for lineIndex in first.line..<lines.count {
            let line = lines[lineIndex]
            guard let indent = line.firstIndex(where: { $0 != " " }), line[indent] != "#" else { continue }
            if indent < first.column - 1 { return nil }
            if indent == first.column - 1, isKey(line, at: indent) { return Position(line: lineIndex + 1, column: indent + 1) }
        }
        return nil
    }
}
