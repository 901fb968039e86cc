//! The in-process transport: the same executor and callee code as in workerd, without a
//! network. Native tests (and fuzzing) run plans through it, with injected faults.
//!
//! ```
//! use call_core::{call, continuation, local::{self, LocalStub}};
//!
//! pub struct Adder;
//!
//! #[continuation]
//! impl Adder {
//!     #[callable]
//!     pub fn add(&self, a: i64, b: i64) -> i64 {
//!         a + b
//!     }
//! }
//!
//! let adder = LocalStub::new(Adder);
//! let sum = local::block_on(async { call!(adder, Adder::add(1, 2)).await });
//! assert_eq!(sum, Ok(3));
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use crate::caller::deadline_after;
use crate::dispatch::{serve, Callee};
use crate::error::{CallError, Never};
use crate::runtime::{now_ms, Deadline, LocalBoxFuture};
use crate::transport::Transport;

/// A fault injected into a [`LocalStub`]'s deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Deliver after this delay.
    Delay(Duration),
    /// Never deliver (the caller's timeout or cancellation decides).
    Drop,
    /// Fail as a broken transport with this message.
    Transport(String),
    /// Deliver only the first half of the reply.
    TruncateReply,
}

/// A stub whose callee lives in this process: `send` runs the callee's `__call` code
/// ([`serve`]) directly.
///
/// The stub owns its object (an `Rc`, shared by its clones) and binds it, so the object may
/// also be the receiver of `then` continuations; a pending continuation does not keep it
/// alive.
pub struct LocalStub<T: 'static> {
    target: Rc<T>,
    fault: Rc<RefCell<Option<Fault>>>,
}

impl<T> Clone for LocalStub<T> {
    fn clone(&self) -> Self {
        LocalStub { target: self.target.clone(), fault: self.fault.clone() }
    }
}

impl<T> std::fmt::Debug for LocalStub<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStub").field("target", &Rc::as_ptr(&self.target)).finish()
    }
}

impl<T: Callee> LocalStub<T> {
    /// Hosts `target` and returns a stub for it.
    pub fn new(target: T) -> Self {
        let target = Rc::new(target);
        #[cfg(not(target_arch = "wasm32"))]
        crate::home::bind_local(&target);
        LocalStub { target, fault: Default::default() }
    }

    /// The hosted object.
    pub fn target(&self) -> &T {
        &self.target
    }

    /// Applies `fault` to every later delivery through this stub and its clones
    /// (`None` delivers normally again).
    pub fn inject(&self, fault: Option<Fault>) {
        *self.fault.borrow_mut() = fault;
    }

    /// Answers a raw envelope exactly as the `__call` entry in workerd does.
    pub async fn serve_raw(&self, envelope: &str) -> String {
        serve(&*self.target, envelope, now_ms()).await
    }
}

impl<T: Callee> Transport for LocalStub<T> {
    type Reply = LocalBoxFuture<'static, Result<String, CallError<Never>>>;

    fn send(&self, envelope: &str) -> Self::Reply {
        let target = self.target.clone();
        let fault = self.fault.borrow().clone();
        let envelope = envelope.to_owned();
        Box::pin(async move {
            match &fault {
                Some(Fault::Delay(d)) => Deadline::at(deadline_after(now_ms(), *d)).await,
                Some(Fault::Drop) => std::future::pending::<()>().await,
                Some(Fault::Transport(m)) => return Err(CallError::Transport(m.clone())),
                Some(Fault::TruncateReply) | None => {}
            }
            let reply = serve(&*target, &envelope, now_ms()).await;
            if fault == Some(Fault::TruncateReply) {
                let mut end = reply.len() / 2;
                while !reply.is_char_boundary(end) {
                    end -= 1;
                }
                return Ok(reply[..end].to_owned());
            }
            Ok(reply)
        })
    }
}

/// A future that is ready after `duration` (for slow callees in tests).
pub fn sleep(duration: Duration) -> impl Future<Output = ()> {
    Deadline::at(deadline_after(now_ms(), duration))
}

#[cfg(not(target_arch = "wasm32"))]
pub use crate::runtime::native::block_on;
