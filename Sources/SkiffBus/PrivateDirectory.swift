/// PrivateDirectory: makes a directory only its owner can enter (mode 0700), creating it if
/// missing and tightening it if it exists. Every run directory goes through here: ipc sockets
/// are files in it, and with 0700 on the directory no other user can reach (connect to, or
/// replace) any of them, whatever mode nanomsg gave the socket files.
///
/// Concurrency: plain functions on the file system; two processes preparing the same directory
/// at once both succeed. Must never: loosen a directory, accept one owned by another user
/// (its owner could chmod it back or swap sockets in it), or narrow a shared sticky one (/tmp).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum PrivateDirectory {
    /// The mode every run directory has.
    public static let mode: mode_t = 0o700

    /// Creates `path` (and missing parents, which get the usual mode) or tightens it to 0700.
    /// Throws `.directory` if it cannot, or if `path` is not a directory owned by this user.
    public static func prepare(_ path: String) throws(BusError) {
        if mkdir(path, mode) != 0 {
            let error = errno
            if error == ENOENT {
                // A parent is missing: create the chain, then this one again.
                do {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                            attributes: [.posixPermissions: Int(mode)])
                } catch {
                    throw BusError(.directory, "cannot create \(path): \(error.localizedDescription)")
                }
            } else if error != EEXIST {
                throw BusError(.directory, "cannot create \(path): \(String(cString: strerror(error)))")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw BusError(.directory, "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw BusError(.directory, "\(path) is not a directory")
        }
        guard info.st_uid == geteuid() else {
            throw BusError(.directory, "\(path) belongs to uid \(info.st_uid), not to this user (uid \(geteuid())): refusing to keep sockets there")
        }
        // A sticky directory is a shared one (/tmp): never narrow it under everyone else.
        guard info.st_mode & S_ISVTX == 0 else {
            throw BusError(.directory, "\(path) is a shared (sticky) directory: use a directory of the cluster's own")
        }
        // mkdir applied the umask; an old directory may be wider. Either way, exactly 0700.
        if info.st_mode & 0o7777 != mode, chmod(path, mode) != 0 {
            throw BusError(.directory, "cannot chmod 0700 \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// PrivateFile: reads a secret file (a bus key, a token) that must be its owner's alone: one
/// that group or others may read or write is refused, since a secret everyone can read
/// authenticates nothing.
///
/// Concurrency: a plain function. Must never: return the text of a file others can read.
public enum PrivateFile {
    /// The file's text; `what` names it in errors ("bus key file", "token file").
    public static func read(_ path: String, what: String) throws(BusError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw BusError(.keyFile, "\(what) \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw BusError(.keyFile, "\(what) \(path) has mode \(String(info.st_mode & 0o777, radix: 8)): it must be readable by its owner alone (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw BusError(.keyFile, "\(what) \(path) cannot be read")
        }
        return text
    }
}
