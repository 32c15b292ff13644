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
}
