import XCTest
import PalmtopRemote

/// The server-sent-events parser on the shapes servers send and on arbitrary splits of them.
final class SSEParserTests: XCTestCase {
    func parse(_ text: String, splitEvery n: Int = Int.max) -> [SSEParser.Event] {
        var parser = SSEParser()
        let bytes = Array(text.utf8)
        var events: [SSEParser.Event] = []
        var i = 0
        while i < bytes.count {
            let end = min(i + n, bytes.count)
            events += parser.feed(bytes[i..<end])
            i = end
        }
        return events
    }

    func testLineEndingsCommentsAndMultiLineData() {
        let stream = ": ping\r\ndata: {\"a\":1}\r\n\r\ndata: first\ndata: second\n\nevent: error\ndata: x\r\rdata: [DONE]\n\n"
        let expected = [SSEParser.Event(name: nil, data: "{\"a\":1}"), SSEParser.Event(name: nil, data: "first\nsecond"),
                        SSEParser.Event(name: "error", data: "x"), SSEParser.Event(name: nil, data: "[DONE]")]
        XCTAssertEqual(parse(stream), expected)
        // However the bytes are split (a \r\n torn in two included), the events are the same.
        for n in 1...7 { XCTAssertEqual(parse(stream, splitEvery: n), expected, "split every \(n)") }
    }

    func testFieldsWithoutASpaceAndUnknownFields() {
        XCTAssertEqual(parse("data:tight\nid: 7\nretry: 100\n\n"), [SSEParser.Event(name: nil, data: "tight")])
        XCTAssertEqual(parse("data\n\n"), [SSEParser.Event(name: nil, data: "")], "a field with no colon has an empty value")
        XCTAssertEqual(parse("\n\n: only comments\n\n"), [], "blank lines without data dispatch nothing")
    }

    func testAStreamCutShortLeavesAPartialEvent() {
        var parser = SSEParser()
        XCTAssertEqual(parser.feed(Array("data: {\"cho".utf8)), [])
        XCTAssertTrue(parser.hasPartialEvent)
        var complete = SSEParser()
        _ = complete.feed(Array("data: x\n\n".utf8))
        XCTAssertFalse(complete.hasPartialEvent)
    }
}
