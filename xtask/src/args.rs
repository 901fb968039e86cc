//! The options of xtask's commands: `--flag`, `--name value` and `--name a,b` lists;
//! an unknown option, or one without its value, is an error that shows the command's help.

use std::str::FromStr;

use crate::{bail, Result};

/// A command's parsed options.
#[derive(Debug)]
pub struct Args {
    given: Vec<(String, Option<String>)>,
}

impl Args {
    /// Parses `args`: each of `flags` stands alone, each of `valued` takes the next
    /// argument; `help` is shown with an error.
    pub fn parse(args: &[String], flags: &[&str], valued: &[&str], help: &str) -> Result<Args> {
        let mut given = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if valued.contains(&arg.as_str()) {
                let Some(value) = args.next() else { bail!("{arg} needs a value\n\n{help}") };
                given.push((arg.clone(), Some(value.clone())));
            } else if flags.contains(&arg.as_str()) {
                given.push((arg.clone(), None));
            } else {
                bail!("unknown option `{arg}`\n\n{help}");
            }
        }
        Ok(Args { given })
    }

    /// Whether `name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.given.iter().any(|(n, _)| n == name)
    }

    /// The text given for `name` (the last one, if several).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.given.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }

    /// The value of `name`, parsed.
    pub fn value<T: FromStr>(&self, name: &str) -> Result<Option<T>> {
        self.text(name).map(|v| v.parse().map_err(|_| crate::Error(format!("bad {name} {v:?}")))).transpose()
    }

    /// The number given for `name`, which must be above zero.
    pub fn count<T: FromStr + PartialOrd + Default>(&self, name: &str) -> Result<Option<T>> {
        match self.value::<T>(name)? {
            Some(x) if x <= T::default() => bail!("{name} must be above zero, got {:?}", self.text(name).unwrap_or("")),
            x => Ok(x),
        }
    }

    /// The items of a comma-separated list given for `name`, each parsed (numbers above
    /// zero); `None` when not given, an error when empty.
    pub fn list<T: FromStr + PartialOrd + Default>(&self, name: &str) -> Result<Option<Vec<T>>> {
        let Some(text) = self.text(name) else { return Ok(None) };
        let parse = |s: &str| s.parse().ok().filter(|x| *x > T::default());
        let items: Option<Vec<T>> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(parse).collect();
        match items {
            Some(items) if !items.is_empty() => Ok(Some(items)),
            _ => bail!("{name} wants a list of values (numbers above zero), got {text:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let a = Args::parse(&args("--x --n 1,2 --k 3 --s a,b"), &["--x", "--y"], &["--n", "--k", "--s"], "").unwrap();
        assert!(a.flag("--x") && !a.flag("--y"));
        assert_eq!(a.list::<u32>("--n").unwrap(), Some(vec![1, 2]));
        assert_eq!(a.list::<String>("--s").unwrap(), Some(vec!["a".into(), "b".into()]));
        assert_eq!((a.count::<u32>("--k").unwrap(), a.value::<u32>("--z").unwrap()), (Some(3), None));
        assert!(Args::parse(&args("--n"), &[], &["--n"], "").is_err());
        assert!(Args::parse(&args("--bogus"), &[], &[], "").is_err());
        let bad = Args::parse(&args("--n 0 --k x --s ,"), &[], &["--n", "--k", "--s"], "").unwrap();
        assert!(bad.list::<u32>("--n").is_err() && bad.count::<u32>("--k").is_err());
        assert!(bad.list::<String>("--s").is_err());
    }
}
