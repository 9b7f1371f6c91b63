import Foundation
import PalmtopEngine

/// A parsed `/command`.
public enum SlashCommand: Equatable, Sendable {
    case help
    case model(String)
    /// A server URL, or `local` for the in-process model.
    case backend(String)
    case mode(ChatMode)
    case set(name: String, value: String)
    case show, clear, regen
    case save(String), load(String)
    case probs(Bool)
    case draft(DraftMode)
    case library
    case quit

    /// The commands, their arguments and what they do: help and Tab completion read this table.
    public static let catalog: [(name: String, arguments: String, help: String)] = [
        ("help", "", "keys and commands"),
        ("model", "NAME|PATH", "switch to another model (a known name or a .gguf path)"),
        ("backend", "URL|local", "chat with a model on an OpenAI-compatible server (local: back to the in-process model)"),
        ("mode", "chat|complete", "chat template, or plain continuation of the transcript"),
        ("set", "PARAM VALUE", "change a sampling setting (/show lists them)"),
        ("show", "", "model, mode and every sampling setting"),
        ("clear", "", "forget the conversation and the KV cache"),
        ("regen", "", "another response to the last message (a new branch)"),
        ("save", "FILE", "save the conversation as JSON (atomically)"),
        ("load", "FILE", "load a saved conversation"),
        ("probs", "on|off", "colour generated tokens by probability"),
        ("draft", "prompt-lookup|none", "guess greedy replies' next tokens from earlier text and verify them in one pass (same output), or not"),
        ("library", "", "browse the prompt library (F4)"),
        ("quit", "", "leave (also Ctrl-D on an empty line)"),
    ]

    /// Parses a line that starts with "/"; the error is the one-line message the status area shows.
    public static func parse(_ line: String) throws -> SlashCommand {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("/") else { throw CommandError("commands start with /") }
        let body = trimmed.dropFirst()
        let name = String(body.prefix { !$0.isWhitespace })
        let rest = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        func argument(_ usage: String) throws -> String {
            guard !rest.isEmpty else { throw CommandError("usage: /\(name) \(usage)") }
            return rest
        }
        func none() throws {
            guard rest.isEmpty else { throw CommandError("/\(name) takes no argument") }
        }
        switch name {
        case "help": try none(); return .help
        case "model": return .model(try argument("NAME|PATH"))
        case "backend": return .backend(try argument("URL|local"))
        case "mode":
            guard let mode = ChatMode(rawValue: try argument("chat|complete")) else { throw CommandError("usage: /mode chat|complete") }
            return .mode(mode)
        case "set":
            let parts = try argument("PARAM VALUE (e.g. /set temperature 0.7)")
            let param = String(parts.prefix { !$0.isWhitespace })
            let value = parts.dropFirst(param.count).trimmingCharacters(in: .whitespaces)
            guard SettingsCatalog.spec(named: param) != nil else {
                throw CommandError("unknown setting '\(param)' (one of: \(SettingsCatalog.names.joined(separator: ", ")))")
            }
            // Only stop sequences may be empty (that clears them).
            guard !value.isEmpty || param == "stop" else { throw CommandError("usage: /set \(param) VALUE") }
            return .set(name: param, value: value)
        case "show": try none(); return .show
        case "clear": try none(); return .clear
        case "regen": try none(); return .regen
        case "save": return .save(try argument("FILE"))
        case "load": return .load(try argument("FILE"))
        case "probs":
            switch try argument("on|off") {
            case "on": return .probs(true)
            case "off": return .probs(false)
            default: throw CommandError("usage: /probs on|off")
            }
        case "draft":
            guard let mode = DraftMode(rawValue: try argument("prompt-lookup|none")) else { throw CommandError("usage: /draft prompt-lookup|none") }
            return .draft(mode)
        case "library": try none(); return .library
        case "quit", "exit": try none(); return .quit
        case "": throw CommandError("type a command after / (see /help)")
        default: throw CommandError("unknown command /\(name) (see /help)")
        }
    }
}

/// A bad command, value or file, shown as one line in the status area.
public struct CommandError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ d: String) { description = d }
}

/// Tab completion for the input line: command names, then each command's parameter or value.
public enum SlashCompleter {
    /// The completed line and, when several fit, the candidates (for the status area).
    public struct Result: Equatable {
        public var line: String
        public var candidates: [String]
    }

    public static func complete(_ line: String, models: [String] = []) -> Result {
        guard line.hasPrefix("/"), !line.contains("\n") else { return Result(line: line, candidates: []) }
        guard let space = line.firstIndex(of: " ") else {
            let takesArgument = Set(SlashCommand.catalog.filter { !$0.arguments.isEmpty }.map { "/" + $0.name })
            return extend(line, prefix: "", word: line, options: SlashCommand.catalog.map { "/" + $0.name },
                          space: takesArgument.contains)
        }
        let command = String(line[..<space])
        let argument = String(line[line.index(after: space)...])
        switch command {
        case "/mode": return extend(line, prefix: "/mode ", word: argument, options: ChatMode.allCases.map(\.rawValue))
        case "/probs": return extend(line, prefix: "/probs ", word: argument, options: ["on", "off"])
        case "/draft": return extend(line, prefix: "/draft ", word: argument, options: DraftMode.allCases.map(\.rawValue))
        case "/model": return extend(line, prefix: "/model ", word: argument, options: models)
        case "/set":
            guard let gap = argument.firstIndex(of: " ") else {
                return extend(line, prefix: "/set ", word: argument, options: SettingsCatalog.names, space: { _ in true })
            }
            let param = String(argument[..<gap])
            let value = String(argument[argument.index(after: gap)...])
            let values = param == "order" ? [SamplerStage.allCases.map(\.rawValue).joined(separator: ",")] : []
            return extend(line, prefix: "/set \(param) ", word: value, options: values)
        default: return Result(line: line, candidates: [])
        }
    }

    /// Completes `word` among `options`: a unique match is filled in (followed by a space when
    /// `space` says more is expected), several are extended to their longest common prefix and listed.
    private static func extend(_ line: String, prefix: String, word: String, options: [String],
                               space: (String) -> Bool = { _ in false }) -> Result {
        let matches = options.filter { $0.hasPrefix(word) }
        guard !matches.isEmpty else { return Result(line: line, candidates: []) }
        if matches.count == 1 { return Result(line: prefix + matches[0] + (space(matches[0]) ? " " : ""), candidates: []) }
        var common = matches[0]
        for m in matches.dropFirst() {
            while !m.hasPrefix(common) { common.removeLast() }
        }
        return Result(line: prefix + common, candidates: matches)
    }
}
