// The control of the example's `Alarmed` (src/alarmed.rs): the same alarm in plain
// JavaScript, which records each run and throws on its first `fail` runs. What the
// platform does with an alarm that throws, without call-core.
import { DurableObject } from "cloudflare:workers";

export class JsAlarmed extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS alarm_runs (run INTEGER PRIMARY KEY, at INTEGER NOT NULL); " +
        "CREATE TABLE IF NOT EXISTS alarm_fail (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL)",
    );
  }

  runs() {
    return this.ctx.storage.sql.exec("SELECT count(*) AS n FROM alarm_runs").one().n;
  }

  async fetch(request) {
    const url = new URL(request.url);
    const sql = this.ctx.storage.sql;
    if (url.pathname === "/tally-alarm") {
      const fail = Number(url.searchParams.get("fail") ?? 1);
      sql.exec("INSERT INTO alarm_fail (id, n) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n", fail);
      await this.ctx.storage.setAlarm(Date.now() + Number(url.searchParams.get("ms") ?? 1000));
      return Response.json({ at: await this.ctx.storage.getAlarm() });
    }
    if (url.pathname === "/tally-alarm-runs") {
      return Response.json({ runs: this.runs(), alarm: await this.ctx.storage.getAlarm() });
    }
    return new Response("not found", { status: 404 });
  }

  async alarm() {
    const sql = this.ctx.storage.sql;
    sql.exec("INSERT INTO alarm_runs (at) VALUES (?)", Date.now());
    const runs = this.runs();
    const fail = sql.exec("SELECT max(n) AS n FROM alarm_fail").one().n ?? 0;
    if (runs <= fail) throw new Error(`JsAlarmed: run ${runs} of the alarm throws, on purpose`);
  }
}
