import Foundation
import SkiffAPI
import Testing

/// JSON documents survive parsing and printing unchanged: integers stay exact at 64 bits,
/// booleans stay booleans, and text comes out compact with keys sorted.
@Suite struct JSONValueTests {
    @Test(arguments: [
        (#"{"b":1,"a":true}"#, #"{"a":true,"b":1}"#),
        (#"9223372036854775807"#, #"9223372036854775807"#),
        (#"18446744073709551615"#, #"18446744073709551615"#),
        (#"[-9223372036854775808,0.5,false,null]"#, #"[-9223372036854775808,0.5,false,null]"#),
        (#"{"path":"/a/b","s":"é\n"}"#, #"{"path":"/a/b","s":"é\n"}"#),
    ])
    func parsesAndPrintsExactly(_ text: String, _ compact: String) throws {
        let value = try JSONValue(parsing: Data(text.utf8))
        #expect(value.compactText() == compact)
        #expect(try JSONValue(parsing: Data(value.jsonBytes())) == value)
    }

    @Test func numbersKeepTheirKind() throws {
        let value = try JSONValue(parsing: Data(#"[true,1,1.5,18446744073709551615]"#.utf8))
        #expect(value == .array([.bool(true), .int(1), .double(1.5), .uint(18_446_744_073_709_551_615)]))
    }

    @Test func membersAreReadAndSetOnObjectsOnly() throws {
        var object = try JSONValue(parsing: Data(#"{"a":{"b":2}}"#.utf8))
        #expect(object["a"]?["b"] == .int(2))
        object["c"] = .string("x")
        #expect(object.compactText() == #"{"a":{"b":2},"c":"x"}"#)
        var array = JSONValue.array([.null])
        array["c"] = .string("x")
        #expect(array == .array([.null]))
    }

    @Test func aTypedValueBecomesItsJSON() throws {
        struct Sample: Encodable { var name = "web"; var replicas: Int64 = 3 }
        #expect(try JSONValue(encoding: Sample()).prettyText() == """
            {
              "name" : "web",
              "replicas" : 3
            }
            """)
    }
}
