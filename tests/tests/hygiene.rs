//! Hygiene of the code that `#[continuation]` and `call!` generate: it must not depend on
//! the prelude, on the name `call_core`, or on what the user's scope calls `Result`, `Ok`,
//! `Some`, `None`…, and it must not trip lints. Each test runs calls through `LocalStub`,
//! so the expansions are proven to work, not only to compile.

#![deny(warnings, unused_qualifications)]

// Cargo refuses one package under two names in one manifest; this puts call-core in the
// extern prelude as `renamed_call`, as `[dependencies] renamed_call = { package =
// "call-core" }` would. That the expansions never name `call_core` when given another
// path is checked on the tokens, in call-macros' unit tests.
extern crate call_core as renamed_call;

/// The user's scope shadows every prelude name the expansions could use unqualified.
mod shadowed {
    #![allow(dead_code, non_camel_case_types, non_upper_case_globals)]

    use call_core::local::{self, LocalStub};
    use call_core::{call, continuation, CallError, Never};

    struct Result;
    struct Ok;
    struct Err;
    struct Some;
    struct None;
    struct Option;
    struct Vec;
    struct String;
    struct Box;
    struct Future;
    struct Send;
    struct Fn;
    struct FnOnce;
    struct Into;
    struct From;
    struct Default;
    struct Clone;
    struct PhantomData;
    struct Duration;
    // The name of a field of the expansions (their own bindings are `__` names at
    // `Span::mixed_site()`, which the user's locals cannot capture; see `start`).
    const this: u8 = 0;
    mod core {}
    mod std {}
    mod serde {}

    type Outcome = ::core::result::Result<i64, CallError<Never>>;
    type Pair = (Outcome, ::core::result::Result<u8, CallError<Never>>);

    /// A trait in scope, for every type, whose methods are named like those the expansions
    /// call (`join` is why the probe's method is `__call_core_join`): method resolution must
    /// still pick call-core's.
    trait Everything {
        fn join(&self) {}
        fn nested(&self) {}
        fn value(&self) {}
        fn finish(&self) {}
        fn check(&self) {}
    }
    impl<T: ?::core::marker::Sized> Everything for T {}

    pub struct Remote;

    #[continuation]
    impl Remote {
        #[callable]
        pub fn add(&self, a: i64, b: i64) -> i64 {
            a + b
        }

        #[callable]
        pub async fn checked(&self, a: i64) -> ::core::result::Result<i64, ::std::string::String> {
            a.checked_mul(2).ok_or_else(|| ::std::string::String::from("overflow"))
        }

        #[callable]
        pub fn ping(&self) {}

        // Callable methods named like the expansions' own items and the prelude's.
        #[callable]
        pub fn get(&self) -> u8 {
            1
        }

        #[allow(clippy::new_ret_no_self, clippy::wrong_self_convention)]
        #[callable]
        pub fn new(&self) -> u8 {
            2
        }

        #[callable]
        pub fn into(&self) -> u8 {
            3
        }
    }

    #[derive(::core::default::Default)]
    pub struct Controller {
        seen: ::core::cell::RefCell<::std::vec::Vec<(i64, u8, u8)>>,
        pairs: ::core::cell::RefCell<::std::vec::Vec<Pair>>,
    }

    #[continuation]
    impl Controller {
        #[handler]
        pub fn on_sum(&self, tag: u8, sum: Outcome, flag: u8) {
            self.seen.borrow_mut().push((sum.unwrap_or(-1), tag, flag));
        }

        #[handler]
        pub fn on_pair(&self, pair: Pair) {
            self.pairs.borrow_mut().push(pair);
        }
    }

    impl Controller {
        fn start(&self, remote: &LocalStub<Remote>) {
            // The user's own `__call` and `__k0` (names of the expansion's locals) are the
            // ones the arguments see.
            let __call = 40_u8;
            let __k0 = 2_u8;
            call!(remote, Remote::add(20, 22), then self.on_sum(__call + __k0, $result, this));
            // Nested, and a fan-in, next to the user's own `__a0`, `__sig`, `__pipe`, `__c0`.
            let (__a0, __sig, __pipe, __c0) = (1_i64, 2_i64, 3_i64, 4_u8);
            call!(remote, Remote::add(Remote::add(__a0, __sig), __pipe), then self.on_sum(__c0, $result, 5));
            call!(all(remote => Remote::add(Remote::add(__a0, __sig), __pipe), remote => Remote::get()), then self.on_pair($result));
        }
    }

    #[test]
    fn expansions_ignore_shadowed_prelude_names() {
        let remote = LocalStub::new(Remote);
        let controller = LocalStub::new(Controller::default());
        local::block_on(async {
            ::std::assert_eq!(call!(remote, Remote::add(1, 2)).await, ::core::result::Result::Ok(3));
            ::std::assert_eq!(
                call!(&remote, Remote::checked(i64::MAX), timeout = ::core::time::Duration::from_secs(5)).await,
                ::core::result::Result::Err(CallError::App(::std::string::String::from("overflow")))
            );
            ::std::assert_eq!(call!(remote, Remote::ping()).await, ::core::result::Result::Ok(()));
            ::std::assert_eq!(call!(remote, Remote::get()).await, ::core::result::Result::Ok(1));
            ::std::assert_eq!(call!(remote, Remote::new()).await, ::core::result::Result::Ok(2));
            ::std::assert_eq!(call!(remote, Remote::into()).await, ::core::result::Result::Ok(3));
            // Nested, with an error type joined from a fallible inner step.
            ::std::assert_eq!(
                call!(remote, Remote::add(Remote::add(1, 2), i64::from(2_u8))).await,
                ::core::result::Result::Ok(5)
            );
            ::std::assert_eq!(
                call!(remote, Remote::add(Remote::checked(i64::MAX), 1)).await,
                ::core::result::Result::Err(CallError::App(::std::string::String::from("overflow")))
            );
            ::std::assert_eq!(
                call!(all(remote => Remote::add(1, Remote::add(2, 3)), &remote => Remote::get())).await,
                (::core::result::Result::Ok(6), ::core::result::Result::Ok(1))
            );
            controller.target().start(&remote);
            while controller.target().seen.borrow().len() < 2 || controller.target().pairs.borrow().is_empty() {
                local::sleep(::core::time::Duration::from_millis(1)).await;
            }
        });
        let mut seen = controller.target().seen.borrow().clone();
        seen.sort();
        ::std::assert_eq!(seen, [(6, 4, 5), (42, 42, 0)]);
        ::std::assert_eq!(
            *controller.target().pairs.borrow(),
            [(::core::result::Result::Ok(6), ::core::result::Result::Ok(1))]
        );
    }
}

/// No prelude at all: every path in the expansions must be absolute.
mod no_prelude {
    #![no_implicit_prelude]

    pub struct Remote;

    #[::call_core::continuation]
    impl Remote {
        #[callable]
        pub fn add(&self, a: i64, b: i64) -> i64 {
            a + b
        }

        #[callable]
        pub async fn halve(&self, n: u32) -> ::core::result::Result<u32, ::std::string::String> {
            if n.is_multiple_of(2) {
                ::core::result::Result::Ok(n / 2)
            } else {
                ::core::result::Result::Err(::std::format!("{n} is odd"))
            }
        }

        #[callable]
        pub fn ping(&self) {}
    }

    pub struct Controller {
        got: ::core::cell::Cell<::core::option::Option<i64>>,
        pair: ::core::cell::Cell<::core::option::Option<i64>>,
    }

    type Unit = ::core::result::Result<(), ::call_core::CallError<::call_core::Never>>;

    #[::call_core::continuation]
    impl Controller {
        #[handler]
        pub fn on_pair(&self, pair: (::core::result::Result<i64, ::call_core::CallError<::call_core::Never>>, Unit)) {
            if let (::core::result::Result::Ok(sum), ::core::result::Result::Ok(())) = pair {
                self.pair.set(::core::option::Option::Some(sum));
            }
        }

        #[handler]
        pub async fn on_sum(
            &self,
            sum: ::core::result::Result<i64, ::call_core::CallError<::call_core::Never>>,
            offset: i64,
        ) -> ::core::result::Result<(), ::std::string::String> {
            let sum = sum.map_err(|e| ::std::format!("{e:?}"))?;
            self.got.set(::core::option::Option::Some(sum + offset));
            ::core::result::Result::Ok(())
        }
    }

    impl Controller {
        fn start(&self, remote: &::call_core::local::LocalStub<Remote>) -> ::call_core::CallHandle {
            ::call_core::call!(remote, Remote::add(1, 2), then self.on_sum($result, 100))
        }

        fn start_nested(&self, remote: &::call_core::local::LocalStub<Remote>) -> ::call_core::CallHandle {
            ::call_core::call!(remote, Remote::add(Remote::add(1, 2), 3), then self.on_sum($result, 1000))
        }

        fn start_fan_in(&self, remote: &::call_core::local::LocalStub<Remote>) -> ::call_core::CallHandle {
            ::call_core::call!(
                all(remote => Remote::add(Remote::add(1, 2), 3), remote => Remote::ping()),
                then self.on_pair($result)
            )
        }
    }

    #[test]
    fn expansions_need_no_prelude() {
        let remote = ::call_core::local::LocalStub::new(Remote);
        let controller = ::call_core::local::LocalStub::new(Controller {
            got: ::core::cell::Cell::new(::core::option::Option::None),
            pair: ::core::cell::Cell::new(::core::option::Option::None),
        });
        ::call_core::local::block_on(async {
            ::std::assert_eq!(::call_core::call!(remote, Remote::add(2, 3)).await, ::core::result::Result::Ok(5));
            ::std::assert_eq!(::call_core::call!(remote, Remote::halve(8)).await, ::core::result::Result::Ok(4));
            ::std::assert_eq!(
                ::call_core::call!(remote, Remote::halve(3)).await,
                ::core::result::Result::Err(::call_core::CallError::App(::std::string::ToString::to_string(
                    "3 is odd"
                )))
            );
            ::std::assert_eq!(::call_core::call!(remote, Remote::ping()).await, ::core::result::Result::Ok(()));
            ::std::assert_eq!(
                ::call_core::call!(remote, Remote::add(Remote::add(1, 2), 3)).await,
                ::core::result::Result::Ok(6)
            );
            ::std::assert_eq!(
                ::call_core::call!(all(remote => Remote::halve(3), remote => Remote::add(Remote::add(1, 1), 1))).await,
                (
                    ::core::result::Result::Err(::call_core::CallError::App(::std::string::ToString::to_string(
                        "3 is odd"
                    ))),
                    ::core::result::Result::Ok(3)
                )
            );
            let handle = controller.target().start(&remote);
            while !handle.is_finished() || controller.target().got.get().is_none() {
                ::call_core::local::sleep(::core::time::Duration::from_millis(1)).await;
            }
            let nested = controller.target().start_nested(&remote);
            let fan_in = controller.target().start_fan_in(&remote);
            while !nested.is_finished() || !fan_in.is_finished() {
                ::call_core::local::sleep(::core::time::Duration::from_millis(1)).await;
            }
        });
        ::std::assert_eq!(controller.target().got.get(), ::core::option::Option::Some(1006));
        ::std::assert_eq!(controller.target().pair.get(), ::core::option::Option::Some(6));
    }
}

/// call-core under another name.
mod renamed {
    use renamed_call::local::{self, LocalStub};
    use renamed_call::{CallError, Never};

    pub struct Remote;

    #[renamed_call::continuation(crate = ::renamed_call)]
    impl Remote {
        #[callable]
        pub fn echo(&self, s: String) -> String {
            s
        }
    }

    #[derive(Default)]
    pub struct Controller {
        got: std::cell::RefCell<Option<String>>,
    }

    #[renamed_call::continuation(crate = ::renamed_call)]
    impl Controller {
        #[handler]
        pub fn on_echo(&self, echoed: Result<String, CallError<Never>>) {
            *self.got.borrow_mut() = echoed.ok();
        }

        #[handler]
        pub fn on_both(&self, both: (Result<String, CallError<Never>>, Result<String, CallError<Never>>)) {
            if let (Ok(a), Ok(b)) = both {
                *self.got.borrow_mut() = Some(a + &b);
            }
        }
    }

    impl Controller {
        fn start(&self, remote: &LocalStub<Remote>) {
            renamed_call::call!(remote, Remote::echo("later".into()), then self.on_echo($result));
        }

        fn start_nested(&self, remote: &LocalStub<Remote>) {
            renamed_call::call!(remote, Remote::echo(Remote::echo("nested".into())), then self.on_echo($result));
            renamed_call::call!(
                all(remote => Remote::echo(Remote::echo("a".into())), remote => Remote::echo("b".into())),
                then self.on_both($result)
            );
        }
    }

    #[test]
    fn expansions_use_the_given_crate_path() {
        let remote = LocalStub::new(Remote);
        let controller = LocalStub::new(Controller::default());
        local::block_on(async {
            assert_eq!(renamed_call::call!(remote, Remote::echo("now".into())).await, Ok("now".to_string()));
            controller.target().start(&remote);
            while controller.target().got.borrow().is_none() {
                local::sleep(std::time::Duration::from_millis(1)).await;
            }
        });
        assert_eq!(controller.target().got.borrow().as_deref(), Some("later"));
        local::block_on(async {
            assert_eq!(
                renamed_call::call!(remote, Remote::echo(Remote::echo("now".into()))).await,
                Ok("now".to_string())
            );
            *controller.target().got.borrow_mut() = None;
            controller.target().start_nested(&remote);
            while controller.target().got.borrow().as_deref() != Some("ab") {
                local::sleep(std::time::Duration::from_millis(1)).await;
            }
        });
    }
}

/// `#[remote]` under a renamed crate, with the prelude's names shadowed: it expands, its
/// calls build the plain call by name, and the in-process transport refuses them (it
/// reaches only `#[continuation]` objects).
mod remote_declaration {
    #![allow(dead_code, non_camel_case_types)]

    use renamed_call::local::{self, LocalStub};
    use renamed_call::{call, CallError};

    struct Result;
    struct Ok;
    struct Some;
    struct None;
    struct Option;
    struct String;
    struct Vec;
    mod core {}
    mod std {}
    mod serde {}

    /// A JavaScript class.
    #[renamed_call::remote(crate = ::renamed_call)]
    trait JsThing {
        fn add(&self, a: i64, b: &str) -> i64;
        #[js_name = "noneAtAll"]
        fn none(&self);
    }

    pub struct Rust;

    #[renamed_call::continuation(crate = ::renamed_call)]
    impl Rust {
        #[callable]
        fn get(&self) -> u8 {
            1
        }
    }

    #[test]
    fn remote_expands_under_a_renamed_crate_without_the_prelude() {
        use renamed_call::__private::Continuation;
        let built = <JsThing as Continuation>::CALLS.add(1, "x");
        let step = &built.plan().unwrap().steps[0];
        assert_eq!((&*step.method, &*step.args), ("JsThing::add", r#"[1,"x"]"#));
        let stub = LocalStub::new(Rust);
        let refused: ::core::result::Result<(), CallError> =
            local::block_on(async { call!(stub, JsThing::none()).await });
        assert!(matches!(refused, ::core::result::Result::Err(CallError::Transport(_))), "{refused:?}");
    }
}
