import Foundation
import UpshiftWire

/// Shows run progress: timestamped lines, JSON lines with `--json`, or on a terminal a live board with one
/// line per host (its step, elapsed time, the step's own progress) under the log, refreshed in place.
public final class ProgressOutput: @unchecked Sendable {
    /// How progress is shown.
    public enum Mode: Sendable {
        /// One timestamped line per event (logs, pipes, CI).
        case plain
        /// One JSON object per event, for programs.
        case json
        /// A board redrawn in place under the log lines (a terminal).
        case live
    }

    private let mode: Mode
    private let write: (String) -> Void
    private let lock = NSLock()
    private var board = LiveBoard()
    private var boardLines = 0
    private var stopped = false

    /// Plain or JSON lines, each handed to `writeLine` (standard output unless given).
    public convenience init(json: Bool, writeLine: @escaping (String) -> Void = { print($0); fflush(nil) }) {
        self.init(mode: json ? .json : .plain) { text in
            text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().forEach { writeLine(String($0)) }
        }
    }

    /// Shows progress in `mode`, writing raw text (lines end in newlines) to standard output unless
    /// `writeText` is given; a live board lists `hosts` in this order (others as they appear).
    public init(mode: Mode, hosts: [String] = [], writeText: @escaping (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }) {
        self.mode = mode
        self.board.order = hosts
        self.write = writeText
        if mode == .live { startTicker() }
    }

    /// The mode for standard output: live on a terminal, plain otherwise, JSON when asked.
    public static func standardMode(json: Bool) -> Mode {
        if json { return .json }
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        return isatty(STDOUT_FILENO) == 1 && term != "dumb" && !term.isEmpty ? .live : .plain
    }

    /// Shows one line.
    public func show(_ line: ProgressLine, at date: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        switch mode {
        case .json:
            write(Self.json(line, at: date) + "\n")
        case .plain:
            write(Self.plain(line, at: date) + "\n")
        case .live:
            board.apply(line, at: date)
            let permanent = line.kind != .progress && line.kind != .started
            redraw(adding: permanent ? Self.plain(line, at: date) : nil, now: date)
        }
    }

    /// Stops the live board's clock and leaves its last state on screen.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        stopped = true
        if mode == .live { redraw(adding: nil, now: Date()) }
    }

    private func startTicker() {
        let thread = Thread { [weak self] in
            while let self, !self.lock.withLock({ self.stopped }) {
                Thread.sleep(forTimeInterval: 0.5)
                self.lock.withLock { if !self.stopped { self.redraw(adding: nil, now: Date()) } }
            }
        }
        thread.start()
    }

    /// Erases the board, prints a log line above it, and draws the board again.
    private func redraw(adding line: String?, now: Date) {
        var text = boardLines > 0 ? "\u{1B}[\(boardLines)F\u{1B}[J" : ""
        if let line { text += line + "\n" }
        let rows = board.render(now: now).map { Self.clip($0, to: Self.terminalColumns()) }
        text += rows.map { $0 + "\n" }.joined()
        boardLines = rows.count
        write(text)
    }

    /// The terminal's width, so no board row wraps (a wrapped row would throw off the redraw).
    static func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 else { return 120 }
        return Int(size.ws_col)
    }

    static func clip(_ row: String, to columns: Int) -> String {
        row.count < columns ? row : String(row.prefix(columns - 2)) + "…"
    }

    static func plain(_ line: ProgressLine, at date: Date) -> String {
        let time = WireJSON.format(date).dropFirst(11).prefix(12)
        let host = (line.host ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
        let step = (line.stepID ?? "").padding(toLength: 32, withPad: " ", startingAt: 0)
        let marker = line.level == "error" ? "✗ " : line.level == "warning" ? "! " : ""
        return "\(time)  \(host) \(step) \(marker)\(line.text)"
    }

    static func json(_ line: ProgressLine, at date: Date) -> String {
        var object: [String: Any] = ["at": WireJSON.format(date), "text": line.text, "level": line.level]
        object["host"] = line.host
        object["step"] = line.stepID
        object["kind"] = line.kind?.rawValue
        object["done"] = line.done
        object["total"] = line.total
        object["unit"] = line.unit
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What the live board shows: each host's current step, since when, and its latest progress.
struct LiveBoard {
    struct Row {
        var step: String
        var since: Date
        var progress: String
        var state: String
    }

    var order: [String] = []
    var rows: [String: Row] = [:]

    mutating func apply(_ line: ProgressLine, at date: Date) {
        guard let host = line.host, let step = line.stepID else { return }
        if !order.contains(host) { order.append(host) }
        switch line.kind {
        case .started:
            rows[host] = Row(step: step, since: date, progress: "", state: "running")
        case .progress:
            var row = rows[host] ?? Row(step: step, since: date, progress: "", state: "running")
            row.progress = Self.bar(done: line.done, total: line.total) + line.text
            rows[host] = row
        case .finished, .failed:
            var row = rows[host] ?? Row(step: step, since: date, progress: "", state: "")
            row.state = line.kind == .finished ? "done" : "FAILED"
            row.progress = line.text
            row.since = date
            rows[host] = row
        default:
            break
        }
    }

    func render(now: Date) -> [String] {
        guard !order.isEmpty else { return [] }
        return order.map { host in
            let name = host.padding(toLength: 10, withPad: " ", startingAt: 0)
            guard let row = rows[host] else { return "  \(name) waiting" }
            let step = row.step.padding(toLength: 30, withPad: " ", startingAt: 0)
            if row.state == "running" {
                let elapsed = String(format: "%6.1fs", now.timeIntervalSince(row.since))
                return "▶ \(name) \(step) \(elapsed)  \(row.progress)"
            }
            return "\(row.state == "done" ? "✓" : "✗") \(name) \(step)          \(row.progress)"
        }
    }

    static func bar(done: Double?, total: Double?) -> String {
        guard let done, let total, total > 0 else { return "" }
        let filled = Int((min(done / total, 1) * 20).rounded())
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: 20 - filled) + "] "
    }
}
