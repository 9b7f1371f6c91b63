import Foundation

/// One metadata value of a GGUF file. Large arrays that tokenizers read (tokens, scores, token types,
/// merges) get typed cases so a 262k-entry vocabulary is not boxed value by value.
package enum GGUFValue: Sendable, Equatable {
    case uint(UInt64)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case strings([String])
    case floats([Float])
    case ints([Int64])
    case array([GGUFValue])

    package var intValue: Int? {
        switch self {
        case .uint(let v): return v <= UInt64(Int.max) ? Int(v) : nil
        case .int(let v): return Int(exactly: v)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    package var doubleValue: Double? {
        switch self {
        case .float(let v): return v
        case .uint(let v): return Double(v)
        case .int(let v): return Double(v)
        default: return nil
        }
    }

    package var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .uint(let v): return v != 0
        case .int(let v): return v != 0
        default: return nil
        }
    }

    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A short human-readable rendering for `palmtop models` and error messages.
    package var summary: String {
        switch self {
        case .uint(let v): return String(v)
        case .int(let v): return String(v)
        case .float(let v): return String(v)
        case .bool(let v): return String(v)
        case .string(let s): return s.count > 60 ? String(s.prefix(60)) + "…" : s
        case .strings(let a): return "[\(a.count) strings]"
        case .floats(let a): return "[\(a.count) floats]"
        case .ints(let a): return "[\(a.count) ints]"
        case .array(let a): return "[\(a.count) values]"
        }
    }
}

/// Typed accessors for the metadata dictionary, so callers never switch on `GGUFValue` themselves.
package struct GGUFMetadata: Sendable {
    package let values: [String: GGUFValue]

    package subscript(key: String) -> GGUFValue? { values[key] }
    package func int(_ key: String) -> Int? { values[key]?.intValue }
    package func double(_ key: String) -> Double? { values[key]?.doubleValue }
    package func bool(_ key: String) -> Bool? { values[key]?.boolValue }
    package func string(_ key: String) -> String? { values[key]?.stringValue }

    package func strings(_ key: String) -> [String]? {
        switch values[key] {
        case .strings(let a): return a
        case .array(let a) where a.isEmpty: return []
        default: return nil
        }
    }

    package func floats(_ key: String) -> [Float]? {
        switch values[key] {
        case .floats(let a): return a
        case .ints(let a): return a.map { Float($0) }
        case .array(let a) where a.isEmpty: return []
        default: return nil
        }
    }

    package func ints(_ key: String) -> [Int]? {
        switch values[key] {
        case .ints(let a): return a.map { Int($0) }
        case .array(let a) where a.isEmpty: return []
        default: return nil
        }
    }
}
