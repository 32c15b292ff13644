import Foundation
import UpshiftWire

/// Shows run progress: one timestamped line per event, or JSON lines with `--json`.
public final class ProgressOutput: @unchecked Sendable {
    private let json: Bool
    private let write: (String) -> Void
    private let lock = NSLock()

    /// Prints to standard output unless `write` is given.
    public init(json: Bool, write: @escaping (String) -> Void = { print($0); fflush(stdout) }) {
        self.json = json
        self.write = write
    }

    /// Shows one line.
    public func show(_ line: ProgressLine, at date: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        if json {
            var object: [String: String] = ["at": WireJSON.format(date), "text": line.text, "level": line.level]
            object["host"] = line.host
            object["step"] = line.stepID
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
               let text = String(data: data, encoding: .utf8) {
                write(text)
            }
            return
        }
        let time = WireJSON.format(date).dropFirst(11).prefix(12)
        let host = (line.host ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
        let step = (line.stepID ?? "").padding(toLength: 32, withPad: " ", startingAt: 0)
        let marker = line.level == "error" ? "✗ " : line.level == "warning" ? "! " : ""
        write("\(time)  \(host) \(step) \(marker)\(line.text)")
    }
}
