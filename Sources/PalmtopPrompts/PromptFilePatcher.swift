import PalmtopSampling
import Yams

/// Turns the text of a prompt file into one that loads as an edited prompt while keeping every byte
/// the edit did not touch: comments, key order, block scalars, quoting, blank lines. Each changed
/// value is rewritten at its own span (found from the parsed node's start and the value's style),
/// in the style it had; a key the file lacked is added beside its siblings; exemplars that did not
/// change, or only moved, keep their lines verbatim.
struct PromptFilePatcher {
    private let source: YAMLSource
    private let root: Node.Mapping
    private let old: PromptFile
    private let new: PromptFile
    private var edits: [(range: Range<Int>, text: String)] = []

    /// The patched text, or nil when the file's layout is one this cannot patch (the caller then
    /// writes the whole file anew).
    static func patch(text: String, from old: PromptFile, to new: PromptFile) -> String? {
        guard let node = try? Yams.compose(yaml: text), let root = node.mapping else { return nil }
        var patcher = PromptFilePatcher(source: YAMLSource(text), root: root, old: old, new: new)
        guard patcher.collectEdits() else { return nil }
        return patcher.applied()
    }

    private init(source: YAMLSource, root: Node.Mapping, old: PromptFile, new: PromptFile) {
        self.source = source
        self.root = root
        self.old = old
        self.new = new
    }

    private func entry(_ key: String, in map: Node.Mapping) -> (key: Node, value: Node)? {
        map.first { $0.key.string == key }.map { ($0.key, $0.value) }
    }

    /// The edits applied in order of position; edits at one position keep the order they were made
    /// in. Overlapping edits mean the layout was misread: nil.
    private func applied() -> String? {
        var out = String.UnicodeScalarView()
        var at = 0
        let ordered = edits.enumerated().sorted { ($0.element.range.lowerBound, $0.offset) < ($1.element.range.lowerBound, $1.offset) }
        for edit in ordered.map(\.element) {
            guard edit.range.lowerBound >= at else { return nil }
            out.append(contentsOf: source.scalars[at..<edit.range.lowerBound])
            out.append(contentsOf: edit.text.unicodeScalars)
            at = edit.range.upperBound
        }
        out.append(contentsOf: source.scalars[at...])
        return String(out)
    }

    /// Nested blocks first, so that what they add after their last line comes before a top-level key
    /// added at the same place.
    private mutating func collectEdits() -> Bool {
        guard patchSampling(), patchExemplars() else { return false }
        if old.extractor != new.extractor {
            guard setBlock("extractor", new.extractor.map(PromptFile.extractorLines)) else { return false }
        }
        if old.selfConsistency != new.selfConsistency {
            guard setBlock("self_consistency", new.selfConsistency.map(PromptFile.selfConsistencyLines)) else { return false }
        }
        let strings: [(String, KeyPath<PromptFile, String>)] = [
            ("name", \.name), ("description", \.description), ("model", \.model), ("template", \.template),
            ("separator", \.separator), ("query", \.query), ("choice_template", \.choiceTemplate)]
        for (key, path) in strings where old[keyPath: path] != new[keyPath: path] {
            guard setScalar(key, new[keyPath: path], in: root) else { return false }
        }
        let optionals: [(String, String?, String?)] = [
            ("instruction", old.instruction, new.instruction), ("instruction_separator", old.instructionSeparator, new.instructionSeparator),
            ("dev", old.devPath, new.devPath), ("source", old.source, new.source),
            ("mode", old.mode.rawValue, new.mode.rawValue), ("scoring", old.scoring.rawValue, new.scoring.rawValue)]
        for (key, before, after) in optionals where before != after {
            if let after { guard setScalar(key, after, in: root) else { return false } } else { guard removeEntry(key) else { return false } }
        }
        return true
    }

    // MARK: scalars and whole entries

    /// Sets `key` of `map` to a string, in the style the old value had; adds the key when it is missing.
    private mutating func setScalar(_ key: String, _ value: String, in map: Node.Mapping, rendered: String? = nil) -> Bool {
        if let (k, v) = entry(key, in: map) {
            guard let keyStart = source.offset(k), let start = source.offset(v) else { return false }
            let indent = source.column(of: keyStart)
            if let s = v.scalar, s.string != "" || source.scalars[start] != "\n" {
                guard let end = source.end(of: v, parentIndent: indent) else { return false }
                edits.append((start..<end, rendered ?? YAMLScalarWriter.write(value, style: s.style, indent: indent)))
            } else {
                // A collection (or an empty value) becomes a scalar: rewrite everything after the key.
                guard let keyEnd = source.keyEnd(k), let end = source.end(of: v, parentIndent: indent) else { return false }
                edits.append((keyEnd..<max(end, keyEnd), ": " + (rendered ?? YAMLScalarWriter.doubleQuoted(value))))
            }
            return true
        }
        return insert(key: key, line: rendered ?? YAMLScalarWriter.doubleQuoted(value), into: map)
    }

    /// Adds `key: text` after the last entry of `map` at its keys' indentation (top level: at the end).
    private mutating func insert(key: String, line text: String, into map: Node.Mapping) -> Bool {
        guard let last = Array(map).last, let lastKey = source.offset(last.key), let firstKey = map.first.flatMap({ source.offset($0.key) }),
              let end = source.end(of: last.value, parentIndent: source.column(of: lastKey)) else { return false }
        let pad = String(repeating: " ", count: source.column(of: firstKey))
        if map.style == .flow { return false }
        let at = source.nextLineStart(after: max(end - 1, lastKey))
        let newline = at == source.scalars.count && source.scalars.last != "\n" ? "\n" : ""
        edits.append((at..<at, newline + pad + key + ": " + text + "\n"))
        return true
    }

    /// The lines of a top-level entry, from its key's line to the end of its value's last line.
    private func lines(of key: String) -> Range<Int>? {
        guard let (k, v) = entry(key, in: root), let keyStart = source.offset(k),
              let end = source.end(of: v, parentIndent: source.column(of: keyStart)) else { return nil }
        return source.lineStart(of: keyStart)..<source.nextLineStart(after: max(end - 1, keyStart))
    }

    private mutating func removeEntry(_ key: String) -> Bool {
        guard entry(key, in: root) != nil else { return true }
        guard let range = lines(of: key) else { return false }
        edits.append((range, ""))
        return true
    }

    /// Replaces (or adds, or with nil removes) a top-level entry whose value is a block mapping.
    private mutating func setBlock(_ key: String, _ body: [String]?) -> Bool {
        guard let body else { return removeEntry(key) }
        let text = key + ":\n" + body.map { "  " + $0 + "\n" }.joined()
        if entry(key, in: root) != nil {
            guard let range = lines(of: key) else { return false }
            edits.append((range, text))
        } else {
            let at = source.scalars.count
            edits.append((at..<at, (source.scalars.last == "\n" || at == 0 ? "" : "\n") + text))
        }
        return true
    }

    // MARK: sampling

    private mutating func patchSampling() -> Bool {
        let before = PromptFile.samplingEntries(old.sampling), after = PromptFile.samplingEntries(new.sampling)
        let changed = zip(before, after).filter { $0.0.value != $0.1.value }.map(\.1)
        guard !changed.isEmpty else { return true }
        guard let (_, value) = entry("sampling", in: root) else {
            return setBlock("sampling", PromptFile.samplingLines(new.sampling))
        }
        guard let map = value.mapping, map.style != .flow else { return setBlock("sampling", PromptFile.samplingLines(new.sampling)) }
        for (key, text) in changed {
            guard setScalar(key, text, in: map, rendered: text) else { return false }
        }
        return true
    }

    // MARK: exemplars

    private struct Item {
        let node: Node.Mapping
        let region: Range<Int>
    }

    private mutating func patchExemplars() -> Bool {
        guard old.exemplars != new.exemplars else { return true }
        guard let (k, v) = entry("exemplars", in: root), let seq = v.sequence, seq.style != .flow, !seq.isEmpty else {
            return setBlock("exemplars", nil) && insertFreshExemplars()
        }
        var items: [Item] = []
        for (i, node) in seq.enumerated() {
            guard let map = node.mapping, map.style != .flow, let start = source.offset(node) else { return false }
            let regionStart = source.lineStart(of: start)
            let regionEnd: Int
            if i + 1 < seq.count {
                guard let next = source.offset(seq[i + 1]) else { return false }
                regionEnd = source.lineStart(of: next)
            } else {
                guard let end = source.end(of: node, parentIndent: source.column(of: start) - 2) else { return false }
                regionEnd = source.nextLineStart(after: max(end - 1, start))
            }
            guard regionStart < regionEnd else { return false }
            items.append(Item(node: map, region: regionStart..<regionEnd))
        }
        guard items.count == old.exemplars.count else { return false }
        let style = ItemStyle(source: source, first: items[0], dashIndent: source.column(of: source.offset(seq[0])!) - 2)
        if new.exemplars.isEmpty {
            guard let keyEnd = source.keyEnd(k) else { return false }
            edits.append((keyEnd..<items.last!.region.upperBound, ": []\n"))
            return true
        }
        var texts: [String] = []
        var unused = Array(old.exemplars.indices)
        // Unchanged or moved exemplars keep their own lines; the rest take over old items in order
        // and are patched field by field, and any left over are written fresh.
        var assignment: [Int?] = new.exemplars.map { e in
            guard let j = unused.first(where: { old.exemplars[$0] == e }) else { return nil }
            unused.removeAll { $0 == j }
            return j
        }
        for i in assignment.indices where assignment[i] == nil && !unused.isEmpty { assignment[i] = unused.removeFirst() }
        for (i, e) in new.exemplars.enumerated() {
            if let j = assignment[i] {
                guard let text = patched(items[j], from: old.exemplars[j], to: e, style: style) else { return false }
                texts.append(text)
            } else {
                texts.append(style.fresh(e))
            }
        }
        let region = items.first!.region.lowerBound..<items.last!.region.upperBound
        var joined = texts.joined()
        if region.upperBound == source.scalars.count && source.scalars.last != "\n" && joined.hasSuffix("\n") { joined.removeLast() }
        edits.append((region, joined))
        return true
    }

    private mutating func insertFreshExemplars() -> Bool {
        guard !new.exemplars.isEmpty else { return true }
        let style = ItemStyle(source: source, first: nil, dashIndent: 2)
        let at = source.scalars.count
        edits.append((at..<at, (source.scalars.last == "\n" || at == 0 ? "" : "\n") + "exemplars:\n" + new.exemplars.map(style.fresh).joined()))
        return true
    }

    /// An old item's lines with only the changed fields rewritten.
    private func patched(_ item: Item, from before: Exemplar, to after: Exemplar, style: ItemStyle) -> String? {
        var local: [(range: Range<Int>, text: String)] = []
        var appended = ""
        let entries = Dictionary(item.node.compactMap { pair in pair.key.string.map { ($0, pair) } }, uniquingKeysWith: { a, _ in a })
        guard let firstKey = item.node.first.flatMap({ source.offset($0.key) }) else { return nil }
        let pad = String(repeating: " ", count: source.column(of: firstKey))
        var values = after.fields.mapValues { Optional($0) }
        for key in before.fields.keys where after.fields[key] == nil { values[key] = .some(nil) }
        if before.enabled != after.enabled { values["enabled"] = .some(after.enabled ? "true" : "false") }
        for key in PromptFile.exemplarFields + ["enabled"] {
            guard let value = values[key] else { continue }
            if key != "enabled" && before.fields[key] == value { continue }
            if let (k, v) = entries[key] {
                guard let keyStart = source.offset(k), let start = source.offset(v), let s = v.scalar,
                      let end = source.end(of: v, parentIndent: source.column(of: keyStart)) else { return nil }
                if let value {
                    let text = key == "enabled" ? value : YAMLScalarWriter.write(value, style: s.style, indent: source.column(of: keyStart))
                    local.append((start..<end, text))
                } else {
                    // A field dropped: its lines go, unless it is the one on the `-` line.
                    guard keyStart != firstKey else { return nil }
                    local.append((source.lineStart(of: keyStart)..<source.nextLineStart(after: max(end - 1, keyStart)), ""))
                }
            } else if let value {
                appended += pad + key + ": " + (key == "enabled" ? value : style.write(key, value, indent: pad.count)) + "\n"
            }
        }
        var out = String.UnicodeScalarView()
        var at = item.region.lowerBound
        for edit in local.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            guard edit.range.lowerBound >= at, edit.range.upperBound <= item.region.upperBound else { return nil }
            out.append(contentsOf: source.scalars[at..<edit.range.lowerBound])
            out.append(contentsOf: edit.text.unicodeScalars)
            at = edit.range.upperBound
        }
        // New fields go after the item's content, before any blank or comment lines that end its region.
        guard let contentEnd = source.end(of: .mapping(item.node), parentIndent: source.column(of: firstKey) - 2) else { return nil }
        let insertAt = max(at, source.nextLineStart(after: max(contentEnd - 1, item.region.lowerBound)))
        out.append(contentsOf: source.scalars[at..<insertAt])
        if !appended.isEmpty && out.last != "\n" { out.append("\n") }
        out.append(contentsOf: appended.unicodeScalars)
        out.append(contentsOf: source.scalars[insertAt..<item.region.upperBound])
        var text = String(out)
        if !text.hasSuffix("\n") { text += "\n" }
        return text
    }

    /// How the file writes its exemplars, for new ones: the indentation and, per field, the scalar
    /// style of the first exemplar.
    private struct ItemStyle {
        let dashIndent: Int
        let styles: [String: Node.Scalar.Style]

        init(source: YAMLSource, first: Item?, dashIndent: Int) {
            self.dashIndent = max(0, dashIndent)
            var styles: [String: Node.Scalar.Style] = [:]
            for pair in first?.node ?? [:] {
                if let key = pair.key.string, let s = pair.value.scalar { styles[key] = s.style }
            }
            self.styles = styles
        }

        func write(_ key: String, _ value: String, indent: Int) -> String {
            YAMLScalarWriter.write(value, style: styles[key] ?? .doubleQuoted, indent: indent)
        }

        func fresh(_ e: Exemplar) -> String {
            let fieldIndent = dashIndent + 2
            var lines: [String] = []
            for key in PromptFile.exemplarFields {
                guard let value = e.fields[key] else { continue }
                let prefix = lines.isEmpty ? String(repeating: " ", count: dashIndent) + "- " : String(repeating: " ", count: fieldIndent)
                lines.append(prefix + key + ": " + write(key, value, indent: fieldIndent))
            }
            if !e.enabled { lines.append(String(repeating: " ", count: fieldIndent) + "enabled: false") }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
