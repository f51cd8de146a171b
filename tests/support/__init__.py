"""What the tests share; test modules import their helpers from here, never from another
test module (or conftest).

The servers, three kinds and no more:
- `mock_api`: `ScriptedAPI`, in memory over httpx.MockTransport, answering a script of
  responses, documents or callables in order and recording every request; `replaying` for
  endless page scripts; `ok`, `error`, `walk_error`.
- `hostile_server`: `HostileServer`, raw sockets on 127.0.0.1 (optionally TLS) whose
  behaviours misbehave as no library server can (drip, cut, stall, bombs, endless bodies).
  `hostile` scripts the same server by `Answer`s: `serve(respond)`, `serve_pages(docs)`.
- The fake, `vt_refs.testing.FakeVirusTotal`, is the product's; `quota_worker` runs it in a
  process of its own, and the workers of the shared-quota tests and benchmark.

The documents and keys every server uses:
- `pages`: the one page builder: references, descriptors, `page()`, `walk()` (a whole
  walk's pages), endless `cycling()`/`fresh_cursors()`, `offset_page()`, error bodies.
- `keys`: `KEY`, `WRONG_KEY`, `OTHER_KEY`, and `own_key()` for state kept per key.

Around them:
- `listener`: the TCP listener under the hostile server and the proxy; `read_head`,
  `closed_base_url()`.
- `forward_proxy`: a recording CONNECT/forward proxy.
- `fixtures`: the CA, TLS server, CA file and proxy fixtures (a pytest plugin, loaded by
  conftest), and `fake_http(fake)`.
- `redis_server`: a real Redis for the quota and cache tests.
- `cli`: running `vt-refs` as a process with the key checked never to show; `one_line`;
  `stdout_lines` of a process (the fake's).
- `drift`: `drift_warnings()`, the schema drift warnings a block issues.
- `spec_strategies`: openapi.yaml as hypothesis strategies; `load_spec`, `resolve_ref`.
- `spec_edits`: `paging_operation()`, a path item to add to a copy of the spec, and
  `run_checks()`, a script run against the client generated from it.
- `operations`: every generated endpoint module.
- `doc_blocks`: the Python blocks of README.md and docs/, and their runner.
- `paths`: `ROOT`, `TESTS`, `DATA`.
"""
