import Foundation
import PalmtopEngine

/// Sending, generating, branching and the engine's events.
extension ChatApp {
    /// Enter in the editor: a /command, a message, or (in completion mode, on an empty line) "continue".
    func submit() {
        let text = input.text
        if text.trimmingCharacters(in: .whitespaces).hasPrefix("/") {
            _ = input.take()
            run(text)
            return
        }
        guard !isGenerating && !worker.isBusy else {
            say("still busy — Esc stops the generation", .warning)
            return
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard mode == .complete, !conversation.promptTurns(before: conversation.turns.count).isEmpty else { return }
        } else {
            conversation.turns.append(Turn(kind: .user, text: input.take()))
        }
        conversation.turns.append(Turn(kind: .assistant, branches: [Branch()]))
        transcript.scrollToBottom()
        generate(turn: conversation.turns.count - 1, branch: 0)
    }

    /// The prompt tokens for a response at `turn`, in the current mode, where the backend can count
    /// them here (nil for a server: it templates and counts itself).
    func promptTokens(before turn: Int, in c: Conversation) -> [Int]? {
        backend.tokens(for: c.prompt(before: turn, mode: mode))
    }

    /// Starts generating into `branch` of `turn`, after `prefix` (tokens the branch keeps from its
    /// parent), forcing `forced` first.
    func generate(turn: Int, branch: Int, prefix: [Int] = [], forced: [Int] = []) {
        let limit = backend.contextLimit
        let turn = fitContext(before: turn, extra: prefix.count + min(settings.maxTokens, limit / 2))
        let prompt = conversation.prompt(before: turn, mode: mode)
        if case .text(let text, _) = prompt, text.isEmpty, prefix.isEmpty {
            abandon(turn: turn, branch: branch, "nothing to continue: type some text first")
            return
        }
        let counted = promptTokens(before: turn, in: conversation).map { $0.count + prefix.count }
        if let counted, counted + forced.count >= limit {
            abandon(turn: turn, branch: branch, "the prompt has \(counted) tokens but the context holds \(limit) (/clear, or restart with a larger --ctx)")
            return
        }
        liveBranch = branch
        let s = liveSettings(settings)
        live.current = s
        target = (turn, branch)
        promptTokenCount = counted ?? 0
        liveTokens = 0
        firstTokenTime = nil
        transcriptDirty = true
        let backend = self.backend
        let request = GenerationRequest(prompt: prompt, settings: s, continuation: prefix, forced: forced, live: live, topN: 10)
        worker.start { queue in
            do {
                let summary = try backend.generate(request) { event in
                    queue.push(.token(event))
                    return true
                }
                queue.push(.finished(summary))
            } catch {
                queue.push(.failed("\(error)"))
            }
        }
    }

    /// The settings a generation of branch `liveBranch` samples with: a new branch of the same turn gets a
    /// different seed, or /regen would repeat itself.
    func liveSettings(_ base: SamplingSettings) -> SamplingSettings {
        var s = base
        s.seed = base.seed &+ UInt64(liveBranch)
        return s
    }

    /// Drops the oldest turns from the prompt until it leaves `extra` tokens free (room for the reply),
    /// with a visible notice above the turns that are kept; returns the response's new turn index.
    private func fitContext(before turn: Int, extra: Int) -> Int {
        let limit = backend.contextLimit
        guard let count = promptTokens(before: turn, in: conversation)?.count, count + extra > limit else { return turn }
        let dropped = conversation.dropOldest(before: turn) { (promptTokens(before: turn, in: $0)?.count ?? 0) + extra <= limit }
        guard dropped > 0 else { return turn }
        let firstKept = conversation.turns.indices.first { $0 < turn && conversation.turns[$0].isDialogue && !conversation.turns[$0].dropped } ?? turn
        let notice = "The context (\(limit) tokens) is full: the \(dropped) oldest turns above are no longer sent to the model."
        conversation.turns.insert(Turn(kind: .warning, text: notice), at: firstKept)
        return turn + 1
    }

    /// Removes a response that could not start and says why.
    private func abandon(turn: Int, branch: Int, _ why: String) {
        if conversation.turns.indices.contains(turn) {
            if conversation.turns[turn].branches.count <= 1 {
                conversation.turns.remove(at: turn)
            } else {
                conversation.turns[turn].branches.remove(at: branch)
                conversation.turns[turn].current = max(conversation.turns[turn].current - 1, 0)
            }
        }
        transcriptDirty = true
        say(why, .error)
    }

    /// /regen: another response to the last message, kept as a new branch of the same turn.
    func regenerate() {
        guard !worker.isBusy else { say("still busy — Esc stops the generation", .warning); return }
        guard let last = conversation.turns.lastIndex(where: \.isDialogue) else { say("nothing to regenerate", .warning); return }
        if conversation.turns[last].kind == .user {
            conversation.turns.append(Turn(kind: .assistant, branches: [Branch()]))
            generate(turn: conversation.turns.count - 1, branch: 0)
            return
        }
        var turn = conversation.turns[last]
        turn.branches.append(Branch(forkAt: 0, parent: turn.current))
        turn.current = turn.branches.count - 1
        conversation.turns[last] = turn
        generate(turn: last, branch: turn.current)
    }

    /// Enter in the inspector: keep the response up to `index`, force `alternative` there and continue.
    /// The session's cache still holds the prompt and the response, so only the new tokens are computed.
    func branch(at index: Int, alternative: Int) {
        guard !worker.isBusy else { say("wait for the generation to finish (or Esc) before branching", .warning); return }
        guard backend.capabilities.forcedTokens else { say("branching is not available from this server (it cannot continue from given tokens)", .warning); return }
        guard let t = conversation.lastAssistantIndex else { return }
        var turn = conversation.turns[t]
        let parentIndex = turn.current
        let parent = turn.branches[parentIndex]
        let kept = Array(parent.tokens.prefix(index))
        turn.branches.append(Branch(tokens: kept, forkAt: index, parent: parentIndex))
        turn.current = turn.branches.count - 1
        conversation.turns[t] = turn
        generate(turn: t, branch: turn.current, prefix: kept.map(\.id), forced: [alternative])
        inspector?.select(token: index)
        say("branch \(turn.current + 1) from token \(index + 1)")
    }

    /// [ and ] in the inspector: show another branch of the last response.
    func cycleBranch(_ step: Int) {
        guard !worker.isBusy else { say("wait for the generation to finish first", .warning); return }
        guard let t = conversation.lastAssistantIndex, conversation.turns[t].branches.count > 1 else {
            say("this response has one branch; Enter on an alternative makes another", .warning)
            return
        }
        let n = conversation.turns[t].branches.count
        conversation.turns[t].current = (conversation.turns[t].current + step + n) % n
        transcriptDirty = true
        say("branch \(conversation.turns[t].current + 1)/\(n)")
    }

    /// Applies everything the engine reported since the last call; true when the screen changed.
    public func pump() -> Bool {
        let events = worker.events.drain()
        for event in events { apply(event) }
        let library = libraryEvents.drain()
        for event in library {
            (overlay as? ExemplarEditor)?.apply(event)
            if event.isFinal { worker.finished() }
        }
        return !events.isEmpty || !library.isEmpty || isGenerating
    }

    private func apply(_ event: EngineEvent) {
        switch event {
        case .token(let e):
            guard let target else { return }
            conversation.turns[target.turn].branches[target.branch].tokens.append(TokenRecord(e))
            liveTokens += 1
            if firstTokenTime == nil { firstTokenTime = Date() }
            transcriptDirty = true
        case .finished(let summary):
            if let target {
                var branch = conversation.turns[target.turn].branches[target.branch]
                let streamed = branch.text
                if summary.text.hasPrefix(streamed) { branch.tail = String(summary.text.dropFirst(streamed.count)) }
                branch.stopReason = summary.stopReason
                conversation.turns[target.turn].branches[target.branch] = branch
            }
            lastSummary = summary
            if summary.stopReason == .contextFull { say("the context is full: /clear, or the oldest turns are dropped next time", .warning) }
            if summary.stopReason == .cancelled { say("stopped") }
            endJob()
        case .failed(let why):
            // A reply cut short (a server that died mid-stream) keeps what arrived, marked as interrupted.
            if let target, !conversation.turns[target.turn].branches[target.branch].tokens.isEmpty {
                conversation.turns[target.turn].branches[target.branch].stopReason = .interrupted
                say(why, .error)
            } else if let target {
                abandon(turn: target.turn, branch: target.branch, why)
            } else {
                say(why, .error)
            }
            endJob()
        case .backendReady(let b, let localModel):
            adopt(b, localModel: localModel)
            worker.finished()
        case .backendFailed(let why):
            pendingLoad = nil
            say(why, .error)
            worker.finished()
        }
    }

    private func endJob() {
        target = nil
        transcriptDirty = true
        worker.finished()
    }

    /// Waits (for tests and scripted use) until the running job has finished, or `timeout` passes.
    @discardableResult
    public func waitUntilIdle(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while worker.isBusy && Date() < deadline {
            _ = pump()
            if worker.isBusy { Thread.sleep(forTimeInterval: 0.01) }
        }
        return !worker.isBusy
    }
}
