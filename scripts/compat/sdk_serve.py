# The openai and anthropic SDKs against `llmr serve` with real servers behind
# it: whole and streamed, through a failover (LiteLLM's mocked 429 and 500,
# then llama.cpp), and across formats (the Anthropic SDK to llama.cpp's
# OpenAI endpoint); then /metrics through Prometheus's parser.
import sys
import openai, anthropic
base = sys.argv[1]
o = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
r = o.chat.completions.with_raw_response.create(model="failover", max_tokens=8, messages=[{"role": "user", "content": "The capital of France is"}])
c = r.parse()
assert c.choices[0].message.content, c
assert r.headers.get("x-llmr-provider") == "llama" and r.headers.get("x-llmr-attempts") == "3", dict(r.headers)
text = "".join((ch.choices[0].delta.content or "") for ch in o.chat.completions.create(
    model="failover", max_tokens=8, stream=True, messages=[{"role": "user", "content": "The capital of France is"}]) if ch.choices)
assert text, "empty stream"
a = anthropic.Anthropic(base_url=base, api_key="unused", max_retries=0)
m = a.messages.create(model="gemma", max_tokens=8, messages=[{"role": "user", "content": "The capital of France is"}])
assert m.content[0].text and m.stop_reason in ("end_turn", "max_tokens"), m
with a.messages.stream(model="gemma", max_tokens=8, messages=[{"role": "user", "content": "The capital of France is"}]) as s:
    final = s.get_final_message()
assert final.content[0].text and final.usage.output_tokens > 0, final
# /metrics parses with Prometheus's own parser and counts what was just done.
import urllib.request
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen(base + "/metrics").read().decode()
families = {f.name: f for f in text_string_to_metric_families(text)}
attempts = {tuple(sorted(x.labels.items())): x.value for x in families["llmr_attempts"].samples}
assert any(dict(k).get("outcome") == "http_429" for k in attempts), attempts
assert "llmr_request_duration_seconds" in families and "llmr_ttft_seconds" in families, list(families)
print("sdk through serve: ok; /metrics:", len(families), "families")
