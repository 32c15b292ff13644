import Foundation
import Testing
@testable import UpshiftAgent
import UpshiftPostgres

/// The preflight's readings of program output and settings, on text captured from the real programs.
@Suite struct PreflightParsingTests {
    /// pg_upgrade pads each step's name to 62 columns, then prints how it ended.
    func step(_ name: String, _ outcome: String = "") -> String {
        name.padding(toLength: 62, withPad: " ", startingAt: 0) + outcome
    }

    @Test func aFatalStepPointsAtTheLinesOfItsListFile() throws {
        let list = NSTemporaryDirectory() + "loadable-\(UUID().uuidString).txt"
        try "could not load library \"$libdir/pgcrypto\"\nIn database: shop\n".write(toFile: list, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: list) }
        let report = UpgradeCheckReport(stdout: [
            "Performing Consistency Checks on Old Live Server", "------------------------------------------------",
            step("Checking cluster versions", "ok"), step("Checking for presence of required libraries", "fatal"), "",
            "Your installation references loadable libraries that are missing from the",
            "new installation.  You can add these libraries to the new installation,",
            "problem libraries is in the file:", "    \(list)", "Failure, exiting",
        ].joined(separator: "\n"))
        #expect(!report.compatible)
        #expect(report.passedSteps == 1)
        let name = list.split(separator: "/").last!
        #expect(report.failureSummary == "Checking for presence of required libraries: fatal — Your installation references "
            + "loadable libraries that are missing from the new installation. [\(name): could not load library \"$libdir/pgcrypto\" | In database: shop]")
    }

    @Test func aStepCutShortByPgFatalIsTheFailure() {
        let report = UpgradeCheckReport(stdout: [
            step("Checking database connection settings", "ok"), step("Checking for prepared transactions"),
            "The source cluster contains prepared transactions", "Failure, exiting",
        ].joined(separator: "\n"))
        #expect(report.failureSummary == "Checking for prepared transactions: fatal — The source cluster contains prepared transactions")
    }

    @Test func noticesOfACompatibleCheckAreNotFailures() {
        let report = UpgradeCheckReport(stdout: [
            step("Checking for extension updates", "notice"), "",
            // The prose after a notice is not a step.
            "Your installation contains extensions that should be updated with the ALTER EXTENSION command.",
            step("Checking for new cluster tablespace directories", "ok"), "", "*Clusters are compatible*",
        ].joined(separator: "\n"))
        #expect(report.compatible)
        #expect(report.failureSummary == nil)
        #expect(report.noteworthy.map(\.outcome) == ["notice"])
        #expect(report.passedSteps == 1)
    }

    @Test func initdbGetsSeparateCollateAndCtypeAndTheIcuLocale() {
        let settings = ClusterSettings(encoding: "UTF8", collate: "C", ctype: "C.UTF-8", localeProvider: "icu",
                                       providerLocale: "und", icuRules: nil, dataChecksums: true,
                                       walSegmentBytes: 64 << 20, installUser: "admin")
        #expect(settings.initDBOptions(pgdata: "/n", newMajor: 17).arguments(major: 17) == [
            "-D", "/n", "--encoding", "UTF8", "--locale-provider", "icu", "--data-checksums", "--wal-segsize", "64",
            "--username", "admin", "--lc-collate", "C", "--lc-ctype", "C.UTF-8", "--icu-locale", "und",
        ])
    }

    @Test func preloadListsAreSplitAndUnquoted() {
        #expect(ExtensionChecks.listEntries(" pg_stat_statements, \"$libdir/plugins/x\" ,,auto_explain") ==
            ["pg_stat_statements", "$libdir/plugins/x", "auto_explain"])
        #expect(ExtensionChecks.listEntries("").isEmpty)
    }

    @Test func clientErrorsKeepTheStatementThatFailed() {
        let stderr = """
            pg_restore: error: could not execute query: ERROR:  unrecognized parameter "pg_attver"
            Command was: CREATE TABLE public.t (
                id integer
            );
            ALTER TABLE ONLY public.t ALTER COLUMN id SET (pg_attver=1);

            pg_restore: warning: errors ignored on restore: 1
            """
        #expect(firstError(stderr) == "could not execute query: ERROR: unrecognized parameter \"pg_attver\" "
            + "(Command was: CREATE TABLE public.t ( id integer ); ALTER TABLE ONLY public.t ALTER COLUMN id SET (pg_attver=1);)")
    }
}
