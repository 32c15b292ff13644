import Foundation

/// One table `verify` compared, as a run journal's `step.output` line holds it.
struct JournalVerifiedTable: Equatable {
    var host: String
    var table: String
    var oldRows: Int64?
    var newRows: Int64
    var matches: Bool

    /// Every table comparison in the run journal under `runDir`.
    static func read(runDir: String) throws -> [JournalVerifiedTable] {
        let text = try String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  record["kind"] as? String == "step.output",
                  let output = record["output"] as? [String: Any],
                  let verified = (output["tableVerified"] as? [String: Any])?["verification"] as? [String: Any],
                  let table = verified["table"] as? String, let newRows = (verified["newRows"] as? NSNumber)?.int64Value,
                  let matches = verified["matches"] as? Bool else { return nil }
            return JournalVerifiedTable(host: record["host"] as? String ?? "", table: table,
                                        oldRows: (verified["oldRows"] as? NSNumber)?.int64Value, newRows: newRows, matches: matches)
        }
    }
}
