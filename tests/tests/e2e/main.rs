//! End-to-end tests: the example's Durable Objects compiled to wasm32 and run in real
//! workerd (from npm), driven over HTTP on 127.0.0.1. Every result is validated.

mod batch;
mod errors;
mod harness;
mod interop;

fn main() -> std::process::ExitCode {
    harness::run(&[
        ("batch_rpc", batch::rpc),
        ("batch_js", batch::js),
        ("batch_call", batch::call),
        ("batch_continuation", batch::continuation),
        ("interop_js_caller_to_rust_do", interop::js_to_rust),
        ("interop_rust_caller_to_js_do", interop::rust_to_js),
        ("errors_app_error_arrives_typed", errors::app_error),
        ("errors_panic_is_typed_and_callee_keeps_serving", errors::panic),
    ])
}
