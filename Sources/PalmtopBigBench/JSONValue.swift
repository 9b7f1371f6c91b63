import Foundation

/// A JSON value that keeps object members in file order. BIG-bench reads its tasks with
/// `object_pairs_hook=OrderedDict`: the order of `target_scores` is the order choices are scored in,
/// the first top-scoring choice becomes the target, and examples are de-duplicated by their
/// `json.dumps` text, which is order-sensitive. Foundation's decoders forget member order, so task files
/// are parsed here.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// A number and whether its literal was an integer (Python's `json` makes `1` an int and `1.0` a float).
    case number(Double, isInteger: Bool)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// The member named `key` (compared by code point, as Python compares dict keys).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }?.value
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var members: [(key: String, value: JSONValue)]? { if case .object(let m) = self { return m } else { return nil } }
    /// Numbers and booleans as Python does arithmetic with them (`True` is 1).
    public var double: Double? {
        switch self {
        case .number(let d, _): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Python's `bool(value)`: the string `"false"` is true, as in BIG-bench's `append_choices_to_input`.
    public var pythonTruthiness: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .number(let d, _): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let m): return !m.isEmpty
        }
    }

    /// A key equal for two values exactly when Python's `json.dumps` of them is equal: member order
    /// matters, strings compare by code point (not by Swift's canonical equivalence), ints and floats differ.
    public var dumpsKey: [UInt8] {
        var out: [UInt8] = []
        appendKey(to: &out, ordered: true)
        return out
    }

    /// A key equal for two values exactly when Python's `==` holds for them: dict member order does not
    /// matter and `1 == 1.0 == True` (BIG-bench excludes shots equal to the query with `x != sample`).
    public var equalityKey: [UInt8] {
        var out: [UInt8] = []
        appendKey(to: &out, ordered: false)
        return out
    }

    private func appendKey(to out: inout [UInt8], ordered: Bool) {
        func appendCount(_ n: Int) { var v = UInt64(n); for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: v)); v >>= 8 } }
        // UTF-8 is one-to-one with code point sequences (Swift keeps strings unnormalized), and the
        // length prefix keeps concatenations apart. Bytes are appended one by one: keys cover every
        // example of tasks up to 50 MB, so no temporary arrays.
        func appendString(_ s: String) {
            appendCount(s.utf8.count)
            out.append(contentsOf: s.utf8)
        }
        func appendNumber(_ d: Double) { appendCount(Int(truncatingIfNeeded: (d == 0 ? 0 : d).bitPattern)) }
        switch self {
        case .null: out.append(0)
        case .bool(let b):
            if ordered { out.append(b ? 2 : 1) } else { out.append(3); appendNumber(b ? 1 : 0) }
        case .number(let d, let isInteger):
            out.append(ordered && isInteger ? 4 : 3)
            appendNumber(d)
        case .string(let s): out.append(5); appendString(s)
        case .array(let a):
            out.append(6)
            appendCount(a.count)
            for v in a { v.appendKey(to: &out, ordered: ordered) }
        case .object(let m):
            out.append(7)
            appendCount(m.count)
            let members = ordered ? m : m.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) { $0.value < $1.value } }
            for (k, v) in members { appendString(k); v.appendKey(to: &out, ordered: ordered) }
        }
    }
}

/// A malformed JSON file, with the byte offset where parsing stopped.
public struct JSONParseError: Error, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSONValue {
    /// Parses UTF-8 JSON text. Objects with a repeated key keep the key's first position and its last
    /// value, as Python's `OrderedDict` does when `json` assigns the key twice.
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self))
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.index == parser.bytes.count else { throw parser.error("trailing characters") }
            return value
        }
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Deeper nesting than any task needs is refused rather than risking the stack.
    static let maxDepth = 512

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < Self.maxDepth else { throw error("nested too deeply") }
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            // Swift's String equality is canonical equivalence, Python's is by code point: the dictionary
            // finds candidates and the scalars decide.
            var positions: [String: [Int]] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
                let v = try value(depth: depth + 1)
                if let p = positions[key]?.first(where: { members[$0].key.unicodeScalars.elementsEqual(key.unicodeScalars) }) {
                    members[p].value = v
                } else {
                    positions[key, default: []].append(members.count)
                    members.append((key, v))
                }
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        // Python's json also reads NaN and Infinity; no task uses them, so they stay errors here.
        default: return try number()
        }
    }

    mutating func literal(_ word: String) throws {
        for b in word.utf8 {
            guard index < bytes.count, bytes[index] == b else { throw error("unexpected character") }
            index += 1
        }
    }

    mutating func number() throws -> JSONValue {
        let start = index
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
        guard index > digitsStart else { throw error("unexpected character") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let f = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > f else { throw error("digits expected after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let e = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > e else { throw error("digits expected in exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let d = Double(text) else { throw error("bad number") }
        return .number(d, isInteger: isInteger)
    }

    mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw error("bad \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    /// A string literal; the fast path copies runs without escapes in one go (inputs reach 255k characters).
    mutating func string() throws -> String {
        index += 1
        var out = ""
        var runStart = index
        func flush(_ end: Int, into out: inout String) {
            if end > runStart { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<end]), as: UTF8.self) }
        }
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                flush(index, into: &out)
                index += 1
                return out
            }
            if c < 0x20 { throw error("control character in string") }
            if c != UInt8(ascii: "\\") { index += 1; continue }
            flush(index, into: &out)
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out += "\""
            case UInt8(ascii: "\\"): out += "\\"
            case UInt8(ascii: "/"): out += "/"
            case UInt8(ascii: "b"): out += "\u{08}"
            case UInt8(ascii: "f"): out += "\u{0C}"
            case UInt8(ascii: "n"): out += "\n"
            case UInt8(ascii: "r"): out += "\r"
            case UInt8(ascii: "t"): out += "\t"
            case UInt8(ascii: "u"):
                var u = try hex4()
                if (0xD800..<0xDC00).contains(u), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let save = index
                    index += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) { u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00) } else { index = save }
                }
                // A lone surrogate (legal in Python's str, impossible in Swift's) becomes U+FFFD.
                out.unicodeScalars.append(Unicode.Scalar(u) ?? "\u{FFFD}")
            default: throw error("bad escape")
            }
            runStart = index
        }
        throw error("unterminated string")
    }
}
