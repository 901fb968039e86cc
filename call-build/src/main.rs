//! `call-build`: see [`call_build::cli::USAGE`].

use std::process::ExitCode;

use call_build::cli::{self, Command, USAGE};

fn main() -> ExitCode {
    match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("call-build {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Command::Build(options)) => match call_build::build(&options) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("call-build: error: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("call-build: error: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
