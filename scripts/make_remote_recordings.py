#!/usr/bin/env python3
"""Writes Tests/Fixtures/remote/*.json: server exchanges replayed by scripts/replay_server.py for the
remote-backend tests, in the response shapes vLLM, llama-cpp-python's server and SGLang document
(none of them runs on this machine), plus error bodies and misbehaving streams, and completion streams whose
requests are checked for each server's sampling key names and the bearer token. Token ids are made up.

Usage: scripts/make_remote_recordings.py [OUT_DIR]
"""
import json
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "remote")


def w(name, note, ex):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"note": note, "exchanges": ex}, f, indent=1)


def models(owner, extra=None):
    e = {"id": "m", "object": "model", "created": 1, "owned_by": owner}
    if extra:
        e.update(extra)
    return {"path": "/v1/models", "body": {"object": "list", "data": [e]}}


P = [1, 504, 3575, 282, 4649, 314]  # "The capital of France is"
PARIS = P + [7042]
LYON = P + [45, 3006]
PLP = {504: -5.1, 3575: -7.2, 282: -0.9, 4649: -2.3, 314: -1.1}
TAIL = {7042: -0.25, 45: -4.0, 3006: -0.5}


def lp(i):
    return PLP.get(i, TAIL.get(i, -1.0))


def vllm_prompt_logprobs(ids):
    rows = [None] + [{str(i): {"logprob": lp(i), "rank": 1, "decoded_token": "t%d" % i}} for i in ids[1:]]
    return {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "text": " The", "logprobs": None, "finish_reason": "length", "stop_reason": None,
                         "prompt_logprobs": rows}],
            "usage": {"prompt_tokens": len(ids), "completion_tokens": 1, "total_tokens": len(ids) + 1}}


def legacy_echo(ids, pieces):
    lps = [None] + [lp(i) for i in ids[1:]] + [-1.5]
    return {"id": "cmpl-2", "object": "text_completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "text": "".join(pieces) + " x", "finish_reason": "length",
                         "logprobs": {"tokens": pieces + [" x"], "token_logprobs": lps,
                                      "top_logprobs": [None] + [{p: v} for p, v in zip(pieces[1:] + [" x"], lps[1:])],
                                      "text_offset": list(range(len(pieces) + 1))}}],
            "usage": {"prompt_tokens": len(ids), "completion_tokens": 1, "total_tokens": len(ids) + 1}}


BIGBENCH_NOTE = ("vLLM scoring BIG-bench's multiple choice the way Palmtop sends it, for `eval bigbench:palmtop_test_choice --shots 1` "
                 "(Tests/Fixtures/bigbench): per query the prompt tokenized, the empty text (its BOS), then per choice the choice alone "
                 "and /v1/completions with prompt_logprobs for the prompt's ids + the choice's ids without the BOS. The requests are "
                 "checked. Prompt positions score -2 each, so only the choice's positions may be summed: query 1 (the sky) "
                 "green -1.75, blue -0.5 + -0.25 = -0.75 (right); query 2 (grass) green -3.0, blue -0.75 (wrong).")
BOS = 1
GREEN, BLUE = [501], [502, 503]


def vllm_tokenize(text, ids):
    return {"path": "/tokenize", "request": {"prompt": text},
            "body": {"count": len(ids), "max_model_len": 2048, "tokens": ids, "token_strs": None}}


def vllm_scored(context, choice, choice_logprobs):
    """vLLM's answer to prompt_logprobs for context + choice: every prompt position -2 but the choice's."""
    ids = context + choice
    rows = [None] + [{str(i): {"logprob": -2.0, "rank": 1, "decoded_token": "t%d" % i}} for i in ids[1:len(context)]]
    rows += [{str(i): {"logprob": v, "rank": 1, "decoded_token": "t%d" % i}} for i, v in zip(choice, choice_logprobs)]
    return {"path": "/v1/completions", "request": {"prompt": ids, "prompt_logprobs": 0, "max_tokens": 1, "temperature": 0},
            "body": {"id": "cmpl-bb", "object": "text_completion", "created": 1, "model": "m",
                     "choices": [{"index": 0, "text": "\n", "logprobs": None, "finish_reason": "length", "stop_reason": None,
                                  "prompt_logprobs": rows}],
                     "usage": {"prompt_tokens": len(ids), "completion_tokens": 1, "total_tokens": len(ids) + 1}}}


def bigbench_choice():
    # The two 1-shot prompts as BIG-bench builds them: numpy's RandomState(42) draws the sky first and
    # orders both examples' sorted choices [blue, green] as [green, blue]; each query's one shot is the other.
    grass = "\nQ: The colour of grass\n  choice: green\n  choice: blue\nA: "
    sky = "\nQ: The colour of the clear sky\n  choice: green\n  choice: blue\nA: "
    queries = [(grass + "green" + "\n" + sky, [BOS] + list(range(301, 320)), [-1.75], [-0.5, -0.25]),
               (sky + "blue" + "\n" + grass, [BOS] + list(range(321, 340)), [-3.0], [-0.25, -0.5])]
    ex = [models("vllm", {"max_model_len": 2048})]
    for prompt, ids, green, blue in queries:
        ex += [vllm_tokenize(prompt, ids), vllm_tokenize("", [BOS]),
               vllm_tokenize("green", [BOS] + GREEN), vllm_scored(ids, GREEN, green),
               vllm_tokenize("blue", [BOS] + BLUE), vllm_scored(ids, BLUE, blue)]
    return ex


def chunk(text, logprob, tops, finish=None):
    return json.dumps({"id": "1", "object": "text_completion", "created": 1, "model": "m",
                       "choices": [{"index": 0, "text": text, "finish_reason": finish,
                                    "logprobs": {"tokens": [text], "token_logprobs": [logprob], "top_logprobs": [tops], "text_offset": [-1]}}]})


# The bearer token the key-checking exchanges expect (a made-up test key).
RECORDED_KEY = "sk-palmtop-recorded-key"


def vllm_chunk(text, token_id, logprob, tops, finish=None):
    """A vLLM /v1/completions stream chunk with `return_token_ids`: the legacy logprob arrays and the ids."""
    o = json.loads(chunk(text, logprob, tops, finish))
    o["choices"][0]["token_ids"] = [token_id]
    return json.dumps(o)


def generation_stream(chunks):
    usage = json.dumps({"id": "1", "object": "text_completion", "created": 1, "model": "m", "choices": [],
                        "usage": {"prompt_tokens": 6, "completion_tokens": len(chunks), "total_tokens": 6 + len(chunks)}})
    return chunks + [usage, "[DONE]"]


def main():
    w("vllm-score", "vLLM's /tokenize and /v1/completions with prompt_logprobs (one entry per prompt position keyed by token id, the first null). Scores: ' Paris' -0.25, ' Lyon' -4.5.", [
        models("vllm", {"max_model_len": 2048}),
        {"path": "/tokenize", "body": {"count": len(P), "max_model_len": 2048, "tokens": P}},
        {"path": "/tokenize", "body": {"count": len(PARIS), "max_model_len": 2048, "tokens": PARIS}},
        {"path": "/v1/completions", "body": vllm_prompt_logprobs(PARIS)},
        {"path": "/tokenize", "body": {"count": len(LYON), "max_model_len": 2048, "tokens": LYON}},
        {"path": "/v1/completions", "body": vllm_prompt_logprobs(LYON)},
    ])
    w("vllm-bigbench-choice", BIGBENCH_NOTE, bigbench_choice())
    # The request check names the sampling keys: a null expects the key absent, so each recording
    # fails a client that sends the other server's name for the repetition penalty. 1.5, not 1.3: the
    # setting is a Float, and 1.3 reaches the wire as 1.2999999523162842, which an exact check refuses.
    w("vllm-generate", "A vLLM completion stream for `generate -p 'The capital of France is' --repeat-penalty 1.5` (or the REPL in "
      "completion mode with repeat_penalty 1.5): the request must carry vLLM's `repetition_penalty` and no `repeat_penalty`, and "
      "the bearer token " + RECORDED_KEY + " (the key must reach the server).", [
        models("vllm", {"max_model_len": 2048}),
        {"path": "/v1/completions", "headers": {"Authorization": "Bearer " + RECORDED_KEY},
         "request": {"prompt": "The capital of France is", "stream": True, "repetition_penalty": 1.5, "repeat_penalty": None},
         "sse": generation_stream([vllm_chunk(" Paris", 7042, -0.26, {" Paris": -0.26, " the": -2.76}),
                                   vllm_chunk(".", 30, -0.4, {".": -0.4, ",": -1.55}),
                                   vllm_chunk("\n", 198, -0.95, {"\n": -0.95, " The": -2.33}, "length")])},
    ])
    w("llamacpp-generate", "A llama.cpp server completion stream for `generate -p 'The capital of France is' --repeat-penalty 1.5`: "
      "the request must carry llama.cpp's `repeat_penalty` and no `repetition_penalty` (the live server silently ignores "
      "a key it does not know, so only a recording can tell which name is sent).", [
        models("llamacpp"),
        {"path": "/v1/completions",
         "request": {"prompt": "The capital of France is", "stream": True, "repeat_penalty": 1.5, "repetition_penalty": None},
         "sse": generation_stream([chunk(" Paris", -0.26, {" Paris": -0.26, " the": -2.76}),
                                   chunk(".", -0.4, {".": -0.4, ",": -1.55}),
                                   chunk("\n", -0.95, {"\n": -0.95, " The": -2.33}, "length")])},
    ])
    pieces = ["<s>", "The", " capital", " of", " France", " is"]
    w("llama-cpp-python-echo", "llama-cpp-python's legacy completions shape for echo=true with logprobs (prompt positions first, the first null, then the one generated token). Scores: ' Paris' -0.25, ' Lyon' -4.5.", [
        models("me"),
        # Its TokenizeInputRequest names the text `input`.
        {"path": "/extras/tokenize", "request": {"input": "The capital of France is"}, "body": {"tokens": P}},
        {"path": "/extras/tokenize", "request": {"input": "The capital of France is Paris"}, "body": {"tokens": PARIS}},
        {"path": "/v1/completions", "body": legacy_echo(PARIS, pieces + [" Paris"])},
        {"path": "/extras/tokenize", "request": {"input": "The capital of France is Lyon"}, "body": {"tokens": LYON}},
        {"path": "/v1/completions", "body": legacy_echo(LYON, pieces + [" Ly", "on"])},
    ])
    raw = (": keep-alive comment\r\n\r\n"
           + "data: " + chunk(" Paris", -0.26, {" Paris": -0.26, " the": -2.76}) + "\r\n\r\n"
           + "data: " + chunk(".", -0.4, {".": -0.4, ",": -1.55}) + "\n\n"
           + "data: " + chunk("\n", -0.95, {"\n": -0.95, " The": -2.33}, "length") + "\r\n\r\n"
           + "data: " + json.dumps({"id": "1", "object": "text_completion", "created": 1, "model": "m", "choices": [],
                                    "usage": {"prompt_tokens": 6, "completion_tokens": 3, "total_tokens": 9}}) + "\n\n"
           + "data: [DONE]\n\n")
    w("sglang-stream", "SGLang's /v1/completions stream shape (legacy logprobs arrays, text_offset -1, no token ids), with a comment line and \\r\\n line endings as SSE allows.", [
        models("sglang"), {"path": "/v1/completions", "sse_raw": raw}])
    ok = chunk(" Paris", -0.26, {" Paris": -0.26})
    w("unauthorized", "An OpenAI-style 401 error body.", [
        {"path": "/v1/models", "status": 401, "body": {"error": {"message": "Invalid API key", "type": "invalid_request_error", "code": "invalid_api_key"}}}])
    w("missing-model", "vLLM's error body for an unknown model (status 404).", [
        models("vllm"),
        {"path": "/v1/completions", "status": 404, "body": {"object": "error", "message": "The model `m` does not exist.", "type": "NotFoundError", "param": None, "code": 404}}])
    w("rate-limited", "429 three times: an idempotent request is retried twice, then reported.", [
        models("vllm")] + [{"path": "/tokenize", "status": 429, "body": {"error": {"message": "Too many requests"}}}] * 3)
    w("retry-succeeds", "A 503 then an answer: the idempotent request is retried and succeeds.", [
        models("vllm"), {"path": "/tokenize", "status": 503, "body": {"detail": "warming up"}}, {"path": "/tokenize", "body": {"tokens": [1, 2, 3]}}])
    w("closes-then-answers", "The connection closes before an answer, twice (a stale pooled connection), then the answer: "
      "the idempotent request is sent again and succeeds.", [
        models("vllm"), {"path": "/tokenize", "close": True}, {"path": "/tokenize", "close": True}, {"path": "/tokenize", "body": {"tokens": [1, 2, 3]}}])
    w("always-closes", "Every request after the model list closes the connection without an answer: retried, then reported.", [
        models("sglang")] + [{"path": "/v1/completions", "close": True}] * 3)
    w("truncated-stream", "A stream that stops without [DONE].", [models("sglang"), {"path": "/v1/completions", "sse": [ok]}])
    w("malformed-json", "A stream chunk that is not JSON.", [models("sglang"), {"path": "/v1/completions", "sse": [ok, "{\"choices\": [{\"text\": "]}])
    w("dies-mid-stream", "The connection drops in the middle of a reply.", [
        models("sglang"), {"path": "/v1/completions", "sse": [ok, ok, "[DONE]"], "cut_after": len("data: " + ok + "\n\n") + 10}])
    w("never-answers", "The reply never comes.", [models("sglang"), {"path": "/v1/completions", "hang": True}])


if __name__ == "__main__":
    main()
