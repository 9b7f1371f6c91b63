import Crypto
import Foundation

/// BIG-bench's metrics (`task_metrics.py`) on its 0–1 scale, for the ones Palmtop computes.
public enum BigBenchScoring {
    /// `scipy.special.logsumexp`-normalized log-probabilities (what BIG-bench takes the argmax of).
    public static func normalized(_ logprobs: [Double]) -> [Double] {
        guard let m = logprobs.max(), m.isFinite else { return logprobs }
        let lse = Foundation.log(logprobs.reduce(0) { $0 + Foundation.exp($1 - m) }) + m
        return logprobs.map { $0 - lse }
    }

    /// `task_metrics.argmax`: among the indices holding the maximum, the one picked by the SHA-256 of
    /// the array's float64 bytes (little-endian, as `tobytes()` on x86 and arm64) modulo their count.
    public static func argmax(_ values: [Double]) -> Int {
        guard let m = values.max() else { return 0 }
        let best = values.indices.filter { values[$0] == m }
        // All NaN (a broken model): numpy's argmax would take the first; never divide by zero.
        if best.count <= 1 { return best.first ?? 0 }
        var bytes: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        // int(hexdigest, 16) % count, one byte at a time.
        let remainder = SHA256.hash(data: bytes).reduce(0) { ($0 * 256 + Int($1)) % best.count }
        return best[remainder]
    }

    /// One example's `multiple_choice_grade`: the target score of the argmax choice (partial credit).
    public static func choiceGrade(scores: [(choice: String, score: Double)], normalizedLogprobs: [Double]) -> (index: Int, grade: Double) {
        let i = argmax(normalizedLogprobs)
        return (i, scores[i].score)
    }

    /// One example's multi-category Brier score summed over its choices, and the number of choices:
    /// BIG-bench divides the total over all examples by the total number of choices.
    public static func brier(scores: [Double], logprobs: [Double]) -> (sum: Double, count: Int) {
        let total = scores.reduce(0, +)
        let targets = total == 0 ? scores.map { _ in 0.0 } : scores.map { $0 / total }
        let m = logprobs.max() ?? 0
        let e = logprobs.map { Foundation.exp($0 - m) }
        let z = e.reduce(0, +)
        var sum = 0.0
        for (t, p) in zip(targets, e.map { $0 / z }) { sum += t * (p - 1) * (p - 1) + (1 - t) * p * p }
        return (sum, scores.count)
    }

    /// `exact_str_match`: the output is one of the targets, compared by code point, nothing stripped.
    public static func exactMatch(_ output: String, targets: [String]) -> Bool {
        targets.contains { $0.unicodeScalars.elementsEqual(output.unicodeScalars) }
    }

    /// `case_insensitive_str_match`: both sides `strip()`ped and `lower()`ed as Python does.
    public static func caseInsensitiveMatch(_ output: String, targets: [String]) -> Bool {
        let o = pythonStripLower(output)
        return targets.contains { pythonStripLower($0).unicodeScalars.elementsEqual(o.unicodeScalars) }
    }

    /// Python's `str.strip().lower()`: whitespace is Unicode White_Space plus the separators U+001C–U+001F.
    static func pythonStripLower(_ s: String) -> String {
        func isSpace(_ u: Unicode.Scalar) -> Bool { u.properties.isWhitespace || (0x1C...0x1F).contains(u.value) }
        var scalars = Substring(s).unicodeScalars[...]
        while let f = scalars.first, isSpace(f) { scalars.removeFirst() }
        while let l = scalars.last, isSpace(l) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars)).lowercased()
    }
}
