/// `${VAR}` expansion of plan scalars; `$${` stands for a literal `${`.
enum Expansion {
    /// Why a scalar could not be expanded.
    enum Problem: Equatable {
        case unset(String)
        case badName(String)
        case unterminated
    }

    /// The expanded text and every problem found in it (the text is only meaningful without problems).
    static func expand(_ text: String, environment: [String: String]) -> (text: String, problems: [Problem]) {
        var output = ""
        var problems: [Problem] = []
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let after = rest[dollar...]
            if after.hasPrefix("$${") {
                output += "${"
                rest = after.dropFirst(3)
            } else if after.hasPrefix("${") {
                let body = after.dropFirst(2)
                guard let close = body.firstIndex(of: "}") else {
                    problems.append(.unterminated)
                    rest = ""
                    break
                }
                let name = String(body[..<close])
                if !isValidName(name) {
                    problems.append(.badName(name))
                } else if let value = environment[name] {
                    output += value
                } else {
                    problems.append(.unset(name))
                }
                rest = body[body.index(after: close)...]
            } else {
                output += "$"
                rest = after.dropFirst()
            }
        }
        output += rest
        return (output, problems)
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || isASCIILetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isASCIILetter($0) || ("0"..."9").contains($0) }
    }

    private static func isASCIILetter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c)
    }
}

extension Expansion.Problem {
    var message: String {
        switch self {
        case .unset(let name): return "environment variable '\(name)' is not set"
        case .badName(let name): return "'${\(name)}' is not a valid variable name (write '$${' for a literal '${')"
        case .unterminated: return "unterminated '${' (write '$${' for a literal '${')"
        }
    }
}

extension Unicode.Scalar {
    /// ASCII letter, digit or '-': what plan names and step ids are made of.
    var isNameCharacter: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self) || self == "-"
    }
}
