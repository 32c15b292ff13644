/// A PostgreSQL release (10 and later), as `postgres --version` prints it.
public struct PostgresVersion: Comparable, Sendable, CustomStringConvertible {
    /// The major version, e.g. 15.
    public var major: Int
    /// The minor version, e.g. 18 for 15.18; 0 for a beta or release candidate.
    public var minor: Int
    /// The version text after `(PostgreSQL)`, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    public var full: String

    /// Makes a version from its parts.
    public init(major: Int, minor: Int, full: String) {
        self.major = major
        self.minor = minor
        self.full = full
    }

    /// Reads `postgres (PostgreSQL) 15.18 (Debian …)`, `pg_ctl (PostgreSQL) 18.6` or plain `17.10`; nil if none is there.
    public static func parse(_ versionOutput: String) -> PostgresVersion? {
        let line = versionOutput.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let text: Substring
        if let marker = line.range(of: "(PostgreSQL) ") {
            text = line[marker.upperBound...]
        } else {
            text = Substring(line)
        }
        let trimmed = String(text).trimmingWhitespace()
        let numberPart = trimmed.prefix { $0.isNumber || $0 == "." }
        let numbers = numberPart.split(separator: ".").map { Int($0) }
        guard let major = numbers.first ?? nil, major >= 10 else { return nil }
        let minor = numbers.count > 1 ? (numbers[1] ?? 0) : 0
        return PostgresVersion(major: major, minor: minor, full: trimmed)
    }

    public static func < (lhs: PostgresVersion, rhs: PostgresVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public static func == (lhs: PostgresVersion, rhs: PostgresVersion) -> Bool {
        (lhs.major, lhs.minor) == (rhs.major, rhs.minor)
    }

    public var description: String { "\(major).\(minor)" }
}
