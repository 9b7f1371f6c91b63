import Foundation

/// A task as `palmtop bigbench list` shows it, recorded at install time so listing never parses 1.6 GB.
public struct BigBenchTaskSummary: Codable, Sendable, Equatable {
    public var name: String
    /// "multiple_choice", "generative" or "multiple_choice+generative".
    public var type: String
    public var examples: Int
    public var preferredMetric: String
    public var subtasks: [String]
    public var lite: Bool
    public var description: String
}

/// What an installed copy of BIG-bench holds: its version, checksum, the tasks, the programmatic
/// tasks (refused with a message), BIG-bench Lite's names and the disk space used.
public struct BigBenchManifest: Codable, Sendable {
    public var version: String
    public var sha256: String
    public var tasks: [BigBenchTaskSummary]
    /// Tasks that could not be loaded, with BIG-bench's reason.
    public var invalid: [String: String]
    public var programmatic: [String]
    public var lite: [String]
    public var bytes: Int
}

/// The BIG-bench tasks in `${PALMTOP_HOME:-~/.cache/palmtop}/bigbench/`: finding a task by name (with the
/// closest names when there is none), and installing them from the `bigbench` source package.
public struct BigBenchStore: Sendable {
    public let directory: URL
    public static let package = "bigbench==1.0.0"
    public static let version = "1.0.0"
    /// SHA-256 of `bigbench-1.0.0.tar.gz` (358,249,635 bytes).
    public static let sha256 = "1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2"

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["PALMTOP_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/palmtop")
        directory = home.appendingPathComponent("bigbench")
    }

    public init(directory: URL) { self.directory = directory }

    var tasksDirectory: URL { directory.appendingPathComponent("tasks") }
    var manifestURL: URL { directory.appendingPathComponent("manifest.json") }

    /// The installed manifest, or the one-line advice to pull.
    public func manifest() throws -> BigBenchManifest {
        guard let data = FileManager.default.contents(atPath: manifestURL.path) else {
            throw BigBenchError("BIG-bench is not installed in \(directory.path); run: palmtop pull bigbench")
        }
        do { return try JSONDecoder().decode(BigBenchManifest.self, from: data) } catch {
            throw BigBenchError("\(manifestURL.path) is damaged; run: palmtop pull bigbench")
        }
    }

    /// `TASK` or `TASK:SUBTASK` (the subtask's `name`, as in BIG-bench's `parent:child`).
    public func load(_ reference: String) throws -> BigBenchTask {
        let manifest = try manifest()
        let parts = reference.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0]
        if manifest.programmatic.contains(name) {
            throw BigBenchError("\(name) is a programmatic BIG-bench task (task.py); Palmtop runs JSON tasks only")
        }
        if let reason = manifest.invalid[name] { throw BigBenchError("\(name) does not load: \(reason)") }
        guard manifest.tasks.contains(where: { $0.name == name }) else {
            throw BigBenchError("unknown BIG-bench task '\(name)'" + Self.suggestion(for: name, among: manifest.tasks.map(\.name) + manifest.programmatic))
        }
        let directory = tasksDirectory.appendingPathComponent(name)
        if parts.count == 2, let summary = manifest.tasks.first(where: { $0.name == name }),
           let sub = try Self.loadSubtask(parts[1], of: summary, in: directory) {
            return sub
        }
        let task = try BigBenchTask.load(directory: directory)
        guard parts.count == 2 else { return task }
        let childNames = task.subtasks.map { String($0.name.dropFirst(task.name.count + 1)) }
        guard !task.subtasks.isEmpty else { throw BigBenchError("\(name) has no subtasks") }
        guard let i = childNames.firstIndex(of: parts[1]) else {
            throw BigBenchError("\(name) has no subtask '\(parts[1])'" + Self.suggestion(for: parts[1], among: childNames))
        }
        return task.subtasks[i]
    }

    /// One subtask alone, without reading its siblings (a container can hold hundreds of megabytes):
    /// the manifest's subtask names are in BIG-bench's folder order. Nil when the names and folders do
    /// not line up, so the caller loads the whole container and reports what is wrong.
    static func loadSubtask(_ child: String, of summary: BigBenchTaskSummary, in directory: URL) throws -> BigBenchTask? {
        let split = summary.subtasks.map { full in full.firstIndex(of: ":").map { (parent: String(full[..<$0]), child: String(full[full.index(after: $0)...])) } }
        guard let i = split.firstIndex(where: { $0?.child == child }), let parent = split[i]?.parent else { return nil }
        let folders = BigBenchTask.subtaskDirectories(of: directory)
        guard folders.count == summary.subtasks.count else { return nil }
        let task = try BigBenchTask.load(directory: folders[i], parentName: parent)
        return task.name == summary.subtasks[i] ? task : nil
    }

    /// "; closest: a, b, c" — the names nearest by edit distance (a name containing the query first).
    public static func suggestion(for query: String, among names: [String]) -> String {
        let q = Array(query.lowercased())
        func distance(_ name: String) -> Int {
            let n = Array(name.lowercased())
            if n.count >= q.count, name.lowercased().contains(query.lowercased()) { return n.count - q.count - 1000 }
            var row = Array(0...n.count)
            for (i, a) in q.enumerated() {
                var previous = row[0]
                row[0] = i + 1
                for (j, b) in n.enumerated() {
                    let current = row[j + 1]
                    row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (a == b ? 0 : 1))
                    previous = current
                }
            }
            return row[n.count]
        }
        let ranked: [(name: String, distance: Int)] = names.map { ($0, distance($0)) }
        let closest = ranked.sorted { a, b in a.distance != b.distance ? a.distance < b.distance : a.name < b.name }.prefix(3).map(\.name)
        return closest.isEmpty ? "" : "; closest: \(closest.joined(separator: ", "))"
    }
}
