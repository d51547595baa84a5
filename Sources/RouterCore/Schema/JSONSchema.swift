/// Why a schema cannot be used: malformed, or it uses a keyword llmr does
/// not check. Said before anything is sent, with where in the schema.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JSON pointer of the offending keyword's schema ("" is the root).
    public var pointer: String
    public var keyword: String
    public var message: String

    public init(pointer: String, keyword: String, message: String) {
        self.pointer = pointer
        self.keyword = keyword
        self.message = message
    }

    public var description: String {
        "\(message) (keyword '\(keyword)' at \(pointer.isEmpty ? "the root" : pointer))"
    }
}

/// A JSON Schema (draft 2020-12) compiled for validation: every keyword
/// checked for form once, every `$ref` resolved to a node, so validating an
/// answer never meets a malformed schema.
public struct JSONSchema: Sendable {
    /// The schema as given (sent to providers as it is).
    public let document: JSONValue
    let nodes: [SchemaNode]

    /// Keywords that only annotate: they never change whether a value validates.
    static let annotations: Set<String> = [
        "$schema", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
        "format", "contentEncoding", "contentMediaType", "contentSchema",
    ]
    /// Keywords of JSON Schema that llmr does not check: refused rather than ignored.
    static let unsupported: [String: String] = [
        "unevaluatedProperties": "use additionalProperties",
        "unevaluatedItems": "use items",
        "$dynamicRef": "use $ref", "$dynamicAnchor": "use $defs and $ref", "$recursiveRef": "use $ref",
        "$recursiveAnchor": "use $defs and $ref", "$anchor": "refer by JSON pointer (#/$defs/name)",
        "$vocabulary": "drop it", "dependencies": "use dependentRequired or dependentSchemas",
        "additionalItems": "use prefixItems and items (draft 2020-12)",
    ]
    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]

    /// Compiles `document`; a `SchemaError` names the first problem.
    public init(_ document: JSONValue) throws(SchemaError) {
        self.document = document
        var compiler = SchemaCompiler(root: document)
        _ = try compiler.compile(document, at: "")
        try compiler.resolveReferences()
        try compiler.refuseEndlessReferences()
        nodes = compiler.nodes
    }

    /// Parses and compiles schema text (a file's bytes or an argument).
    public init(text: [UInt8]) throws(SchemaError) {
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch {
            throw SchemaError(pointer: "", keyword: "", message: "the schema is not JSON: \(error)")
        }
        try self.init(value)
    }
}

/// A regular expression from a schema's `pattern` or `patternProperties`.
/// Compiled once; matching is a search anywhere in the string, as ECMA-262's `test`.
final class SchemaPattern: @unchecked Sendable {
    let source: String
    private let regex: Regex<AnyRegexOutput>

    init?(_ source: String) {
        guard let r = try? Regex(source) else { return nil }
        self.source = source
        // ECMA-262's \d and \w are ASCII only.
        regex = r.asciiOnlyDigits().asciiOnlyWordCharacters()
    }

    func matches(_ s: String) -> Bool { s.contains(regex) }
}

/// One compiled subschema.
enum SchemaNode: Sendable {
    case always(Bool)
    case rules(SchemaRules)
}

/// The checking keywords of one schema object. Subschemas are node indices.
struct SchemaRules: Sendable {
    var pointer = ""
    var ref: Int?
    var refText: String?
    var types: Set<String>?
    var enumValues: [JSONValue]?
    var constValue: JSONValue??
    // Objects
    var properties: [(String, Int)] = []
    var patternProperties: [(SchemaPattern, Int)] = []
    var additionalProperties: Int?
    var propertyNames: Int?
    var required: [String] = []
    var minProperties: Int?
    var maxProperties: Int?
    var dependentRequired: [(String, [String])] = []
    var dependentSchemas: [(String, Int)] = []
    // Arrays
    var prefixItems: [Int] = []
    var items: Int?
    var contains: Int?
    var minContains: Int?
    var maxContains: Int?
    var minItems: Int?
    var maxItems: Int?
    var uniqueItems = false
    // Strings
    var minLength: Int?
    var maxLength: Int?
    var pattern: SchemaPattern?
    // Numbers
    var minimum: Double?
    var maximum: Double?
    var exclusiveMinimum: Double?
    var exclusiveMaximum: Double?
    var multipleOf: Double?
    // Combinations
    var allOf: [Int] = []
    var anyOf: [Int] = []
    var oneOf: [Int] = []
    var not: Int?
    var ifSchema: Int?
    var thenSchema: Int?
    var elseSchema: Int?

    /// The subschemas applied to the same value (not to a member or an item):
    /// a cycle through these alone would never end.
    var inPlace: [Int] {
        var out = allOf + anyOf + oneOf + dependentSchemas.map(\.1)
        for n in [ref, not, ifSchema, thenSchema, elseSchema] { if let n { out.append(n) } }
        return out
    }
}

/// Builds the node table from a schema document.
struct SchemaCompiler {
    let root: JSONValue
    var nodes: [SchemaNode] = []
    /// Node index by the JSON pointer of its schema.
    var byPointer: [String: Int] = [:]
    /// References still to resolve: (node, target pointer, where the $ref is).
    var pending: [(Int, String, String)] = []

    init(root: JSONValue) { self.root = root }

    static func escape(_ key: String) -> String {
        key.replacing("~", with: "~0").replacing("/", with: "~1")
    }

    mutating func compile(_ value: JSONValue, at pointer: String) throws(SchemaError) -> Int {
        if let known = byPointer[pointer] { return known }
        let index = nodes.count
        byPointer[pointer] = index
        switch value {
        case .bool(let b):
            nodes.append(.always(b))
            return index
        case .object(let members):
            nodes.append(.always(true))
            var rules = SchemaRules()
            rules.pointer = pointer
            for (keyword, v) in members {
                try apply(keyword, v, to: &rules, at: pointer, node: index)
            }
            nodes[index] = .rules(rules)
            return index
        default:
            throw SchemaError(pointer: pointer, keyword: "", message: "a schema must be an object or a boolean, not \(Self.kind(value))")
        }
    }

    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    mutating func apply(_ keyword: String, _ v: JSONValue, to r: inout SchemaRules, at pointer: String, node: Int) throws(SchemaError) {
        let here = pointer + "/" + Self.escape(keyword)
        func fail(_ message: String) -> SchemaError { SchemaError(pointer: pointer, keyword: keyword, message: message) }
        func count() throws(SchemaError) -> Int {
            guard case .number(let n) = v, n.isFinite, n >= 0, n == n.rounded(), n < 9e15 else {
                throw fail("'\(keyword)' takes a whole number of 0 or more")
            }
            return Int(n)
        }
        func number() throws(SchemaError) -> Double {
            guard case .number(let n) = v else { throw fail("'\(keyword)' takes a number") }
            guard n.isFinite else { throw fail("'\(keyword)' is beyond the range of a double") }
            return n
        }
        func sub(_ value: JSONValue, _ at: String) throws(SchemaError) -> Int { try compile(value, at: at) }
        func list() throws(SchemaError) -> [Int] {
            guard case .array(let items) = v, !items.isEmpty else { throw fail("'\(keyword)' takes a non-empty array of schemas") }
            var out: [Int] = []
            for (i, item) in items.enumerated() { out.append(try sub(item, here + "/\(i)")) }
            return out
        }
        func map() throws(SchemaError) -> [(String, JSONValue)] {
            guard case .object(let members) = v else { throw fail("'\(keyword)' takes an object") }
            return members
        }
        func strings() throws(SchemaError) -> [String] {
            guard case .array(let items) = v else { throw fail("'\(keyword)' takes an array of strings") }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw fail("'\(keyword)' takes an array of strings") }
                guard !out.contains(s) else { throw fail("'\(keyword)' names '\(s)' twice") }
                out.append(s)
            }
            return out
        }

        if JSONSchema.annotations.contains(keyword) || keyword.hasPrefix("x-") { return }
        if let instead = JSONSchema.unsupported[keyword] {
            throw fail("llmr does not check '\(keyword)'; \(instead)")
        }
        switch keyword {
        case "$id":
            guard pointer.isEmpty else { throw fail("'$id' below the root would change what references mean; llmr resolves only local references") }
        case "$defs", "definitions":
            for (name, s) in try map() { _ = try sub(s, here + "/" + Self.escape(name)) }
        case "$ref":
            guard case .string(let target) = v else { throw fail("'$ref' takes a string") }
            guard target.hasPrefix("#") else {
                throw fail("'\(target)' is a remote reference; llmr resolves only references within the schema (#/...)")
            }
            r.refText = target
            pending.append((node, target, pointer))
        case "type":
            var names: [String] = []
            switch v {
            case .string(let s): names = [s]
            case .array(let items):
                for item in items {
                    guard case .string(let s) = item, !names.contains(s) else { throw fail("'type' takes a type name or an array of different ones") }
                    names.append(s)
                }
            default: throw fail("'type' takes a type name or an array of them")
            }
            for n in names where !JSONSchema.typeNames.contains(n) {
                throw fail("'\(n)' is not a JSON Schema type (null, boolean, object, array, number, string, integer)")
            }
            r.types = Set(names)
        case "enum":
            guard case .array(let items) = v else { throw fail("'enum' takes an array") }
            r.enumValues = items
        case "const": r.constValue = .some(v)
        case "properties":
            for (name, s) in try map() { r.properties.append((name, try sub(s, here + "/" + Self.escape(name)))) }
        case "patternProperties":
            for (source, s) in try map() {
                guard let p = SchemaPattern(source) else { throw fail("'\(source)' is not a regular expression llmr can use") }
                r.patternProperties.append((p, try sub(s, here + "/" + Self.escape(source))))
            }
        case "additionalProperties": r.additionalProperties = try sub(v, here)
        case "propertyNames": r.propertyNames = try sub(v, here)
        case "required": r.required = try strings()
        case "minProperties": r.minProperties = try count()
        case "maxProperties": r.maxProperties = try count()
        case "dependentRequired":
            for (name, names) in try map() {
                guard case .array(let items) = names else { throw fail("'dependentRequired' takes arrays of property names") }
                var list: [String] = []
                for item in items {
                    guard case .string(let s) = item else { throw fail("'dependentRequired' takes arrays of property names") }
                    list.append(s)
                }
                r.dependentRequired.append((name, list))
            }
        case "dependentSchemas":
            for (name, s) in try map() { r.dependentSchemas.append((name, try sub(s, here + "/" + Self.escape(name)))) }
        case "prefixItems": r.prefixItems = try list()
        case "items":
            if case .array = v { throw fail("'items' as an array is an older draft; use prefixItems (draft 2020-12)") }
            r.items = try sub(v, here)
        case "contains": r.contains = try sub(v, here)
        case "minContains": r.minContains = try count()
        case "maxContains": r.maxContains = try count()
        case "minItems": r.minItems = try count()
        case "maxItems": r.maxItems = try count()
        case "uniqueItems":
            guard case .bool(let b) = v else { throw fail("'uniqueItems' takes true or false") }
            r.uniqueItems = b
        case "minLength": r.minLength = try count()
        case "maxLength": r.maxLength = try count()
        case "pattern":
            guard case .string(let source) = v else { throw fail("'pattern' takes a string") }
            guard let p = SchemaPattern(source) else { throw fail("'\(source)' is not a regular expression llmr can use") }
            r.pattern = p
        case "minimum": r.minimum = try number()
        case "maximum": r.maximum = try number()
        case "exclusiveMinimum":
            if case .bool = v { throw fail("'exclusiveMinimum' as a boolean is an older draft; give the bound itself") }
            r.exclusiveMinimum = try number()
        case "exclusiveMaximum":
            if case .bool = v { throw fail("'exclusiveMaximum' as a boolean is an older draft; give the bound itself") }
            r.exclusiveMaximum = try number()
        case "multipleOf":
            let n = try number()
            guard n > 0 else { throw fail("'multipleOf' takes a number greater than 0") }
            r.multipleOf = n
        case "allOf": r.allOf = try list()
        case "anyOf": r.anyOf = try list()
        case "oneOf": r.oneOf = try list()
        case "not": r.not = try sub(v, here)
        case "if": r.ifSchema = try sub(v, here)
        case "then": r.thenSchema = try sub(v, here)
        case "else": r.elseSchema = try sub(v, here)
        default:
            throw SchemaError(pointer: pointer, keyword: keyword,
                              message: "'\(keyword)' is not a JSON Schema keyword llmr checks (a misspelling? annotations of your own may start with 'x-')")
        }
    }

    /// The value at a JSON pointer of the document (RFC 6901, in a URI fragment).
    func lookUp(_ pointer: String) -> JSONValue? {
        var v = root
        guard !pointer.isEmpty else { return v }
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = Self.percentDecoded(String(raw)).replacing("~1", with: "/").replacing("~0", with: "~")
            switch v {
            case .object:
                guard let next = v[token] else { return nil }
                v = next
            case .array(let items):
                guard let i = Int(token), items.indices.contains(i) else { return nil }
                v = items[i]
            default: return nil
            }
        }
        return v
    }

    static func percentDecoded(_ s: String) -> String {
        guard s.contains("%") else { return s }
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%"), it.count >= 2, let h = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(h)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func resolveReferences() throws(SchemaError) {
        while let (node, target, at) = pending.popLast() {
            let pointer = String(target.dropFirst())
            guard pointer.isEmpty || pointer.hasPrefix("/") else {
                throw SchemaError(pointer: at, keyword: "$ref", message: "'\(target)' names an anchor; llmr resolves JSON pointers only (#/$defs/name)")
            }
            let index: Int
            if let known = byPointer[Self.percentDecoded(pointer)] ?? byPointer[pointer] {
                index = known
            } else {
                guard let value = lookUp(pointer) else {
                    throw SchemaError(pointer: at, keyword: "$ref", message: "'\(target)' refers to nothing in the schema")
                }
                index = try compile(value, at: pointer)
            }
            guard case .rules(var r) = nodes[node] else { continue }
            r.ref = index
            nodes[node] = .rules(r)
        }
    }

    /// Refuses references that would send validation round in a circle
    /// without moving into a member or an item (`{"$ref": "#"}` at the root).
    func refuseEndlessReferences() throws(SchemaError) {
        var state = [UInt8](repeating: 0, count: nodes.count)  // 0 new, 1 on the path, 2 done
        func visit(_ i: Int) throws(SchemaError) {
            if state[i] == 2 { return }
            guard case .rules(let r) = nodes[i] else { state[i] = 2; return }
            if state[i] == 1 {
                throw SchemaError(pointer: r.pointer, keyword: "$ref", message: "the schema refers back to itself without moving into a member or an item, so it could never be checked")
            }
            state[i] = 1
            for next in r.inPlace { try visit(next) }
            state[i] = 2
        }
        for i in nodes.indices { try visit(i) }
    }
}
