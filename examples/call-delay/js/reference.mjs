// The reference floor of the experiment: a pure-JavaScript controller/remote pair making
// the same calls as the Rust modes, with plain Workers RPC. Also the JavaScript side of
// the interop probes (a JS caller of a Rust Durable Object).
import { DurableObject } from "cloudflare:workers";

// The remote's answer for call `i`; every mode validates against the same function.
const expected = (i) => i * 2 + 1;

export class JsRemote extends DurableObject {
  echo(i) {
    return expected(i);
  }
}

export class JsController extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/probe/js-to-rust") {
      // A JS caller invoking a Rust Durable Object's exported method over native RPC.
      const i = Number(url.searchParams.get("i"));
      const remote = this.env.REMOTE.get(this.env.REMOTE.idFromName("remote"));
      const value = await remote.rpcEcho(i);
      return Response.json({ i, value, ok: value === expected(i) });
    }
    const n = Number(url.searchParams.get("n") ?? 10);
    const rounds = Math.max(1, Number(url.searchParams.get("rounds") ?? 1));
    const remote = this.env.JS_REMOTE.get(this.env.JS_REMOTE.idFromName("remote"));
    const start = Date.now();
    let ok = 0;
    for (let round = 0; round < rounds; round++) {
      const pending = [];
      for (let i = 0; i < n; i++) pending.push(remote.echo(i));
      const results = await Promise.all(pending);
      results.forEach((value, i) => {
        if (value === expected(i)) ok++;
      });
    }
    const ms = Date.now() - start;
    return Response.json({ mode: "js", n, rounds, ok, ms });
  }
}
