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
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use crate::dispatch::{serve, Dispatch, LocalBoxFuture};
use crate::error::{CallError, Never};
use crate::rt;
use crate::timer::Sleep;
use crate::transport::Transport;

thread_local! {
    static HOSTED: RefCell<HashSet<usize>> = RefCell::default();
}

/// Whether `ptr` is an object hosted by a [`LocalStub`] on this thread.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn is_hosted(ptr: *const ()) -> bool {
    HOSTED.with(|h| h.borrow().contains(&(ptr as usize)))
}

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
/// The callee is leaked on purpose: like a Durable Object, it stays at one address for the
/// rest of the program, so it may also be the receiver of `then` continuations.
pub struct LocalStub<T: 'static> {
    target: &'static T,
    fault: std::rc::Rc<RefCell<Option<Fault>>>,
}

impl<T> Clone for LocalStub<T> {
    fn clone(&self) -> Self {
        LocalStub { target: self.target, fault: self.fault.clone() }
    }
}

impl<T> std::fmt::Debug for LocalStub<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStub").field("target", &(self.target as *const T)).finish()
    }
}

impl<T: Dispatch> LocalStub<T> {
    /// Hosts `target` for the rest of the program and returns a stub for it.
    pub fn new(target: T) -> Self {
        let target: &'static T = Box::leak(Box::new(target));
        HOSTED.with(|h| h.borrow_mut().insert(target as *const T as *const () as usize));
        LocalStub { target, fault: Default::default() }
    }

    /// The hosted object.
    pub fn target(&self) -> &'static T {
        self.target
    }

    /// Applies `fault` to every later delivery through this stub and its clones
    /// (`None` delivers normally again).
    pub fn inject(&self, fault: Option<Fault>) {
        *self.fault.borrow_mut() = fault;
    }

    /// Answers a raw envelope exactly as the `__call` entry in workerd does.
    pub async fn serve_raw(&self, envelope: &str) -> String {
        serve(self.target, envelope, rt::now_ms()).reply().await
    }
}

impl<T: Dispatch> Transport for LocalStub<T> {
    type Reply = LocalBoxFuture<'static, Result<String, CallError<Never>>>;

    fn send(&self, envelope: &str) -> Self::Reply {
        let target = self.target;
        let fault = self.fault.borrow().clone();
        let envelope = envelope.to_owned();
        Box::pin(async move {
            match &fault {
                Some(Fault::Delay(d)) => Sleep::until(rt::now_ms() + d.as_millis() as u64).await,
                Some(Fault::Drop) => std::future::pending::<()>().await,
                Some(Fault::Transport(m)) => return Err(CallError::Transport(m.clone())),
                Some(Fault::TruncateReply) | None => {}
            }
            let reply = serve(target, &envelope, rt::now_ms()).reply().await;
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
    Sleep::until(rt::now_ms() + duration.as_millis() as u64)
}

#[cfg(not(target_arch = "wasm32"))]
pub use executor::block_on;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use executor::spawn;

#[cfg(not(target_arch = "wasm32"))]
mod executor {
    use std::cell::Cell;
    use std::collections::{HashMap, VecDeque};
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Wake, Waker};

    use super::*;

    type Task = Pin<Box<dyn Future<Output = ()>>>;

    const MAIN: usize = usize::MAX;

    #[derive(Default)]
    struct Executor {
        tasks: HashMap<usize, Task>,
        next_id: usize,
    }

    thread_local! {
        static EXECUTOR: RefCell<Executor> = RefCell::default();
        static READY: Arc<ReadyQueue> = Arc::default();
        static RUNNING: Cell<bool> = const { Cell::new(false) };
    }

    #[derive(Default)]
    struct ReadyQueue(Mutex<VecDeque<usize>>);

    impl ReadyQueue {
        fn push(&self, id: usize) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push_back(id);
        }

        fn pop(&self) -> Option<usize> {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
        }
    }

    struct TaskWaker {
        id: usize,
        ready: Arc<ReadyQueue>,
    }

    impl Wake for TaskWaker {
        fn wake(self: Arc<Self>) {
            self.ready.push(self.id);
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.ready.push(self.id);
        }
    }

    fn waker(id: usize) -> Waker {
        Waker::from(Arc::new(TaskWaker { id, ready: READY.with(Arc::clone) }))
    }

    /// Spawns a task on this thread's executor; it runs inside [`block_on`].
    pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) {
        let id = EXECUTOR.with(|e| {
            let mut e = e.borrow_mut();
            let id = e.next_id;
            e.next_id += 1;
            e.tasks.insert(id, Box::pin(task));
            id
        });
        READY.with(|r| r.push(id));
    }

    /// Runs `future` to completion on this thread, together with the tasks that calls and
    /// continuations spawn (tasks still pending when it returns go on at the next
    /// `block_on`). When nothing is ready it sleeps until the next deadline.
    ///
    /// # Panics
    /// When `future` can never finish (nothing is ready and no deadline is pending), and
    /// when called from inside another `block_on`.
    pub fn block_on<F: Future>(future: F) -> F::Output {
        assert!(!RUNNING.with(|r| r.replace(true)), "call_core::local::block_on cannot be nested");
        struct Running;
        impl Drop for Running {
            fn drop(&mut self) {
                RUNNING.with(|r| r.set(false));
            }
        }
        let _running = Running;
        let mut future = std::pin::pin!(future);
        let main_waker = waker(MAIN);
        let ready = READY.with(Arc::clone);
        ready.push(MAIN);
        loop {
            match ready.pop() {
                Some(MAIN) => {
                    if let Poll::Ready(out) = future.as_mut().poll(&mut Context::from_waker(&main_waker)) {
                        return out;
                    }
                }
                Some(id) => {
                    let Some(mut task) = EXECUTOR.with(|e| e.borrow_mut().tasks.remove(&id)) else { continue };
                    if task.as_mut().poll(&mut Context::from_waker(&waker(id))).is_pending() {
                        EXECUTOR.with(|e| e.borrow_mut().tasks.insert(id, task));
                    }
                }
                None => match crate::timer::next_deadline() {
                    Some(deadline) => {
                        let wait = deadline.saturating_sub(rt::now_ms());
                        if wait > 0 {
                            std::thread::sleep(Duration::from_millis(wait));
                        }
                        crate::timer::fire();
                    }
                    None => panic!(
                        "call_core::local::block_on: the future can never finish (no task is \
                         ready and no deadline is pending)"
                    ),
                },
            }
        }
    }
}
