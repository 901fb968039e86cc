//! The storage of durable calls: a Durable Object's SQLite storage, through its JavaScript
//! API (`ctx.storage.sql.exec`, the alarm), and the tables call-core keeps in it.
//!
//! Atomicity comes from workerd's implicit transactions: the writes a Durable Object makes
//! without an intervening `await` commit together, and its outgoing messages wait for them
//! (the output gate; tests/facts D2, D3). So a handler's synchronous writes and the delete
//! of its call's row, made in one turn, commit together or not at all.
//!
//! ```sql
//! -- caller: one row per pending durable call (inserted before the call leaves, deleted
//! -- in the transaction that runs its handler); WITHOUT ROWID, so that the key is the row
//! -- and an insert writes one row, not a row and an index entry
//! _call_core_calls(key PRIMARY KEY, binding, object, by_id, envelope, handler, args,
//!                  result_at, deadline, attempt, created, fan, member, indirect)
//! -- caller: one row per pending durable fan-in (its members are rows of _call_core_calls
//! -- with `fan` set and no handler of their own)
//! _call_core_fans(key PRIMARY KEY, handler, args, result_at, size, created)
//! -- caller: stored continuations that this build cannot run (a deploy changed the handler)
//! _call_core_dead(key PRIMARY KEY, handler, args, result, reason, at)
//! -- callee: each durable call received, bound to its plan's hash, with its reply (NULL
//! -- while it runs), until a minute after its deadline (see `records`); the secret key
//! -- of the plan hash
//! _call_core_records(caller, key, hash, reply, expires, PRIMARY KEY (caller, key))
//! _call_core_key(id PRIMARY KEY CHECK (id = 0), k0, k1)
//! -- caller: the time of the object's own alarm (call-core shares the one alarm)
//! _call_core_alarm(id PRIMARY KEY CHECK (id = 0), user_at)
//! ```

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `DurableObjectState` (`ctx`).
    #[derive(Debug, Clone)]
    pub(crate) type JsCtx;

    #[wasm_bindgen(method, getter)]
    pub(crate) fn storage(this: &JsCtx) -> JsStorage;

    #[wasm_bindgen(method, getter)]
    pub(crate) fn id(this: &JsCtx) -> JsValue;

    /// `DurableObjectStorage`.
    #[derive(Debug, Clone)]
    pub(crate) type JsStorage;

    #[wasm_bindgen(method, getter)]
    fn sql(this: &JsStorage) -> JsValue;

    #[wasm_bindgen(method, catch, js_name = setAlarm)]
    fn set_alarm(this: &JsStorage, at: f64) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = deleteAlarm)]
    fn delete_alarm(this: &JsStorage) -> Result<js_sys::Promise, JsValue>;

    /// `SqlStorage`.
    #[derive(Debug, Clone)]
    type JsSql;

    #[wasm_bindgen(method, catch, variadic, js_name = exec)]
    fn exec(this: &JsSql, query: &str, bindings: &js_sys::Array) -> Result<Cursor, JsValue>;

    /// `SqlStorageCursor`.
    type Cursor;

    #[wasm_bindgen(method, js_name = toArray)]
    fn to_array(this: &Cursor) -> js_sys::Array;

    #[wasm_bindgen(method, getter, js_name = rowsWritten)]
    fn rows_written(this: &Cursor) -> f64;

    #[wasm_bindgen(method, getter, js_name = columnNames)]
    fn column_names(this: &Cursor) -> js_sys::Array;
}

/// Columns added to call-core's tables after their first release: `(table, column, type)`.
/// A table made by an older build gets them when the object starts.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[("_call_core_calls", "indirect", "TEXT")];

/// A Durable Object's SQLite storage, and what call-core wrote to it.
#[derive(Debug)]
pub(crate) struct Sql {
    storage: JsStorage,
    sql: JsSql,
    /// Rows call-core wrote, and turns in which it wrote (each turn's writes are one commit).
    rows: Cell<u64>,
    commits: Cell<u64>,
    writing: Rc<Cell<bool>>,
}

/// What call-core wrote to one object's storage since the object started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Writes {
    /// Rows inserted, updated or deleted.
    pub rows: u64,
    /// Turns with writes: each is one commit of the object's storage.
    pub commits: u64,
}

/// A value bound to a `?` of a query.
pub(crate) enum Value<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl From<&Value<'_>> for JsValue {
    fn from(v: &Value<'_>) -> JsValue {
        match v {
            Value::Text(s) => JsValue::from_str(s),
            Value::Int(n) => JsValue::from_f64(*n as f64),
            Value::Null => JsValue::NULL,
        }
    }
}

const SCHEMA: &str = "\
    CREATE TABLE IF NOT EXISTS _call_core_calls (key TEXT PRIMARY KEY, binding TEXT NOT NULL, \
        object TEXT NOT NULL, by_id INTEGER NOT NULL, envelope TEXT NOT NULL, handler TEXT NOT NULL, \
        args TEXT NOT NULL, result_at INTEGER NOT NULL, deadline INTEGER NOT NULL, \
        attempt INTEGER NOT NULL, created INTEGER NOT NULL, fan TEXT, member INTEGER, indirect TEXT) WITHOUT ROWID;\
    CREATE TABLE IF NOT EXISTS _call_core_fans (key TEXT PRIMARY KEY, handler TEXT NOT NULL, \
        args TEXT NOT NULL, result_at INTEGER NOT NULL, size INTEGER NOT NULL, created INTEGER NOT NULL) \
        WITHOUT ROWID;\
    CREATE TABLE IF NOT EXISTS _call_core_dead (key TEXT PRIMARY KEY, handler TEXT NOT NULL, \
        args TEXT NOT NULL, result TEXT, reason TEXT NOT NULL, at INTEGER NOT NULL);\
    DROP TABLE IF EXISTS _call_core_replies;\
    CREATE TABLE IF NOT EXISTS _call_core_records (caller TEXT NOT NULL, key TEXT NOT NULL, \
        hash TEXT NOT NULL, reply TEXT, expires INTEGER NOT NULL, PRIMARY KEY (caller, key)) WITHOUT ROWID;\
    CREATE INDEX IF NOT EXISTS _call_core_records_expires ON _call_core_records (expires);\
    CREATE TABLE IF NOT EXISTS _call_core_key (id INTEGER PRIMARY KEY CHECK (id = 0), k0 TEXT NOT NULL, \
        k1 TEXT NOT NULL);\
    CREATE TABLE IF NOT EXISTS _call_core_alarm (id INTEGER PRIMARY KEY CHECK (id = 0), user_at INTEGER);";

impl Sql {
    /// The SQLite storage of `ctx`, with call-core's tables; `None` for a Durable Object
    /// with the key-value storage backend.
    pub(crate) fn of(ctx: &JsCtx) -> Option<Sql> {
        let storage = ctx.storage();
        let sql = js_sys::Reflect::get(&storage, &JsValue::from_str("sql")).ok()?;
        if sql.is_undefined() || sql.is_null() {
            return None;
        }
        let sql = Sql {
            storage,
            sql: sql.unchecked_into(),
            rows: Cell::new(0),
            commits: Cell::new(0),
            writing: Rc::new(Cell::new(false)),
        };
        sql.run(SCHEMA, &[]).ok()?;
        sql.add_columns();
        Some(sql)
    }

    /// Adds the [`ADDED_COLUMNS`] that a table made by an older build lacks.
    fn add_columns(&self) {
        for (table, column, kind) in ADDED_COLUMNS {
            let has = self.exec(&format!("SELECT * FROM {table} LIMIT 0"), &[]).map(|cursor| {
                let names = cursor.column_names();
                let _ = cursor.to_array();
                names.iter().any(|name| name.as_string().as_deref() == Some(column))
            });
            if has == Ok(false) {
                if let Err(e) = self.run(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"), &[]) {
                    crate::runtime::log_error(&format!("call-core: cannot add column {column} to {table}: {e}"));
                }
            }
        }
    }

    /// Runs `query`; the rows it wrote.
    pub(crate) fn run(&self, query: &str, values: &[Value<'_>]) -> Result<u64, String> {
        let cursor = self.exec(query, values)?;
        // A cursor runs the statement as it is read.
        let _ = cursor.to_array();
        let written = cursor.rows_written() as u64;
        if written > 0 {
            self.rows.set(self.rows.get() + written);
            self.wrote();
        }
        Ok(written)
    }

    /// Counts this turn as one with writes (once per turn).
    fn wrote(&self) {
        if self.writing.replace(true) {
            return;
        }
        self.commits.set(self.commits.get() + 1);
        let writing = self.writing.clone();
        // `once_assert_unwind_safe`: setting a flag cannot leave anything half done.
        let clear = Closure::<dyn FnMut()>::once_assert_unwind_safe(move || writing.set(false)).into_js_value();
        let queue: Result<js_sys::Function, _> =
            js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("queueMicrotask")).map(JsCast::unchecked_into);
        if let Ok(queue) = queue {
            let _ = queue.call1(&JsValue::UNDEFINED, &clear);
        }
    }

    /// What call-core wrote so far.
    pub(crate) fn writes(&self) -> Writes {
        Writes { rows: self.rows.get(), commits: self.commits.get() }
    }

    /// Runs a query that answers one text column; its values.
    pub(crate) fn texts(&self, query: &str, values: &[Value<'_>]) -> Result<Vec<String>, String> {
        let rows = self.exec(query, values)?.to_array();
        Ok(rows
            .iter()
            .filter_map(|row| js_sys::Object::values::<JsValue>(row.unchecked_ref()).get(0).as_string())
            .collect())
    }

    fn exec(&self, query: &str, values: &[Value<'_>]) -> Result<Cursor, String> {
        let bindings: js_sys::Array = values.iter().map(JsValue::from).collect();
        self.sql.exec(query, &bindings).map_err(|e| describe(&e))
    }

    /// Sets the object's alarm (milliseconds since the epoch), without waiting for it.
    pub(crate) fn set_alarm(&self, at: u64) {
        self.wrote();
        if let Err(e) = self.storage.set_alarm(at as f64) {
            crate::runtime::log_error(&format!("call-core: cannot set the alarm: {}", describe(&e)));
        }
    }

    /// Deletes the object's alarm, without waiting for it.
    pub(crate) fn delete_alarm(&self) {
        self.wrote();
        if let Err(e) = self.storage.delete_alarm() {
            crate::runtime::log_error(&format!("call-core: cannot delete the alarm: {}", describe(&e)));
        }
    }
}

/// A time in milliseconds as SQLite's integer (which is signed).
pub(crate) fn stored_time(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// A JavaScript error's message.
pub(crate) fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| format!("{}: {}", e.name(), e.message()))
        .unwrap_or_else(|| format!("{error:?}"))
}
