//! Any text sent to a `#[continuation]` object's `__call` entry gets a well-formed reply
//! of the protocol (a value, an application error or a typed remote error) and never
//! crashes the callee. The target runs the same code as the entry in workerd: envelope
//! decoding, limits, deadline, plan execution with references, dispatch, argument decoding,
//! result encoding.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod target;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = std::str::from_utf8(data) {
        target::check(envelope);
    }
});
