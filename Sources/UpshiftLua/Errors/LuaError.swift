/// A hook failure, already formatted as `HOOK:LINE: message` in `description`.
public struct LuaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, as far as the step outcome is concerned.
    public enum Kind: Sendable, Equatable {
        /// The hook does not compile (or is not a text chunk).
        case syntax
        /// A Lua runtime error, an error raised by `error(...)`, or a registered function that threw.
        case runtime
        /// The instruction budget ran out.
        case budgetExhausted
        /// The wall-clock limit was reached (also `upshift.sleep` past it).
        case timeout
        /// The hook called `upshift.fail(msg)`.
        case failed
        /// The hook's memory limit was reached.
        case memoryExhausted
        /// The step the hook runs in was cancelled (a rollback, the agent stopping).
        case cancelled
    }

    /// The hook's path as given to the sandbox (e.g. `Hooks/notify.lua`).
    public var chunk: String
    /// The hook line, when one is known.
    public var line: Int?
    /// The message without the location.
    public var message: String
    /// The kind of failure.
    public var kind: Kind

    /// An error; thrown from a registered function with kind `.failed`, `.timeout` or `.budgetExhausted`,
    /// it ends the hook at once (a `pcall` in the hook cannot catch it) and the location is filled in.
    public init(chunk: String = "", line: Int? = nil, message: String, kind: Kind) {
        self.chunk = chunk
        self.line = line
        self.message = message
        self.kind = kind
    }

    /// `CHUNK:LINE: message`, or `CHUNK: message` without a line.
    public var description: String {
        let location = line.map { "\(chunk):\($0):" } ?? "\(chunk):"
        return chunk.isEmpty && line == nil ? message : "\(location) \(message)"
    }

    /// Kinds that end a hook even inside its own `pcall`.
    var terminatesHook: Bool {
        switch kind {
        case .failed, .timeout, .budgetExhausted, .cancelled: true
        case .syntax, .runtime, .memoryExhausted: false
        }
    }
}
