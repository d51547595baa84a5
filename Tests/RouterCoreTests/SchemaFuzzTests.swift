@testable import RouterCore
import Testing

/// Seeded fuzz: generated schemas (well-formed and not) against generated
/// values. Nothing may crash; a schema either compiles or is refused with a
/// keyword; the verdict is the same every time and for the value written out
/// and read back; and an answer `OutputSchema.check` accepts always validates.
struct SchemaFuzzTests {
    struct Gen {
        var rng: SeededRandom
        mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }

        mutating func number() -> JSONValue {
            pick([.number(0), .number(1), .number(-1), .number(1.5), .number(0.1), .number(0.3), .number(1e300),
                  .number(-2.5e-7), .number(Double(int(1000)) / 10), .number(.infinity), .number(3), .number(1e20)])
        }

        mutating func string() -> JSONValue {
            pick(["", "a", "abc", "😀x", "e\u{301}", "1234", "x-y", "/~", "A b"].map { JSONValue.string($0) })
        }

        mutating func value(_ depth: Int) -> JSONValue {
            switch depth > 3 ? int(4) : int(6) {
            case 0: return .null
            case 1: return .bool(int(2) == 0)
            case 2: return number()
            case 3: return string()
            case 4: return .array((0..<int(4)).map { _ in value(depth + 1) })
            default:
                var members: [(String, JSONValue)] = []
                for _ in 0..<int(4) { members.append((pick(["a", "b", "c", "x-y", "a"]), value(depth + 1))) }
                return .object(members)
            }
        }

        mutating func schema(_ depth: Int) -> JSONValue {
            if int(8) == 0 { return .bool(int(2) == 0) }
            var members: [(String, JSONValue)] = []
            let keywords = ["type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
                            "propertyNames", "minProperties", "maxProperties", "dependentRequired", "dependentSchemas", "items",
                            "prefixItems", "contains", "minContains", "maxContains", "minItems", "maxItems", "uniqueItems",
                            "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                            "multipleOf", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "$defs", "format",
                            "unevaluatedProperties", "bogus"]
            for _ in 0..<(1 + int(3)) {
                let k = pick(keywords)
                let v: JSONValue
                switch k {
                case "type": v = int(3) == 0 ? .array([string(), "integer"]) : pick(["integer", "number", "string", "object", "array", "null", "boolean", "text"])
                case "enum": v = int(5) == 0 ? number() : .array((0..<int(3)).map { _ in value(2) })
                case "const": v = value(2)
                case "properties", "patternProperties", "dependentSchemas", "$defs":
                    v = depth > 2 ? .object([]) : .object([(pick(["a", "b", "^x", "(", "c"]), schema(depth + 1))])
                case "required": v = int(6) == 0 ? "a" : .array([pick(["a", "b"]), pick(["c", "a"])])
                case "dependentRequired": v = .object([("a", .array([pick(["b", "c"])]))])
                case "additionalProperties", "propertyNames", "items", "contains", "not", "if", "then", "else":
                    v = depth > 2 ? .bool(int(2) == 0) : schema(depth + 1)
                case "prefixItems", "allOf", "anyOf", "oneOf":
                    v = depth > 2 ? .array([.bool(true)]) : .array((0..<int(3)).map { _ in schema(depth + 1) })
                case "minProperties", "maxProperties", "minContains", "maxContains", "minItems", "maxItems", "minLength", "maxLength":
                    v = int(8) == 0 ? number() : .number(Double(int(4)))
                case "uniqueItems": v = int(5) == 0 ? "yes" : .bool(int(2) == 0)
                case "pattern": v = pick(["^a", "b+", "(", "\\d{2}", "[a-z]*$", "."])
                case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf": v = number()
                case "$ref": v = pick(["#", "#/$defs/a", "#/properties/a", "#/nowhere", "http://x/y", "#a"])
                default: v = value(2)
                }
                members.append((k, v))
            }
            return .object(members)
        }
    }

    @Test(arguments: 1...8) func nothingCrashesAndVerdictsAreStable(seed: UInt64) throws {
        var g = Gen(rng: SeededRandom(seed: seed))
        var compiled = 0, validated = 0
        for _ in 0..<400 {
            let document = g.schema(0)
            let schema: JSONSchema
            do { schema = try JSONSchema(document) } catch {
                #expect(!error.message.isEmpty)
                // Refused as text too, the same way.
                #expect(throws: SchemaError.self) { try JSONSchema(text: Array(document.serialized().utf8)) }
                continue
            }
            compiled += 1
            let output = OutputSchema(schema)
            for _ in 0..<10 {
                let value = g.value(0)
                let verdict = schema.validate(value)
                #expect(schema.validate(value) == verdict, "the same verdict twice")
                let text = value.serialized()
                if let reread = try? JSONValue.parse(text), value.isFinite {
                    #expect((schema.validate(reread) == nil) == (verdict == nil), "\(document.serialized()) ⟵ \(text)")
                }
                if case .success(let (parsed, json)) = output.check(text) {
                    validated += 1
                    #expect(schema.validate(parsed) == nil, "accepted only when valid: \(document.serialized()) ⟵ \(text)")
                    let back = try JSONValue.parse(json)
                    #expect(back == parsed, "\(json) vs \(parsed.serialized())")
                }
                // Wrapped in a fence or in prose, the same JSON is judged the same, or refused.
                if case .success = output.check("Sure: " + text) { Issue.record("prose around JSON accepted: \(text)") }
                let plain = (try? output.check(text).get()) != nil
                #expect(((try? output.check("```json\n" + text + "\n```").get()) != nil) == plain)
                // (A number beyond a double serializes as null: then the text is another value.)
                if plain, value.isFinite { #expect(verdict == nil) }
            }
        }
        #expect(compiled > 20, "the generator makes usable schemas too (\(compiled))")
        #expect(validated > 20, "and values that pass (\(validated))")
    }

    /// What the schema does not look at is still checked: a member named
    /// twice, or a number beyond a double, anywhere in the answer.
    @Test func flawsAnywhereInTheAnswerAreRefused() throws {
        let output = OutputSchema(try JSONSchema(text: Array(#"{"properties":{"a":true}}"#.utf8)))
        guard case .failure(let twice) = output.check(#"{"a":{"b":1,"b":2}}"#) else { Issue.record("passed"); return }
        #expect(twice.message.contains("'b' twice (at /a)"))
        guard case .failure(let big) = output.check(#"{"a":[1e400]}"#) else { Issue.record("passed"); return }
        #expect(big.message.contains("beyond the range of a double (at /a/0)"))
    }

    @Test func hugeAndDeepInputsAreHandledWithoutACrash() throws {
        let schema = try JSONSchema(text: Array(##"{"type":"array","items":{"$ref":"#/$defs/n"},"uniqueItems":true,"$defs":{"n":{"anyOf":[{"type":"integer"},{"type":"array","items":{"$ref":"#/$defs/n"}}]}}}"##.utf8))
        let output = OutputSchema(schema)
        // 200,000 distinct items: uniqueItems stays linear.
        let wide = "[" + (0..<200_000).map(String.init).joined(separator: ",") + "]"
        #expect(throws: Never.self) { _ = output.check(wide) }
        if case .failure(let p) = output.check(wide) { Issue.record("\(p.message)") }
        // Nested past what the parser takes: refused as not one JSON value, not a crash.
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        guard case .failure = output.check(deep) else { Issue.record("a 10,000-deep answer passed"); return }
        // A 64 MiB string is measured in code points, without a crash.
        let long = try JSONSchema(text: Array(#"{"type":"string","maxLength":10}"#.utf8))
        let big = "\"" + String(repeating: "é", count: 32 << 20) + "\""
        #expect(OutputSchema(long).check(big).map { _ in true } != .success(true))
    }
}

extension JSONValue {
    /// No number in it is beyond a double (those never validate, and serialize as null).
    var isFinite: Bool {
        switch self {
        case .number(let n): return n.isFinite
        case .array(let items): return items.allSatisfy(\.isFinite)
        case .object(let members): return members.allSatisfy { $0.1.isFinite }
        default: return true
        }
    }
}
