import Foundation

/// One entry of a GGUF tensor table. `dims[0]` is the fastest-varying dimension (GGML's `ne0`).
package struct GGUFTensorInfo: Sendable {
    package let name: String
    package let dims: [Int]
    package let type: GGMLType
    /// Byte offset from the start of the file (already checked to lie inside it).
    package let fileOffset: Int
    package let byteCount: Int
    package var elementCount: Int { dims.reduce(1, *) }
    /// Number of rows when the tensor is seen as a matrix of `dims[0]`-wide rows.
    package var rowCount: Int { elementCount / max(dims.first ?? 1, 1) }
}

/// A parsed, memory-mapped GGUF (v2 or v3) file. Every size and offset is checked before use, so a
/// malformed file becomes a `GGUFError` rather than a crash.
package final class GGUFFile: @unchecked Sendable {
    package let path: String
    package let version: UInt32
    package let metadata: GGUFMetadata
    package let tensors: [GGUFTensorInfo]
    package let mapping: MappedFile
    private let index: [String: Int]

    package var architecture: String? { metadata.string("general.architecture") }

    package convenience init(path: String) throws {
        try self.init(mapping: MappedFile(path: path))
    }

    /// Parses bytes already in memory: a mapped file, or a copy made with `MappedFile(copying:name:)`.
    package init(mapping: MappedFile) throws {
        let path = mapping.path
        self.mapping = mapping
        self.path = path
        var reader = ByteReader(base: mapping.base, size: mapping.size, path: path)
        guard mapping.size >= 4, try reader.readU32() == 0x4655_4747 else {
            throw GGUFError(path: path, problem: "not a GGUF file (bad magic)")
        }
        let version = try reader.readU32()
        guard version == 2 || version == 3 else {
            throw GGUFError(path: path, problem: "unsupported GGUF version \(version) (expected 2 or 3)")
        }
        self.version = version
        let tensorCount = try reader.readCount(minBytesEach: 24, what: "tensor count")
        let kvCount = try reader.readCount(minBytesEach: 12, what: "metadata count")

        var values: [String: GGUFValue] = [:]
        for _ in 0..<kvCount {
            let key = try reader.readString()
            let type = try reader.readU32()
            values[key] = try reader.readValue(type: type, depth: 0)
        }
        self.metadata = GGUFMetadata(values: values)

        var infos: [(String, [Int], GGMLType, UInt64)] = []
        var seen = Set<String>()
        for _ in 0..<tensorCount {
            let name = try reader.readString()
            let nDims = try reader.readU32()
            guard (1...4).contains(nDims) else {
                throw GGUFError(path: path, problem: "tensor '\(name)' has \(nDims) dimensions (1 to 4 allowed)")
            }
            var dims: [Int] = []
            for _ in 0..<nDims {
                let d = try reader.readU64()
                guard d > 0, d < (1 << 40) else { throw GGUFError(path: path, problem: "tensor '\(name)' has an absurd dimension \(d)") }
                dims.append(Int(d))
            }
            let rawType = try reader.readU32()
            guard let type = GGMLType(rawValue: rawType) else {
                throw GGUFError(path: path, problem: "tensor '\(name)' has unsupported data type \(GGMLType.describe(rawType: rawType))")
            }
            let offset = try reader.readU64()
            guard seen.insert(name).inserted else { throw GGUFError(path: path, problem: "duplicate tensor name '\(name)'") }
            infos.append((name, dims, type, offset))
        }

        let alignment = metadata.int("general.alignment") ?? 32
        guard alignment > 0, alignment <= 1 << 16, alignment & (alignment - 1) == 0 else {
            throw GGUFError(path: path, problem: "general.alignment \(alignment) is not a power of two")
        }
        let dataStart = (reader.offset + alignment - 1) / alignment * alignment

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for (name, dims, type, offset) in infos {
            let bytes = try Self.byteCount(dims: dims, type: type, name: name, path: path)
            guard offset % UInt64(alignment) == 0 else {
                throw GGUFError(path: path, problem: "tensor '\(name)' data offset \(offset) is not aligned to \(alignment)")
            }
            guard offset <= UInt64(mapping.size), dataStart + Int(offset) <= mapping.size,
                  bytes <= mapping.size - dataStart - Int(offset) else {
                throw GGUFError(path: path, problem: "tensor '\(name)' data runs past the end of the file (truncated download?)")
            }
            index[name] = tensors.count
            tensors.append(GGUFTensorInfo(name: name, dims: dims, type: type, fileOffset: dataStart + Int(offset), byteCount: bytes))
        }
        self.tensors = tensors
        self.index = index
    }

    private static func byteCount(dims: [Int], type: GGMLType, name: String, path: String) throws -> Int {
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p < (1 << 40) else { throw GGUFError(path: path, problem: "tensor '\(name)' dimensions \(dims) are absurdly large") }
            count = p
        }
        guard dims[0] % type.blockSize == 0 else {
            throw GGUFError(path: path, problem: "tensor '\(name)' row length \(dims[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        return count / type.blockSize * type.blockBytes
    }

    package func tensor(_ name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    package func data(of tensor: GGUFTensorInfo) -> UnsafeRawPointer { mapping.base + tensor.fileOffset }

    /// Total count of weights, for `palmtop models`.
    package var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }
}

/// Bounds-checked little-endian reads over the mapped header.
struct ByteReader {
    let base: UnsafeRawPointer
    let size: Int
    let path: String
    var offset = 0

    init(base: UnsafeRawPointer, size: Int, path: String) {
        self.base = base
        self.size = size
        self.path = path
    }

    private func truncated() -> GGUFError { GGUFError(path: path, problem: "file is truncated (header ends at byte \(size))") }

    mutating func need(_ n: Int) throws {
        guard n >= 0, n <= size - offset else { throw truncated() }
    }

    mutating func readU8() throws -> UInt8 { try need(1); defer { offset += 1 }; return base.load(fromByteOffset: offset, as: UInt8.self) }
    mutating func readU16() throws -> UInt16 { try need(2); defer { offset += 2 }; return base.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }
    mutating func readU32() throws -> UInt32 { try need(4); defer { offset += 4 }; return base.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
    mutating func readU64() throws -> UInt64 { try need(8); defer { offset += 8 }; return base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }

    /// A count that must be satisfiable by the bytes left, so a corrupt count cannot make us loop for hours.
    mutating func readCount(minBytesEach: Int, what: String) throws -> Int {
        let n = try readU64()
        guard n <= UInt64(size - offset) / UInt64(minBytesEach) + 1 else {
            throw GGUFError(path: path, problem: "\(what) \(n) is larger than the file could hold")
        }
        return Int(n)
    }

    mutating func readString() throws -> String {
        let n = try readU64()
        guard n <= UInt64(size - offset) else { throw truncated() }
        let len = Int(n)
        let buffer = UnsafeRawBufferPointer(start: base + offset, count: len)
        guard let s = String(validating: buffer, as: UTF8.self) else {
            throw GGUFError(path: path, problem: "a metadata string at byte \(offset) is not valid UTF-8")
        }
        offset += len
        return s
    }

    mutating func readValue(type: UInt32, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try readU8()))
        case 1: return .int(Int64(Int8(bitPattern: try readU8())))
        case 2: return .uint(UInt64(try readU16()))
        case 3: return .int(Int64(Int16(bitPattern: try readU16())))
        case 4: return .uint(UInt64(try readU32()))
        case 5: return .int(Int64(Int32(bitPattern: try readU32())))
        case 6: return .float(Double(Float(bitPattern: try readU32())))
        case 7: return .bool(try readU8() != 0)
        case 8: return .string(try readString())
        case 10: return .uint(try readU64())
        case 11: return .int(Int64(bitPattern: try readU64()))
        case 12: return .float(Double(bitPattern: try readU64()))
        case 9:
            guard depth < 8 else { throw GGUFError(path: path, problem: "metadata arrays nested too deeply") }
            let elementType = try readU32()
            let count = try readCount(minBytesEach: 1, what: "array length")
            switch elementType {
            case 8:
                var out: [String] = []
                out.reserveCapacity(count)
                for _ in 0..<count { out.append(try readString()) }
                return .strings(out)
            case 6:
                try need(count * 4)
                let out = (0..<count).map { Float(bitPattern: base.loadUnaligned(fromByteOffset: offset + $0 * 4, as: UInt32.self)) }
                offset += count * 4
                return .floats(out)
            case 0, 1, 2, 3, 4, 5, 10, 11:
                var out: [Int64] = []
                out.reserveCapacity(count)
                for _ in 0..<count {
                    switch try readValue(type: elementType, depth: depth + 1) {
                    case .int(let v): out.append(v)
                    case .uint(let v): out.append(Int64(truncatingIfNeeded: v))
                    default: break
                    }
                }
                return .ints(out)
            default:
                var out: [GGUFValue] = []
                for _ in 0..<count { out.append(try readValue(type: elementType, depth: depth + 1)) }
                return .array(out)
            }
        default:
            throw GGUFError(path: path, problem: "metadata value has unknown type \(type) at byte \(offset)")
        }
    }
}
