import Foundation
import Testing
@testable import UpshiftPostgres

@Suite struct ProgramRunnerTests {
    @Test func capturesBothStreamsStatusAndLinesInOrder() throws {
        var lines: [ProgramOutputLine] = []
        let result = try ProgramRunner.run("/bin/sh", ["-c", "echo one; echo two >&2; printf 'a\\rb\\r\\nc'; exit 3"]) {
            if $0.isComplete { lines.append($0) }
        }
        #expect(result.status == 3)
        #expect(!result.succeeded)
        #expect(result.stdout == "one\na\rb\r\nc")
        #expect(result.stderr == "two\n")
        #expect(lines.filter { $0.stream == .stdout }.map(\.text) == ["one", "a", "b", "c"])
        #expect(lines.filter { $0.stream == .stderr }.map(\.text) == ["two"])
        #expect(result.duration < .seconds(5))
    }

    @Test func mergesEnvironmentAndRunsInTheGivenDirectory() throws {
        let result = try ProgramRunner.run("/bin/sh", ["-c", "echo \"$UPSHIFT_X:$PATH\"; pwd"],
                                           environment: ["UPSHIFT_X": "42"], currentDirectory: "/usr")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("42:") == true)
        #expect(lines.first?.contains("/bin") == true, "PATH is inherited")
        #expect(lines.last == "/usr")
    }

    @Test func argumentsReachTheProgramUnsplitAndUnexpanded() throws {
        let result = try ProgramRunner.run("printf", ["%s|", "a b", "$HOME", "*"])
        #expect(result.stdout == "a b|$HOME|*|")
    }

    @Test func reportsSignalDeathAs128PlusSignal() throws {
        let result = try ProgramRunner.run("/bin/sh", ["-c", "kill -9 $$"])
        #expect(result.status == 128 + 9)
    }

    @Test func aDaemonHoldingThePipesDoesNotBlockTheRun() throws {
        // Like `pg_ctl start` without -l: the child exits, its background child keeps stdout open.
        let started = ContinuousClock.now
        let result = try ProgramRunner.run("/bin/sh", ["-c", "sleep 3 & echo started"])
        #expect(result.succeeded)
        #expect(result.stdout == "started\n")
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func childrenDoNotInheritOurDescriptors() throws {
        let leaked = open("/etc/hostname", O_RDONLY)  // deliberately not close-on-exec
        defer { close(leaked) }
        let result = try ProgramRunner.run("/bin/ls", ["/proc/self/fd"])
        let fds = result.stdout.split(separator: "\n").compactMap { Int($0) }
        #expect(!fds.contains(Int(leaked)))
        #expect(fds.contains(0) && fds.contains(1) && fds.contains(2))
    }

    @Test func aMissingProgramThrowsNamingIt() throws {
        let error = #expect(throws: ProgramError.self) {
            try ProgramRunner.run("/nonexistent/pg_ctl", ["status"])
        }
        #expect(error?.status == nil)
        #expect(error?.description.contains("/nonexistent/pg_ctl") == true)
    }

    @Test func requireSuccessThrowsWithLastStderrLinesAndNoPassword() throws {
        let result = try ProgramRunner.run("/bin/sh", ["-c", "echo boom >&2; exit 2", "host=x password=hunter2"])
        let error = #expect(throws: ProgramError.self) { try result.requireSuccess() }
        #expect(error?.status == 2)
        #expect(error?.lastLines == ["boom"])
        #expect(error?.description.contains("sh exited with status 2: boom") == true)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func redactsURIPasswords() {
        #expect(redactSecrets("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db")
        #expect(redactSecrets("host=h password=s3cret dbname=d") == "host=h password=*** dbname=d")
        #expect(redactSecrets("-D/tmp/x") == "-D/tmp/x")
    }

    @Test func partialLinesAnnounceAStepBeforeItEnds() throws {
        var events: [(String, Bool)] = []
        _ = try ProgramRunner.run("/bin/sh", ["-c", "printf 'Linking files   '; sleep 0.5; echo ok"]) {
            events.append(($0.text, $0.isComplete))
        }
        #expect(events.first.map { $0.0 == "Linking files   " && !$0.1 } == true)
        #expect(events.last.map { $0.0 == "Linking files   ok" && $0.1 } == true)
    }
}
