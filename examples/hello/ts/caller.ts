// A TypeScript Worker calling this crate's Durable Objects by name, typed by the
// declarations call-build generates (build/worker/shim.d.ts): no hand-written type.
// `npx tsc -p ts` checks it (after `npm i -D typescript @cloudflare/workers-types` and a
// build); each `@ts-expect-error` is a mistake the generated types catch.
import type { Calculator, CallableError } from "../build/worker/shim";

export interface Env {
  CALCULATOR: DurableObjectNamespace<Calculator>;
}

export async function calculate(env: Env): Promise<string> {
  const calc = env.CALCULATOR.getByName("c1");
  const sum: number = await calc.add(1, 2);
  const greeting: string = await calc.greet("TypeScript");
  let quotient: number | string;
  try {
    quotient = await calc.divide(sum, 0);
  } catch (e) {
    // `divide` returns `Result<i64, MathError>`: its `Err` is thrown, the error in `app`.
    const err = e as CallableError<Calculator.Errors["divide"]>;
    quotient = err.kind === "app" ? JSON.stringify(err.app) : err.message;
  }

  // @ts-expect-error: Calculator has no method `subtract`
  await calc.subtract(3, 1);
  // @ts-expect-error: `add` takes numbers
  await calc.add("1", 2);
  // @ts-expect-error: `greet` answers a string
  const wrong: number = await calc.greet("x");

  return `${sum} ${greeting} ${quotient} ${wrong}`;
}
