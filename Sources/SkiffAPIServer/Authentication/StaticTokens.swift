/// StaticTokens: the users of a static token file, Kubernetes' `--token-auth-file` format: one
/// CSV line per user, `token,user,uid` and optionally a quoted, comma-separated group list
/// (`token,user,uid,"group1,group2"`). Blank lines and lines starting with # are skipped.
///
/// Concurrency: an immutable value. Must never: accept a file with a malformed line or a
/// token given twice (the whole file is refused, naming the line).
import Foundation

public struct StaticTokens: Sendable {
    private let users: [String: UserInfo]

    public var count: Int { users.count }
    /// Every token the file gives out.
    public var tokens: [String] { Array(users.keys) }

    init(_ users: [String: UserInfo] = [:]) { self.users = users }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    static func load(path: String) throws(ParseError) -> StaticTokens {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ParseError(description: "\(path): cannot read the file")
        }
        return try parse(text, source: path)
    }

    public static func parse(_ text: String, source: String = "token file") throws(ParseError) -> StaticTokens {
        var users: [String: UserInfo] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ why: String) -> ParseError { ParseError(description: "\(source):\(index + 1): \(why)") }
            guard let fields = csvFields(line) else { throw fail("unbalanced quotes") }
            guard fields.count >= 3, fields.count <= 4 else {
                throw fail("want token,user,uid[,\"group1,group2\"], found \(fields.count) fields")
            }
            let (token, name, uid) = (fields[0], fields[1], fields[2])
            guard token.count >= 16 else { throw fail("the token must be at least 16 characters") }
            guard !name.isEmpty else { throw fail("the user name is empty") }
            guard users[token] == nil else { throw fail("this token is already given to user \"\(users[token]!.name)\"") }
            let groups = fields.count == 4 ? fields[3].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty } : []
            users[token] = UserInfo(name: name, uid: uid, groups: groups)
        }
        return StaticTokens(users)
    }

    /// The user a token belongs to, with the group every authenticated user is in.
    public func user(for token: String) -> UserInfo? {
        guard var user = users[token] else { return nil }
        if !user.groups.contains(Authentication.authenticatedGroup) { user.groups.append(Authentication.authenticatedGroup) }
        return user
    }

    /// Splits one CSV line; a field in double quotes may hold commas ("" is a quote). nil when
    /// a quote is left open.
    static func csvFields(_ line: String) -> [String]? {
        var fields: [String] = [], field = "", quoted = false
        var characters = line.makeIterator()
        while let character = characters.next() {
            switch (character, quoted) {
            case ("\"", false) where field.isEmpty: quoted = true
            case ("\"", true):
                var lookahead = characters
                if lookahead.next() == "\"" { field.append("\""); characters = lookahead } else { quoted = false }
            case (",", false): fields.append(field.trimmingCharacters(in: .whitespaces)); field = ""
            default: field.append(character)
            }
        }
        guard !quoted else { return nil }
        fields.append(field.trimmingCharacters(in: .whitespaces))
        return fields
    }
}
