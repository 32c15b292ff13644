import Foundation

/// `probe.jsonl` in a run directory: every probe request of the run, one JSON line each.
public enum ProbeLog {
    /// Appends `samples` to the run's probe log in one write.
    public static func append(_ samples: [ProbeSample], to directory: RunDirectory) throws {
        let encoder = JSONEncoder.journal
        var data = Data()
        for sample in samples {
            data.append(try encoder.encode(sample))
            data.append(0x0A)
        }
        let path = directory.probePath
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw JournalError(path: path, message: "cannot open the probe log for writing")
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }

    /// The samples of a run, or nil when the run had no probe.
    public static func read(from directory: RunDirectory) throws -> [ProbeSample]? {
        guard let data = FileManager.default.contents(atPath: directory.probePath) else { return nil }
        let decoder = JSONDecoder.journal
        return try data.split(separator: 0x0A).enumerated().map { number, line in
            do {
                return try decoder.decode(ProbeSample.self, from: Data(line))
            } catch {
                throw JournalError(path: directory.probePath, message: "line \(number + 1) is not a probe sample: \(error)")
            }
        }
    }
}

extension RunDirectory {
    /// The probe's samples.
    public var probePath: String { path + "/probe.jsonl" }
    /// What the last finished run of the same plan predicted for this one.
    public var predictionPath: String { path + "/prediction.json" }
}
