# The openai and anthropic Python SDKs, as their users call them, against
# `llmr serve` over the project's fake provider. Run by ServeSDKEndToEndTests
# (python3 serve_clients.py SCENARIO BASE_URL [ARG]): each scenario asserts
# what the client sees and prints "ok SCENARIO" on success. The fake's script
# is set by the Swift test; see there for what each provider answers.
import os, signal, sys, threading
import openai, anthropic

scenario, base = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None
hi = [{"role": "user", "content": "hi"}]


def oai(key="unused"):
    return openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0, timeout=30)


def ant(key="unused"):
    return anthropic.Anthropic(base_url=base, api_key=key, max_retries=0, timeout=30)


def expect(kind, call):
    """call() must raise `kind`; returns the exception."""
    try:
        call()
    except kind as e:
        return e
    raise AssertionError(f"expected {kind.__name__}")


def formats():
    # "default": the OpenAI-format provider answers 503, the Anthropic-format one answers.
    r = oai().chat.completions.with_raw_response.create(model="default", messages=hi)
    c = r.parse()
    assert c.choices[0].message.content == "Hello there", c
    assert c.choices[0].finish_reason == "stop" and c.usage.total_tokens > 0, c
    assert r.headers["x-llmr-provider"] == "up" and r.headers["x-llmr-attempts"] == "2", dict(r.headers)
    assert r.headers["x-llmr-route"] == "default" and float(r.headers["x-llmr-cost-usd"]) > 0, dict(r.headers)
    chunks = list(oai().chat.completions.create(model="default", messages=hi, stream=True,
                                                stream_options={"include_usage": True}))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == "Hello there", chunks
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0, chunks[-1]
    # The Anthropic SDK, routed to an OpenAI-format provider ("mc") and to an Anthropic one.
    m = ant().messages.create(model="mc", max_tokens=20, system="be brief", messages=hi)
    assert m.content[0].text == "from openai" and m.stop_reason == "end_turn" and m.usage.output_tokens > 0, m
    with ant().messages.stream(model="default", max_tokens=20, messages=hi) as s:
        streamed = "".join(s.text_stream)
        final = s.get_final_message()
    assert streamed == "Hello there" and final.content[0].text == "Hello there", final
    models = [m.id for m in oai().models.list()]
    assert "default" in models and "mu" in models, models


def errors():
    e = expect(openai.AuthenticationError, lambda: oai("wrong").chat.completions.create(model="mu", messages=hi))
    assert e.status_code == 401, e
    expect(anthropic.AuthenticationError, lambda: ant().messages.create(model="mu", max_tokens=5, messages=hi))
    key = arg
    assert oai(key).chat.completions.create(model="mu", messages=hi).choices[0].message.content
    big = [{"role": "user", "content": "x" * 8192}]
    e = expect(openai.APIStatusError, lambda: oai(key).chat.completions.create(model="mu", messages=big))
    assert e.status_code == 413, e
    e = expect(anthropic.APIStatusError, lambda: ant(key).messages.create(model="mu", max_tokens=5, messages=big))
    assert e.status_code == 413 and e.body["type"] == "error", e.body
    e = expect(openai.RateLimitError, lambda: oai(key).chat.completions.create(model="solo", messages=hi))
    assert e.response.headers["retry-after"] == "3", dict(e.response.headers)
    # Now the provider is cooling down: the wait is what is left of it.
    e = expect(anthropic.RateLimitError, lambda: ant(key).messages.create(model="solo", max_tokens=5, messages=hi))
    assert 1 <= int(e.response.headers["retry-after"]) <= 3, dict(e.response.headers)
    assert e.body["type"] == "error" and e.body["error"]["type"] == "rate_limit_error", e.body
    e = expect(openai.APIStatusError, lambda: oai(key).chat.completions.create(model="mc", messages=hi))
    assert e.status_code == 502 and "every candidate failed" in e.message, e
    e = expect(openai.BadRequestError, lambda: oai(key).chat.completions.create(model="mu", messages=[]))
    assert e.status_code == 400, e
    e = expect(openai.NotFoundError, lambda: oai(key).chat.completions.create(model="no-such-model", messages=hi))
    assert "no-such-model" in e.message, e


def busy():
    # max_concurrency 1: while one slow stream is in flight, the next request is 503.
    first = threading.Event()
    got = []

    def slow():
        for ch in oai().chat.completions.create(model="mu", messages=hi, stream=True):
            first.set()
            got.append(ch)

    t = threading.Thread(target=slow)
    t.start()
    assert first.wait(20), "the slow stream never began"
    e = expect(openai.APIStatusError, lambda: oai().chat.completions.create(model="mu", messages=hi))
    assert e.status_code == 503 and e.response.headers["retry-after"] == "1", e
    t.join(30)
    assert got, "the slow stream ended without chunks"


def cut():
    # The provider breaks off after two chunks: the client sees the text so far, then an error, never an end.
    seen = []
    e = expect(openai.APIError, lambda: seen.extend(ch.choices[0].delta.content or "" for ch in
                                                   oai().chat.completions.create(model="broken", messages=hi, stream=True) if ch.choices))
    assert "".join(seen).startswith("one"), seen
    assert "dropped" in str(e), e
    seen = []

    def read():
        with ant().messages.stream(model="broken", max_tokens=20, messages=hi) as s:
            for t in s.text_stream:
                seen.append(t)
    e = expect(anthropic.APIStatusError, read)
    assert "".join(seen).startswith("one") and "dropped" in str(e), (seen, e)


def sigterm():
    # SIGTERM to the gateway once the stream began: the stream still ends whole.
    pid = int(arg)
    text = ""
    for n, ch in enumerate(oai().chat.completions.create(model="mu", messages=hi, stream=True)):
        if n == 1:
            os.kill(pid, signal.SIGTERM)
        if ch.choices:
            text += ch.choices[0].delta.content or ""
    assert text == "a b c d e f g h", text


def metrics():
    from prometheus_client.parser import text_string_to_metric_families
    import urllib.request
    oai().chat.completions.create(model="default", messages=hi)
    families = {f.name: f for f in text_string_to_metric_families(urllib.request.urlopen(base + "/metrics").read().decode())}
    attempts = {(s.labels["provider"], s.labels["outcome"]): s.value for s in families["llmr_attempts"].samples}
    assert attempts[("down", "http_503")] >= 1 and attempts[("up", "ok")] >= 1, attempts
    for name in ("llmr_request_duration_seconds", "llmr_ttft_seconds", "llmr_serve_requests", "llmr_serve_in_flight"):
        assert name in families, (name, sorted(families))


globals()[scenario]()
print("ok", scenario)
