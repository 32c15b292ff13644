import Foundation
import UpshiftPostgres
import UpshiftWire

/// Finds the PostgreSQL builds installed on this host, for the hello and for preflight.
public enum PostgresDiscovery {
    /// Bin directories the agent looks in: Debian's layout, the test environment's root, and any extras.
    public static func candidateBindirs(extra: [String] = []) -> [String] {
        var candidates = extra
        let fm = FileManager.default
        for root in ["/usr/lib/postgresql", ProcessInfo.processInfo.environment["UPSHIFT_PG_ROOT"] ?? "/opt/upshift/pg"] {
            let names = (try? fm.contentsOfDirectory(atPath: root)) ?? []
            candidates += names.sorted().map { "\(root)/\($0)/bin" }
        }
        return candidates
    }

    /// Every bin directory among the candidates holding a `postgres` that answers `--version`.
    public static func find(extra: [String] = []) -> [FoundPostgres] {
        var found: [FoundPostgres] = []
        var seen = Set<String>()
        for bindir in candidateBindirs(extra: extra) {
            let real = URL(fileURLWithPath: bindir).resolvingSymlinksInPath().path
            guard FileManager.default.isExecutableFile(atPath: real + "/postgres"), seen.insert(real).inserted else { continue }
            guard let version = try? PostgresBinaries(bindir: bindir).version() else { continue }
            found.append(FoundPostgres(major: version.major, version: version.full, bindir: bindir))
        }
        return found
    }
}
