import Foundation
import Testing
@testable import UpshiftCoordinator
import UpshiftPlan

/// Reports from a journal: predicted vs actual, the HTML timeline, the live board.
struct ReportTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(_ kind: JournalKind, _ step: String?, _ host: String?, _ at: Double, ms: Int? = nil, message: String? = nil,
                       outcome: RunOutcome? = nil) -> JournalRecord {
        var record = JournalRecord(kind: kind, step: step, host: host, at: t0.addingTimeInterval(at), message: message, durationMS: ms, outcome: outcome)
        record.run = "r1"
        record.plan = "cafe"
        return record
    }

    static let steps = [
        Step(id: "stop-primary", hosts: ["db1"], action: .builtin(.stopPrimary), downtime: .writesStop),
        Step(id: "pg-upgrade", hosts: ["db1"], action: .builtin(.pgUpgrade)),
        Step(id: "start-primary", hosts: ["db1"], action: .builtin(.startPrimary), isPointOfNoReturn: true),
        Step(id: "verify", hosts: ["db1", "db2"], action: .builtin(.verify), downtime: .writesResume),
    ]

    static func report(prediction: Prediction? = nil, downtime: DowntimeFigures? = nil) -> RunReport {
        let records = [
            record(.runStarted, nil, nil, 0),
            record(.stepStarted, "stop-primary", "db1", 1), record(.stepFinished, "stop-primary", "db1", 2, ms: 1000),
            record(.stepStarted, "pg-upgrade", "db1", 2), record(.stepFinished, "pg-upgrade", "db1", 5, ms: 3000),
            record(.stepStarted, "start-primary", "db1", 5), record(.stepFinished, "start-primary", "db1", 5.5, ms: 500),
            record(.stepStarted, "verify", "db1", 5.5), record(.stepStarted, "verify", "db2", 5.5),
            record(.stepFinished, "verify", "db1", 6, ms: 500), record(.stepFinished, "verify", "db2", 6.25, ms: 750),
            record(.stepOutput, "verify", "db1", 6, message: "100 100 match"),
            record(.runFinished, nil, nil, 6.3, outcome: .done),
        ]
        var summary = RunSummary(planName: "shop", records: records)
        summary.verify = [RunSummary.VerifiedTable(table: "shop.public.<orders>", host: "db1", rowsOld: 100, rowsNew: 100, match: true)]
        return RunReport(summary: summary, rehearsal: false, steps: steps, hosts: ["db1", "db2"], downtime: downtime, prediction: prediction)
    }

    @Test func stepWallTimesSpanEveryHostAndTheJournalWindowSpansTheMarkedSteps() throws {
        let report = Self.report()
        #expect(report.stepWallTimes == ["stop-primary": 1000, "pg-upgrade": 3000, "start-primary": 500, "verify": 750])
        #expect(report.journalWriteWindow?.ms == 5250)
        #expect(report.pointOfNoReturnAt == Self.t0.addingTimeInterval(5))
        let prediction = Prediction(from: report, folderName: "r1")
        #expect(prediction.writeMS == 5250 && prediction.stepMS["verify"] == 750)
    }

    @Test func theJSONReportComparesPredictedAndActualForEveryStep() throws {
        var prediction = Prediction(from: Self.report(), folderName: "r1")
        prediction.stepMS["pg-upgrade"] = 2000
        prediction.stepMS["verify"] = nil
        let text = try ReportWriter.json(Self.report(prediction: prediction))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let rows = try #require((json["prediction"] as? [String: Any])?["steps"] as? [[String: Any]])
        #expect(rows.map { $0["id"] as? String } == ["stop-primary", "pg-upgrade", "start-primary", "verify"])
        #expect(rows[1]["predicted_ms"] as? Int == 2000 && rows[1]["actual_ms"] as? Int == 3000)
        #expect(rows[3]["predicted_ms"] == nil && rows[3]["actual_ms"] as? Int == 750)
        let downtime = try #require(json["downtime"] as? [String: Any])
        #expect(downtime["write_ms"] is NSNull, "no probe, no invented figure")
    }

    @Test func theHTMLReportHasATimelineLanePerHostTheWindowsAndThePointOfNoReturn() throws {
        let samples = [ProbeSample(kind: .write, startedAt: Self.t0.addingTimeInterval(0.5), latencyMS: 2, ok: true, major: 15),
                       ProbeSample(kind: .write, startedAt: Self.t0.addingTimeInterval(1.2), latencyMS: 2, ok: false, error: "read-only"),
                       ProbeSample(kind: .write, startedAt: Self.t0.addingTimeInterval(6.1), latencyMS: 4, ok: true, major: 17)]
        let html = HTMLReport.render(Self.report(downtime: DowntimeFigures(samples: samples, newMajor: 17)))
        #expect(html.hasPrefix("<!doctype html>") && html.contains("<svg") && html.contains("</svg>"))
        #expect(html.contains(">db1</text>") && html.contains(">db2</text>"))
        #expect(html.contains("point of no return"))
        #expect(html.contains("writes failed or waited (probe): 4.90 s"))
        #expect(html.contains("shop.public.&lt;orders&gt;"), "table names are escaped")
        #expect(!html.contains("src=\"http"), "the file is self-contained")
    }

    @Test func theLiveBoardShowsEachHostsStepElapsedTimeAndProgress() {
        var board = LiveBoard(order: ["db1", "db2", "db3"])
        board.apply(ProgressLine(host: "db1", stepID: "pg-upgrade", text: "started", kind: .started), at: Self.t0)
        board.apply(ProgressLine(host: "db1", stepID: "pg-upgrade", text: "3 Copying user relation files", kind: .progress, done: 3, total: nil),
                    at: Self.t0)
        board.apply(ProgressLine(host: "db2", stepID: "sync-standbys", text: "started", kind: .started), at: Self.t0)
        board.apply(ProgressLine(host: "db2", stepID: "sync-standbys", text: "50/100 files checked", kind: .progress, done: 50, total: 100),
                    at: Self.t0)
        let rows = board.render(now: Self.t0.addingTimeInterval(2.5))
        #expect(rows.count == 3)
        #expect(rows[0].contains("pg-upgrade") && rows[0].contains("2.5s") && rows[0].contains("Copying user relation files"))
        #expect(rows[1].contains("[██████████··········] 50/100 files checked"))
        #expect(rows[2].contains("db3") && rows[2].contains("waiting"))
    }
}
