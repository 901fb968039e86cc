//! The loaded-machine mode of the test suites: busy CPU hogs beside the tests, so that a
//! test that depends on how fast the machine is fails here rather than on a busy CI runner.
//!
//! `CALL_CORE_TEST_LOADED=1` makes the end-to-end suite (tests/tests/e2e) and the durable
//! suite (tests/tests/durable) start [`HOGS`] hogs once their build is done; `cargo xtask
//! test --loaded` runs both suites so, and `cargo xtask test` runs the lifetimes tests and
//! the durable suite so after the rest. Each hog is a child process that spins until it is
//! stopped by its PID (when [`Hogs`] is dropped) or its parent is gone.

use std::process::{Child, Command, Stdio};

/// The environment variable that turns the loaded mode on (`1`).
pub const ENV: &str = "CALL_CORE_TEST_LOADED";

/// How many hogs run beside the tests.
pub const HOGS: usize = 2;

/// Whether the loaded mode is on.
pub fn enabled() -> bool {
    std::env::var(ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Running hogs, stopped by their PIDs when dropped.
#[derive(Debug)]
pub struct Hogs {
    children: Vec<Child>,
}

impl Hogs {
    /// Starts `n` hogs. Each spins in a shell loop that only checks that this process is
    /// alive (a builtin: no process per turn), so it ends by itself if this process dies
    /// without dropping them.
    pub fn start(n: usize) -> std::io::Result<Hogs> {
        let me = std::process::id();
        let mut children = Vec::with_capacity(n);
        for _ in 0..n {
            let child = Command::new("sh")
                .args(["-c", &format!("while kill -0 {me} 2>/dev/null; do :; done")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            children.push(child);
        }
        Ok(Hogs { children })
    }

    /// Starts [`HOGS`] hogs when the loaded mode is on (and says so), or none.
    pub fn if_enabled() -> Option<Hogs> {
        if !enabled() {
            return None;
        }
        match Hogs::start(HOGS) {
            Ok(hogs) => {
                println!("loaded mode ({ENV}): {HOGS} CPU hogs beside the tests, pids {:?}", hogs.pids());
                Some(hogs)
            }
            Err(e) => panic!("loaded mode ({ENV}): cannot start the CPU hogs: {e}"),
        }
    }

    /// Their process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        for child in &mut self.children {
            // `Child::kill` sends SIGKILL to this child's PID only.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hogs_run_until_dropped() {
        let mut hogs = Hogs::start(2).unwrap();
        assert_eq!(hogs.pids().len(), 2);
        for child in &mut hogs.children {
            assert!(child.try_wait().unwrap().is_none(), "a hog ended by itself");
        }
        let pids = hogs.pids();
        drop(hogs);
        for pid in pids {
            // Reaped: its /proc entry is gone (or belongs to a new process, not a zombie shell of ours).
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            assert!(!status.contains(&format!("PPid:\t{}", std::process::id())), "hog {pid} still runs");
        }
    }
}
