# The gateway's encoded answers (written by ServerFormatTests when
# LLMR_SDK_CHECK_DIR is set), served on loopback and read by the real openai
# and anthropic SDKs: whole, streamed, an error status, and a broken stream,
# which each SDK must raise on rather than take for a whole answer.
import http.server, threading, json, sys, os
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get('content-length', 0))))
        anth = self.path.endswith('/messages')
        pre = 'anthropic' if anth else 'openai'
        if body.get('model') == 'err':
            self.send_response(429); self.send_header('content-type', 'application/json'); self.send_header('retry-after', '1'); self.end_headers()
            self.wfile.write(open(f'{d}/{pre}-error.json', 'rb').read()); return
        stream = body.get('stream')
        name = f'{pre}-broken.txt' if body.get('model') == 'broken' else f'{pre}-stream.txt' if stream else f'{pre}-whole.json'
        data = open(f'{d}/{name}', 'rb').read()
        self.send_response(200)
        self.send_header('content-type', 'text/event-stream' if stream else 'application/json')
        self.send_header('content-length', str(len(data))); self.end_headers(); self.wfile.write(data)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
threading.Thread(target=s.serve_forever, daemon=True).start()
base = f'http://127.0.0.1:{s.server_address[1]}'
import openai, anthropic
o = openai.OpenAI(base_url=base + '/v1', api_key='k', max_retries=0)
c = o.chat.completions.create(model='default', messages=[{'role': 'user', 'content': 'hi'}])
assert c.choices[0].message.content == 'Hi there' and c.usage.total_tokens == 15 and c.choices[0].finish_reason == 'stop', c
text, usage = '', None
for ch in o.chat.completions.create(model='default', messages=[{'role': 'user', 'content': 'hi'}], stream=True, stream_options={'include_usage': True}):
    if ch.choices: text += ch.choices[0].delta.content or ''
    if ch.usage: usage = ch.usage
assert text == 'Hi there' and usage.completion_tokens == 3, (text, usage)
try:
    o.chat.completions.create(model='err', messages=[{'role': 'user', 'content': 'hi'}]); assert False
except openai.RateLimitError as e: assert 'slow down' in str(e)
a = anthropic.Anthropic(base_url=base, api_key='k', max_retries=0)
m = a.messages.create(model='default', max_tokens=10, messages=[{'role': 'user', 'content': 'hi'}])
assert m.content[0].text == 'Hi there' and m.stop_reason == 'end_turn' and m.usage.output_tokens == 3, m
with a.messages.stream(model='default', max_tokens=10, messages=[{'role': 'user', 'content': 'hi'}]) as st:
    final = st.get_final_message()
assert final.content[0].text == 'Hi there' and final.stop_reason == 'end_turn' and final.usage.output_tokens == 3, final
try:
    a.messages.create(model='err', max_tokens=10, messages=[{'role': 'user', 'content': 'hi'}]); assert False
except anthropic.RateLimitError as e: assert 'slow down' in str(e)
try:
    for ch in o.chat.completions.create(model='broken', messages=[{'role': 'user', 'content': 'hi'}], stream=True): pass
    assert False, 'a broken OpenAI stream passed as whole'
except openai.APIError as e: assert 'broke off' in str(e), e
try:
    with a.messages.stream(model='broken', max_tokens=10, messages=[{'role': 'user', 'content': 'hi'}]) as st: st.get_final_message()
    assert False, 'a broken Anthropic stream passed as whole'
except anthropic.APIError as e: assert 'broke off' in str(e), e
print('sdk check: openai', openai.__version__, 'and anthropic', anthropic.__version__, 'read every encoded answer')
