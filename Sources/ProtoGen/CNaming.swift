/// protoc-c's naming rules, reproduced so that generated Swift names the C symbols protoc-c
/// emits (protobuf-c 1.4.1, protoc-c/c_helpers.cc: ToCamel, CamelToLower, FieldName).
enum CNaming {
    /// Struct name: each dotted part camel-cased, joined by "__":
    /// "skiff.core.v1.HTTPGetAction" -> "Skiff__Core__V1__HTTPGetAction".
    static func structName(fullName: String) -> String {
        fullName.split(separator: ".").map { toCamel(String($0)) }.joined(separator: "__")
    }

    /// Function prefix: each dotted part lower-cased with "_" before an upper-case letter that
    /// follows a lower-case one: "skiff.core.v1.HTTPGetAction" -> "skiff__core__v1__httpget_action".
    static func functionPrefix(fullName: String) -> String {
        fullName.split(separator: ".").map { camelToLower(String($0)) }.joined(separator: "__")
    }

    /// Member name of a field in the C struct: lower-cased, "_" appended to C/C++ keywords.
    static func fieldName(_ name: String) -> String {
        let lower = name.lowercased()
        return keywords.contains(lower) ? lower + "_" : lower
    }

    static func toCamel(_ name: String) -> String {
        var result = ""
        var nextUpper = true
        for character in name {
            if character == "_" {
                nextUpper = true
            } else if nextUpper {
                result += character.uppercased()
                nextUpper = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func camelToLower(_ name: String) -> String {
        var result = ""
        var wasUpper = true  // no leading "_"
        for character in name {
            let isUpper = character.isASCII && character.isUppercase
            if isUpper {
                if !wasUpper { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
            wasUpper = isUpper
        }
        return result
    }

    /// protoc-c's kKeywordList.
    static let keywords: Set<String> = [
        "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
        "catch", "char", "class", "compl", "const", "const_cast", "continue",
        "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
        "explicit", "extern", "false", "float", "for", "friend", "goto", "if",
        "inline", "int", "long", "mutable", "namespace", "new", "not", "not_eq",
        "operator", "or", "or_eq", "private", "protected", "public", "register",
        "reinterpret_cast", "return", "short", "signed", "sizeof", "static",
        "static_cast", "struct", "switch", "template", "this", "throw", "true", "try",
        "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual",
        "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
    ]
}

/// Swift spelling of identifiers that are keywords.
enum SwiftNaming {
    static func identifier(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import",
        "init", "inout", "internal", "let", "open", "operator", "private", "precedencegroup",
        "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var",
        "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while",
        "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true",
        "try", "Type", "Protocol",
    ]
}
