import Foundation

/// Where prompts live. The user's library (`PALMTOP_PROMPTS`, else
/// `${XDG_DATA_HOME:-~/.local/share}/palmtop/prompts`) is theirs to change; the shipped prompts are
/// read-only templates installed beside the binary (`make install`: `$PREFIX/share/palmtop/prompts`),
/// or the checkout's `prompts/` for a binary built there. Saving a shipped prompt writes a copy into
/// the user's library, so a shipped file is never edited in place. A user prompt with the name of a
/// shipped one takes its place in the list and in name lookups.
public enum PromptLibrary {
    /// One prompt in the library.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let path: String
        /// A shipped template rather than a prompt of the user's.
        public let shipped: Bool
    }

    public static func userDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["PALMTOP_PROMPTS"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/share")
        return URL(fileURLWithPath: data).appendingPathComponent("palmtop/prompts")
    }

    /// `PALMTOP_SHIPPED_PROMPTS` (for packagers and tests), else `../share/palmtop/prompts` from the
    /// executable, else the `prompts/` of the checkout the executable was built in.
    public static func shippedDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let fm = FileManager.default
        if let dir = environment["PALMTOP_SHIPPED_PROMPTS"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let installed = exe.deletingLastPathComponent().appendingPathComponent("share/palmtop/prompts")
        if fm.fileExists(atPath: installed.path) { return installed }
        // A build in the checkout lives in .build/<triple>/release/.
        var dir = exe
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("prompts")
            if fm.fileExists(atPath: candidate.appendingPathComponent("README.md").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The user's prompts, then the shipped ones not shadowed by a user prompt of the same name.
    public static func entries(environment: [String: String] = ProcessInfo.processInfo.environment) -> [Entry] {
        let user = userDirectory(environment: environment)
        let own = names(in: user).map { Entry(name: $0, path: user.appendingPathComponent("\($0).yaml").path, shipped: false) }
        guard let shipped = shippedDirectory(environment: environment), shipped.standardizedFileURL != user.standardizedFileURL else { return own }
        let taken = Set(own.map(\.name))
        return own + names(in: shipped).filter { !taken.contains($0) }
            .map { Entry(name: $0, path: shipped.appendingPathComponent("\($0).yaml").path, shipped: true) }
    }

    /// Whether `path` is one of the shipped templates (and not also the user's library).
    public static func isShipped(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let shipped = shippedDirectory(environment: environment) else { return false }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL
        return dir == shipped.standardizedFileURL && dir != userDirectory(environment: environment).standardizedFileURL
    }

    /// Where saving the prompt loaded from `path` writes: the file itself, or for a shipped template
    /// the user library's file of the same name.
    public static func saveTarget(for path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard isShipped(path, environment: environment) else { return path }
        return userDirectory(environment: environment).appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent).path
    }

    /// Saves `prompt` (loaded from `source`) to `target`, creating the user library when needed. A
    /// dev set named relative to the prompt is copied beside the new file unless one is there already,
    /// so the copy runs its dev set as the original did.
    public static func save(_ prompt: PromptFile, from source: String, to target: String) throws {
        let fm = FileManager.default
        let targetDir = URL(fileURLWithPath: target).deletingLastPathComponent()
        do { try fm.createDirectory(at: targetDir, withIntermediateDirectories: true) } catch {
            throw PromptFileError(path: targetDir.path, line: nil, message: "cannot create the prompt library folder")
        }
        try prompt.save(to: target, basedOn: source)
        guard let dev = prompt.devPath, !dev.hasPrefix("/") else { return }
        let from = URL(fileURLWithPath: source).deletingLastPathComponent().appendingPathComponent(dev).path
        let to = targetDir.appendingPathComponent(dev).path
        if from != to && !fm.fileExists(atPath: to) && fm.fileExists(atPath: from) { try? fm.copyItem(atPath: from, toPath: to) }
    }

    /// Names of the prompts in one folder, sorted.
    public static func names(in dir: URL) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }
}
