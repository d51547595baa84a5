/// The JSON an answer must be (`--schema`): the compiled schema, how it is
/// named to providers, and whether it meets OpenAI's strict rules.
public struct OutputSchema: Sendable, Equatable {
    public let schema: JSONSchema
    /// The name providers are told (`json_schema.name`, the forced tool's name).
    public var name: String
    /// The schema meets OpenAI's strict mode rules, so it is sent with `strict: true`.
    public let strict: Bool

    public init(_ schema: JSONSchema, name: String = "output") {
        self.schema = schema
        self.name = name
        strict = Self.meetsStrictRules(schema.document)
    }

    public static func == (a: OutputSchema, b: OutputSchema) -> Bool {
        a.name == b.name && a.schema.document == b.schema.document
    }

    /// The schema as JSON, as providers receive it.
    public var document: JSONValue { schema.document }

    /// The JSON in an answer: the whole text but for surrounding white space
    /// and one Markdown code fence around it (```json … ```), which models
    /// asked for JSON in a prompt often add; or why it is not one JSON value.
    public static func extract(_ text: String) -> Result<(JSONValue, text: String), JSONParseError> {
        var body = text.trimmingWhitespace()
        if body.hasPrefix("```"), body.hasSuffix("```"), body.count >= 6 {
            var inner = body.dropFirst(3).dropLast(3)
            // The fence's info string (json) ends at the first line break.
            if let newline = inner.firstIndex(of: "\n"), inner[..<newline].allSatisfy({ $0.isLetter || $0 == " " }) {
                inner = inner[inner.index(after: newline)...]
            }
            body = String(inner).trimmingWhitespace()
        }
        do { return .success((try JSONValue.parse(Array(body.utf8)), body)) } catch { return .failure(error) }
    }

    /// The first reason `text` is not an answer to this schema, or its JSON.
    public func check(_ text: String) -> Result<(JSONValue, String), OutputProblem> {
        let value: JSONValue, json: String
        switch Self.extract(text) {
        case .success(let (v, j)): (value, json) = (v, j)
        case .failure(let e): return .failure(OutputProblem(message: "the answer is not one JSON value (\(e))", text: text))
        }
        // JSON allows a member twice, but readers disagree on which one counts;
        // a number past a double's range would be read as infinity, or not at all.
        if let flaw = Self.flaw(value, at: "") {
            return .failure(OutputProblem(message: "the answer \(flaw.what) (at \(flaw.at.isEmpty ? "the top" : flaw.at))", text: text))
        }
        if let e = schema.validate(value) {
            return .failure(OutputProblem(message: "the answer does not validate: \(e)", text: text, error: e))
        }
        return .success((value, json))
    }

    /// The first place in `value`, anywhere, whatever the schema says of it,
    /// with an object member named twice or a number beyond a double.
    static func flaw(_ value: JSONValue, at path: String) -> (what: String, at: String)? {
        switch value {
        case .number(let n) where !n.isFinite:
            return ("has a number beyond the range of a double", path)
        case .object(let members):
            var seen = Set<String>()
            for (name, _) in members where !seen.insert(name).inserted { return ("has the member '\(name)' twice", path) }
            for (name, v) in members {
                if let d = flaw(v, at: path + "/" + SchemaCompiler.escape(name)) { return d }
            }
        case .array(let items):
            for (i, v) in items.enumerated() {
                if let d = flaw(v, at: path + "/\(i)") { return d }
            }
        default: break
        }
        return nil
    }

    /// Keywords OpenAI's strict mode accepts.
    static let strictKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$defs", "definitions",
        "$ref", "description", "title", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minItems", "maxItems", "$schema", "$comment", "default",
    ]

    /// OpenAI's strict rules: an object at the root, every object closed
    /// (`additionalProperties: false`) with every property required, and
    /// only keywords strict mode knows. Other schemas are sent non-strict.
    public static func meetsStrictRules(_ document: JSONValue) -> Bool {
        guard case .object = document, document["type"]?.string == "object" else { return false }
        func ok(_ v: JSONValue) -> Bool {
            guard case .object(let members) = v else { return false }
            for (k, _) in members where !strictKeywords.contains(k) { return false }
            if let props = v["properties"] {
                guard case .object(let ps) = props, v["additionalProperties"] == .bool(false) else { return false }
                let required = Set(v["required"]?.array?.compactMap(\.string) ?? [])
                guard Set(ps.map(\.0)) == required else { return false }
                for (_, p) in ps where !ok(p) { return false }
            } else if v["type"]?.string == "object" || (v["type"]?.array?.contains(.string("object")) ?? false) {
                guard v["additionalProperties"] == .bool(false) else { return false }
            }
            if let items = v["items"], !ok(items) { return false }
            for key in ["$defs", "definitions"] {
                if case .object(let defs)? = v[key] { for (_, d) in defs where !ok(d) { return false } }
            }
            if let any = v["anyOf"]?.array { for a in any where !ok(a) { return false } }
            return true
        }
        return ok(document) && document["anyOf"] == nil
    }

    /// The instruction for a provider without native structured output
    /// (`structured_output: prompt`): appended to the system prompt.
    public var instruction: String {
        "Answer with a single JSON value that validates against this JSON Schema, and nothing else: no prose, no code fence.\n"
            + "JSON Schema: " + document.serialized()
    }
}

/// Why an answer is not the JSON a schema asks for.
public struct OutputProblem: Error, Sendable, Equatable {
    public var message: String
    /// The answer's text.
    public var text: String
    public var error: ValidationError?

    public init(message: String, text: String, error: ValidationError? = nil) {
        self.message = message
        self.text = text
        self.error = error
    }
}

