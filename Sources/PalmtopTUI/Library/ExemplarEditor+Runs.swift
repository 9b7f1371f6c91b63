import Foundation
import PalmtopEngine
import PalmtopPrompts

/// The editor's engine work (a query, the dev set) and saving.
extension ExemplarEditor {
    /// Stops the running query or dev-set run (Esc, Ctrl-C): the current item ends early and no
    /// further items start.
    public func stopRun() {
        guard running else { return }
        stop.raise()
        host.cancelLibraryJob()
    }

    /// Validates and writes the file atomically and losslessly (the previous version kept as
    /// `NAME.yaml~`); the recovery file is no longer needed once the file holds the changes. A shipped
    /// template is never written: the save goes to the user's library, and the editor then edits that copy.
    func save() {
        guard let source = prompt.path else { host.notify("this prompt has no file to save to", .error); return }
        let target = PromptLibrary.saveTarget(for: source)
        do {
            try PromptLibrary.save(prompt, from: source, to: target)
            prompt.path = target
            saved = prompt
            RecoveryFile.remove(for: target)
            autosaved = nil
            if target != source {
                host.notify("saved a copy in your library: \(target) (the shipped \(prompt.name) stays as it was)", .info)
            } else {
                host.notify("saved \(target) (previous version kept as \((target as NSString).lastPathComponent)~)", .info)
            }
        } catch {
            host.notify("\(error)", .error)
        }
    }

    private func start(_ job: @escaping (ModelBackend, EventQueue<LibraryEvent>) -> Void) -> Bool {
        guard !running else { host.notify("a run is in progress — Esc stops it", .warning); return false }
        stop.reset()
        guard host.runLibraryJob(job) else { host.notify("the engine is busy — stop the chat generation first", .warning); return false }
        running = true
        return true
    }

    func runQuery() {
        let p = prompt, input = query.text, stop = self.stop
        guard !input.trimmingCharacters(in: .whitespaces).isEmpty else { host.notify("type a query first", .warning); return }
        guard start({ backend, queue in
            do {
                let evaluator = Evaluator(prompt: p, backend: backend)
                let requests = evaluator.requests(for: DevItem(input: input))
                if requests.count > 1 {
                    // Self-consistency: the samples decode together; the editor shows each answer and the vote.
                    let summaries = try backend.generateBatch(requests, parallel: requests.count, onToken: { _, _ in !stop.isRaised },
                                                              onFinished: { _, _ in })
                    queue.push(.sampled(summaries.map(\.text)))
                    return
                }
                let request = requests[0]
                let summary = try backend.generate(request) { e in
                    queue.push(.text(e.text))
                    return !stop.isRaised
                }
                queue.push(.generated(summary))
            } catch {
                queue.push(.failed("\(error)"))
            }
        }) else { return }
        output = ""
        answer = nil
        queryNote = ""
        focus = .list
        view = .output
    }

    /// Runs the items on the library's own sequence, generative ones several at a time on the batched
    /// engine, so the exemplar prefix is computed once and shared by every item, and the chat's cache
    /// is left alone. Results arrive in dev-set order.
    func runDevSet() {
        let items: [DevItem]
        do { items = try prompt.loadDevSet() } catch { host.notify("\(error)", .error); return }
        guard !items.isEmpty else { host.notify("this prompt has no dev set", .warning); return }
        let p = prompt, stop = self.stop
        guard start({ backend, queue in
            var evaluator = Evaluator(prompt: p, backend: backend)
            evaluator.shouldStop = { stop.isRaised }
            let before = backend.tokenTotals
            var correct = 0, done = 0
            do {
                do {
                    _ = try evaluator.run(items: items) { r in
                        if r.correct { correct += 1 }
                        done += 1
                        queue.push(.item(r))
                    }
                } catch EngineError.cancelled where stop.isRaised {
                    // Esc: the items finished so far stand, as "stopped early".
                }
                let after = backend.tokenTotals
                queue.push(.evaluated(correct: correct, total: done, reused: (after?.reused ?? 0) - (before?.reused ?? 0),
                                      computed: (after?.computed ?? 0) - (before?.computed ?? 0)))
            } catch {
                queue.push(.failed("\(error)"))
            }
        }) else { return }
        results = []
        tokenNote = nil
        devTotal = items.count
        view = .results
        followEnd = true
        accuracyLine = "running the dev set (\(items.count) items)… Esc stops"
    }

    /// An event from the job this editor started.
    public func apply(_ event: LibraryEvent) {
        switch event {
        case .text(let t): output += t
        case .generated(let summary):
            output = summary.text
            answer = prompt.extractor?.extract(summary.text)
            queryNote = "   (prompt tokens reused \(summary.reusedTokens), computed \(summary.computedTokens))"
            running = false
        case .sampled(let texts):
            let answers = texts.map { prompt.extractor?.extract($0) ?? "" }
            let votes = Evaluator.vote(answers)
            output = texts.enumerated().map { "sample \($0.offset + 1): \($0.element.trimmingCharacters(in: .whitespacesAndNewlines))" }
                .joined(separator: "\n")
            answer = votes.first?.answer
            queryNote = "   (vote of \(texts.count) samples: " + votes.map { "\(Self.flat($0.answer))×\($0.count)" }.joined(separator: " ") + ")"
            running = false
        case .item(let r):
            results.append(r)
            accuracyLine = "dev set: \(results.count)/\(devTotal) run, \(results.filter(\.correct).count) correct…"
        case .evaluated(let correct, let total, let reused, let computed):
            running = false
            let accuracy = total > 0 ? Double(correct) / Double(total) : 0
            var line = String(format: "dev set: %d/%d correct (%.1f%%)", correct, total, accuracy * 100)
            if total < devTotal { line += " — stopped early" }
            if let last = lastRun, last.exemplars != prompt.exemplars {
                line += String(format: "   before → after: %.1f%% → %.1f%%", last.accuracy * 100, accuracy * 100)
            }
            accuracyLine = line
            tokenNote = "prompt tokens reused \(reused), computed \(computed)"
            lastRun = (prompt.exemplars, accuracy)
        case .failed(let why):
            running = false
            host.notify(why, .error)
        }
    }

    /// The per-item results as styled rows: pass/fail, input, prediction and, for rank-choices, every
    /// choice's summed log-probability (the chosen one highlighted).
    func resultRows(width: Int) -> [[StyledChar]] {
        var rows: [[StyledChar]] = []
        for r in results {
            var line = TextLayout.styled(r.correct ? "✓ " : "✗ ", r.correct ? .probHigh : .probLow)
            line += TextLayout.styled("#\(r.index + 1) \(Self.flat(r.input)) → \(Self.flat(r.predicted))", .text)
            if !r.correct { line += TextLayout.styled(" (expected \(Self.flat(r.expected)))", .dim) }
            if let votes = r.votes {
                line += TextLayout.styled("  votes " + votes.map { "\(Self.flat($0.answer))×\($0.count)" }.joined(separator: " "), .dim)
            }
            rows.append(line)
            guard let scores = r.choiceScores, !scores.isEmpty else { continue }
            let best = scores.indices.max { scores[$0].sumLogprob < scores[$1].sumLogprob }
            var choices = TextLayout.styled("    logp ", .dim)
            for (i, s) in scores.enumerated() {
                let name = Self.flat(s.choice.trimmingCharacters(in: .whitespaces))
                choices += TextLayout.styled((i > 0 ? " · " : "") + name + String(format: " %.2f", s.sumLogprob), i == best ? .accent : .dim)
            }
            rows.append(choices)
        }
        return rows.flatMap { TextLayout.wrap($0, width: width, words: true) }
    }
}
