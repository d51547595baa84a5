/// The configuration used when no file is found: well-known providers, a price catalog, routes and tasks.
public enum DefaultConfig {
    public static let source = "<embedded default>"

    public static let yaml = """
    # llmr's embedded default configuration. `llmr ask --help` says where to put your own.
    providers:
      openai:    {api: openai, base_url: https://api.openai.com/v1, key_env: OPENAI_API_KEY, max_tokens_field: max_completion_tokens}
      anthropic: {api: anthropic, base_url: https://api.anthropic.com, key_env: ANTHROPIC_API_KEY}
      gemini:    {api: gemini, base_url: https://generativelanguage.googleapis.com, key_env: GEMINI_API_KEY}
      deepseek:  {api: openai, base_url: https://api.deepseek.com/v1, key_env: DEEPSEEK_API_KEY}
      qwen:      {api: openai, base_url: https://dashscope-intl.aliyuncs.com/compatible-mode/v1, key_env: DASHSCOPE_API_KEY}
      ollama:    {api: openai, base_url: http://localhost:11434/v1, first_token_timeout: 120s}
      # OpenAI-compatible vendors: a row each; use them as -m NAME/model-id.
      groq:       {api: openai, base_url: https://api.groq.com/openai/v1, key_env: GROQ_API_KEY}
      together:   {api: openai, base_url: https://api.together.xyz/v1, key_env: TOGETHER_API_KEY}
      mistral:    {api: openai, base_url: https://api.mistral.ai/v1, key_env: MISTRAL_API_KEY, continuation: prefix}
      openrouter: {api: openai, base_url: https://openrouter.ai/api/v1, key_env: OPENROUTER_API_KEY}
      xai:        {api: openai, base_url: https://api.x.ai/v1, key_env: XAI_API_KEY}
      vllm:       {api: openai, base_url: http://localhost:8000/v1, continuation: continue_final_message, first_token_timeout: 120s}
      llamacpp:   {api: openai, base_url: http://localhost:8080/v1, first_token_timeout: 120s}

    models:
      # Prices as the embedded catalog has them (llmr models lists it); a name
      # not defined here or in your file is looked up there.
      deepseek-v4:     {provider: deepseek,  id: deepseek-chat, input: 0.28, output: 0.42, context: 131072}
      gpt-5:           {provider: openai,    input: 1.25, output: 10.00, context: 272000}
      claude-4-sonnet: {provider: anthropic, id: claude-sonnet-4-0, input: 3.00, output: 15.00, context: 200000}
      gemini-2.5-pro:  {provider: gemini,    input: 1.25, output: 10.00, context: 1048576}
      qwen-plus:       {provider: qwen,      input: 0.40, output: 1.20, context: 129024}
      llama3.2:        {provider: ollama,    input: 0, output: 0, context: 128000}

    routes:
      default:
        strategy: weighted
        retries: 2
        targets:
          - {model: deepseek-v4, weight: 0.6}
          - {model: gpt-5, weight: 0.3}
          - {model: claude-4-sonnet, weight: 0.1}
        fallback:
          - {model: gemini-2.5-pro}
      reasoning:
        strategy: fallback
        targets: [{model: gpt-5}]
        fallback: [{model: claude-4-sonnet}]
      cheap:
        strategy: cheapest
        targets: [{model: deepseek-v4}, {model: qwen-plus}, {model: gemini-2.5-pro}]
      local:
        strategy: fallback
        targets: [{model: llama3.2}]

    tasks:
      chat: default
      code: default
      reasoning: reasoning
      creative: default
      analysis: reasoning

    breaker: {failures: 5, window: 60s, open_for: 300s}
    health:  {interval: 30s}
    alerts:  {p50_over_baseline: 5s, p99: 15s, error_rate: 2%, cost_over_baseline: 2x, fallback_rate: 5%}
    """
}
