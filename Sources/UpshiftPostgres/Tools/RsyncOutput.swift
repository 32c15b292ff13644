import Foundation

/// One `--info=progress2` line: `   900,003 100%  827.06MB/s    0:00:00 (xfr#4, to-chk=0/6)`.
public struct RsyncProgress: Sendable, Equatable {
    /// Bytes sent so far.
    public var bytes: Int64
    /// Percent of the total size; with --hard-links it can end below 100 (linked bytes are counted
    /// in the total, never sent): `filesRemaining == 0` is the sign of completion.
    public var percent: Int
    /// The rate as rsync prints it, e.g. `827.06MB/s`.
    public var rate: String
    /// Files transferred so far (`xfr#N`), when printed.
    public var filesTransferred: Int?
    /// Files still to check (`to-chk=R/T`, or `ir-chk` while the incremental file list grows), when printed.
    public var filesRemaining: Int?
    /// The total number of files in the list, when printed.
    public var filesTotal: Int?
}

/// `--stats` totals.
public struct RsyncStats: Sendable, Equatable {
    /// `Number of files` (regular files, directories, links, …).
    public var files: Int
    /// The breakdown in parentheses, e.g. `["reg": 4, "dir": 2]`.
    public var filesByKind: [String: Int]
    /// `Number of regular files transferred`.
    public var regularFilesTransferred: Int
    /// `Total file size` in bytes.
    public var totalFileSize: Int64
    /// `Total transferred file size` in bytes.
    public var transferredFileSize: Int64
}

/// Reads rsync's progress and statistics.
public enum RsyncOutput {
    /// Parses one progress2 line (a `\r`-separated piece of rsync's stdout); nil for anything else.
    public static func progress(of line: String) -> RsyncProgress? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 4, words[1].hasSuffix("%"),
              let bytes = Int64(words[0].filter { $0 != "," }),
              let percent = Int(words[1].dropLast()),
              words[2].hasSuffix("/s") else { return nil }
        var progress = RsyncProgress(bytes: bytes, percent: percent, rate: String(words[2]))
        if let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close {
            for item in line[line.index(after: open)..<close].split(separator: ",") {
                let part = item.trimmingWhitespace()
                if part.hasPrefix("xfr#") {
                    progress.filesTransferred = Int(part.dropFirst(4))
                } else if let eq = part.firstIndex(of: "="), ["to-chk", "ir-chk"].contains(String(part[..<eq])) {
                    let counts = part[part.index(after: eq)...].split(separator: "/")
                    if counts.count == 2 {
                        progress.filesRemaining = Int(counts[0])
                        progress.filesTotal = Int(counts[1])
                    }
                }
            }
        }
        return progress
    }

    /// Parses the `--stats` block of rsync's whole stdout.
    public static func stats(in output: String) throws -> RsyncStats {
        var values: [String: String] = [:]
        for line in output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            values[line[..<colon].trimmingWhitespace()] = line[line.index(after: colon)...].trimmingWhitespace()
        }
        func number(_ key: String) throws -> Int64 {
            guard let text = values[key],
                  let value = Int64(text.prefix { $0.isNumber || $0 == "," }.filter { $0 != "," }) else {
                throw OutputParseError(program: "rsync --stats", message: "no \"\(key)\" line")
            }
            return value
        }
        var kinds: [String: Int] = [:]
        if let text = values["Number of files"], let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") {
            for item in text[text.index(after: open)..<close].components(separatedBy: ", ") {
                let pair = item.split(separator: ":").map { $0.trimmingWhitespace() }
                if pair.count == 2, let count = Int(pair[1].filter { $0 != "," }) { kinds[pair[0]] = count }
            }
        }
        return RsyncStats(files: Int(try number("Number of files")), filesByKind: kinds,
                          regularFilesTransferred: Int(try number("Number of regular files transferred")),
                          totalFileSize: try number("Total file size"),
                          transferredFileSize: try number("Total transferred file size"))
    }
}
