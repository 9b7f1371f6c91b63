/// How greedy generation guesses tokens ahead to verify in one batched pass. Drafting never changes
/// the output: every emitted token is still the sampler chain's choice on its own verified logit row.
public enum DraftMode: String, Sendable, CaseIterable, Codable {
    case none
    case promptLookup = "prompt-lookup"
}

/// The drafting a session uses: the mode and the prompt-lookup proposer's sizes.
public struct DraftSettings: Sendable, Equatable {
    public var mode: DraftMode
    public var lookup: PromptLookup

    public init(mode: DraftMode = .promptLookup, lookup: PromptLookup = PromptLookup()) {
        self.mode = mode
        self.lookup = lookup
    }

    public static let off = DraftSettings(mode: .none)
}

/// What drafting did during one generation.
public struct DraftStats: Sendable, Equatable {
    /// Draft tokens sent to verification, and those the model agreed with.
    public var proposed = 0
    public var accepted = 0
    /// Batched verification passes (each also computed the token before its drafts).
    public var passes = 0

    public init(proposed: Int = 0, accepted: Int = 0, passes: Int = 0) {
        self.proposed = proposed
        self.accepted = accepted
        self.passes = passes
    }

    /// Accepted over proposed draft tokens (0 when none was proposed).
    public var acceptanceRate: Double { proposed > 0 ? Double(accepted) / Double(proposed) : 0 }
}

/// One generation's drafting state: the logit rows a verification pass computed after each draft
/// token, waiting for the sampler to choose that token. A row is only valid while every draft before
/// it was chosen, so the first disagreement drops the rest (their keys and values stay in the cache
/// beyond its count, to be overwritten).
struct DraftQueue {
    let settings: DraftSettings
    private(set) var stats = DraftStats()
    private var ahead: [(draft: Int, row: [Float])] = []
    /// Drafts proposed after a rejection are shorter (halved each time) and grow back by doubling after
    /// a fully accepted pass; at 0, drafting pauses for `pause` tokens before trying one token again,
    /// so text that does not repeat its context (translation, short answers) costs little.
    private var length: Int
    private var paused = 0
    static let pause = 8

    init(_ settings: DraftSettings) {
        self.settings = settings
        length = settings.lookup.maxDraft
    }

    /// The row computed after `token` if it was the next draft, else nil (and the rest are dropped).
    mutating func row(after token: Int) -> [Float]? {
        guard let next = ahead.first else { return nil }
        guard next.draft == token else {
            ahead.removeAll()
            length /= 2
            return nil
        }
        ahead.removeFirst()
        stats.accepted += 1
        if ahead.isEmpty { length = min(max(length * 2, 1), settings.lookup.maxDraft) }
        return next.row
    }

    /// Drafts to verify after `context` (which ends with the token just chosen), at most `limit`.
    mutating func propose(after context: [Int], limit: Int) -> [Int] {
        guard settings.mode == .promptLookup else { return [] }
        if length == 0 {
            paused += 1
            guard paused >= Self.pause else { return [] }
            paused = 0
            length = 1
        }
        return settings.lookup.propose(after: context, limit: min(limit, length))
    }

    /// Records a verification pass: `rows[i]` is the logit row after `drafts[i]`.
    mutating func verified(_ drafts: [Int], rows: [[Float]]) {
        ahead = Array(zip(drafts, rows))
        stats.proposed += drafts.count
        stats.passes += 1
    }
}
