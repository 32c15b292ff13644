import Foundation

/// Connection strings as they may be shown: passwords are never written to a journal, a log or a report.
public enum Redaction {
    /// `conninfo` with every password replaced by `***`: `password=…` in key/value form (quoted values
    /// with spaces and escaped quotes included) and the password part of a `postgresql://user:pw@host` URI.
    public static func conninfo(_ conninfo: String) -> String {
        if conninfo.contains("://") {
            return conninfo.replacingOccurrences(of: #"(://[^:/@\s]*):[^@\s]*@"#, with: "$1:***@", options: .regularExpression)
                .replacingOccurrences(of: #"([?&]password=)[^&\s]*"#, with: "$1***", options: .regularExpression)
        }
        return conninfo.replacingOccurrences(of: #"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']+)"#, with: "$1***",
                                             options: [.regularExpression, .caseInsensitive])
    }

    /// True when a plan variable holds a secret: a word of its name says so (`PROBE_PASSWORD`, `API_TOKEN`,
    /// `PGPASSWORD`) or its value is a conninfo with a password in it.
    public static func isSecret(variable name: String, value: String) -> Bool {
        let words = name.uppercased().split(separator: "_")
        return words.contains { secretWords.contains(String($0)) } || conninfo(value) != value
    }

    /// What may be kept on disk of a secret variable: a conninfo without its password, else `***`.
    public static func keptValue(of value: String) -> String {
        let redacted = conninfo(value)
        return redacted != value ? redacted : "***"
    }

    private static let secretWords: Set<String> = ["PASSWORD", "PGPASSWORD", "PASSWD", "PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "CREDENTIALS"]
}
