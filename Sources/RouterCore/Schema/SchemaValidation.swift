/// Why a value does not validate: where in the value, which keyword of which
/// subschema, and what it wanted.
public struct ValidationError: Sendable, Equatable, CustomStringConvertible {
    /// The JSON pointer of the offending part of the value ("" is the whole).
    public var instance: String
    /// The JSON pointer of the subschema whose keyword failed.
    public var schema: String
    public var keyword: String
    public var message: String

    public var description: String {
        "\(instance.isEmpty ? "the value" : instance): \(message) (keyword '\(keyword)' at \(schema.isEmpty ? "the schema's root" : schema))"
    }
}

extension JSONSchema {
    /// The first way `value` fails the schema, or nil when it validates.
    /// Keywords are checked in a fixed order, so the error is always the same.
    public func validate(_ value: JSONValue) -> ValidationError? {
        var v = SchemaValidator(nodes: nodes)
        return v.check(value, node: 0, at: "")
    }
}

struct SchemaValidator {
    let nodes: [SchemaNode]

    mutating func check(_ value: JSONValue, node: Int, at path: String) -> ValidationError? {
        switch nodes[node] {
        case .always(true): return nil
        case .always(false):
            return ValidationError(instance: path, schema: "", keyword: "false", message: "the schema allows nothing here")
        case .rules(let r):
            return check(value, r, at: path)
        }
    }

    func passes(_ value: JSONValue, node: Int, at path: String) -> Bool {
        var copy = self
        return copy.check(value, node: node, at: path) == nil
    }

    mutating func check(_ value: JSONValue, _ r: SchemaRules, at path: String) -> ValidationError? {
        func fail(_ keyword: String, _ message: String, at p: String? = nil) -> ValidationError {
            ValidationError(instance: p ?? path, schema: r.pointer, keyword: keyword, message: message)
        }
        if case .number(let n) = value, !n.isFinite {
            return fail("type", "the number is beyond the range of a double")
        }
        if let ref = r.ref, let e = check(value, node: ref, at: path) { return e }
        if let types = r.types, !types.contains(where: { Self.isOf(type: $0, value) }) {
            return fail("type", "expected \(types.sorted().joined(separator: " or ")), got \(Self.typeName(value))")
        }
        if let values = r.enumValues, !values.contains(value) {
            return fail("enum", "\(Self.shown(value)) is not one of \(Self.shown(.array(values)))")
        }
        if let c = r.constValue, let c, c != value {
            return fail("const", "expected \(Self.shown(c)), got \(Self.shown(value))")
        }
        switch value {
        case .object(let members):
            if let e = checkObject(members, r, at: path) { return e }
        case .array(let items):
            if let e = checkArray(items, r, at: path) { return e }
        case .string(let s):
            let length = s.unicodeScalars.count
            if let min = r.minLength, length < min { return fail("minLength", "\(length) characters, fewer than \(min)") }
            if let max = r.maxLength, length > max { return fail("maxLength", "\(length) characters, more than \(max)") }
            if let p = r.pattern, !p.matches(s) { return fail("pattern", "does not match the pattern '\(p.source)'") }
        case .number(let n):
            if let m = r.minimum, n < m { return fail("minimum", "\(Self.shown(value)) is less than \(Self.shown(.number(m)))") }
            if let m = r.maximum, n > m { return fail("maximum", "\(Self.shown(value)) is more than \(Self.shown(.number(m)))") }
            if let m = r.exclusiveMinimum, n <= m { return fail("exclusiveMinimum", "\(Self.shown(value)) is not more than \(Self.shown(.number(m)))") }
            if let m = r.exclusiveMaximum, n >= m { return fail("exclusiveMaximum", "\(Self.shown(value)) is not less than \(Self.shown(.number(m)))") }
            if let m = r.multipleOf, !ExactDecimal.isMultiple(n, of: m) {
                return fail("multipleOf", "\(Self.shown(value)) is not a multiple of \(Self.shown(.number(m)))")
            }
        default: break
        }
        for (i, s) in r.allOf.enumerated() {
            if let e = check(value, node: s, at: path) {
                return fail("allOf", "fails schema \(i) of allOf: \(e.message)" + (e.instance == path ? "" : " at \(e.instance)"))
            }
        }
        if !r.anyOf.isEmpty, !r.anyOf.contains(where: { passes(value, node: $0, at: path) }) {
            return fail("anyOf", "matches none of the \(r.anyOf.count) schemas of anyOf")
        }
        if !r.oneOf.isEmpty {
            let matching = r.oneOf.filter { passes(value, node: $0, at: path) }.count
            if matching != 1 {
                return fail("oneOf", matching == 0 ? "matches none of the \(r.oneOf.count) schemas of oneOf"
                    : "matches \(matching) of the schemas of oneOf, not exactly one")
            }
        }
        if let n = r.not, passes(value, node: n, at: path) { return fail("not", "matches the schema of 'not'") }
        if let i = r.ifSchema {
            if passes(value, node: i, at: path) {
                if let t = r.thenSchema, let e = check(value, node: t, at: path) { return e }
            } else if let x = r.elseSchema, let e = check(value, node: x, at: path) {
                return e
            }
        }
        return nil
    }

    mutating func checkObject(_ members: [(String, JSONValue)], _ r: SchemaRules, at path: String) -> ValidationError? {
        func fail(_ keyword: String, _ message: String, at p: String? = nil) -> ValidationError {
            ValidationError(instance: p ?? path, schema: r.pointer, keyword: keyword, message: message)
        }
        var names = Set<String>()
        for (name, _) in members where !names.insert(name).inserted {
            // JSON allows it, but which of the two would a reader take?
            return fail("properties", "the object has the member '\(name)' twice")
        }
        if let min = r.minProperties, members.count < min { return fail("minProperties", "\(members.count) members, fewer than \(min)") }
        if let max = r.maxProperties, members.count > max { return fail("maxProperties", "\(members.count) members, more than \(max)") }
        for name in r.required where !names.contains(name) { return fail("required", "the member '\(name)' is missing") }
        for (name, needed) in r.dependentRequired where names.contains(name) {
            for other in needed where !names.contains(other) {
                return fail("dependentRequired", "'\(name)' needs '\(other)' beside it, which is missing")
            }
        }
        for (name, value) in members {
            let here = path + "/" + SchemaCompiler.escape(name)
            if let p = r.propertyNames, let e = check(.string(name), node: p, at: here) {
                return fail("propertyNames", "the member name '\(name)' fails propertyNames: \(e.message)", at: here)
            }
            var matched = false
            for (n, s) in r.properties where n == name {
                matched = true
                if let e = check(value, node: s, at: here) { return e }
            }
            for (p, s) in r.patternProperties where p.matches(name) {
                matched = true
                if let e = check(value, node: s, at: here) { return e }
            }
            if !matched, let a = r.additionalProperties, let e = check(value, node: a, at: here) {
                if case .always(false) = nodes[a] { return fail("additionalProperties", "the member '\(name)' is not allowed", at: here) }
                return e
            }
        }
        for (name, s) in r.dependentSchemas where names.contains(name) {
            if let e = check(.object(members), node: s, at: path) { return e }
        }
        return nil
    }

    mutating func checkArray(_ items: [JSONValue], _ r: SchemaRules, at path: String) -> ValidationError? {
        func fail(_ keyword: String, _ message: String) -> ValidationError {
            ValidationError(instance: path, schema: r.pointer, keyword: keyword, message: message)
        }
        if let min = r.minItems, items.count < min { return fail("minItems", "\(items.count) items, fewer than \(min)") }
        if let max = r.maxItems, items.count > max { return fail("maxItems", "\(items.count) items, more than \(max)") }
        for (i, item) in items.enumerated() {
            if i < r.prefixItems.count {
                if let e = check(item, node: r.prefixItems[i], at: path + "/\(i)") { return e }
            } else if let s = r.items, let e = check(item, node: s, at: path + "/\(i)") {
                return e
            }
        }
        if let c = r.contains {
            let found = items.indices.filter { passes(items[$0], node: c, at: path + "/\($0)") }.count
            let min = r.minContains ?? 1
            if found < min {
                return fail(r.minContains == nil ? "contains" : "minContains",
                            found == 0 ? "no item matches 'contains'" : "\(found) items match 'contains', fewer than \(min)")
            }
            if let max = r.maxContains, found > max { return fail("maxContains", "\(found) items match 'contains', more than \(max)") }
        }
        if r.uniqueItems {
            // By canonical text (members sorted, 1.0 written as 1): equal values, equal text.
            var seen: [String: Int] = [:]
            for (i, item) in items.enumerated() {
                let text = Self.canonical(item)
                if let j = seen[text] { return fail("uniqueItems", "items \(j) and \(i) are equal") }
                seen[text] = i
            }
        }
        return nil
    }

    /// JSON text in which equal values (by JSON Schema's equality) read the same.
    static func canonical(_ v: JSONValue) -> String {
        switch v {
        case .object(let members):
            return "{" + members.sorted { $0.0 < $1.0 }.map { JSONValue.string($0.0).serialized() + ":" + canonical($0.1) }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map(canonical).joined(separator: ",") + "]"
        case .number(let n): return n == 0 ? "0" : "\(n)"
        default: return v.serialized()
        }
    }

    static func isOf(type: String, _ v: JSONValue) -> Bool {
        switch (type, v) {
        case ("null", .null), ("boolean", .bool), ("object", .object), ("array", .array), ("string", .string), ("number", .number): return true
        case ("integer", .number(let n)): return n.isFinite && n == n.rounded()
        default: return false
        }
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number(let n): return n == n.rounded() ? "integer" : "number"
        }
    }

    /// A value as JSON, cut short when long: error messages quote it.
    static func shown(_ v: JSONValue) -> String {
        let text = v.serialized()
        return text.count <= 60 ? text : String(text.prefix(57)) + "…"
    }
}
