//! The hash that binds a callee's record of a durable call to the call's plan, keyed with a
//! secret of the callee's own.

use super::store::Value;
use super::Durable;
use crate::wire::Envelope;

/// Length of a plan hash (hex digits).
pub(super) const HASH_LEN: usize = 32;

/// The hash of `env`'s plan (its method ids, arguments and references; not its call id nor
/// deadline), under the object's secret key.
pub(crate) fn hash(durable: &Durable, env: &Envelope<'_>) -> String {
    plan_hash(key(durable), env)
}

/// The hash of `env`'s plan under `key`: 128 bits of SipHash, as hex.
#[allow(deprecated)] // `SipHasher`: std's keyed SipHash-2-4, deprecated only for hash maps.
pub(crate) fn plan_hash(key: [u64; 2], env: &Envelope<'_>) -> String {
    use std::hash::{Hasher, SipHasher};
    let mut out = String::with_capacity(HASH_LEN);
    for (k0, k1) in [(key[0], key[1]), (key[1] ^ 0x6d65_7468_6f64_7321, key[0].rotate_left(17))] {
        let mut h = SipHasher::new_with_keys(k0, k1);
        h.write_usize(env.p.len());
        for step in &env.p {
            for text in [&*step.method, &*step.args] {
                h.write_usize(text.len());
                h.write(text.as_bytes());
            }
            h.write_usize(step.refs.len());
            for &(arg, from) in &step.refs {
                h.write_u32(arg);
                h.write_u32(from);
            }
        }
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// The object's secret key of the plan hash (made once, kept in its storage).
fn key(durable: &Durable) -> [u64; 2] {
    let usage = &durable.callee.usage;
    if let Some(key) = usage.key.get() {
        return key;
    }
    let stored = durable.sql.texts("SELECT k0 || ' ' || k1 FROM _call_core_key WHERE id = 0", &[]).ok();
    let parsed = stored.as_ref().and_then(|rows| rows.first()).and_then(|t| {
        let (a, b) = t.split_once(' ')?;
        Some([a.parse().ok()?, b.parse().ok()?])
    });
    let key = parsed.unwrap_or_else(|| {
        let key = [random_u64(), random_u64()];
        let _ = durable.sql.run(
            "INSERT OR REPLACE INTO _call_core_key (id, k0, k1) VALUES (0, ?, ?)",
            &[Value::Text(&key[0].to_string()), Value::Text(&key[1].to_string())],
        );
        key
    });
    usage.key.set(Some(key));
    key
}

fn random_u64() -> u64 {
    #[cfg(target_arch = "wasm32")]
    let half = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    #[cfg(not(target_arch = "wasm32"))]
    let half = || 0u64;
    (half() << 32) | half()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{decode_envelope, Limits};

    fn env(text: &str) -> Envelope<'_> {
        decode_envelope(text, &Limits::DEFAULT).unwrap()
    }

    #[test]
    fn the_plan_hash_binds_methods_arguments_and_references_not_the_deadline() {
        let key = [1, 2];
        let a = r#"{"v":1,"id":1,"dl":100,"d":{"c":"x","k":"1"},"p":[{"m":"T::bump#1","a":[]}]}"#;
        let same = r#"{"v":1,"id":9,"dl":999,"d":{"c":"y","k":"2"},"p":[{"m":"T::bump#1","a":[]}]}"#;
        let method = r#"{"v":1,"id":1,"dl":100,"p":[{"m":"T::count#1","a":[]}]}"#;
        let args = r#"{"v":1,"id":1,"dl":100,"p":[{"m":"T::bump#1","a":[1]}]}"#;
        let refs1 = r#"{"v":1,"id":1,"dl":1,"p":[{"m":"T::a#1","a":[1]},{"m":"T::a#1","a":[null,2],"r":[[0,0]]}]}"#;
        let refs2 = r#"{"v":1,"id":1,"dl":1,"p":[{"m":"T::a#1","a":[1]},{"m":"T::a#1","a":[null,2],"r":[[1,0]]}]}"#;
        let h = |t| plan_hash(key, &env(t));
        assert_eq!(h(a), h(same));
        assert_eq!(h(a).len(), HASH_LEN);
        for other in [method, args] {
            assert_ne!(h(a), h(other));
        }
        assert_ne!(h(refs1), h(refs2));
        // Split points do not collide: ("ab", "c") and ("a", "bc").
        let s1 = r#"{"v":1,"id":1,"dl":1,"p":[{"m":"ab","a":["c"]}]}"#;
        let s2 = r#"{"v":1,"id":1,"dl":1,"p":[{"m":"a","a":["bc"]}]}"#;
        assert_ne!(h(s1), h(s2));
        // Another object's key gives another hash.
        assert_ne!(plan_hash([3, 4], &env(a)), h(a));
    }
}
