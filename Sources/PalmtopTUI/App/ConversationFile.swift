import Foundation
import PalmtopEngine
import PalmtopPrompts

/// A saved conversation (`/save`, `/load`): transcript with every branch and its token probabilities,
/// the sampling settings (and so the seed), the model and the mode.
public struct ConversationFile: Codable, Equatable {
    public var format = ConversationFile.formatName
    public var version = 1
    public var model: String
    public var mode: ChatMode
    public var seed: UInt64
    public var settings: SamplingSettings
    public var probabilities: Bool
    public var conversation: Conversation

    static let formatName = "palmtop-conversation"

    public init(model: String, mode: ChatMode, settings: SamplingSettings, probabilities: Bool, conversation: Conversation) {
        self.model = model
        self.mode = mode
        seed = settings.seed
        self.settings = settings
        self.probabilities = probabilities
        self.conversation = conversation
    }

    // A forced token's post-sampler log-probability can be -infinity, which plain JSON cannot hold.
    private static let infinity = (positive: "inf", negative: "-inf", nan: "nan")

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: Self.infinity.positive,
                                                                      negativeInfinity: Self.infinity.negative, nan: Self.infinity.nan)
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    public static func decode(_ data: Data, path: String) throws -> ConversationFile {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: infinity.positive,
                                                                        negativeInfinity: infinity.negative, nan: infinity.nan)
        let file: ConversationFile
        do { file = try decoder.decode(ConversationFile.self, from: data) } catch {
            throw CommandError("\(path) is not a saved conversation (\(Self.describe(error)))")
        }
        guard file.format == formatName else { throw CommandError("\(path) is not a saved conversation (format '\(file.format)')") }
        do { try file.settings.validate() } catch { throw CommandError("\(path): \(error)") }
        return file
    }

    /// Writes atomically (temporary file and rename, previous version kept as `FILE~`).
    public func save(to path: String) throws {
        try AtomicWriter.write(try json(), to: path)
    }

    public static func load(from path: String) throws -> ConversationFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("cannot read \(path)") }
        return try decode(data, path: path)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "bad value at \(path)"
        default: return "\(error)"
        }
    }
}
