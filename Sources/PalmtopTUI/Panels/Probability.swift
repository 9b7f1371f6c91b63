import Foundation

/// Probability bands for colouring tokens, and the legend that explains them.
public enum ProbabilityBand: CaseIterable, Sendable {
    case high, mid, low

    public static func of(_ p: Double) -> ProbabilityBand { p >= 0.6 ? .high : (p >= 0.2 ? .mid : .low) }

    public var role: Role {
        switch self {
        case .high: return .probHigh
        case .mid: return .probMid
        case .low: return .probLow
        }
    }

    public var label: String {
        switch self {
        case .high: return "p ≥ 0.6"
        case .mid: return "0.2 ≤ p < 0.6"
        case .low: return "p < 0.2"
        }
    }

    /// The legend as one row: each band's label in its own role.
    public static func legend() -> [StyledChar] {
        var out = TextLayout.styled("token probability: ", .dim)
        for band in allCases {
            out += TextLayout.styled("■ " + band.label, band.role) + TextLayout.styled("   ", .dim)
        }
        return out
    }
}

/// Horizontal bars drawn with eighth blocks, so a 20-column bar shows 160 steps.
public enum Bar {
    private static let partials: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// A bar `fraction` (0...1) of `width` columns long, padded with spaces to `width`.
    public static func render(_ fraction: Double, width: Int) -> String {
        guard width > 0 else { return "" }
        let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded())
        var s = String(repeating: "█", count: eighths / 8)
        if eighths % 8 > 0 { s.append(partials[eighths % 8 - 1]) }
        return s + String(repeating: " ", count: width - s.count)
    }
}

/// How the inspector writes a token's text: quoted, with whitespace and control characters made visible
/// and bytes that are not a whole UTF-8 character shown as hex.
public enum TokenLabel {
    public static func of(bytes: [UInt8]) -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            return bytes.map { String(format: "\\x%02X", $0) }.joined()
        }
        return quoted(s)
    }

    public static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\r": out += "\\r"
            default:
                if c.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                    out += c.unicodeScalars.map { String(format: "\\u{%X}", $0.value) }.joined()
                } else {
                    out.append(c)
                }
            }
        }
        return out + "\""
    }
}
