//! JavaScript that the generated entry (`shim.mjs`) includes as is: the start of call-core's
//! task queue, and the shared alarm of objects that make durable calls.

/// Creates wasm-bindgen-futures' task queue (see `call_core::entry::start`) while the
/// global `queueMicrotask` is hidden, so that the queue schedules its runs with a promise
/// reaction: in workerd, `queueMicrotask` wraps each callback in a host function, which
/// costs more per wake-up than V8's own promise job (README, Performance). Every Rust task
/// of the isolate runs from that queue; nothing else sees the global change, which is
/// undone before any other code runs. If the global cannot be hidden, nothing changes.
pub const START_QUEUE: &str = "\n\
// wasm-bindgen-futures' task queue: created with `queueMicrotask` hidden, so that it\n\
// schedules its runs with a promise reaction (cheaper in workerd; see call_core::entry::start);\n\
// once per wasm instance (now, and again after a reset).\n\
let queueStarted;\n\
function startQueue() {\n\
\x20 if (queueStarted === initState.instanceId) return;\n\
\x20 queueStarted = initState.instanceId;\n\
\x20 const own = Object.getOwnPropertyDescriptor(globalThis, \"queueMicrotask\");\n\
\x20 let hidden = false;\n\
\x20 try {\n\
\x20   Object.defineProperty(globalThis, \"queueMicrotask\", { value: undefined, configurable: true, writable: true });\n\
\x20   hidden = true;\n\
\x20 } catch {}\n\
\x20 try {\n\
\x20   wasm.__call_core_start();\n\
\x20 } finally {\n\
\x20   if (hidden && own) Object.defineProperty(globalThis, \"queueMicrotask\", own);\n\
\x20   else if (hidden) delete globalThis.queueMicrotask;\n\
\x20 }\n\
}\n\
startQueue();\n";

/// The JavaScript that lets call-core share a durable caller's one alarm with the object:
/// the object gets a `ctx` whose `storage.setAlarm`/`getAlarm`/`deleteAlarm` keep its own
/// alarm time in call-core's table (`__call_core_set_user_alarm`), and call-core sets the
/// real alarm to the earlier of the two.
pub const SHARED_ALARM: &str = "\n\
// For classes that make durable calls: the object's own alarm, kept by call-core, which\n\
// sets the real alarm to the earlier of the object's and its own (see call_core::durable).\n\
function sharedAlarm(ctx, inner) {\n\
\x20 const get = (object, prop) => {\n\
\x20   const value = Reflect.get(object, prop, object);\n\
\x20   return typeof value === \"function\" ? value.bind(object) : value;\n\
\x20 };\n\
\x20 const storage = new Proxy(ctx.storage, {\n\
\x20   get(object, prop) {\n\
\x20     if (prop === \"setAlarm\") return async (at) => inner().__call_core_set_user_alarm(+at);\n\
\x20     if (prop === \"deleteAlarm\") return async () => inner().__call_core_set_user_alarm(undefined);\n\
\x20     if (prop === \"getAlarm\") return async () => inner().__call_core_user_alarm() ?? null;\n\
\x20     return get(object, prop);\n\
\x20   },\n\
\x20 });\n\
\x20 return new Proxy(ctx, {\n\
\x20   get(object, prop) {\n\
\x20     return prop === \"storage\" ? storage : get(object, prop);\n\
\x20   },\n\
\x20 });\n\
}\n";
