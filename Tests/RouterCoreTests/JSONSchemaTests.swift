@testable import RouterCore
import Testing

/// The validator, keyword by keyword, from the draft 2020-12 specification's
/// own words: each case a schema, a value and whether the value validates.
struct JSONSchemaTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let schema: String
        let value: String
        let valid: Bool
        var testDescription: String { "\(schema) ⟵ \(value): \(valid ? "valid" : "invalid")" }
    }

    static func c(_ schema: String, _ value: String, _ valid: Bool) -> Case { Case(schema: schema, value: value, valid: valid) }

    static let cases: [Case] = [
        // Boolean schemas
        c("true", ##"{"a":1}"##, true), c("false", "1", false), c("{}", "null", true),
        // type
        c(##"{"type":"integer"}"##, "1", true), c(##"{"type":"integer"}"##, "1.0", true), c(##"{"type":"integer"}"##, "1.5", false),
        c(##"{"type":"integer"}"##, "\"1\"", false), c(##"{"type":"number"}"##, "1", true), c(##"{"type":"string"}"##, "\"x\"", true),
        c(##"{"type":"null"}"##, "null", true), c(##"{"type":"null"}"##, "false", false), c(##"{"type":"boolean"}"##, "0", false),
        c(##"{"type":["string","null"]}"##, "null", true), c(##"{"type":["string","null"]}"##, "1", false),
        c(##"{"type":"object"}"##, "[]", false), c(##"{"type":"array"}"##, "{}", false),
        // enum, const
        c(##"{"enum":[1,"a",null]}"##, "1.0", true), c(##"{"enum":[1,"a",null]}"##, "\"b\"", false),
        c(##"{"enum":[{"a":1,"b":2}]}"##, ##"{"b":2,"a":1}"##, true), c(##"{"enum":[false]}"##, "0", false),
        c(##"{"const":[1,2]}"##, "[1,2]", true), c(##"{"const":[1,2]}"##, "[2,1]", false), c(##"{"const":null}"##, "null", true),
        c(##"{"const":null}"##, "0", false),
        // properties, required, additionalProperties, patternProperties, propertyNames
        c(##"{"properties":{"a":{"type":"string"}}}"##, ##"{"a":"x","b":1}"##, true),
        c(##"{"properties":{"a":{"type":"string"}}}"##, ##"{"a":1}"##, false),
        c(##"{"properties":{"a":{"type":"string"}}}"##, "1", true),
        c(##"{"required":["a","b"]}"##, ##"{"a":1}"##, false), c(##"{"required":["a"]}"##, ##"{"a":null}"##, true),
        c(##"{"required":["a"]}"##, "[]", true),
        c(##"{"properties":{"a":{}},"additionalProperties":false}"##, ##"{"a":1}"##, true),
        c(##"{"properties":{"a":{}},"additionalProperties":false}"##, ##"{"a":1,"b":2}"##, false),
        c(##"{"patternProperties":{"^x-":{}},"additionalProperties":false}"##, ##"{"x-a":1}"##, true),
        c(##"{"patternProperties":{"^x-":{"type":"integer"}}}"##, ##"{"x-a":"s"}"##, false),
        c(##"{"additionalProperties":{"type":"integer"}}"##, ##"{"a":1,"b":2}"##, true),
        c(##"{"additionalProperties":{"type":"integer"}}"##, ##"{"a":1,"b":"2"}"##, false),
        c(##"{"propertyNames":{"maxLength":3}}"##, ##"{"abc":1}"##, true), c(##"{"propertyNames":{"maxLength":3}}"##, ##"{"abcd":1}"##, false),
        c(##"{"propertyNames":{"pattern":"^[a-z]+$"}}"##, ##"{"ab":1,"Cd":2}"##, false),
        // minProperties, maxProperties, dependentRequired, dependentSchemas
        c(##"{"minProperties":2}"##, ##"{"a":1}"##, false), c(##"{"maxProperties":1}"##, ##"{"a":1}"##, true),
        c(##"{"maxProperties":1}"##, ##"{"a":1,"b":2}"##, false),
        c(##"{"dependentRequired":{"card":["billing"]}}"##, ##"{"card":1}"##, false),
        c(##"{"dependentRequired":{"card":["billing"]}}"##, ##"{"card":1,"billing":2}"##, true),
        c(##"{"dependentRequired":{"card":["billing"]}}"##, ##"{"name":1}"##, true),
        c(##"{"dependentSchemas":{"card":{"required":["billing"]}}}"##, ##"{"card":1}"##, false),
        c(##"{"dependentSchemas":{"card":{"required":["billing"]}}}"##, ##"{}"##, true),
        // items, prefixItems, contains, minContains, maxContains, minItems, maxItems, uniqueItems
        c(##"{"items":{"type":"integer"}}"##, "[1,2,3]", true), c(##"{"items":{"type":"integer"}}"##, "[1,\"2\"]", false),
        c(##"{"prefixItems":[{"type":"string"}],"items":{"type":"integer"}}"##, ##"["a",1,2]"##, true),
        c(##"{"prefixItems":[{"type":"string"}],"items":{"type":"integer"}}"##, ##"[1,1]"##, false),
        c(##"{"prefixItems":[{"type":"string"}],"items":false}"##, ##"["a","b"]"##, false),
        c(##"{"prefixItems":[{"type":"string"}],"items":false}"##, ##"["a"]"##, true),
        c(##"{"contains":{"const":5}}"##, "[1,5]", true), c(##"{"contains":{"const":5}}"##, "[1,2]", false),
        c(##"{"contains":{"const":5}}"##, "[]", false), c(##"{"contains":{"const":5},"minContains":0}"##, "[]", true),
        c(##"{"contains":{"const":5},"minContains":2}"##, "[5,1]", false), c(##"{"contains":{"const":5},"minContains":2}"##, "[5,5]", true),
        c(##"{"contains":{"const":5},"maxContains":1}"##, "[5,5]", false), c(##"{"maxContains":1}"##, "[5,5]", true),
        c(##"{"minItems":2}"##, "[1]", false), c(##"{"maxItems":2}"##, "[1,2]", true), c(##"{"maxItems":2}"##, "[1,2,3]", false),
        c(##"{"uniqueItems":true}"##, "[1,2]", true), c(##"{"uniqueItems":true}"##, "[1,1.0]", false),
        c(##"{"uniqueItems":true}"##, ##"[{"a":1,"b":2},{"b":2,"a":1}]"##, false), c(##"{"uniqueItems":true}"##, "[0,false]", true),
        c(##"{"uniqueItems":false}"##, "[1,1]", true),
        // strings: lengths in code points, pattern searched anywhere
        c(##"{"minLength":2}"##, "\"é\"", false), c(##"{"maxLength":1}"##, "\"😀\"", true), c(##"{"maxLength":1}"##, "\"ab\"", false),
        c(##"{"maxLength":2}"##, "\"e\u{301}x\"", false),
        c(##"{"pattern":"b+"}"##, "\"abbc\"", true), c(##"{"pattern":"^b"}"##, "\"abc\"", false), c(##"{"pattern":"^\\d{3}$"}"##, "\"123\"", true),
        c(##"{"pattern":"^\\d$"}"##, "\"٣\"", false), c(##"{"pattern":"x"}"##, "1", true),
        // numbers
        c(##"{"minimum":1}"##, "1", true), c(##"{"minimum":1}"##, "0.9", false), c(##"{"maximum":1}"##, "1.1", false),
        c(##"{"exclusiveMinimum":1}"##, "1", false), c(##"{"exclusiveMinimum":1}"##, "1.01", true),
        c(##"{"exclusiveMaximum":1}"##, "1", false), c(##"{"exclusiveMaximum":1}"##, "-5", true),
        c(##"{"multipleOf":0.1}"##, "0.3", true), c(##"{"multipleOf":0.01}"##, "19.99", true), c(##"{"multipleOf":0.01}"##, "19.991", false),
        c(##"{"multipleOf":2}"##, "7", false), c(##"{"multipleOf":2}"##, "1e308", true), c(##"{"multipleOf":1e-300}"##, "3e-300", true),
        c(##"{"multipleOf":3}"##, "1e20", false), c(##"{"multipleOf":1.5}"##, "4.5", true), c(##"{"multipleOf":1e30}"##, "2", false),
        c(##"{"multipleOf":0.0001}"##, "0.00751", false), c(##"{"multipleOf":0.0001}"##, "0.0075", true),
        // combinations
        c(##"{"allOf":[{"type":"integer"},{"minimum":3}]}"##, "4", true), c(##"{"allOf":[{"type":"integer"},{"minimum":3}]}"##, "2", false),
        c(##"{"anyOf":[{"type":"string"},{"minimum":3}]}"##, "\"x\"", true), c(##"{"anyOf":[{"type":"string"},{"minimum":3}]}"##, "2", false),
        c(##"{"oneOf":[{"type":"integer"},{"minimum":3}]}"##, "2", true), c(##"{"oneOf":[{"type":"integer"},{"minimum":3}]}"##, "4", false),
        c(##"{"oneOf":[{"type":"integer"},{"minimum":3}]}"##, "1.5", false),
        c(##"{"not":{"type":"string"}}"##, "1", true), c(##"{"not":{"type":"string"}}"##, "\"s\"", false),
        c(##"{"if":{"minimum":10},"then":{"multipleOf":5},"else":{"maximum":3}}"##, "15", true),
        c(##"{"if":{"minimum":10},"then":{"multipleOf":5},"else":{"maximum":3}}"##, "12", false),
        c(##"{"if":{"minimum":10},"then":{"multipleOf":5},"else":{"maximum":3}}"##, "2", true),
        c(##"{"if":{"minimum":10},"then":{"multipleOf":5},"else":{"maximum":3}}"##, "5", false),
        c(##"{"then":{"type":"string"}}"##, "1", true), c(##"{"if":{"type":"string"}}"##, "1", true),
        // $defs and $ref, recursive, with siblings
        c(##"{"$defs":{"pos":{"minimum":0}},"$ref":"#/$defs/pos"}"##, "-1", false),
        c(##"{"$defs":{"pos":{"minimum":0}},"$ref":"#/$defs/pos","maximum":5}"##, "6", false),
        c(##"{"$defs":{"pos":{"minimum":0}},"$ref":"#/$defs/pos","maximum":5}"##, "4", true),
        c(##"{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#"}}},"additionalProperties":false}"##,
          ##"{"kids":[{"kids":[]},{"kids":[{"kids":[]}]}]}"##, true),
        c(##"{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#"}}},"additionalProperties":false}"##,
          ##"{"kids":[{"kids":[{"name":1}]}]}"##, false),
        c(##"{"properties":{"a":{"type":"integer"},"b":{"$ref":"#/properties/a"}}}"##, ##"{"b":"x"}"##, false),
        c(##"{"$defs":{"a~b":{"type":"integer"},"c/d":{"type":"string"}},"properties":{"x":{"$ref":"#/$defs/a~0b"},"y":{"$ref":"#/$defs/c~1d"}}}"##,
          ##"{"x":1,"y":"s"}"##, true),
        c(##"{"definitions":{"s":{"type":"string"}},"items":{"$ref":"#/definitions/s"}}"##, ##"["a",2]"##, false),
        // annotations change nothing
        c(##"{"title":"t","description":"d","format":"email","default":1,"examples":[1],"x-mine":{"any":1}}"##, "\"not an email\"", true),
        // numbers beyond a double are never valid
        c("{}", "1e400", false), c(##"{"type":"number"}"##, "-1e400", false),
    ]

    @Test(arguments: cases) func keyword(_ c: Case) throws {
        let schema = try JSONSchema(text: Array(c.schema.utf8))
        let value = try JSONValue.parse(c.value)
        let error = schema.validate(value)
        #expect((error == nil) == c.valid, "\(error.map { "\($0)" } ?? "valid")")
    }

    @Test func theErrorSaysWhereAndWhichKeyword() throws {
        let schema = try JSONSchema(text: Array(##"{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","required":["price"]}}}}"##.utf8))
        let error = try #require(schema.validate(try JSONValue.parse(##"{"items":[{"price":1},{"name":"x"}]}"##)))
        #expect(error.instance == "/items/1")
        #expect(error.keyword == "required")
        #expect(error.schema == "/properties/items/items")
        #expect("\(error)".contains("'price' is missing"))
        let extra = try JSONSchema(text: Array(##"{"additionalProperties":false}"##.utf8)).validate(try JSONValue.parse(##"{"a/b":1}"##))
        #expect(extra?.instance == "/a~1b")
        #expect(extra?.keyword == "additionalProperties")
    }

    @Test func duplicateMembersNeverPass() throws {
        let schema = try JSONSchema(text: Array("{}".utf8))
        #expect(schema.validate(try JSONValue.parse(##"{"a":1,"a":2}"##))?.message.contains("twice") == true)
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let schema: String
        let keyword: String
        let pointer: String
        var testDescription: String { schema }
    }

    static let refusals: [Refusal] = [
        Refusal(schema: ##"{"unevaluatedProperties":false}"##, keyword: "unevaluatedProperties", pointer: ""),
        Refusal(schema: ##"{"properties":{"a":{"unevaluatedItems":false}}}"##, keyword: "unevaluatedItems", pointer: "/properties/a"),
        Refusal(schema: ##"{"$ref":"https://example.com/s.json"}"##, keyword: "$ref", pointer: ""),
        Refusal(schema: ##"{"$ref":"other.json#/a"}"##, keyword: "$ref", pointer: ""),
        Refusal(schema: ##"{"$ref":"#/$defs/missing"}"##, keyword: "$ref", pointer: ""),
        Refusal(schema: ##"{"$ref":"#name"}"##, keyword: "$ref", pointer: ""),
        Refusal(schema: ##"{"$ref":"#"}"##, keyword: "$ref", pointer: ""),
        Refusal(schema: ##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"allOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}"##, keyword: "$ref", pointer: "/$defs/a"),
        Refusal(schema: ##"{"type":"text"}"##, keyword: "type", pointer: ""),
        Refusal(schema: ##"{"minLength":-1}"##, keyword: "minLength", pointer: ""),
        Refusal(schema: ##"{"maxItems":1.5}"##, keyword: "maxItems", pointer: ""),
        Refusal(schema: ##"{"multipleOf":0}"##, keyword: "multipleOf", pointer: ""),
        Refusal(schema: ##"{"minimum":1e400}"##, keyword: "minimum", pointer: ""),
        Refusal(schema: ##"{"required":"a"}"##, keyword: "required", pointer: ""),
        Refusal(schema: ##"{"required":["a","a"]}"##, keyword: "required", pointer: ""),
        Refusal(schema: ##"{"pattern":"("}"##, keyword: "pattern", pointer: ""),
        Refusal(schema: ##"{"items":[{}]}"##, keyword: "items", pointer: ""),
        Refusal(schema: ##"{"exclusiveMinimum":true}"##, keyword: "exclusiveMinimum", pointer: ""),
        Refusal(schema: ##"{"dependencies":{}}"##, keyword: "dependencies", pointer: ""),
        Refusal(schema: ##"{"propertise":{}}"##, keyword: "propertise", pointer: ""),
        Refusal(schema: ##"{"allOf":[]}"##, keyword: "allOf", pointer: ""),
        Refusal(schema: ##"{"properties":{"a":3}}"##, keyword: "", pointer: "/properties/a"),
        Refusal(schema: ##"{"items":{"$id":"x"}}"##, keyword: "$id", pointer: "/items"),
    ]

    @Test(arguments: refusals) func refusedBeforeUse(_ r: Refusal) {
        #expect(throws: SchemaError.self) { try JSONSchema(text: Array(r.schema.utf8)) }
        do {
            _ = try JSONSchema(text: Array(r.schema.utf8))
        } catch {
            #expect(error.keyword == r.keyword)
            #expect(error.pointer == r.pointer)
        }
    }

    @Test func notJSONAndTooDeepAreRefusedClearly() {
        #expect(throws: SchemaError.self) { try JSONSchema(text: Array("{type: object}".utf8)) }
        let deep = String(repeating: ##"{"items":"##, count: 10_000) + "{}" + String(repeating: "}", count: 10_000)
        #expect(throws: SchemaError.self) { try JSONSchema(text: Array(deep.utf8)) }
    }

    @Test func exactDecimals() {
        #expect(ExactDecimal.isMultiple(0.3, of: 0.1))
        #expect(ExactDecimal.isMultiple(1.1, of: 0.1))
        #expect(!ExactDecimal.isMultiple(0.35, of: 0.1))
        #expect(ExactDecimal.isMultiple(-4.2, of: 0.7))
        #expect(ExactDecimal.isMultiple(123456789012345680000, of: 10))
    }
}
