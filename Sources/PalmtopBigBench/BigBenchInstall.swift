import Foundation

extension BigBenchStore {
    /// Fetches the `bigbench` source package with pip, checks its SHA-256, unpacks only the JSON tasks
    /// and BIG-bench Lite's list, indexes them and moves the result into place in one rename. A store
    /// that already has a manifest is left alone.
    public func pull(progress: (String) -> Void) throws -> BigBenchManifest {
        if let installed = try? manifest() {
            progress("bigbench: already installed at \(directory.path) (\(Self.formatBytes(installed.bytes)))")
            return installed
        }
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let work = parent.appendingPathComponent(".pull-bigbench-\(getpid())")
        try? fm.removeItem(at: work)
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }
        progress("bigbench: downloading \(Self.package) with pip (358 MB)")
        try Self.run(["python3", "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
                      "-d", work.path, Self.package], failure: "pip could not download \(Self.package) (offline, or pip missing?)")
        guard let archive = try fm.contentsOfDirectory(at: work, includingPropertiesForKeys: nil).first(where: { $0.lastPathComponent.hasSuffix(".tar.gz") }) else {
            throw BigBenchError("pip did not leave a bigbench-\(Self.version).tar.gz")
        }
        return try install(from: archive, expectedSHA256: Self.sha256, progress: progress)
    }

    /// Installs from a downloaded source package (also used by the tests with a small package of their own).
    public func install(from archive: URL, expectedSHA256: String, progress: (String) -> Void) throws -> BigBenchManifest {
        let fm = FileManager.default
        progress("bigbench: verifying \(archive.lastPathComponent)")
        let digest = String(try Self.run(["sha256sum", archive.path], failure: "could not checksum \(archive.path)").prefix(64))
        guard digest == expectedSHA256 else { throw BigBenchError("checksum mismatch for \(archive.lastPathComponent): got \(digest), expected \(expectedSHA256)") }
        let parent = directory.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".bigbench-staging-\(getpid())")
        try? fm.removeItem(at: staging)
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }
        let root = "bigbench-\(Self.version)/bigbench"
        progress("bigbench: unpacking the JSON tasks")
        // GNU tar's wildcards match "/" too, so `*/task.json` takes subtasks at any depth; task.py is
        // unpacked only to learn which tasks are programmatic, then deleted.
        try Self.run(["tar", "-xzf", archive.path, "-C", staging.path, "--wildcards",
                      "\(root)/benchmark_tasks/*/task.json", "\(root)/benchmark_tasks/*/task.py", "\(root)/bbseqio/bigbench_lite.py"],
                     failure: "could not unpack \(archive.lastPathComponent)")
        let unpacked = staging.appendingPathComponent(root)
        let tasksRoot = unpacked.appendingPathComponent("benchmark_tasks")
        let folders = try fm.contentsOfDirectory(atPath: tasksRoot.path).sorted()
        var programmatic: [String] = []
        for folder in folders {
            let dir = tasksRoot.appendingPathComponent(folder)
            if !fm.fileExists(atPath: dir.appendingPathComponent("task.json").path) { programmatic.append(folder) }
        }
        if let e = fm.enumerator(atPath: tasksRoot.path) {
            for case let path as String in e where path.hasSuffix("task.py") { try fm.removeItem(at: tasksRoot.appendingPathComponent(path)) }
        }
        for folder in programmatic { try? fm.removeItem(at: tasksRoot.appendingPathComponent(folder)) }
        let liteSource = (try? String(contentsOf: unpacked.appendingPathComponent("bbseqio/bigbench_lite.py"), encoding: .utf8)) ?? ""
        let lite = Self.liteNames(fromPython: liteSource)
        guard !lite.isEmpty else { throw BigBenchError("the package has no BIG-bench Lite list (bbseqio/bigbench_lite.py)") }
        let store = BigBenchStore(directory: staging.appendingPathComponent("bigbench"))
        try fm.createDirectory(at: store.directory, withIntermediateDirectories: true)
        try fm.moveItem(at: tasksRoot, to: store.tasksDirectory)
        var summaries: [BigBenchTaskSummary] = [], invalid: [String: String] = [:]
        let jsonTasks = folders.filter { !programmatic.contains($0) }
        for (i, folder) in jsonTasks.enumerated() {
            progress("bigbench: indexing \(i + 1)/\(jsonTasks.count) \(folder)")
            do {
                let task = try BigBenchTask.load(directory: store.tasksDirectory.appendingPathComponent(folder))
                summaries.append(Self.summary(of: task, folder: folder, lite: lite.contains(folder)))
            } catch {
                invalid[folder] = "\(error)"
            }
        }
        let manifest = BigBenchManifest(version: Self.version, sha256: digest, tasks: summaries, invalid: invalid,
                                        programmatic: programmatic, lite: lite, bytes: Self.diskUse(store.tasksDirectory))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(manifest).write(to: store.manifestURL)
        // A damaged earlier copy (no manifest) is moved aside first, so the rename below is the switch.
        let old = parent.appendingPathComponent(".bigbench-old-\(getpid())")
        if fm.fileExists(atPath: directory.path) { try fm.moveItem(at: directory, to: old) }
        defer { try? fm.removeItem(at: old) }
        guard rename(store.directory.path, directory.path) == 0 else { throw BigBenchError("could not move the tasks into \(directory.path)") }
        progress("bigbench: installed \(summaries.count) JSON tasks (\(manifest.tasks.reduce(0) { $0 + max($1.subtasks.count, 1) }) leaves, "
                 + "\(programmatic.count) programmatic tasks skipped) at \(directory.path), \(Self.formatBytes(manifest.bytes)) on disk")
        return manifest
    }

    static func summary(of task: BigBenchTask, folder: String, lite: Bool) -> BigBenchTaskSummary {
        let leaves = task.leaves.compactMap(\.leaf)
        let mc = leaves.contains { $0.isMultipleChoice }, gen = leaves.contains { $0.isGenerative }
        return BigBenchTaskSummary(name: folder, type: mc && gen ? "multiple_choice+generative" : (mc ? "multiple_choice" : "generative"),
                                   examples: task.exampleCount, preferredMetric: task.preferredScore ?? "",
                                   subtasks: task.subtasks.map(\.name), lite: lite, description: task.description)
    }

    /// The quoted names in `BIGBENCH_LITE_TASK_NAMES` (single-quoted in the package; its key is double-quoted).
    static func liteNames(fromPython source: String) -> [String] {
        guard let start = source.range(of: "BIGBENCH_LITE_TASK_NAMES") else { return [] }
        let body = source[start.upperBound...]
        guard let regex = try? NSRegularExpression(pattern: "'([A-Za-z0-9_]+)'") else { return [] }
        let text = String(body)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
            Range(m.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    static func diskUse(_ directory: URL) -> Int {
        guard let e = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey]) else { return 0 }
        var total = 0
        for case let url as URL in e { total += (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0 }
        return total
    }

    public static func formatBytes(_ n: Int) -> String {
        n >= 1 << 30 ? String(format: "%.1f GB", Double(n) / Double(1 << 30)) : String(format: "%.0f MB", Double(n) / Double(1 << 20))
    }

    @discardableResult
    static func run(_ args: [String], failure: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        // stderr goes to a file so only one pipe needs draining while the child runs.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-bigbench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: errURL)
        do { try p.run() } catch { throw BigBenchError("\(failure): \(error.localizedDescription)") }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errURL.path) ?? Data()
        guard p.terminationStatus == 0 else {
            let last = String(decoding: errData, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            throw BigBenchError("\(failure)\(last.isEmpty ? "" : ": " + last)")
        }
        return String(decoding: outData, as: UTF8.self)
    }
}
