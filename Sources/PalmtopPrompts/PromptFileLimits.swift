import Foundation
import Yams

/// Bounds on what a shared prompt or dev-set file may cost to load. Prompt files travel between
/// people, so a hostile one must be refused in bounded time and memory before it is materialized:
/// a size cap checked from the file's metadata before reading, a nesting cap checked on the raw text
/// before the YAML parser (whose recursion a deep file overflows), and a cap on the node count with
/// aliases expanded, checked on the composed document before anything walks or decodes it (nine
/// levels of nine aliases are 2 KB on disk and 387 million nodes once expanded).
public enum PromptFileLimits {
    /// Shipped prompts are a few KB; 1 MiB leaves room for long hand-written exemplars.
    public static let maxPromptBytes = 1 << 20
    /// A dev set of tens of thousands of items.
    public static let maxDevSetBytes = 64 << 20
    public static let maxNesting = 64
    public static let maxNodes = 100_000

    /// The file's text, refused before reading when it is larger than `limit`.
    static func readText(_ path: String, limit: Int = maxPromptBytes, what: String = "prompt file") throws -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw PromptFileError(path: path, line: nil, message: "cannot read the \(what)")
        }
        if let size = attributes[.size] as? NSNumber, size.intValue > limit {
            throw PromptFileError(path: path, line: nil, message: "the \(what) is \(size.intValue / 1024) KB; the limit is \(limit / 1024) KB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PromptFileError(path: path, line: nil, message: "cannot read the \(what)")
        }
        guard data.count <= limit else { throw PromptFileError(path: path, line: nil, message: "the \(what) is larger than \(limit / 1024) KB") }
        guard let text = String(data: data, encoding: .utf8) else { throw PromptFileError(path: path, line: nil, message: "not valid UTF-8") }
        return text
    }

    /// Refuses text nested deeper than `maxNesting`: flow brackets opened at a node's start and
    /// block levels (indentation and compact `- ` / `? ` entries). Quoted strings and comments are
    /// skipped; a quote only opens a string where a node can start, as in YAML itself.
    static func checkNesting(_ text: String, path: String) throws {
        if text.utf8.count > maxPromptBytes {
            throw PromptFileError(path: path, line: nil, message: "the prompt file is larger than \(maxPromptBytes / 1024) KB")
        }
        var flow = 0, line = 1
        var quote: UInt8?
        var previous: UInt8 = 10  // the last byte that was not a space, outside quotes
        var atLineStart = true, indent = 0, compact = 0
        var comment = false
        func fail(_ m: String) -> PromptFileError { PromptFileError(path: path, line: line, message: m) }
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            defer { i += 1 }
            if c == 10 {
                line += 1; atLineStart = true; indent = 0; compact = 0; comment = false
                if quote == nil { previous = 10 }
                continue
            }
            if comment { continue }
            if let q = quote {
                if q == UInt8(ascii: "\"") && c == UInt8(ascii: "\\") { i += 1 } else if c == q { quote = nil; previous = c }
                continue
            }
            if atLineStart {
                if c == 32 { indent += 1; continue }
                atLineStart = false
                if indent > 4 * maxNesting { throw fail("indented more than \(4 * maxNesting) columns (too deeply nested)") }
            }
            let startOfNode = previous == 10 || ":[{,-?".utf8.contains(previous)
            if c == 32 || c == 9 { continue }
            if c == UInt8(ascii: "#") && (i == 0 || bytes[i - 1] == 32 || bytes[i - 1] == 9 || bytes[i - 1] == 10) {
                comment = true
                continue
            }
            if (c == UInt8(ascii: "\"") || c == UInt8(ascii: "'")) && startOfNode {
                quote = c
                continue
            }
            if (c == UInt8(ascii: "[") || c == UInt8(ascii: "{")) && (startOfNode || flow > 0) {
                flow += 1
                if flow > maxNesting { throw fail("brackets nested more than \(maxNesting) deep") }
            } else if c == UInt8(ascii: "]") || c == UInt8(ascii: "}") {
                flow = max(0, flow - 1)
            } else if (c == UInt8(ascii: "-") || c == UInt8(ascii: "?")) && (previous == 10 || previous == UInt8(ascii: "-") || previous == UInt8(ascii: "?")),
                      i + 1 < bytes.count && (bytes[i + 1] == 32 || bytes[i + 1] == 10) {
                compact += 1
                if compact > maxNesting { throw fail("entries nested more than \(maxNesting) deep") }
            }
            previous = c
        }
    }

    /// Refuses a document of more than `maxNodes` nodes counting every alias at every place it is
    /// used; stops counting at the limit, so a bomb costs no more than a file at the limit.
    static func checkSize(_ node: Node, path: String) throws {
        var budget = maxNodes
        func visit(_ n: Node) -> Bool {
            budget -= 1
            if budget < 0 { return false }
            switch n {
            case .mapping(let m): return m.allSatisfy { visit($0.key) && visit($0.value) }
            case .sequence(let s): return s.allSatisfy(visit)
            default: return true
            }
        }
        if !visit(node) {
            throw PromptFileError(path: path, line: nil, message: "the document has more than \(maxNodes) values once its aliases (*name) are expanded")
        }
    }

    /// Refuses a dev-set line whose JSON nests deeper than `maxNesting` (JSON decoders recurse).
    static func checkJSONNesting(_ line: Substring, path: String, lineNumber: Int) throws {
        var depth = 0, inString = false, escaped = false
        for c in line.utf8 {
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxNesting { throw PromptFileError(path: path, line: lineNumber, message: "JSON nested more than \(maxNesting) deep") }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }
}
