import Crypto
import XCTest
import PalmtopTestSupport
import PalmtopEngine

/// Every tensor dequantizes bit-identically to the `gguf` package's `dequantize`, rounded to bf16
/// (fixtures from scripts/make_dequant_fixtures.py and scripts/make_synthetic_quant.py).
final class DequantizeTests: XCTestCase {
    let pool = ThreadPool()

    func check(file path: String, fixture: URL, checkFileHash: Bool) throws {
        let file = try GGUFFile(path: path)
        let json = try TestSupport.json(fixture)
        let tensors = json["tensors"] as! [[String: Any]]
        XCTAssertEqual(tensors.count, file.tensors.count)
        for t in tensors {
            let name = t["name"] as! String
            guard let info = file.tensor(name) else { XCTFail("missing \(name)"); continue }
            XCTAssertEqual(info.type.name, t["type"] as? String, name)
            XCTAssertEqual(info.dims, (t["ne"] as! [NSNumber]).map(\.intValue), name)
            let count = info.elementCount
            let out = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
            defer { out.deallocate() }
            Dequantize.toBF16(file: file, tensor: info, into: out, pool: pool)
            for s in t["samples"] as! [[NSNumber]] {
                XCTAssertEqual(out[s[0].intValue], UInt16(s[1].intValue), "\(name)[\(s[0])]")
            }
            let digest = SHA256.hash(data: UnsafeRawBufferPointer(start: out, count: count * 2)).map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(digest, t["sha256"] as? String, "\(name) (\(info.type.name)) bf16 digest")
        }
    }

    func testSyntheticFileCoversEveryType() throws {
        let path = TestSupport.testData.appendingPathComponent("synthetic.gguf").path
        try check(file: path, fixture: TestSupport.fixture("dequant/synthetic.json"), checkFileHash: false)
        let types = Set(try GGUFFile(path: path).tensors.map(\.type))
        XCTAssertEqual(types, Set(GGMLType.allCases))
    }

    func testGemmaTensorsMatchReference() throws {
        try check(file: TestSupport.modelPath("gemma-3-270m"), fixture: TestSupport.fixture("dequant/gemma-3-270m.json"), checkFileHash: true)
    }

    func testSmolLMTensorsMatchReference() throws {
        try check(file: TestSupport.modelPath("smollm2-135m-instruct"), fixture: TestSupport.fixture("dequant/smollm2-135m-instruct.json"), checkFileHash: true)
    }

    func testRoundToNearestEven() {
        XCTAssertEqual(Dequantize.bf16(1.0), 0x3F80)
        XCTAssertEqual(Dequantize.bf16(Float(bitPattern: 0x3F80_8000)), 0x3F80) // tie → even
        XCTAssertEqual(Dequantize.bf16(Float(bitPattern: 0x3F81_8000)), 0x3F82) // tie → even
        XCTAssertEqual(Dequantize.bf16(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(Dequantize.bf16(-.infinity), 0xFF80)
        XCTAssertTrue(Dequantize.float(bf16: Dequantize.bf16(.nan)).isNaN)
    }
}
