/// The version llmr reports.
public enum LLMRVersion {
    public static let string = "0.1.0"
}
