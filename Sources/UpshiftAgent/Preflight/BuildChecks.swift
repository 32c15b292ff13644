import Foundation
import UpshiftPostgres
import UpshiftWire

/// `old-bindir` / `new-bindir`: the plan's bindir holds a `postgres` of the plan's major version that the
/// servers' OS user can run.
func bindirCheck(_ name: String, bindir: String, major: Int, planKey: String, launcher: ProgramLauncher) -> CheckResult {
    let remedy = "postgres.\(planKey).bindir must hold PostgreSQL \(major), runnable by the servers' OS user"
    return CheckResult.guarded(name, remedy: remedy) {
        let binaries = PostgresBinaries(bindir: bindir)
        guard binaries.has("postgres") else {
            return .fail(name, "\(bindir)/postgres does not exist or is not executable", remedy: remedy)
        }
        let version = try binaries.version(launcher: launcher)
        guard version.major == major else {
            return .fail(name, "\(bindir) holds PostgreSQL \(version.full), the plan says \(major)", remedy: remedy)
        }
        return .pass(name, "\(bindir): PostgreSQL \(version.full)")
    }
}

/// Where a build keeps its extension control files (SHAREDIR/extension) and loadable modules (PKGLIBDIR).
struct BuildLayout {
    let sharedir: String
    let pkglibdir: String

    /// Asks the build's `pg_config`; a build without one is read as a relocatable install
    /// (`BINDIR/../share`, `BINDIR/../lib`) when plpgsql, which every build ships, is found there.
    static func of(_ binaries: PostgresBinaries, launcher: ProgramLauncher) throws -> BuildLayout {
        if binaries.has("pg_config") {
            let result = try launcher.run(ProgramInvocation(binaries.path("pg_config"), ["--sharedir", "--pkglibdir"]))
                .requireSuccess()
            let lines = result.stdout.split(whereSeparator: \.isNewline).map(String.init)
            guard lines.count == 2 else {
                throw AgentError("\(binaries.path("pg_config")) --sharedir --pkglibdir printed \(lines.count) lines, not 2")
            }
            return BuildLayout(sharedir: lines[0], pkglibdir: lines[1])
        }
        let layout = BuildLayout(sharedir: binaries.bindir + "/../share", pkglibdir: binaries.bindir + "/../lib")
        guard layout.hasControlFile("plpgsql"), layout.module("plpgsql") != nil else {
            throw AgentError("\(binaries.bindir) has no pg_config and no share/extension/plpgsql.control beside it")
        }
        return layout
    }

    func controlFile(_ extensionName: String) -> String {
        "\(sharedir)/extension/\(extensionName).control"
    }

    func hasControlFile(_ extensionName: String) -> Bool {
        fileExists(controlFile(extensionName))
    }

    /// The file the server would load for a `shared_preload_libraries` entry, if it exists; the server
    /// expands `$libdir` and tries the name with `.so` added.
    func module(_ entry: String) -> String? {
        let path = entry.contains("/")
            ? entry.replacingOccurrences(of: "$libdir", with: pkglibdir)
            : "\(pkglibdir)/\(entry)"
        return [path, path + ".so"].first(where: fileExists)
    }
}

private func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}
