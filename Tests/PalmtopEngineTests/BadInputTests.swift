import XCTest
import PalmtopTestSupport
import PalmtopEngine

/// Malformed files (from scripts/make_bad_gguf.py) give one clear error naming the file, never a crash.
final class BadInputTests: XCTestCase {
    var bad: URL { TestSupport.testData.appendingPathComponent("bad") }

    func expectError(_ name: String, containing words: String) {
        let path = bad.appendingPathComponent(name).path
        XCTAssertThrowsError(try { let f = try GGUFFile(path: path); _ = try ArchitectureRegistry.config(for: f) }()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix(path), "message should name the file: \(message)")
            XCTAssertTrue(message.localizedCaseInsensitiveContains(words), "'\(message)' should mention '\(words)'")
            XCTAssertFalse(message.contains("\n"))
        }
    }

    func testEachMalformedFile() {
        expectError("empty.gguf", containing: "empty")
        expectError("bad_magic.gguf", containing: "magic")
        expectError("truncated_header.gguf", containing: "truncated")
        expectError("tensor_past_end.gguf", containing: "past the end")
        expectError("absurd_dims.gguf", containing: "absurd")
        expectError("duplicate_tensor.gguf", containing: "duplicate")
        expectError("bad_utf8.gguf", containing: "UTF-8")
        expectError("unknown_type.gguf", containing: "type 99")
        expectError("unsupported_arch.gguf", containing: "unsupported architecture")
        expectError("zero_kv_heads.gguf", containing: "head_count_kv = 0 is out of range")
    }

    func testDirectoryAndMissingFile() {
        XCTAssertThrowsError(try GGUFFile(path: bad.path)) { XCTAssertTrue("\($0)".contains("directory")) }
        XCTAssertThrowsError(try GGUFFile(path: bad.appendingPathComponent("nope.gguf").path)) { XCTAssertTrue("\($0)".contains("cannot open")) }
    }

    func testValidTinyFileOpens() throws {
        let f = try GGUFFile(path: bad.appendingPathComponent("valid_tiny.gguf").path)
        XCTAssertFalse(f.tensors.isEmpty)
    }

    /// Thousands of random byte mutations of a valid header: each must open or throw, never crash or hang.
    func testMutatedHeadersNeverCrash() throws {
        let source = try Data(contentsOf: bad.appendingPathComponent("valid_tiny.gguf"))
        let headerLength = min(source.count, 512)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-fuzz-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rng = SeededRandom(seed: 1234)
        var opened = 0, rejected = 0
        for _ in 0..<3000 {
            var bytes = [UInt8](source)
            let edits = 1 + Int(rng.next() % 4)
            for _ in 0..<edits {
                let at = Int(rng.next() % UInt64(headerLength))
                switch rng.next() % 3 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes[at] ^= 1 << UInt8(rng.next() % 8)
                default: bytes[at] = [0, 0xFF, 0x7F, 0x80][Int(rng.next() % 4)]
                }
            }
            if rng.next() % 10 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count))) }
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                let f = try GGUFFile(path: path)
                for t in f.tensors where t.elementCount < 1 << 20 { _ = Dequantize.toFloatArray(file: f, tensor: t) }
                opened += 1
            } catch {
                rejected += 1
            }
        }
        XCTAssertEqual(opened + rejected, 3000)
    }
}
