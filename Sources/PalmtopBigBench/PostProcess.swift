import Foundation

/// BIG-bench's `model_utils.postprocess_output` for generated text, and the regex semantics it relies on.
public struct OutputPostprocessor: Sendable {
    /// Characters kept (BIG-bench's `max_length`, 256 by default, applied to characters here as there).
    public let maxLength: Int
    public let stopString: String?
    /// nil or empty: no regex.
    public let outputRegex: String?
    private let regex: NSRegularExpression?

    public init(maxLength: Int, stopString: String?, outputRegex: String?) throws {
        self.maxLength = maxLength
        self.stopString = stopString
        self.outputRegex = outputRegex
        if let pattern = outputRegex, !pattern.isEmpty {
            do {
                // Unix line separators: only "\n" ends a line for `.`, `^` and `$`, as in Python's `re`.
                regex = try NSRegularExpression(pattern: Self.translate(pattern), options: [.useUnixLineSeparators])
            } catch {
                throw BigBenchError("output_regex \(pattern.debugDescription) is not a regular expression Palmtop can run")
            }
            if regex!.numberOfCaptureGroups > 1 {
                throw BigBenchError("output_regex \(pattern.debugDescription) has \(regex!.numberOfCaptureGroups) groups; BIG-bench allows at most one")
            }
        } else {
            regex = nil
        }
    }

    /// Python's `\Z` is ICU's `\z` (end of input, no final newline allowed).
    static func translate(_ pattern: String) -> String {
        var out = "", escaped = false
        for c in pattern {
            if escaped { out += c == "Z" ? "z" : String(c); escaped = false } else if c == "\\" { out += "\\"; escaped = true } else { out.append(c) }
        }
        return out
    }

    /// Truncate to `maxLength` characters (code points, as Python slices), cut after the first
    /// `stopString` if it occurs after position 0, then the first `re.findall` match: group 1 if the
    /// regex has a group, `""` when nothing matches.
    public func process(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars.prefix(maxLength))
        if let stop = stopString, !stop.isEmpty, let index = Self.find(Array(stop.unicodeScalars), in: scalars), index > 0 {
            scalars = Array(scalars[..<(index + stop.unicodeScalars.count)])
        }
        let truncated = String(String.UnicodeScalarView(scalars))
        guard let regex else { return truncated }
        let ns = truncated as NSString
        guard let match = regex.firstMatch(in: truncated, range: NSRange(location: 0, length: ns.length)) else { return "" }
        let range = regex.numberOfCaptureGroups == 1 ? match.range(at: 1) : match.range
        return range.location == NSNotFound ? "" : ns.substring(with: range)
    }

    /// Whether more generated text can no longer change `process(text)`, so generation may stop early:
    /// the text is as long as it will be kept, or cut at a stop string, or (for the default regex only)
    /// its first match is already closed by a delimiter. Any other regex needs the whole text.
    public func isSettled(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        if scalars.count >= maxLength { return true }
        if let stop = stopString, !stop.isEmpty, let index = Self.find(Array(stop.unicodeScalars), in: scalars), index > 0 { return true }
        guard outputRegex == BigBenchLeaf.defaultRegex else { return false }
        // A stop string not seen yet would cut after the current text, which keeps a closed first match.
        let delimiters: Set<Unicode.Scalar> = [".", "?", "!", ";", "\n"]
        guard let firstKept = scalars.firstIndex(where: { !delimiters.contains($0) }) else { return false }
        return scalars[firstKept...].contains { delimiters.contains($0) }
    }

    /// Python's `str.find` on code points.
    static func find(_ needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> Int? {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty ? 0 : nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}
