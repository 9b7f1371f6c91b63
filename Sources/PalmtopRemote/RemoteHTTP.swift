import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PalmtopEngine

/// HTTP to one server: JSON requests (retried with backoff when idempotent), streamed bodies, the
/// bearer token on every request and nowhere else, and every failure turned into one line that
/// names the server. Timeouts bound silence, not length: a request fails when the server sends
/// nothing for `timeout` seconds, so a slow but steady generation is never cut off.
final class RemoteHTTP: Sendable {
    let base: String
    private let apiKey: String?
    let timeout: Double
    private let client: HTTPClient

    init(base: String, apiKey: String?, timeout: Double) {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        if b.hasSuffix("/v1") { b.removeLast(3) }
        self.base = b
        self.apiKey = apiKey
        self.timeout = timeout
        client = Self.client(timeout: timeout)
    }

    /// One client per timeout for the process's life (a client must be shut down before it is
    /// released, and connections are worth keeping between requests).
    private static let clients = NSLock()
    nonisolated(unsafe) private static var cache: [Double: HTTPClient] = [:]
    private static func client(timeout: Double) -> HTTPClient {
        clients.lock()
        defer { clients.unlock() }
        if let c = cache[timeout] { return c }
        let ms = Int64(timeout * 1000)
        let config = HTTPClient.Configuration(timeout: .init(connect: .milliseconds(min(ms, 10_000)), read: .milliseconds(ms)))
        let c = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        cache[timeout] = c
        return c
    }

    private func request(_ path: String, method: HTTPMethod, body: Data?, closing: Bool = false) -> HTTPClientRequest {
        var r = HTTPClientRequest(url: base + path)
        r.method = method
        r.headers.add(name: "Accept", value: "application/json, text/event-stream")
        if closing { r.headers.add(name: "Connection", value: "close") }
        if let apiKey, !apiKey.isEmpty { r.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let body {
            r.headers.add(name: "Content-Type", value: "application/json")
            r.body = .bytes(ByteBuffer(bytes: body))
        }
        return r
    }

    /// The body of a successful response. An `idempotent` request is sent again after a 429 or 5xx
    /// (three tries, 0.5 s then 1 s apart), or when its connection closed before any answer came.
    func send(_ path: String, method: HTTPMethod = .POST, json: Data? = nil, idempotent: Bool) async throws -> Data {
        try await exchange(path, retrying: idempotent) {
            let response = try await client.execute(request(path, method: method, body: json), deadline: .distantFuture)
            let data = Data(try await response.body.collect(upTo: 256 << 20).readableBytesView)
            guard (200..<300).contains(response.status.code) else { throw StatusFailure(status: response.status, body: data) }
            return data
        }
    }

    /// Opens a streamed POST; the status is checked before the events are read, and the caller reads
    /// the body to its end (a body left unread cancels the request and closes its connection).
    /// `closing` asks for the connection to be closed after this response instead of pooled, for a
    /// server that closes it anyway (see `ServerKind.closesStreams`). Sent again only when its
    /// connection closed before the response head: nothing of a reply had come, and a completion
    /// changes nothing on the server, so asking again neither loses nor repeats anything.
    func stream(_ path: String, json: Data, closing: Bool) async throws -> HTTPClientResponse.Body {
        try await exchange(path, retrying: true, statuses: false) {
            let response = try await client.execute(request(path, method: .POST, body: json, closing: closing), deadline: .distantFuture)
            guard (200..<300).contains(response.status.code) else {
                let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
                throw StatusFailure(status: response.status, body: body)
            }
            return response.body
        }
    }

    /// A response whose status is not a success, before it becomes a `BackendError`.
    private struct StatusFailure: Error {
        let status: HTTPResponseStatus
        let body: Data
        var retriable: Bool { status.code == 429 || status.code >= 500 }
    }

    /// Runs one request up to three times while `retrying` allows (a connection closed before the
    /// answer always; 429 and 5xx when `statuses`), then turns what failed into one line and
    /// cancellation into `cancelled`. A closed connection is retried at once the first time (the
    /// connection was stale, not the server busy); a status after a back-off.
    private func exchange<T>(_ path: String, retrying: Bool, statuses: Bool = true, _ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            var wait = 0.5 * Double(attempt)
            do {
                return try await body()
            } catch let failure as StatusFailure {
                guard retrying && statuses && failure.retriable && attempt < 3 else {
                    throw Self.statusError(failure.status, body: failure.body, path: path, base: base)
                }
            } catch let e as BackendError {
                throw e
            } catch is CancellationError {
                throw EngineError.cancelled
            } catch {
                guard retrying && Self.closedBeforeAnswer(error) && attempt < 3 && !Task.isCancelled else {
                    throw Self.transportError(error, base: base, timeout: timeout)
                }
                wait -= 0.5
            }
            if wait > 0 {
                do { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) } catch { throw EngineError.cancelled }
            }
        }
    }

    /// The connection closed under a request before its response head: the server closed a pooled
    /// connection (or restarted), so the same request on a new connection may well succeed.
    static func closedBeforeAnswer(_ error: Error) -> Bool {
        if let e = error as? HTTPClientError { return e == .remoteConnectionClosed }
        if let e = error as? ChannelError { return e == .ioOnClosedChannel || e == .eof || e == .alreadyClosed }
        if let e = error as? IOError { return e.errnoCode == ECONNRESET || e.errnoCode == EPIPE }
        return false
    }

    static func statusError(_ status: HTTPResponseStatus, body: Data, path: String, base: String) -> BackendError {
        let said = (try? JSONDecoder().decode(ErrorBody.self, from: body))?.text
            ?? String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = said.isEmpty ? "" : ": " + said.replacingOccurrences(of: "\n", with: " ")
        let code = "HTTP \(status.code)"
        switch status.code {
        case 401, 403: return BackendError("\(base) refused the request (\(code), check --api-key or OPENAI_API_KEY)\(detail)")
        case 404: return BackendError("\(base)\(path) was not found (\(code); an unknown model? `palmtop models --backend \(base)` lists them)\(detail)")
        case 429: return BackendError("\(base) is rate-limiting requests (\(code))\(detail)")
        case 500...: return BackendError("\(base) failed (\(code))\(detail)")
        default: return BackendError("\(base) refused the request (\(code))\(detail)")
        }
    }

    /// One line for a transport failure; `midReply`: it broke a response whose body was being read.
    static func transportError(_ error: Error, base: String, timeout: Double, midReply: Bool = false) -> BackendError {
        if closedBeforeAnswer(error) {
            return BackendError("\(base) closed the connection \(midReply ? "in the middle of a reply" : "before answering") (did the server stop?)")
        }
        if let e = error as? HTTPClientError {
            if e == .readTimeout { return BackendError("\(base) sent nothing for \(Int(timeout)) s (raise --timeout for a slow server)") }
            if e == .connectTimeout { return BackendError("cannot connect to \(base): timed out") }
            if e == .invalidURL || e == .emptyHost || e == .emptyScheme {
                return BackendError("\(base) is not a valid server URL (e.g. http://127.0.0.1:8080)")
            }
        }
        let text = String(describing: error)
        if text.contains("unexpected time") || text.contains("Connection reset") || text.contains("remoteConnectionClosed") {
            return BackendError("\(base) closed the connection in the middle of a reply (did the server stop?)")
        }
        if text.contains("Connection refused") || text.contains("connectionRefused") || text.contains("ECONNREFUSED") {
            return BackendError("cannot connect to \(base): connection refused (is the server running on that port?)")
        }
        if text.lowercased().contains("dns") || text.contains("nodename nor servname") || text.contains("Name or service not known") {
            return BackendError("cannot connect to \(base): the host name does not resolve")
        }
        if text.contains("SSL") || text.contains("TLS") || text.contains("certificate") || text.contains("handshake") {
            return BackendError("TLS failed with \(base): \(text.prefix(160))")
        }
        if text.contains("unsupportedScheme") || text.contains("invalidURL") || text.contains("emptyHost") {
            return BackendError("\(base) is not a valid server URL (e.g. http://127.0.0.1:8080)")
        }
        return BackendError("talking to \(base) failed: \(text.prefix(160))")
    }
}
