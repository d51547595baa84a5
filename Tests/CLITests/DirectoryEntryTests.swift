import Glibc
import Testing
@testable import CLI

/// Tab completion of `/file` reads directory entries. A record at the very
/// end of glibc's buffer, with an unmapped page after it, must be read
/// without touching a byte past its `d_reclen`.
@Suite struct DirectoryEntryTests {
    @Test func aRecordAtTheEndOfItsBufferIsReadWithinItsLength() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(memory != MAP_FAILED)
        defer { munmap(memory, 2 * page) }
        // The page after the record is not readable: a byte read there crashes.
        try #require(mprotect(memory + page, page, PROT_NONE) == 0)
        let nameAt = try #require(MemoryLayout<dirent>.offset(of: \dirent.d_name))
        let name = Array("notes.md".utf8) + [0]
        let length = (nameAt + name.count + 7) / 8 * 8
        let record = memory + page - length
        record.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        record.storeBytes(of: UInt16(length), toByteOffset: try #require(MemoryLayout<dirent>.offset(of: \dirent.d_reclen)), as: UInt16.self)
        record.storeBytes(of: UInt8(DT_REG), toByteOffset: try #require(MemoryLayout<dirent>.offset(of: \dirent.d_type)), as: UInt8.self)
        (record + nameAt).copyMemory(from: name, byteCount: name.count)

        let entry = Completer.entry(UnsafeRawPointer(record))
        #expect(entry.name == "notes.md")
        #expect(entry.type == UInt8(DT_REG))
    }

    @Test func aNameFillingItsRecordToTheEndStopsThere() throws {
        // No NUL within the record (a damaged one): the name ends with the record.
        let nameAt = try #require(MemoryLayout<dirent>.offset(of: \dirent.d_name))
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: nameAt + 5)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt16(nameAt + 5), toByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_reclen)!, as: UInt16.self)
        }
        let entry = bytes.withUnsafeBytes { Completer.entry($0.baseAddress!) }
        #expect(entry.name == "xxxxx")
    }

    @Test func aDirectoryIsListedWithItsSlash() throws {
        let dir = "/tmp/llmr-entries-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try #require(mkdir(dir, 0o700) == 0)
        defer { _ = rmdir(dir + "/sub"); _ = unlink(dir + "/a.txt"); _ = rmdir(dir) }
        try #require(mkdir(dir + "/sub", 0o700) == 0)
        let fd = open(dir + "/a.txt", O_CREAT | O_WRONLY, 0o600)
        try #require(fd >= 0)
        close(fd)
        #expect(Completer.paths(dir + "/") == [dir + "/a.txt", dir + "/sub/"])
    }
}
