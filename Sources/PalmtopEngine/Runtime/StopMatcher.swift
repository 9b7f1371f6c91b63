/// Finds stop sequences in streamed text even when they span tokens, holding back any tail that could
/// still become one, so a stop sequence is never shown.
struct StopMatcher {
    let stops: [String]
    private var held = ""

    init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Feeds new text; returns what can be shown now and whether a stop sequence was reached.
    mutating func feed(_ text: String) -> (emit: String, stopped: Bool) {
        guard !stops.isEmpty else { return (text, false) }
        held += text
        if let r = stops.compactMap({ held.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let out = String(held[..<r.lowerBound])
            held = ""
            return (out, true)
        }
        // Hold the longest suffix that is a prefix of some stop sequence.
        var keep = 0
        for s in stops {
            for n in stride(from: min(s.count - 1, held.count), to: 0, by: -1) where held.hasSuffix(s.prefix(n)) {
                keep = max(keep, n)
                break
            }
        }
        let out = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return (out, false)
    }

    /// Text still held when generation ends for another reason.
    mutating func flush() -> String {
        defer { held = "" }
        return held
    }
}
