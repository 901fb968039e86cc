// The reference floor of the experiment: a pure-JavaScript controller/remote pair making
// the same calls as the Rust modes, with plain Workers RPC. Also the JavaScript side of
// the interop probes (a JS caller of a Rust Durable Object).
import { DurableObject } from "cloudflare:workers";

// The remote's answer for call `i`; every mode validates against the same function.
const expected = (i) => i * 2 + 1;
// The answer of a chain of three dependent calls (`pipeline-js`).
const chained = (i) => expected(expected(expected(i)));

// A chain of three dependent calls, written both ways a JavaScript user could: awaiting each
// call, or passing the unresolved RpcPromise of one call as the argument of the next
// (promise pipelining, if workerd takes an RpcPromise as a parameter).
const chains = {
  awaited: async (remote, i) => {
    const a = await remote.echo(i);
    const b = await remote.echo(a);
    return remote.echo(b);
  },
  pipelined: (remote, i) => remote.echo(remote.echo(remote.echo(i))),
};
const PIPELINE_JS = chains.awaited;

export class JsRemote extends DurableObject {
  echo(i) {
    return expected(i);
  }

  // A JavaScript callee that throws on the `__call` entry (an end-to-end fault case).
  __call(_envelope) {
    throw new Error("JsRemote does not take envelopes");
  }
}

// Hostile inputs for a Rust Durable Object's `__call` entry; each must get a typed error
// reply, and a valid call afterwards must still succeed. `id` is a valid method id
// (`RemoteDo::echo#…`), fetched by the test from /probe/methods.
function badInputs(id) {
  const envelope = (p, v = 1) => JSON.stringify({ v, id: 1, p });
  const deep = "[".repeat(100000) + "]".repeat(100000);
  const huge = "[" + new Array(2000000).fill("0").join(",") + "]";
  const random = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => (i * 7919 + 13) % 256));
  return {
    random_bytes: new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 31 + 7) % 256)),
    random_text: random,
    truncated_json: envelope([{ m: id, a: [1] }]).slice(0, 25),
    empty_object: "{}",
    not_a_string: { v: 1, id: 1, p: [] },
    wrong_version: envelope([{ m: id, a: [1] }], 99),
    unknown_method: envelope([{ m: "RemoteDo::nope#00000000", a: [] }]),
    old_signature: envelope([{ m: id.split("#")[0] + "#deadbeef", a: [1] }]),
    wrong_argument_types: envelope([{ m: id, a: ["one"] }]),
    wrong_argument_count: envelope([{ m: id, a: [1, 2, 3] }]),
    huge_array: `{"v":1,"id":1,"p":[{"m":"${id}","a":${huge}}]}`,
    deeply_nested: `{"v":1,"id":1,"p":[{"m":"${id}","a":${deep}}]}`,
    past_deadline: JSON.stringify({ v: 1, id: 1, dl: 1, p: [{ m: id, a: [1] }] }),
    forward_reference: JSON.stringify({ v: 1, id: 1, p: [{ m: id, a: [null], r: [[0, 0]] }] }),
  };
}

export class JsController extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/probe/js-bad-input") {
      const id = url.searchParams.get("id");
      const remote = this.env.REMOTE.get(this.env.REMOTE.idFromName("remote"));
      const replies = {};
      for (const [name, input] of Object.entries(badInputs(id))) {
        try {
          replies[name] = JSON.parse(await remote.__call(input));
        } catch (e) {
          replies[name] = { thrown: String(e) };
        }
      }
      const valid = JSON.parse(await remote.__call(JSON.stringify({ v: 1, id: 2, p: [{ m: id, a: [20] }] })));
      return Response.json({ replies, valid });
    }
    if (url.pathname === "/probe/js-call-handler") {
      // A JavaScript caller trying to reach a continuation handler of a Rust object: through
      // `__call` with the handler's id and a forged result, and through the internal entries
      // by name. Every attempt must fail without running the handler.
      const id = url.searchParams.get("id");
      const victim = url.searchParams.get("victim");
      const tag = `forged-js-${victim}`;
      const stub = this.env.CONTROLLER.get(this.env.CONTROLLER.idFromName(victim));
      const envelope = JSON.stringify({ v: 1, id: 1, p: [{ m: id, a: [{ Ok: 1 }, tag, "attacker"] }] });
      const attempt = async (f) => {
        try {
          return { answered: await f() };
        } catch (e) {
          return { thrown: String(e) };
        }
      };
      return Response.json({
        tag,
        call: await attempt(() => stub.__call(envelope).then(JSON.parse)),
        call_async: await attempt(() => stub.__call_async(envelope)),
        resume: await attempt(() => stub.__call_core_resume(0)),
        resume_async: await attempt(() => stub.__call_core_resume_async(0)),
        bind: await attempt(() => stub.__call_core_bind(null, "x")),
        // The entries of calls by name: a handler's id through them is not reachable either.
        named: await attempt(() => stub.__call_core_named(id, JSON.stringify([{ Ok: 1 }, tag, "attacker"]))),
        named_async: await attempt(() => stub.__call_core_named_async(id, "[]")),
      });
    }
    if (url.pathname === "/probe/js-pipelining") {
      // What workerd does with each way of chaining (the bench's `pipeline-js` uses the
      // fastest way that works).
      const remote = this.env.JS_REMOTE.get(this.env.JS_REMOTE.idFromName("remote"));
      const outcome = {};
      for (const [name, chain] of Object.entries(chains)) {
        try {
          const value = await chain(remote, 5);
          outcome[name] = { value, ok: value === chained(5) };
        } catch (e) {
          outcome[name] = { thrown: String(e) };
        }
      }
      return Response.json(outcome);
    }
    if (url.pathname === "/probe/js-commit") {
      // What one storage commit costs in this workerd, for the README's durable figures:
      // `k` turns one after another, each `then`: nothing; a `setTimeout(0)` (a tick of
      // call-core's group commit); a row written, then a `setTimeout(0)` (so a commit per
      // turn). The answer's `ms` is read from `Date.now()`, which advances across I/O.
      const k = Number(url.searchParams.get("k") ?? 1000);
      const then = url.searchParams.get("then") ?? "write";
      const sql = this.ctx.storage.sql;
      sql.exec("CREATE TABLE IF NOT EXISTS commit_probe (id INTEGER PRIMARY KEY, v INTEGER)");
      const start = Date.now();
      for (let i = 0; i < k; i++) {
        if (then === "write") sql.exec("INSERT OR REPLACE INTO commit_probe VALUES (1, ?)", i);
        if (then !== "nothing") await new Promise((resolve) => setTimeout(resolve, 0));
      }
      return Response.json({ k, then, ms: Date.now() - start });
    }
    if (url.pathname === "/probe/js-to-rust") {
      // A JS caller invoking a Rust Durable Object's exported method over native RPC.
      const i = Number(url.searchParams.get("i"));
      const remote = this.env.REMOTE.get(this.env.REMOTE.idFromName("remote"));
      const value = await remote.rpcEcho(i);
      return Response.json({ i, value, ok: value === expected(i) });
    }
    const mode = url.searchParams.get("mode") ?? "js";
    const n = Number(url.searchParams.get("n") ?? 10);
    const rounds = Math.max(1, Number(url.searchParams.get("rounds") ?? 1));
    // `js-to-rust`: the same calls to the Rust remote, by the name of its `#[callable]` method
    // (`js-to-rust-raw`: its `#[wasm_bindgen]` method `rpcEcho`, no JSON).
    const remote =
      mode.startsWith("js-to-rust")
        ? this.env.REMOTE.get(this.env.REMOTE.idFromName("remote"))
        : this.env.JS_REMOTE.get(this.env.JS_REMOTE.idFromName("remote"));
    const sql = this.ctx.storage.sql;
    if (mode === "js-durable") {
      sql.exec("CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY, call TEXT NOT NULL)");
    }
    // The least a durable call must do: a row before the call leaves (the output gate holds
    // the call until it is written), the row deleted when the reply is handled.
    // Rows written, and commits counted as call-core counts them: turns with writes.
    let seq = 0;
    const writes = { rows: 0, commits: 0 };
    let writing = false;
    const wrote = () => {
      writes.rows++;
      if (!writing) {
        writing = true;
        writes.commits++;
        queueMicrotask(() => (writing = false));
      }
    };
    const durableEcho = (i) => {
      const id = seq++;
      sql.exec("INSERT INTO pending (id, call) VALUES (?, ?)", id, JSON.stringify({ m: "echo", a: [i] }));
      wrote();
      return remote.echo(i).then((value) => {
        sql.exec("DELETE FROM pending WHERE id = ?", id);
        wrote();
        return value;
      });
    };
    // `js`, `js-to-rust`: N concurrent calls; `pipeline-js`: N concurrent chains of three dependent calls;
    // `js-durable`: N concurrent calls, each with its row.
    const [op, answer] =
      mode === "pipeline-js"
        ? [(i) => PIPELINE_JS(remote, i), chained]
        : mode === "js-durable"
          ? [durableEcho, expected]
          : mode === "js-to-rust-raw"
            ? [(i) => remote.rpcEcho(i), expected]
            : [(i) => remote.echo(i), expected];
    const start = Date.now();
    let ok = 0;
    for (let round = 0; round < rounds; round++) {
      const pending = [];
      for (let i = 0; i < n; i++) pending.push(op(i));
      const results = await Promise.all(pending);
      results.forEach((value, i) => {
        if (value === answer(i)) ok++;
      });
    }
    const ms = Date.now() - start;
    const reply = { mode, n, rounds, ok, ms };
    if (mode === "js-durable") reply.writes = { caller: writes, callee: { rows: 0, commits: 0 } };
    return Response.json(reply);
  }
}
