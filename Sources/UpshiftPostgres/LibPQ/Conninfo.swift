import Foundation

/// Builds libpq keyword/value strings with values quoted as libpq requires.
public enum Conninfo {
    /// `key='value' …` in key order; quotes and backslashes escaped.
    public static func make(_ values: [String: String]) -> String {
        values.keys.sorted().map { key in
            let value = values[key]!.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            return "\(key)='\(value)'"
        }.joined(separator: " ")
    }
}
