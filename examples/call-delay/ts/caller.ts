// A TypeScript caller of the example's Rust Durable Objects, checked by `tsc --noEmit`
// (tests/tests/e2e/tsc.rs) against the declarations the build generates
// (build/worker/shim.d.ts): no hand-written type. Each `@ts-expect-error` is a mistake that
// the generated types must catch (tsc fails if one is not an error).
import type { CallableError, MathError, RemoteDo, Stats, Typed } from "../build/worker/shim";

export interface Env {
  TYPED: DurableObjectNamespace<Typed>;
  REMOTE: DurableObjectNamespace<RemoteDo>;
}

export async function callRust(env: Env): Promise<string> {
  const typed = env.TYPED.getByName("typed");
  const sum: number = await typed.add(40, 2);
  const greeting: string = await typed.greet("TypeScript");
  const total: number = await typed.sum([0.5, 1.5]);
  const found: number | null = await typed.lookup({ a: 1 }, "a");
  // The crate's own struct, declared with tsify's `#[derive(Tsify)]`.
  const stats: Stats = await typed.stats([3, 9, 4]);
  const max: number | null = stats.max;
  // workers-types' RPC stub types make a returned tuple an array of its element types.
  const [n, label] = await typed.label(7);
  const labelled = await typed.label(7, "n=");
  await typed.touch();
  const checksum: number = await typed.checksum(new Uint8Array([1, 2, 3]));
  const echoed: number = await env.REMOTE.getByName("remote").echo(20);
  try {
    await typed.divide(1, 0);
  } catch (e) {
    // A method's typed error, in its serde form: `divide` returns `Result<i64, MathError>`.
    const err = e as CallableError<Typed.Errors["divide"]>;
    if (err.kind === "app") {
      const why: MathError = err.app;
      console.log(why);
      // @ts-expect-error: `MathError` has no variant `Overflow`
      if (err.app === "Overflow") console.log("never");
    } else if (err.kind === "decode") {
      console.log(err.message);
    }
    // @ts-expect-error: a kind that call-core does not have
    if (err.kind === "timeout") console.log("never");
  }
  // @ts-expect-error: `Typed` has no callable method `subtract`, so no error type for it
  const noSuch: Typed.Errors["subtract"] | undefined = undefined;

  // @ts-expect-error: no such method
  await typed.subtract(1, 2);
  // @ts-expect-error: a string where a number goes
  await typed.add("40", 2);
  // @ts-expect-error: a missing argument
  await typed.greet();
  // @ts-expect-error: the result is a number, not a string
  const wrong: string = await typed.add(1, 2);
  // @ts-expect-error: an array of numbers, not of strings
  await typed.sum(["1"]);
  // @ts-expect-error: `Stats` has no field `mean`
  const mean: number = (await typed.stats([1])).mean;
  // @ts-expect-error: `count` is a number
  const count: string = stats.count;
  // @ts-expect-error: the map's values are numbers
  await typed.lookup({ a: "1" }, "a");

  return `${sum} ${greeting} ${total} ${found} ${n} ${label} ${labelled[1]} ${echoed} ${checksum} ${wrong} ${max} ${mean} ${count} ${noSuch}`;
}
