/// An exact byte-string → id table. Swift `String` keys compare by canonical equivalence, so "Ω"
/// (U+2126) and "Ω" (U+03A9) would collide, yet vocabularies hold both as different tokens; this
/// table compares bytes. One flat byte buffer and open addressing also keep a 262k vocabulary cheap
/// to build and probe.
struct ByteIndex: Sendable {
    private var bytes: [UInt8] = []
    private var offsets: [Int32] = [0]
    private var values: [Int32] = []
    private var slots: [Int32]
    private let mask: Int

    /// Later duplicates of the same bytes win, as in the reference loader.
    init<S: Sequence>(_ keys: S) where S.Element == String {
        let list = Array(keys)
        var size = 16
        while size < list.count * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (id, key) in list.enumerated() { insert(Array(key.utf8), id: id) }
    }

    @inline(__always)
    private static func hash(_ p: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    private mutating func insert(_ key: [UInt8], id: Int) {
        if let entry = key.withUnsafeBufferPointer({ findEntry($0) }) {
            values[entry] = Int32(id)
            return
        }
        let entry = values.count
        bytes += key
        offsets.append(Int32(bytes.count))
        values.append(Int32(id))
        var i = key.withUnsafeBufferPointer { Self.hash($0) } & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = Int32(entry)
    }

    private func findEntry(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = Self.hash(key) & mask
        while true {
            let entry = Int(slots[i])
            if entry < 0 { return nil }
            let start = Int(offsets[entry]), end = Int(offsets[entry + 1])
            if end - start == key.count && bytes.withUnsafeBufferPointer({ memcmpEqual($0.baseAddress! + start, key.baseAddress, key.count) }) {
                return entry
            }
            i = (i + 1) & mask
        }
    }

    func lookup(_ key: ArraySlice<UInt8>) -> Int? {
        key.withUnsafeBufferPointer { findEntry($0).map { Int(values[$0]) } }
    }

    func lookup(_ key: [UInt8]) -> Int? { lookup(key[...]) }
    func lookup(_ key: String) -> Int? { lookup(Array(key.utf8)) }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>?, _ n: Int) -> Bool {
    guard let b else { return n == 0 }
    for i in 0..<n where a[i] != b[i] { return false }
    return true
}
