import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of a whole file, or an in-memory copy of bytes that never were a file
/// (the fuzz targets parse GGUF from a buffer); released when the last reference goes away.
package final class MappedFile: @unchecked Sendable {
    package let path: String
    package let base: UnsafeRawPointer
    package let size: Int
    /// False for an in-memory copy: it is freed, not unmapped, and its pages cannot be dropped.
    private let isMapped: Bool

    package init(path: String) throws {
        self.path = path
        var st = stat()
        guard stat(path, &st) == 0 else { throw GGUFError(path: path, problem: "cannot open file (\(String(cString: strerror(errno))))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw GGUFError(path: path, problem: "is a directory, not a GGUF file") }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw GGUFError(path: path, problem: "cannot open file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        let size = Int(st.st_size)
        guard size > 0 else { throw GGUFError(path: path, problem: "file is empty") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw GGUFError(path: path, problem: "cannot map file (\(String(cString: strerror(errno))))")
        }
        self.base = UnsafeRawPointer(p)
        self.size = size
        isMapped = true
    }

    /// A private copy of `bytes`, named `name` in errors as a file's path would be.
    package init(copying bytes: UnsafeRawBufferPointer, name: String) throws {
        guard let source = bytes.baseAddress, bytes.count > 0 else { throw GGUFError(path: name, problem: "file is empty") }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        copy.copyMemory(from: source, byteCount: bytes.count)
        path = name
        base = UnsafeRawPointer(copy)
        size = bytes.count
        isMapped = false
    }

    deinit {
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), size) } else { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }

    /// Drops the pages read so far from this process's resident set (they stay in the page cache, and
    /// fault back in if touched again): once weights are dequantized, the file's pages are dead weight.
    package func releaseResidentPages() {
        // On anonymous memory MADV_DONTNEED would zero the bytes, not drop a cached copy.
        guard isMapped else { return }
        madvise(UnsafeMutableRawPointer(mutating: base), size, MADV_DONTNEED)
    }
}

/// A problem with a model file: always names the file, printed as one line.
public struct GGUFError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}
