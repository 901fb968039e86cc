// A JavaScript Durable Object calling a Rust one (`Typed`, src/typed.rs) by name: each
// `#[callable]` method is an ordinary RPC method of the Rust object's class. And called by
// it: src/typed.rs declares the methods below with `#[remote] trait JsTyped`, and `call!`
// calls them. The end-to-end tests (tests/tests/e2e/typed.rs) read what each call gave.
import { DurableObject } from "cloudflare:workers";

// What a call gave: its value, or what was thrown (name, message and the typed error's
// properties, as they arrived over RPC).
async function outcome(call) {
  try {
    const value = await call();
    return { value: value === undefined ? "undefined" : value };
  } catch (e) {
    return {
      thrown: {
        error: e instanceof Error,
        type: e instanceof TypeError ? "TypeError" : e && e.constructor && e.constructor.name,
        message: String(e && e.message),
        app: e && e.app,
        kind: e && e.kind,
      },
    };
  }
}

export class JsTyped extends DurableObject {
  // Called from Rust with `call!` (src/typed.rs, `#[remote] trait JsTyped`): the kinds of
  // values that cross, an exception, values that do not decode.
  add(a, b) {
    this.count = (this.count ?? 0) + 1;
    return a + b;
  }
  greet(name) {
    return `hi, ${name}`;
  }
  stats(values) {
    const total = values.reduce((sum, v) => sum + v, 0);
    return { count: values.length, total, max: values.length ? Math.max(...values) : null };
  }
  lookup(table, key) {
    return Object.hasOwn(table, key) ? table[key] : null;
  }
  label(n, prefix) {
    return [n, `${prefix ?? ""}${n}`];
  }
  bytes(n) {
    return new Uint8Array(Array.from({ length: n }, (_, i) => (i * 100) % 256));
  }
  nothing() {}
  async later(ms) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }
  fail(message) {
    throw new RangeError(message);
  }
  big() {
    return 2n ** 70n;
  }
  wrongType() {
    return "not a number";
  }
  callsSoFar() {
    return this.count ?? 0;
  }

  async fetch(request) {
    const url = new URL(request.url);
    const typed = this.env.TYPED.getByName(url.searchParams.get("name") ?? "typed");
    if (url.pathname === "/typed/kinds") {
      return Response.json({
        add: await outcome(() => typed.add(40, 2)),
        add_negative: await outcome(() => typed.add(-5, 3)),
        greet: await outcome(() => typed.greet("wasm")),
        greet_unicode: await outcome(() => typed.greet("Grüße, 世界")),
        sum: await outcome(() => typed.sum([0.5, 1.25, -2])),
        stats: await outcome(() => typed.stats([3, 9, 4])),
        stats_empty: await outcome(() => typed.stats([])),
        lookup_found: await outcome(() => typed.lookup({ a: 1, b: 2 }, "b")),
        lookup_missing: await outcome(() => typed.lookup({ a: 1 }, "z")),
        label: await outcome(() => typed.label(7, "n=")),
        label_null: await outcome(() => typed.label(7, null)),
        label_left_out: await outcome(() => typed.label(7)),
        divide: await outcome(() => typed.divide(9, 2)),
        divide_by_zero: await outcome(() => typed.divide(1, 0)),
        touch: await outcome(() => typed.touch()),
        checksum_bytes: await outcome(() => typed.checksum(new Uint8Array([1, 2, 250]))),
        checksum_array: await outcome(() => typed.checksum([1, 2, 250])),
        calls: await outcome(() => typed.calls()),
      });
    }
    if (url.pathname === "/typed/bad-arguments") {
      const before = await typed.calls();
      const replies = {
        string_for_number: await outcome(() => typed.add("one", 2)),
        missing: await outcome(() => typed.add(1)),
        float_for_integer: await outcome(() => typed.add(1, 2.5)),
        object_for_array: await outcome(() => typed.sum({ x: 1 })),
        negative_for_unsigned: await outcome(() => typed.stats([1, -1])),
        not_json: await outcome(() => typed.add(1n, 2)),
        array_for_map: await outcome(() => typed.lookup([1], "a")),
      };
      const panicked = await outcome(() => typed.explode("by name"));
      // The object keeps serving: a valid call afterwards.
      const after = await outcome(() => typed.add(2, 3));
      return Response.json({ replies, panicked, after, before, calls: await typed.calls() });
    }
    return new Response("not found", { status: 404 });
  }
}
