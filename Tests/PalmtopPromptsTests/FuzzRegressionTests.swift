import XCTest
import PalmtopTestSupport
import PalmtopFuzzTargets

/// Every input a fuzz target once crashed on (Tests/Fixtures/fuzz/TARGET/), through that target again.
/// FuzzGGUF and FuzzDevSet have no check beyond not crashing; FuzzPromptFile also says what went wrong.
final class FuzzRegressionTests: XCTestCase {
    func inputs(_ target: String) throws -> [URL] {
        let dir = TestSupport.fixture("fuzz/\(target)")
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }  // no finding yet
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    func testPromptFileFindings() throws {
        let files = try inputs("FuzzPromptFile")
        XCTAssertFalse(files.isEmpty)
        for url in files {
            let problem = try Data(contentsOf: url).withUnsafeBytes(PromptFileFuzzTarget.check)
            XCTAssertNil(problem, url.lastPathComponent)
        }
    }

    func testGGUFAndDevSetFindingsDoNotCrash() throws {
        for url in try inputs("FuzzGGUF") { try Data(contentsOf: url).withUnsafeBytes(GGUFFuzzTarget.run) }
        for url in try inputs("FuzzDevSet") { try Data(contentsOf: url).withUnsafeBytes(DevSetFuzzTarget.run) }
    }
}
