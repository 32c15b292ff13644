import Foundation

/// Single-quotes a word for /bin/sh: pg_ctl hands its `-o` string to the shell that starts postgres.
func shellQuote(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
