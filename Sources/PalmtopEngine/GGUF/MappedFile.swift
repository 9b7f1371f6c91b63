import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of a whole file; unmapped when the last reference goes away.
package final class MappedFile: @unchecked Sendable {
    package let path: String
    package let base: UnsafeRawPointer
    package let size: Int

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
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    /// Drops the pages read so far from this process's resident set (they stay in the page cache, and
    /// fault back in if touched again): once weights are dequantized, the file's pages are dead weight.
    package func releaseResidentPages() {
        madvise(UnsafeMutableRawPointer(mutating: base), size, MADV_DONTNEED)
    }
}

/// A problem with a model file: always names the file, printed as one line.
public struct GGUFError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}
