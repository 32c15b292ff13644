import Testing
import UpshiftPostgres

@Suite struct ArgumentBuilderTests {
    @Test func initdbChecksumFlagsFollowTheServerVersion() {
        var options = InitDBOptions(pgdata: "/d", encoding: "UTF8", locale: "C.UTF-8", localeProvider: "libc",
                                    dataChecksums: false, walSegmentSizeMB: 64, username: "postgres")
        #expect(options.arguments(major: 18) == ["-D", "/d", "--encoding", "UTF8", "--locale", "C.UTF-8",
                                                 "--locale-provider", "libc", "--no-data-checksums",
                                                 "--wal-segsize", "64", "--username", "postgres"])
        #expect(!options.arguments(major: 17).contains("--no-data-checksums"))
        options.dataChecksums = true
        #expect(options.arguments(major: 15).contains("--data-checksums"))
    }

    @Test func pgUpgradeArguments() {
        let options = PgUpgradeOptions(oldBindir: "/o/bin", newBindir: "/n/bin", oldDatadir: "/o/d", newDatadir: "/n/d",
                                       mode: .swap, jobs: 4, check: true, oldPort: 50432, newPort: 50433,
                                       username: "postgres", socketDir: "/tmp/s")
        #expect(options.arguments == ["-b", "/o/bin", "-B", "/n/bin", "-d", "/o/d", "-D", "/n/d", "--swap",
                                      "--jobs", "4", "--check", "-p", "50432", "-P", "50433", "-U", "postgres",
                                      "--socketdir", "/tmp/s"])
        let invocation = options.invocation(workingDirectory: "/tmp/w")
        #expect(invocation.executable == "/n/bin/pg_upgrade" && invocation.currentDirectory == "/tmp/w")
        for mode in TransferMode.allCases {
            var each = options
            each.mode = mode
            #expect(each.arguments.contains("--\(mode.rawValue)"))
        }
        var syncfs = options
        syncfs.syncMethod = "syncfs"
        #expect(syncfs.arguments.last == "--sync-method=syncfs")
    }

    @Test func pgCtlQuotesServerOptionsForItsShell() {
        let start = PgCtl(PostgresBinaries(bindir: "/b/"), pgdata: "/d")
            .start(logFile: "/l", serverOptions: ["-c", "unix_socket_directories=/tmp/a b", "-c", "x='y'"])
        #expect(start.executable == "/b/pg_ctl")
        #expect(start.arguments.suffix(2) == ["-o", #"'-c' 'unix_socket_directories=/tmp/a b' '-c' 'x='\''y'\'''"#])
        #expect(start.arguments.contains("-w"))
        #expect(PgCtl(PostgresBinaries(bindir: "/b"), pgdata: "/d").stop(mode: .immediate).arguments.suffix(2)
            == ["-m", "immediate"])
    }

    @Test func rsyncDefaultsAreTheStandbyProcedure() {
        let options = RsyncOptions(sources: ["/pg/15/main", "/pg/17/main"], destination: "/pg", excludes: ["main/pg_wal/*"])
        #expect(options.arguments == ["--archive", "--delete", "--hard-links", "--size-only", "--no-inc-recursive",
                                      "--exclude=main/pg_wal/*", "--info=progress2", "--stats",
                                      "/pg/15/main", "/pg/17/main", "/pg"])
    }

    @Test func clientProgramsGetHostPortUserNeverAPassword() {
        let target = ConnectionTarget(host: "/tmp/s", port: 5433, user: "postgres", database: "shop")
        let vacuum = VacuumDB.analyzeInStages(PostgresBinaries(bindir: "/b"), target: target, jobs: 2)
        #expect(vacuum.arguments == ["-h", "/tmp/s", "-p", "5433", "-U", "postgres", "--all", "--analyze-in-stages",
                                     "--maintenance-db", "shop", "--jobs", "2"])
        let backup = BasebackupOptions(source: target, pgdata: "/s", slot: "standby1", createSlot: true)
        #expect(backup.arguments == ["-h", "/tmp/s", "-p", "5433", "-U", "postgres", "-D", "/s", "-F", "p", "-R",
                                     "-c", "fast", "-X", "stream", "-S", "standby1", "-C", "-P"])
        let dump = PgDump.schemaOnly(PostgresBinaries(bindir: "/b"), source: target, database: "shop", file: "/f")
        #expect(dump.arguments.suffix(5) == ["--schema-only", "--format=custom", "--file", "/f", "shop"])
        let restore = PgDump.restore(PostgresBinaries(bindir: "/b"), target: target, database: "scratch", file: "/f")
        #expect(restore.arguments.suffix(5) == ["--exit-on-error", "--dbname", "scratch", "--schema-only", "/f"])
    }
}
