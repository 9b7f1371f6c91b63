import Yams

/// A YAML document's text as Unicode scalars (the unit libyaml's column marks count), with the
/// spans of parsed nodes. YAML parsers keep a node's start but not its end, and drop comments, so
/// the end of each value is found here by scanning the text in the value's own style; that is what
/// lets a save change a file at the spans of the values that changed and nothing else.
struct YAMLSource {
    let scalars: [Unicode.Scalar]
    /// Offset of the first scalar of each line.
    let lineStarts: [Int]

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        var starts = [0]
        for (i, s) in scalars.enumerated() where s == "\n" { starts.append(i + 1) }
        lineStarts = starts
    }

    /// The offset of a node's start (libyaml's 1-based line and scalar column).
    func offset(_ node: Node) -> Int? {
        guard let mark = node.mark, mark.line >= 1, mark.line <= lineStarts.count else { return nil }
        return min(lineStarts[mark.line - 1] + mark.column - 1, scalars.count)
    }

    func text(_ range: Range<Int>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[range])
        return String(s)
    }

    func lineIndex(of offset: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    func lineStart(of offset: Int) -> Int { lineStarts[lineIndex(of: offset)] }

    /// The offset just past the line holding `offset` (after its newline, or the end of the text).
    func nextLineStart(after offset: Int) -> Int {
        let line = lineIndex(of: offset)
        return line + 1 < lineStarts.count ? lineStarts[line + 1] : scalars.count
    }

    /// Columns of leading spaces on the line starting at `start`, or nil for a blank line.
    func indentation(ofLineAt start: Int) -> Int? {
        var i = start
        while i < scalars.count, scalars[i] == " " { i += 1 }
        return i >= scalars.count || scalars[i] == "\n" || scalars[i] == "\r" ? nil : i - start
    }

    /// The offset just past a node's text. `parentIndent` is the column (0-based) of the key or `-`
    /// that owns the node: block scalars and multi-line plain scalars continue on lines indented
    /// further than that.
    func end(of node: Node, parentIndent: Int) -> Int? {
        guard let start = offset(node) else { return nil }
        switch node {
        case .scalar(let s):
            switch s.style {
            case .doubleQuoted: return quotedEnd(from: start, quote: "\"")
            case .singleQuoted: return quotedEnd(from: start, quote: "'")
            case .literal, .folded: return blockEnd(from: start, parentIndent: parentIndent)
            default: return plainEnd(from: start, parentIndent: parentIndent)
            }
        case .sequence(let seq):
            if seq.style == .flow || scalars[start] == "[" { return flowEnd(from: start) }
            guard let last = seq.last else { return start }
            return end(of: last, parentIndent: column(of: start))
        case .mapping(let map):
            if map.style == .flow || scalars[start] == "{" { return flowEnd(from: start) }
            guard let (key, value) = Array(map).last, let keyStart = offset(key) else { return start }
            return end(of: value, parentIndent: column(of: keyStart))
        }
    }

    func column(of offset: Int) -> Int { offset - lineStart(of: offset) }

    /// The offset just past a mapping key (plain or quoted), where its `:` follows.
    func keyEnd(_ key: Node) -> Int? {
        guard let start = offset(key), let s = key.scalar else { return nil }
        switch s.style {
        case .doubleQuoted: return quotedEnd(from: start, quote: "\"")
        case .singleQuoted: return quotedEnd(from: start, quote: "'")
        default: return start + s.string.unicodeScalars.count
        }
    }

    private func quotedEnd(from start: Int, quote: Unicode.Scalar) -> Int? {
        var i = start + 1
        while i < scalars.count {
            let c = scalars[i]
            if quote == "\"" && c == "\\" { i += 2; continue }
            if c == quote {
                // In single quotes '' is an escaped quote, not the end.
                if quote == "'" && i + 1 < scalars.count && scalars[i + 1] == "'" { i += 2; continue }
                return i + 1
            }
            i += 1
        }
        return nil
    }

    /// Brackets matched outside quotes; a flow collection may span lines.
    private func flowEnd(from start: Int) -> Int? {
        var depth = 0, i = start
        while i < scalars.count {
            let c = scalars[i]
            if c == "\"" || c == "'" {
                guard let e = quotedEnd(from: i, quote: c) else { return nil }
                i = e
                continue
            }
            if c == "#" && i > 0 && (scalars[i - 1] == " " || scalars[i - 1] == "\t") {
                i = nextLineStart(after: i)
                continue
            }
            if c == "[" || c == "{" { depth += 1 }
            if c == "]" || c == "}" {
                depth -= 1
                if depth == 0 { return i + 1 }
            }
            i += 1
        }
        return nil
    }

    /// The end of the last non-blank line indented past the parent, or of the first line.
    private func continuationEnd(after firstLineEnd: Int, parentIndent: Int, stopAtComments: Bool) -> Int {
        var end = firstLineEnd
        var line = nextLineStart(after: firstLineEnd)
        while line < scalars.count {
            if let indent = indentation(ofLineAt: line) {
                if indent <= parentIndent { break }
                if stopAtComments && scalars[line + indent] == "#" { break }
                end = contentEnd(ofLineAt: line, stripComment: false)
            }
            line = nextLineStart(after: line)
        }
        return end
    }

    private func blockEnd(from start: Int, parentIndent: Int) -> Int {
        // The header (`|`, `>-`, …) may carry a comment; the content is the indented lines after it.
        continuationEnd(after: contentEnd(ofLineAt: start, stripComment: true), parentIndent: parentIndent, stopAtComments: false)
    }

    private func plainEnd(from start: Int, parentIndent: Int) -> Int {
        let first = contentEnd(ofLineAt: start, stripComment: true)
        return continuationEnd(after: first, parentIndent: parentIndent, stopAtComments: true)
    }

    /// The end of a line's content from `from`: before the newline, a ` #` comment (when asked) and
    /// trailing spaces.
    private func contentEnd(ofLineAt from: Int, stripComment: Bool) -> Int {
        var i = from
        while i < scalars.count, scalars[i] != "\n" {
            if stripComment && scalars[i] == "#" && i > from && (scalars[i - 1] == " " || scalars[i - 1] == "\t") { break }
            i += 1
        }
        while i > from, scalars[i - 1] == " " || scalars[i - 1] == "\t" || scalars[i - 1] == "\r" { i -= 1 }
        return i
    }
}

/// Writes a string as a YAML scalar, keeping the style the file used for it where the new value
/// allows that style and falling back to double quotes (which can hold anything) otherwise.
enum YAMLScalarWriter {
    /// Characters that cannot stand as themselves in a YAML scalar: controls (C0, DEL, C1), the byte-order
    /// mark and the non-characters U+FFFE/U+FFFF are not printable, and NEL, LS and PS are line breaks
    /// (in YAML 1.1, which the parser follows), so a scalar holding one raw reads back changed or not at all.
    /// Only the double-quoted style can write them, escaped.
    static func needsEscape(_ ch: Unicode.Scalar) -> Bool {
        switch ch.value {
        case 0..<0x20, 0x7f...0x9f, 0x2028, 0x2029, 0xfeff, 0xfffe, 0xffff: return true
        default: return false
        }
    }

    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{85}": out += "\\N"
            case "\u{2028}": out += "\\L"
            case "\u{2029}": out += "\\P"
            default:
                if !needsEscape(ch) { out.unicodeScalars.append(ch) }
                else if ch.value < 0x100 { out += "\\x" + String(ch.value, radix: 16).leftPadded(to: 2) }
                else { out += "\\u" + String(ch.value, radix: 16).leftPadded(to: 4) }
            }
        }
        return out + "\""
    }

    /// `s` in `style`; `indent` is the column of the owning key (block scalars indent two past it).
    static func write(_ s: String, style: Node.Scalar.Style, indent: Int) -> String {
        switch style {
        case _ where s.unicodeScalars.contains(where: { needsEscape($0) && $0 != "\n" && $0 != "\t" }): return doubleQuoted(s)
        case .plain where isPlainSafe(s): return s
        case .singleQuoted where !s.contains("\n"): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .literal: return literal(s, indent: indent + 2) ?? doubleQuoted(s)
        case .folded: return folded(s, indent: indent + 2) ?? doubleQuoted(s)
        default: return doubleQuoted(s)
        }
    }

    /// Whether a plain scalar reads back as this very string (not a number, bool or null, no
    /// indicator at the start, no `: ` or ` #` inside, no surrounding spaces).
    static func isPlainSafe(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        if s.contains("\n") || s.contains("\r") || s.contains("\t") || s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return false }
        if first == " " || last == " " || "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return false }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 }) { return false }
        let lower = s.lowercased()
        if ["null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"].contains(lower) { return false }
        if Double(s) != nil || lower.hasPrefix("0x") || lower.hasPrefix("0o") || [".inf", "-.inf", "+.inf", ".nan"].contains(lower) { return false }
        return true
    }

    private static func chomping(_ s: String) -> (String, String)? {
        if s.hasSuffix("\n\n") { return nil }
        return s.hasSuffix("\n") ? ("", String(s.dropLast())) : ("-", s)
    }

    /// `|` block: every line as it is, indented. Not for text whose first line starts with a space
    /// (that needs an indentation indicator) or with lines of only spaces.
    private static func literal(_ s: String, indent: Int) -> String? {
        guard let (chomp, body) = chomping(s), !body.isEmpty, !body.hasPrefix(" "), !body.contains("\r") else { return nil }
        let pad = String(repeating: " ", count: indent)
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.contains(where: { !$0.isEmpty && $0.allSatisfy { $0 == " " } }) { return nil }
        return "|\(chomp)\n" + lines.map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }

    /// `>` block: paragraphs wrapped at spaces near 76 columns; k newlines in the text are k empty
    /// lines. Only for text without leading, trailing or doubled spaces, which folding would change.
    private static func folded(_ s: String, indent: Int) -> String? {
        guard let (chomp, body) = chomping(s), !body.isEmpty, !body.hasPrefix("\n"), !body.contains("\r"), !body.contains("\t") else { return nil }
        let pad = String(repeating: " ", count: indent)
        var out: [String] = []
        var newlines = 0
        for paragraph in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if paragraph.isEmpty { newlines += 1; continue }
            if paragraph.hasPrefix(" ") || paragraph.hasSuffix(" ") || paragraph.contains("  ") { return nil }
            if !out.isEmpty { out.append(contentsOf: Array(repeating: "", count: newlines + 1)) }
            newlines = 0
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && indent + line.count + 1 + word.count > 78 {
                    out.append(pad + line)
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            out.append(pad + line)
        }
        if newlines > 0 { return nil }  // trailing newlines other than the chomped one
        return ">\(chomp)\n" + out.joined(separator: "\n")
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
