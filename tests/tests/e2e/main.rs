//! End-to-end tests: the example's Durable Objects compiled to wasm32 and run in real
//! workerd (from npm), driven over HTTP on 127.0.0.1. Every result is validated.

mod batch;
mod errors;
mod faults;
mod harness;
mod interop;
mod lifetimes;
mod load;
mod pipeline;
mod tsc;
mod typed;

fn main() -> std::process::ExitCode {
    harness::run(&[
        ("batch_rpc", batch::rpc),
        ("batch_js", batch::js),
        ("batch_call", batch::call),
        ("batch_continuation", batch::continuation),
        ("batch_ablations", batch::ablations),
        ("batch_rust_to_js", batch::rust_to_js),
        ("interop_js_caller_to_rust_do", interop::js_to_rust),
        ("interop_rust_caller_to_js_do", interop::rust_to_js),
        ("errors_app_error_arrives_typed", errors::app_error),
        ("errors_panic_is_typed_and_callee_keeps_serving", errors::panic),
        ("errors_adopted_durable_object_worker_result_and_str", errors::adopted_durable_object),
        ("faults_timeout_once_late_reply_dropped", faults::timeout),
        ("faults_cancel_runs_continuation_once", faults::cancel),
        ("faults_js_callee_throws", faults::js_callee_throws),
        ("faults_class_without_call_entry", faults::no_entry),
        ("faults_bad_input_from_js_gets_typed_errors", faults::bad_input),
        ("lifetimes_timeouts_in_20_objects", lifetimes::timeouts_in_20_objects),
        ("lifetimes_mixed_calls_in_20_objects", lifetimes::mixed_calls_in_20_objects),
        ("lifetimes_reset_object_with_pending_continuations", lifetimes::reset_object_with_pending_continuations),
        ("lifetimes_finished_calls_leave_no_timers", lifetimes::finished_calls_leave_no_timers),
        ("lifetimes_handler_unreachable_from_rust", lifetimes::handler_unreachable_from_rust),
        ("lifetimes_handler_unreachable_from_js", lifetimes::handler_unreachable_from_js),
        ("load_call_10k", load::call_10k),
        ("load_continuation_10k", load::continuation_10k),
        ("load_memory_per_pending_call", load::memory_per_pending_call),
        ("pipeline_batches", pipeline::batch_pipeline),
        ("pipeline_nested_typed_errors_timeout_then", pipeline::nested),
        ("pipeline_limits_apply_to_the_whole_plan", pipeline::nested_limits),
        ("fanin_batches", pipeline::batch_fanin),
        ("fanin_ledger_balances_member_timeout_cancel", pipeline::fanin),
        ("pipeline_and_fanin_in_20_objects", pipeline::many_objects),
        ("load_pipeline_and_fanin_10k", pipeline::load),
        ("typed_js_calls_rust_by_name_values_of_every_kind", typed::values_of_every_kind),
        ("typed_js_calls_rust_by_name_typed_error", typed::typed_error_is_thrown_with_its_value),
        ("typed_js_calls_rust_by_name_wrong_arguments", typed::wrong_arguments),
        ("typed_tsc_checks_a_typescript_caller", typed::tsc_checks_a_typescript_caller),
        ("typed_rust_calls_js_values_of_every_kind", typed::rust_calls_js_values_of_every_kind),
        ("typed_rust_calls_js_errors_are_typed", typed::rust_calls_js_errors_are_typed),
        ("typed_rust_calls_js_with_then_and_in_a_fan_in", typed::rust_calls_js_with_then_and_in_a_fan_in),
        ("typed_conversion_json_and_serde_wasm_bindgen_agree", typed::conversion_ways_agree),
        // Last: whatever the faults above did, the batch modes still work.
        ("after_faults_batches_still_validate", batch::call),
    ])
}
