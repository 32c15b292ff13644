import Foundation
import UpshiftPostgres
import UpshiftWire

/// `extensions` and `shared-preload-libraries`: what the old cluster loads exists in the new build.
struct ExtensionChecks {
    let old: OldCluster
    let newMajor: Int
    let layout: BuildLayout

    /// Every extension of every connectable database has a control file in the new build.
    func extensions() -> CheckResult {
        let name = "extensions"
        let remedy = "install the missing extensions for PostgreSQL \(newMajor), or drop them from the databases named"
        return CheckResult.guarded(name, remedy: remedy) {
            var databasesOf: [String: [String]] = [:]
            for (database, rows) in try old.queryEachDatabase("select extname from pg_extension order by extname") {
                for extensionName in rows.compactMap({ $0[0] }) { databasesOf[extensionName, default: []].append(database) }
            }
            let names = databasesOf.keys.sorted()
            let missing = names.filter { !layout.hasControlFile($0) }
            guard missing.isEmpty else {
                let named = missing.map { "\($0) (in \(listed(databasesOf[$0]!, limit: 3)))" }
                return .fail(name, "PostgreSQL \(newMajor) has no control file for \(listed(named)) in \(layout.sharedir)/extension",
                             remedy: remedy)
            }
            return .pass(name, "\(counted(names.count, "extension")), all present in PostgreSQL \(newMajor): \(listed(names, limit: 10))")
        }
    }

    /// Each entry of `shared_preload_libraries` has a loadable module in the new build's PKGLIBDIR.
    func sharedPreloadLibraries() -> CheckResult {
        let name = "shared-preload-libraries"
        let remedy = "install the missing libraries for PostgreSQL \(newMajor), or take them out of shared_preload_libraries"
        return CheckResult.guarded(name, remedy: remedy) {
            let setting = try old.value("select current_setting('shared_preload_libraries')") ?? ""
            let entries = Self.listEntries(setting)
            guard !entries.isEmpty else { return .pass(name, "shared_preload_libraries is empty") }
            let missing = entries.filter { layout.module($0) == nil }
            guard missing.isEmpty else {
                return .fail(name, "PostgreSQL \(newMajor) has no module for \(listed(missing)) in \(layout.pkglibdir)",
                             remedy: remedy)
            }
            return .pass(name, "\(listed(entries, limit: 10)): present in \(layout.pkglibdir)")
        }
    }

    /// The entries of a list setting: comma separated, optionally double-quoted.
    static func listEntries(_ setting: String) -> [String] {
        setting.split(separator: ",").map { entry in
            var text = entry.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 { text = String(text.dropFirst().dropLast()) }
            return text
        }.filter { !$0.isEmpty }
    }
}
