import Foundation

/// One dev-set item: an input with an expected output (exact-match) or choices and an answer (rank-choices).
public struct DevItem: Codable, Sendable, Equatable {
    public var input: String
    public var output: String?
    public var choices: [String]?
    public var answer: String?

    public init(input: String, output: String? = nil, choices: [String]? = nil, answer: String? = nil) {
        self.input = input
        self.output = output
        self.choices = choices
        self.answer = answer
    }
}

extension PromptFile {
    /// The dev set next to the prompt file (or the one given), validated line by line.
    public func loadDevSet(override: String? = nil) throws -> [DevItem] {
        let base = path.map { ($0 as NSString).deletingLastPathComponent } ?? "."
        guard let rel = override ?? devPath else { return [] }
        let file = override ?? (rel.hasPrefix("/") ? rel : (base as NSString).appendingPathComponent(rel))
        let text = try PromptFileLimits.readText(file, limit: PromptFileLimits.maxDevSetBytes, what: "dev set")
        return try Self.parseDevSet(text, path: file, scoring: scoring)
    }

    /// Dev-set JSON lines (blank lines skipped), each checked against `scoring`; errors name `path` and the line.
    public static func parseDevSet(_ text: String, path file: String, scoring: ScoringMethod) throws -> [DevItem] {
        var items: [DevItem] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            try PromptFileLimits.checkJSONNesting(line, path: file, lineNumber: i + 1)
            do {
                let item = try JSONDecoder().decode(DevItem.self, from: Data(line.utf8))
                switch scoring {
                case .exactMatch where item.output == nil:
                    throw PromptFileError(path: file, line: i + 1, message: "an exact-match item needs 'output'")
                case .rankChoices where item.choices == nil || item.answer == nil || !(item.choices ?? []).contains(item.answer ?? ""):
                    throw PromptFileError(path: file, line: i + 1, message: "a rank-choices item needs 'choices' and an 'answer' among them")
                default: break
                }
                items.append(item)
            } catch let e as PromptFileError {
                throw e
            } catch {
                throw PromptFileError(path: file, line: i + 1, message: "not a valid dev item: \(error)")
            }
        }
        return items
    }
}
