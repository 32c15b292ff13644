import Foundation
import Testing
@testable import UpshiftCoordinator

struct JournalTests {
    @Test func recordsSurviveAReadBackWithMillisecondsAndThePlanHash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try RunJournal(path: dir + "/journal.jsonl", runID: "r1", planSHA256: "cafe")
        let when = Date(timeIntervalSince1970: 1_700_000_000.123)
        try journal.append(JournalRecord(kind: .stepStarted, step: "seed", host: "db1", at: when))
        try journal.append(JournalRecord(kind: .stepFinished, step: "seed", host: "db1", durationMS: 42))
        let records = try RunJournal.read(path: dir + "/journal.jsonl")
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.plan == "cafe" && $0.run == "r1" })
        #expect(abs(records[0].at!.timeIntervalSince1970 - 1_700_000_000.123) < 0.0005)
        #expect(records[1].durationMS == 42)
    }

    @Test func aTornLastLineFromACrashIsIgnored() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("torn-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try RunJournal(path: path, runID: "r", planSHA256: "p")
        try journal.append(JournalRecord(kind: .runStarted))
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(#"{"kind":"step.sta"#.utf8))
        try handle.close()
        #expect(try RunJournal.read(path: path).map(\.kind) == [JournalKind.runStarted])
    }

    @Test func theSummaryFoldsStepsPerHost() {
        let records = [
            JournalRecord(kind: .runStarted),
            JournalRecord(kind: .stepRequested, step: "a", message: "db1,db2"),
            JournalRecord(kind: .stepStarted, step: "a", host: "db1"),
            JournalRecord(kind: .stepFinished, step: "a", host: "db1", durationMS: 10),
            JournalRecord(kind: .stepStarted, step: "a", host: "db2"),
        ]
        let summary = RunSummary(planName: "p", records: records)
        #expect(summary.result == "running")
        #expect(summary.steps.map(\.status) == ["done", "running"])
        #expect(summary.completedStepIDs.isEmpty)
    }

    /// A flood of progress (rsync reports every few files) becomes a few lines per host and step, none waited
    /// for, and the latest value of each is in the file before the step's end.
    @Test func progressIsCoalescedAndItsLatestValueLandsBeforeTheStepEnds() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("progress-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try RunJournal(path: path, runID: "r", planSHA256: "p")
        try journal.append(JournalRecord(kind: .stepStarted, step: "sync-standbys", host: "db2"))
        for done in 1...2000 {
            for host in ["db2", "db3"] {
                try journal.append(JournalRecord(kind: .stepProgress, step: "sync-standbys", host: host, done: Double(done), total: 2000, unit: "files"))
            }
        }
        try journal.append(JournalRecord(kind: .stepFinished, step: "sync-standbys", host: "db2", durationMS: 1))
        try journal.append(JournalRecord(kind: .runFinished, outcome: .done))

        let records = try RunJournal.read(path: path)
        let progress = records.filter { $0.kind == .stepProgress }
        #expect(progress.count >= 2 && progress.count < 100, "\(progress.count) progress lines for 4,000 reports")
        let finished = try #require(records.firstIndex { $0.kind == .stepFinished })
        for host in ["db2", "db3"] {
            let last = try #require(records[..<finished].last { $0.kind == .stepProgress && $0.host == host })
            #expect(last.done == 2000, "the latest progress of \(host) is not in the journal before the step's end")
        }
        let writes = try #require(records.last?.writes)
        #expect(writes.progressReceived == 4000 && writes.progressWritten == progress.count)
        #expect(writes.fsyncs == 3 && writes.lines == records.count)
    }
}

