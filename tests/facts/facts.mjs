// Experiments on workerd's lifetimes, driven by tests/tests/facts.rs. Every endpoint runs
// one step of an experiment and answers small JSON with what it observed. See README.md.
//
// Routes (the stateless worker):
//   /do/<Class>/<name>/<action>?…   forwarded to that Durable Object's fetch; if the stub
//                                   throws: 502 {forwarded_error, durable_object_reset, remote}
//   /state                          this isolate's module state (touches no Durable Object)
//   /gc                             runs gc() three times (needs v8Flags --expose-gc)
//   /rpc/f4?name=…                  F4 with a Durable Object as the caller, over RPC
//   /legacy/…, /old/…               the same routes in the config's `legacy` and `old` workers
//
// One module, three workers in tests/tests/facts.rs's config: `main` (compatibility date
// 2025-12-01), `legacy` (same, with no_handle_cross_request_promise_resolution), `old`
// (2025-05-04). Every Durable Object class is SQLite-backed.
import { DurableObject } from "cloudflare:workers";

// ---- Module state: one copy per isolate, shared by every object of every class here. ----
let isolateId = null; // random values may only be made inside a request
const isolate = () => (isolateId ??= crypto.randomUUID());
const constructions = {}; // "<Class>:<id hex>" -> how many times the constructor ran
const events = []; // { ev, … } records of callbacks that ran (F4, D1, …)
const waiters = new Map(); // F2: key -> { mode, wake } registered by a waiting object
const shared = {}; // F3: plain values set by one object, read by another
const finalized = []; // F5: held values whose FinalizationRegistry callback ran
const registry = typeof FinalizationRegistry === "function" ? new FinalizationRegistry((held) => finalized.push(held)) : null;
const liveControls = []; // F5: objects kept reachable on purpose (negative control)

const record = (e) => events.push({ ...e, at: Date.now() });
const msg = (e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs `f` (sync or async) and answers "ok" / the value, or the error's message.
async function attempt(f) {
  try {
    const v = await f();
    return v === undefined ? { ok: true } : { ok: true, value: v };
  } catch (e) {
    return { ok: false, error: msg(e) };
  }
}

function stateSnapshot() {
  return {
    isolate: isolate(),
    constructions,
    events,
    shared,
    finalized,
    weak_ref: typeof WeakRef,
    finalization_registry: typeof FinalizationRegistry,
    gc: typeof globalThis.gc,
  };
}

// The callee of outgoing RPC calls.
export class Slow extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    const key = `Slow:${ctx.id}`;
    constructions[key] = (constructions[key] ?? 0) + 1;
  }
  echo(x) {
    return x;
  }
  async sleep(ms, tag) {
    record({ ev: "slow_received", tag });
    await sleep(ms);
    record({ ev: "slow_answering", tag });
    return `slept ${ms}`;
  }
  // F4: calls Obj(name).f4Abort over RPC and reports what this caller saw.
  async callF4Abort(name, tag, ms, timer) {
    const target = this.env.OBJ.get(this.env.OBJ.idFromName(name));
    try {
      return { returned: await target.f4Abort(tag, ms, timer) };
    } catch (e) {
      return { error: msg(e), durable_object_reset: e?.durableObjectReset ?? null, remote: e?.remote ?? null };
    }
  }

  // D3: notes that a call arrived (the caller may be reset before it could see the answer).
  note(tag) {
    record({ ev: "note_received", tag });
    return tag;
  }
}

export class Obj extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.key = `Obj:${ctx.id}`;
    constructions[this.key] = (constructions[this.key] ?? 0) + 1;
    this.instance = constructions[this.key];
    this.inflight = 0;
    if (registry) {
      // F5: the instance itself, and an object only this instance references.
      this.token = { key: this.key };
      registry.register(this, { what: "instance", key: this.key, instance: this.instance });
      registry.register(this.token, { what: "token", key: this.key, instance: this.instance });
    }
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)");
  }

  slow(name) {
    return this.env.SLOW.get(this.env.SLOW.idFromName(name));
  }

  info() {
    return { key: this.key, instance: this.instance, constructions: constructions[this.key], isolate: isolate() };
  }

  rows() {
    return Object.fromEntries(this.sql.exec("SELECT k, v FROM kv ORDER BY k").toArray().map((r) => [r.k, JSON.parse(r.v)]));
  }

  put(k, v) {
    this.sql.exec("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", k, JSON.stringify(v));
  }

  tryPut(k, v) {
    try {
      this.put(k, v);
      return "ok";
    } catch (e) {
      return msg(e);
    }
  }

  async fetch(request) {
    this.inflight++;
    try {
      return await this.handle(request);
    } finally {
      this.inflight--;
    }
  }

  async alarm() {
    record({ ev: "alarm", key: this.key, instance: this.instance });
    this.put("alarm_ran", { at: Date.now(), instance: this.instance });
  }

  // F4: abort with an outgoing RPC (received by the callee, not yet answered) and a timer
  // pending. Also an RPC method, so that the caller can be another Durable Object.
  async f4Abort(tag, ms, timer) {
    const info = this.info();
    const tryIo = async () => ({
      sql: await attempt(() => this.put("f4_cb", 1)),
      rpc: await attempt(() => this.slow("f4-other").echo(1)),
    });
    this.slow("f4").sleep(ms, tag).then(
      async (v) => record({ ev: "f4_rpc_then", tag, value: v, io: await tryIo(), ...info }),
      async (e) => record({ ev: "f4_rpc_catch", tag, error: msg(e), io: await tryIo(), ...info }),
    );
    setTimeout(async () => record({ ev: "f4_timer_fired", tag, io: await tryIo(), ...info }), timer);
    // Wait until the callee has the call (an RPC is sent after this turn ends).
    while (!events.some((e) => e.ev === "slow_received" && e.tag === tag)) await sleep(5);
    record({ ev: "f4_before_abort", tag, ...info });
    try {
      this.ctx.abort("f4 abort");
    } catch (e) {
      record({ ev: "f4_abort_threw", tag, error: msg(e), ...info });
      throw e;
    } finally {
      record({ ev: "f4_finally_ran", tag, ...info });
    }
    record({ ev: "f4_abort_returned", tag, ...info });
    return { after_abort: "returned normally", ...info };
  }

  async handle(request) {
    const url = new URL(request.url);
    const action = url.pathname.split("/").slice(4).join("/");
    const q = (k, d) => url.searchParams.get(k) ?? d;
    switch (action) {
      case "info":
        return Response.json({ ...this.info(), rows: this.rows() });

      // F1: a timer armed during a request fires after the response, and does I/O.
      case "f1/arm": {
        const delay = Number(q("delay", 500));
        setTimeout(async () => {
          const r = { fired: true, inflight_at_fire: this.inflight };
          r.sql = await attempt(() => this.put("f1_sql", "written in timer"));
          r.kv_put = await attempt(() => this.ctx.storage.put("f1_kv", "written in timer"));
          r.rpc = await attempt(() => this.slow("f1").echo(41));
          r.storage_get = await attempt(() => this.ctx.storage.get("f1_kv"));
          this.put("f1", r);
        }, delay);
        return Response.json({ armed: true, delay, ...this.info() });
      }

      // F2: B waits for a wake-up that object A delivers, then does I/O of B's.
      //   mode=promise:   B awaits a promise (created in B); A calls its resolve function.
      //   mode=callback:  A calls a function of B's directly (B's I/O runs inside A's call).
      //   mode=microtask: A queues B's function with queueMicrotask, as wasm-bindgen-futures
      //                   queues woken tasks (its executor runs them in one microtask).
      //   self=1:         B wakes itself from its own timer (the positive control).
      case "f2/wait": {
        const key = q("key");
        const mode = q("mode", "promise");
        const ops = q("ops", "sql,get,put,rpc,rpc_b_stub").split(",");
        const bStub = this.slow("f2"); // a stub made in B's context, before the wait
        const doOps = async () => {
          const out = {};
          for (const op of ops) {
            if (op === "sql") out.sql = await attempt(() => this.put("f2_sql", key));
            if (op === "get") out.get = await attempt(() => this.ctx.storage.get("f2_kv"));
            if (op === "put") out.put = await attempt(() => this.ctx.storage.put("f2_kv", key));
            if (op === "rpc") out.rpc = await attempt(() => this.slow("f2").echo(7));
            if (op === "rpc_b_stub") out.rpc_b_stub = await attempt(() => bStub.echo(8));
          }
          return out;
        };
        let out;
        if (mode === "promise") {
          const woken = new Promise((resolve) => waiters.set(key, { mode, wake: resolve }));
          if (q("self") === "1") setTimeout(() => waiters.get(key).wake("B's own timer"), 20);
          const by = await woken;
          out = { woken_by: by, ...(await doOps()) };
        } else {
          // The ops run wherever the waker runs them; B's response waits for their result.
          const done = new Promise((resolve, reject) => {
            const run = (by) => {
              doOps().then((ops) => resolve({ woken_by: by, ...ops }), reject);
            };
            waiters.set(key, { mode, wake: run });
          });
          if (q("self") === "1") setTimeout(() => waiters.get(key).wake("B's own timer"), 20);
          out = await done;
        }
        out.response_from = this.key;
        record({ ev: "f2_result", key, out });
        return Response.json(out);
      }
      case "f2/wake": {
        const key = q("key");
        const w = waiters.get(key);
        if (!w) return Response.json({ error: `no waiter ${key}` }, { status: 409 });
        waiters.delete(key);
        const via = q("via", "timer");
        const deliver = (by) => (w.mode === "microtask" ? queueMicrotask(() => w.wake(by)) : w.wake(by));
        if (via === "timer") setTimeout(() => deliver("A's timer"), 10);
        else deliver("A's request");
        return Response.json({ woke: key, via, mode: w.mode });
      }

      // F3: module state is per isolate.
      case "f3/set":
        shared.f3 = q("v");
        return Response.json({ set: shared.f3, isolate: isolate() });
      case "f3/get":
        return Response.json({ got: shared.f3 ?? null, isolate: isolate() });

      // F4: abort, called from an HTTP request (see f4Abort).
      case "f4/abort":
        return Response.json(await this.f4Abort(q("tag", "f4"), Number(q("ms", 500)), Number(q("timer", 300))));

      // F5: an object we drop (positive control) and one we keep (negative control).
      case "f5/controls": {
        registry.register({ dropped: true }, { what: "dropped_control", key: this.key });
        const kept = { kept: true };
        liveControls.push(kept);
        registry.register(kept, { what: "kept_control", key: this.key });
        return Response.json({ registered: true, ...this.info() });
      }

      // F6: arm a long timer and return.
      case "f6/timer": {
        const info = this.info();
        setTimeout(() => record({ ev: "f6_timer_fired", ...info }), Number(q("delay", 20000)));
        return Response.json({ armed: true, ...info });
      }

      // F6: make an RPC call that is answered after `ms`, return without awaiting it; its
      // continuation records what it saw (fire-and-continue).
      case "f6/call": {
        const info = this.info();
        const tag = q("tag", "f6");
        this.slow("f6").sleep(Number(q("ms", 11000)), tag).then(
          (v) =>
            record({
              ev: "f6_call_then",
              tag,
              value: v,
              sql: this.tryPut("f6_call", v),
              ...info,
              instance_now: this.instance,
              constructions_now: constructions[this.key],
            }),
          (e) => record({ ev: "f6_call_catch", tag, error: msg(e), ...info }),
        );
        return Response.json({ called: true, ...info });
      }

      // D1: a durable alarm.
      case "d1/set": {
        const ms = Number(q("ms", 1500));
        await this.ctx.storage.setAlarm(Date.now() + ms);
        this.put("d1_before_kill", { instance: this.instance });
        return Response.json({ alarm_in_ms: ms, alarm: await this.ctx.storage.getAlarm(), ...this.info() });
      }

      // D2: transactionSync rollback / commit, plain writes.
      case "d2/run": {
        this.sql.exec("CREATE TABLE IF NOT EXISTS d2 (v TEXT)");
        let seenInside = null;
        const rolled = await attempt(() =>
          this.ctx.storage.transactionSync(() => {
            this.sql.exec("INSERT INTO d2 VALUES ('rolled_back')");
            seenInside = this.sql.exec("SELECT count(*) AS n FROM d2 WHERE v = 'rolled_back'").one().n;
            throw new Error("abandon this transaction");
          }),
        );
        const committed = await attempt(() =>
          this.ctx.storage.transactionSync(() => {
            this.sql.exec("INSERT INTO d2 VALUES ('committed')");
            return "done";
          }),
        );
        this.sql.exec("INSERT INTO d2 VALUES ('plain')"); // not awaited, no transaction
        return Response.json({ rolled, seen_inside_before_throw: seenInside, committed, rows: this.d2rows() });
      }
      case "d2/rows":
        return Response.json({ rows: this.d2rows() });

      // D3: a write and an outgoing RPC in the same synchronous turn.
      case "d3/run": {
        const tag = q("tag");
        const bad = q("bad") === "1";
        const order = q("order", "write_first");
        this.sql.exec("CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY)");
        this.sql.exec("CREATE TABLE IF NOT EXISTS child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id))");
        await sleep(1); // commit the tables before the experiment
        const write = () => {
          if (bad) {
            // Accepted now, refused when the implicit transaction commits.
            this.ctx.storage.transactionSync(() => {
              this.sql.exec("PRAGMA defer_foreign_keys = ON");
              this.sql.exec("INSERT INTO child (p) VALUES (424242)");
            });
          } else {
            this.sql.exec("INSERT INTO child (p) VALUES (NULL)");
          }
        };
        let call;
        if (order === "write_first") {
          write();
          call = this.slow("d3").note(tag);
        } else {
          call = this.slow("d3").note(tag);
          write();
        }
        const reply = await attempt(() => call);
        return Response.json({ reply, ...this.info() });
      }
    }
    return Response.json({ error: `unknown action ${action}` }, { status: 404 });
  }

  d2rows() {
    return this.sql.exec("SELECT v FROM d2 ORDER BY rowid").toArray().map((r) => r.v);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const parts = url.pathname.split("/");
    if (url.pathname === "/state") return Response.json(stateSnapshot());
    if (url.pathname === "/gc") {
      if (typeof globalThis.gc !== "function") return Response.json({ error: "gc is not exposed" }, { status: 500 });
      for (let i = 0; i < 3; i++) globalThis.gc();
      return Response.json({ gc: "done", finalized });
    }
    if (url.pathname === "/rpc/f4") {
      // F4 with a Durable Object (Slow "rpc-caller") as the caller, over RPC.
      const p = (k, d) => url.searchParams.get(k) ?? d;
      const caller = env.SLOW.get(env.SLOW.idFromName("rpc-caller"));
      return Response.json(await caller.callF4Abort(p("name"), p("tag"), Number(p("ms", 500)), Number(p("timer", 300))));
    }
    if (parts[1] === "old" && env.OLD) {
      // The same module in a worker with compatibilityDate 2025-05-04 (F5).
      url.pathname = "/" + parts.slice(2).join("/");
      return env.OLD.fetch(new Request(url, request));
    }
    if (parts[1] === "legacy" && env.LEGACY) {
      // The same module in a worker with `no_handle_cross_request_promise_resolution`.
      url.pathname = "/" + parts.slice(2).join("/");
      return env.LEGACY.fetch(new Request(url, request));
    }
    if (parts[1] === "do") {
      const ns = { Obj: env.OBJ, Slow: env.SLOW }[parts[2]];
      if (!ns) return Response.json({ error: `no class ${parts[2]}` }, { status: 404 });
      const stub = ns.get(ns.idFromName(parts[3]));
      try {
        return await stub.fetch(request);
      } catch (e) {
        return Response.json(
          { forwarded_error: msg(e), durable_object_reset: e?.durableObjectReset ?? null, remote: e?.remote ?? null },
          { status: 502 },
        );
      }
    }
    return Response.json({ error: "not found" }, { status: 404 });
  },
};
