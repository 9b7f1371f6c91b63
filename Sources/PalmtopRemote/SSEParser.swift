/// An incremental parser of server-sent events (the `text/event-stream` format OpenAI-compatible
/// servers stream with): bytes go in as they arrive, split anywhere; complete events come out. Lines
/// end in `\n`, `\r\n` or `\r`; `:` starts a comment; an event's `data:` lines are joined with `\n`;
/// a blank line dispatches it. Fields other than `data` and `event` are ignored, as the format says.
public struct SSEParser {
    /// One dispatched event.
    public struct Event: Equatable {
        public var name: String?
        public var data: String

        public init(name: String?, data: String) {
            self.name = name
            self.data = data
        }
    }

    private var line: [UInt8] = []
    private var data: [String] = []
    private var name: String?
    private var sawData = false
    /// A `\r` ended the last line; a `\n` right after it belongs to that line ending.
    private var afterCR = false

    public init() {}

    /// Feeds bytes; returns the events they complete.
    public mutating func feed<S: Sequence>(_ bytes: S) -> [Event] where S.Element == UInt8 {
        var events: [Event] = []
        for b in bytes {
            if afterCR {
                afterCR = false
                if b == 10 { continue }
            }
            if b == 10 || b == 13 {
                afterCR = b == 13
                if let e = endLine() { events.append(e) }
            } else {
                line.append(b)
            }
        }
        return events
    }

    /// Whether bytes of an unfinished event are pending (a stream that stops here was cut short).
    public var hasPartialEvent: Bool { !line.isEmpty || sawData }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard sawData else { name = nil; return nil }
            let event = Event(name: name, data: data.joined(separator: "\n"))
            data = []
            name = nil
            sawData = false
            return event
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring, value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            var v = text[text.index(after: colon)...]
            if v.first == " " { v = v.dropFirst() }
            value = v
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "data":
            data.append(String(value))
            sawData = true
        case "event":
            name = String(value)
        default:
            break
        }
        return nil
    }
}
