internal import CYAML

/// A YAML node as the config loader reads it: text, a mapping or a list, with
/// the line and column (from 1) where it starts. Scalars stay text; the loader
/// types them, so no resolver runs at start-up.
struct YAMLNode: Sendable {
    enum Content: Sendable {
        /// `plain` is false for quoted and block scalars, which are never null.
        case scalar(String, plain: Bool)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    var content: Content
    /// An explicit tag (`!!int`, `!local`), or `tag:yaml.org,2002:str` for quoted text.
    var tag: String?
    var line: Int
    var column: Int
}

/// Why a text is not a YAML document.
struct YAMLError: Error, Sendable {
    enum Kind: Sendable { case reader, syntax, duplicateKeys }
    var kind: Kind
    var problem: String
    var line: Int?
    var column: Int?
}

/// Reads one YAML document with libyaml's event parser and builds the node
/// tree without recursion, so no nesting can exhaust the stack.
enum YAMLDocument {
    /// Deeper than this, a document is refused rather than built.
    static let maxDepth = 1000
    static let strTag = "tag:yaml.org,2002:str"

    /// The root node of the single document in `text`, or nil when it holds none.
    static func parse(_ text: String) throws(YAMLError) -> YAMLNode? {
        var text = text
        let result: Result<YAMLNode?, YAMLError> = text.withUTF8 { bytes in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return .failure(YAMLError(kind: .syntax, problem: "out of memory"))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var composer = Composer()
            do throws(YAMLError) {
                return .success(try composer.run(&parser))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private final class Event {
        var raw = yaml_event_t()
        deinit { yaml_event_delete(&raw) }
        var line: Int { Int(raw.start_mark.line) + 1 }
        var column: Int { Int(raw.start_mark.column) + 1 }
    }

    private struct Open {
        var isMapping: Bool
        var anchor: String?
        var tag: String?
        var line: Int
        var column: Int
        var items: [YAMLNode] = []
    }

    private struct Composer {
        var anchors: [String: YAMLNode] = [:]
        var stack: [Open] = []

        mutating func next(_ parser: inout yaml_parser_t) throws(YAMLError) -> Event {
            let event = Event()
            guard yaml_parser_parse(&parser, &event.raw) == 1 else { throw Self.failure(parser) }
            return event
        }

        static func failure(_ parser: yaml_parser_t) -> YAMLError {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
            switch parser.error {
            case YAML_READER_ERROR:
                return YAMLError(kind: .reader, problem: problem)
            case YAML_MEMORY_ERROR:
                return YAMLError(kind: .syntax, problem: "out of memory")
            default:
                return YAMLError(kind: .syntax, problem: problem,
                                 line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            }
        }

        mutating func run(_ parser: inout yaml_parser_t) throws(YAMLError) -> YAMLNode? {
            _ = try next(&parser)  // stream start
            let first = try next(&parser)
            if first.raw.type == YAML_STREAM_END_EVENT { return nil }
            var root: YAMLNode?
            while root == nil {
                let event = try next(&parser)
                // libyaml gives a document at least an empty scalar; a document
                // or stream that ends without one is read as empty, not waited on.
                if [YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT, YAML_NO_EVENT].contains(event.raw.type) { return nil }
                root = try take(event)
            }
            _ = try next(&parser)  // document end
            let after = try next(&parser)
            if after.raw.type != YAML_STREAM_END_EVENT {
                throw YAMLError(kind: .syntax, problem: "but found another document", line: after.line, column: after.column)
            }
            return root
        }

        /// Applies one event; returns the root once the top-level node is complete.
        mutating func take(_ event: Event) throws(YAMLError) -> YAMLNode? {
            let node: YAMLNode
            switch event.raw.type {
            case YAML_SCALAR_EVENT:
                let s = event.raw.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                let tag = s.quoted_implicit != 0 ? YAMLDocument.strTag : Self.text(s.tag)
                node = YAMLNode(content: .scalar(value, plain: s.style == YAML_PLAIN_SCALAR_STYLE), tag: tag,
                                line: event.line, column: event.column)
                if let anchor = Self.text(s.anchor) { anchors[anchor] = node }
            case YAML_ALIAS_EVENT:
                guard let name = Self.text(event.raw.data.alias.anchor), let target = anchors[name] else {
                    throw YAMLError(kind: .syntax, problem: "found undefined alias", line: event.line, column: event.column)
                }
                node = target
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard stack.count < YAMLDocument.maxDepth else {
                    throw YAMLError(kind: .syntax, problem: "nested more than \(YAMLDocument.maxDepth) levels deep",
                                    line: event.line, column: event.column)
                }
                let isMapping = event.raw.type == YAML_MAPPING_START_EVENT
                let start = isMapping ? event.raw.data.mapping_start.anchor : event.raw.data.sequence_start.anchor
                let implicit = isMapping ? event.raw.data.mapping_start.implicit : event.raw.data.sequence_start.implicit
                let tag = isMapping ? event.raw.data.mapping_start.tag : event.raw.data.sequence_start.tag
                stack.append(Open(isMapping: isMapping, anchor: Self.text(start), tag: implicit != 0 ? nil : Self.text(tag),
                                  line: event.line, column: event.column))
                return nil
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let open = stack.removeLast()
                if open.isMapping {
                    var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                    pairs.reserveCapacity(open.items.count / 2)
                    var i = 0
                    while i + 1 < open.items.count {
                        pairs.append((open.items[i], open.items[i + 1]))
                        i += 2
                    }
                    try Self.checkDuplicates(pairs.map(\.key))
                    node = YAMLNode(content: .mapping(pairs), tag: open.tag, line: open.line, column: open.column)
                } else {
                    node = YAMLNode(content: .sequence(open.items), tag: open.tag, line: open.line, column: open.column)
                }
                if let anchor = open.anchor { anchors[anchor] = node }
            default:
                return nil
            }
            if stack.isEmpty { return node }
            stack[stack.count - 1].items.append(node)
            return nil
        }

        static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let pointer else { return nil }
            var count = 0
            while pointer[count] != 0 { count += 1 }
            return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
        }

        /// A key that appears twice is an error naming every such key, in
        /// order, at the first place of the first one.
        static func checkDuplicates(_ keys: [YAMLNode]) throws(YAMLError) {
            var firsts: [YAMLNode] = []
            var repeated: [Int] = []
            for key in keys {
                if let i = firsts.firstIndex(where: { same($0, key) }) {
                    if !repeated.contains(i) { repeated.append(i) }
                } else {
                    firsts.append(key)
                }
            }
            guard !repeated.isEmpty else { return }
            let sorted = repeated.map { firsts[$0] }.sorted { order($0, $1) }
            let names = sorted.map { key -> String in
                if case .scalar(let s, _) = key.content { return "'\(s)'" }
                return "'<uncovertable>'"
            }
            throw YAMLError(kind: .duplicateKeys, problem: "duplicate key \(names.joined(separator: ", "))",
                            line: sorted[0].line, column: sorted[0].column)
        }

        /// Scalars first, by their text; other keys after, in file order.
        static func order(_ a: YAMLNode, _ b: YAMLNode) -> Bool {
            switch (a.content, b.content) {
            case (.scalar(let x, _), .scalar(let y, _)): return x < y
            case (.scalar, _): return true
            default: return false
            }
        }

        /// Two keys are the same when they hold the same text under the same tag,
        /// or the same items.
        static func same(_ a: YAMLNode, _ b: YAMLNode) -> Bool {
            switch (a.content, b.content) {
            case (.scalar(let x, _), .scalar(let y, _)):
                return x == y && (a.tag ?? YAMLDocument.strTag) == (b.tag ?? YAMLDocument.strTag)
            case (.sequence(let x), .sequence(let y)):
                return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
            case (.mapping(let x), .mapping(let y)):
                return x.count == y.count && zip(x, y).allSatisfy { same($0.key, $1.key) && same($0.value, $1.value) }
            default:
                return false
            }
        }
    }
}
