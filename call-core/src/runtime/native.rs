//! The native executor: runs tasks on one thread, like an isolate's event loop, and sleeps
//! until the next deadline when nothing is ready. Natively, the caller and callee of
//! [`LocalStub`](crate::local::LocalStub) share it; it is what `call_core::local::block_on`
//! is.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use super::{now_ms, timer};

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
            None => match timer::next_deadline() {
                Some(deadline) => {
                    let wait = deadline.saturating_sub(now_ms());
                    if wait > 0 {
                        std::thread::sleep(Duration::from_millis(wait));
                    }
                    timer::fire_due();
                }
                None => panic!(
                    "call_core::local::block_on: the future can never finish (no task is \
                     ready and no deadline is pending)"
                ),
            },
        }
    }
}
