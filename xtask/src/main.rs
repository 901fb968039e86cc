//! `cargo xtask <command>`: see `cargo xtask help`.

use std::process::ExitCode;

use xtask::util::say;
use xtask::Result;

mod commands;

const HELP: &str = "\
cargo xtask <command>

  setup                  install the wasm toolchain, wasm-bindgen-cli and workerd (idempotent)
  build [crate]          build a Worker crate with call-build (default: examples/call-delay) into
                         <crate>/build/worker, plus <crate>/build/workerd.capnp (see `build --help`)
  serve [--port P] [--storage DIR]
                         run the example in local workerd on 127.0.0.1 until stopped; DIR keeps
                         the Durable Objects' storage across restarts
  demo [--record]        build the example, run every /batch mode in workerd (about 90 s) and
                         print ms/op with the ratios to rpc and js, beside the seed's figures;
                         --record: also write results/demo.md and the README's demo section
  test [--loaded]        fmt, clippy, docs, unit/ui/native/end-to-end tests, a user's own Worker, the
                         lifetimes tests again and the durable suite beside 2 CPU hogs, cargo
                         package, wrangler dry-runs; --loaded: only the end-to-end and durable suites, beside 2 CPU
                         hogs (also CALL_CORE_TEST_LOADED=1 on `cargo test -p tests`)
  bench [options]        the experiment: every mode at N = 10, 50, 500, 5000 in workerd, plus the
                         native per-call micro-benchmark; writes results/ (see `bench --help`)
  readme [--check]       rewrite the generated figures of README.md and docs/*.md from results/
                         (--check: only compare)
  profile [options]      V8's CPU profile of one /batch mode in workerd: writes
                         results/profile-<mode>-n<N>.cpuprofile, prints the top functions
                         (see `profile --help`)
  fuzz [--seconds S]     fuzz envelope decoding and dispatch (cargo-fuzz on nightly)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::FAILURE;
    };
    let result: Result<()> = match command.as_str() {
        "setup" => xtask::setup::ensure().map(|_| say("setup complete")),
        "build" => commands::build(rest),
        "serve" => commands::serve(rest),
        "demo" => commands::demo(rest),
        "test" => commands::test(rest),
        "bench" => commands::bench(rest),
        "profile" => commands::profile(rest),
        "readme" => xtask::bench::generated::command(rest),
        "fuzz" => commands::fuzz(rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(xtask::Error(format!("unknown command `{other}`\n\n{HELP}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
