import RouterCore

/// `--schema FILE|JSON`: the schema as the user gave it, compiled, or why it cannot be used.
public enum SchemaInput {
    /// JSON text when the argument starts like a JSON object (or is a boolean schema); else a file's path.
    public static func load(_ argument: String) throws(Problem) -> OutputSchema {
        let trimmed = argument.trimmingWhitespace()
        let text: [UInt8]
        let what: String
        if trimmed.hasPrefix("{") || trimmed == "true" || trimmed == "false" {
            text = Array(trimmed.utf8)
            what = "the schema given to --schema"
        } else {
            do { text = try FileIO.read(path: argument, regularOnly: true) } catch {
                throw Problem(.input, "cannot read the schema file '\(argument)': \(error.message)")
            }
            what = "the schema in '\(argument)'"
        }
        do {
            return OutputSchema(try JSONSchema(text: text))
        } catch {
            throw Problem(.input, "\(what) cannot be used: \(error); nothing was sent")
        }
    }
}
