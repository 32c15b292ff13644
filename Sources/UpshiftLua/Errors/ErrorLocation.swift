/// Splits Lua's `CHUNK:LINE: message` into its parts.
struct ErrorLocation: Equatable {
    var chunk: String
    var line: Int
    var message: String

    /// Parses `text` as `chunk:DIGITS: message`; `nil` when it does not start with that chunk's location
    /// (a message that merely contains `:5: ` further on is not taken for a location).
    init?(parsing text: String, chunk: String) {
        guard !chunk.isEmpty, text.hasPrefix(chunk + ":") else { return nil }
        let rest = text.dropFirst(chunk.count + 1)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, rest.dropFirst(digits.count).hasPrefix(": "), let line = Int(digits) else {
            return nil
        }
        self.chunk = chunk
        self.line = line
        message = String(rest.dropFirst(digits.count + 2))
    }
}
