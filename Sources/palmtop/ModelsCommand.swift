import ArgumentParser
import Foundation
import PalmtopEngine
import PalmtopRemote

/// `palmtop models`: what is installed, with architecture, size and parameter count.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List installed models (with --backend: the server's models).")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var remote: RemoteOptions

    func run() throws {
        if let url = remote.url {
            let models = try RemoteBackend.listModels(url: url, apiKey: remote.key, timeout: remote.timeout)
            if json {
                JSONLine.print(["backend": url, "models": models.map { ["id": $0.id, "owned_by": $0.ownedBy ?? NSNull()] as [String: Any] }])
            } else {
                for m in models { print(m.id + (m.ownedBy.map { "  (\($0))" } ?? "")) }
            }
            return
        }
        let store = ModelStore()
        var rows: [[String: Any]] = []
        for url in store.installed() {
            var row: [String: Any] = ["name": url.deletingPathExtension().lastPathComponent, "path": url.path]
            do {
                let f = try GGUFFile(path: url.path)
                row["architecture"] = f.architecture ?? "?"
                row["parameters"] = f.parameterCount
                row["file_type"] = Dictionary(grouping: f.tensors, by: { $0.type.name }).mapValues(\.count)
                    .sorted { $0.value > $1.value }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
                row["size_bytes"] = f.mapping.size
            } catch {
                row["error"] = "\(error)"
            }
            rows.append(row)
        }
        if json { JSONLine.print(["models": rows, "directory": store.directory.path]); return }
        if rows.isEmpty { print("No models in \(store.directory.path). Run: palmtop pull"); return }
        for r in rows {
            let size = Double(r["size_bytes"] as? Int ?? 0) / 1e6
            let params = Double(r["parameters"] as? Int ?? 0) / 1e6
            func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
            let name = pad(r["name"] as! String, 24), arch = pad(r["architecture"] as? String ?? "?", 8)
            print(name + " " + arch + String(format: " %7.1fM params %8.1f MB  ", params, size) + (r["path"] as! String))
        }
    }
}
