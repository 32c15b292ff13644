/// "Did you mean" lookups by edit distance, for unknown keys, step ids and host names.
enum Suggestions {
    /// Candidates close to `word`, closest first.
    static func close(to word: String, in candidates: [String]) -> [String] {
        let limit = max(2, word.count / 3)
        return candidates
            .map { (candidate: $0, distance: distance(word.lowercased(), $0.lowercased())) }
            .filter { $0.distance <= limit && $0.distance < max(word.count, $0.candidate.count) }
            .sorted { ($0.distance, $0.candidate) < ($1.distance, $1.candidate) }
            .map(\.candidate)
    }

    /// `; did you mean 'x'?` or an empty string.
    static func didYouMean(_ word: String, in candidates: [String]) -> String {
        guard let best = close(to: word, in: candidates).first else { return "" }
        return "; did you mean '\(best)'?"
    }

    /// `'a', 'b', 'c'`.
    static func quotedList(_ words: [String]) -> String {
        words.map { "'\($0)'" }.joined(separator: ", ")
    }

    /// Optimal string alignment distance: a swapped pair of letters counts as one edit, as a typo does.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
