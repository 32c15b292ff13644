import Foundation

/// What clients saw during a run, folded from the probe's samples.
public struct DowntimeFigures: Codable, Sendable, Equatable {
    /// From the first write that failed or stalled to the first write that succeeded on the new version
    /// (or, when the run did not reach the new version, the first write that succeeded again).
    public var writeMS: Int?
    /// When the write window opened and closed.
    public var writeWindowFrom: Date?
    public var writeWindowTo: Date?
    /// False when writes had not come back by the time the probe stopped (`writeMS` is then a lower bound).
    public var writesRecovered: Bool
    /// Total time reads were failing, summed over every outage of the read endpoint.
    public var readMS: Int
    /// The read outages, in order.
    public var readWindows: [Window]
    /// Write transactions that failed (a client would have seen an error).
    public var failedTransactions: Int
    /// Reads that failed.
    public var failedReads: Int
    /// Requests made.
    public var writes: Int
    public var reads: Int
    /// The longest time between two successful writes, and between two successful reads.
    public var longestWriteStallMS: Int
    public var longestReadStallMS: Int
    /// Successful reads answered by a standby, and by a primary.
    public var readsFromStandby: Int
    public var readsFromPrimary: Int
    /// Successful writes on the new major version.
    public var writesOnNewVersion: Int

    /// A span of time.
    public struct Window: Codable, Sendable, Equatable {
        public var from: Date
        public var to: Date
        public var ms: Int { Int((to.timeIntervalSince(from) * 1000).rounded()) }

        enum CodingKeys: String, CodingKey { case from, to }
    }

    enum CodingKeys: String, CodingKey {
        case writeMS = "write_ms", writeWindowFrom = "write_window_from", writeWindowTo = "write_window_to"
        case writesRecovered = "writes_recovered", readMS = "read_ms", readWindows = "read_windows"
        case failedTransactions = "failed_transactions", failedReads = "failed_reads", writes, reads
        case longestWriteStallMS = "longest_write_stall_ms", longestReadStallMS = "longest_read_stall_ms"
        case readsFromStandby = "reads_from_standby", readsFromPrimary = "reads_from_primary"
        case writesOnNewVersion = "writes_on_new_version"
    }

    /// A write slower than this counts as stalled (a client waited, for example behind a paused PgBouncer).
    public static let stallMS = 1000.0

    /// Folds samples into figures; `newMajor` is the version the run upgrades to.
    public init(samples: [ProbeSample], newMajor: Int?) {
        let writes = samples.filter { $0.kind == .write }.sorted { $0.startedAt < $1.startedAt }
        let reads = samples.filter { $0.kind == .read }.sorted { $0.startedAt < $1.startedAt }
        self.writes = writes.count
        self.reads = reads.count
        failedTransactions = writes.filter { !$0.ok }.count
        failedReads = reads.filter { !$0.ok }.count
        readsFromStandby = reads.filter { $0.ok && $0.standby == true }.count
        readsFromPrimary = reads.filter { $0.ok && $0.standby == false }.count
        writesOnNewVersion = writes.filter { $0.ok && newMajor != nil && $0.major == newMajor }.count
        longestWriteStallMS = Self.longestGap(writes)
        longestReadStallMS = Self.longestGap(reads)

        let disturbed = { (s: ProbeSample) in !s.ok || s.latencyMS >= Self.stallMS }
        writesRecovered = true
        if let firstNew = writes.firstIndex(where: { $0.ok && newMajor != nil && $0.major == newMajor }) {
            // The window opens with the first request after the last clean write on the old version.
            let lastOldClean = writes[..<firstNew].lastIndex { $0.ok && $0.major != newMajor && !disturbed($0) }
            let opening = writes[(lastOldClean.map { $0 + 1 } ?? 0)]
            writeWindowFrom = opening.startedAt
            writeWindowTo = writes[firstNew].finishedAt
        } else if let first = writes.firstIndex(where: disturbed) {
            writeWindowFrom = writes[first].startedAt
            if let back = writes[(first + 1)...].first(where: { $0.ok && !disturbed($0) }) {
                writeWindowTo = back.finishedAt
            } else {
                writeWindowTo = writes.last?.finishedAt
                writesRecovered = false
            }
        }
        if let from = writeWindowFrom, let to = writeWindowTo {
            writeMS = Int((to.timeIntervalSince(from) * 1000).rounded())
        } else {
            writeMS = writes.isEmpty ? nil : 0
        }

        var windows: [Window] = []
        var outageStart: Date?
        for read in reads {
            if !read.ok {
                if outageStart == nil { outageStart = read.startedAt }
            } else if let start = outageStart {
                windows.append(Window(from: start, to: read.finishedAt))
                outageStart = nil
            }
        }
        if let start = outageStart, let last = reads.last { windows.append(Window(from: start, to: last.finishedAt)) }
        readWindows = windows
        readMS = windows.map(\.ms).reduce(0, +)
    }

    private static func longestGap(_ samples: [ProbeSample]) -> Int {
        let done = samples.filter(\.ok).map(\.finishedAt).sorted()
        guard done.count > 1 else { return 0 }
        let gap = zip(done, done.dropFirst()).map { $1.timeIntervalSince($0) }.max() ?? 0
        return Int((gap * 1000).rounded())
    }
}
