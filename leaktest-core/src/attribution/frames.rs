//! Frames of a DHAT profile: parsing dhat's frame text, and telling the test's
//! own code from the standard library, tokio, leaktest and the allocator.

use crate::model::SiteFrame;

/// Crates whose frames an allocation site leaves out: the standard library
/// (and `hashbrown`, behind its `HashMap`), tokio, leaktest, and the stack
/// recording of dhat itself. A frame belongs to the crate of the type or
/// function it is in (see [`owning_crate`]).
const INTERNAL_CRATES: [&str; 12] = [
    "std",
    "core",
    "alloc",
    "hashbrown",
    "std_detect",
    "panic_unwind",
    "tokio",
    "leaktest_core",
    "dhat",
    "backtrace",
    "mintex",
    "__rustc",
];

/// The standard library's crates, whose frames say least about who allocated.
const STANDARD_LIBRARY: [&str; 4] = ["std", "core", "alloc", "hashbrown"];

/// The function `#[leak_test]` generates to call the test: frames from it on
/// outwards are leaktest's plumbing.
const GENERATED_RUNNER: &str = "__leaktest_run";

/// One frame of a DHAT profile, parsed from dhat's text
/// `0x5581d2e4c1f0: my_crate::parse (src/parse.rs:42:17)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProfileFrame {
    /// The function, demangled (`???` when dhat could not name it).
    pub function: String,
    /// The source file, when the binary has line tables.
    pub file: Option<String>,
    /// The line in `file`.
    pub line: Option<u32>,
}

impl ProfileFrame {
    /// Parses one entry of a profile's frame table. dhat writes
    /// `{address}: {function} ({file}:{line}:{column})`, with `???` for an
    /// unknown file and 0 for an unknown line. The location is the last
    /// parenthesised part, so that a function whose name holds ` (` (an impl
    /// for a tuple) keeps it. Text of another shape is kept whole as the
    /// function (DHAT's `[root]` frame, for one).
    pub fn parse(text: &str) -> ProfileFrame {
        let unparsed = || ProfileFrame {
            function: text.to_owned(),
            file: None,
            line: None,
        };
        let Some((_address, rest)) = text.split_once(": ") else {
            return unparsed();
        };
        let Some((function, location)) = rest
            .strip_suffix(')')
            .and_then(|rest| rest.rsplit_once(" ("))
        else {
            return ProfileFrame {
                function: rest.to_owned(),
                file: None,
                line: None,
            };
        };
        let mut parts = location.rsplitn(3, ':');
        let (Some(_column), Some(line), Some(file)) = (parts.next(), parts.next(), parts.next())
        else {
            return ProfileFrame {
                function: function.to_owned(),
                file: None,
                line: None,
            };
        };
        ProfileFrame {
            function: function.to_owned(),
            file: (file != "???" && !file.is_empty()).then(|| file.to_owned()),
            line: line.parse().ok().filter(|&line| line > 0),
        }
    }

    /// Whether the frame is left out of allocation sites: a function of the
    /// standard library, tokio, leaktest or dhat, or one without a crate path
    /// (C functions such as `start_thread`, and `???`).
    pub fn is_internal(&self) -> bool {
        self.is_generated_runner()
            || owning_crate(&self.function).is_none_or(|krate| INTERNAL_CRATES.contains(&krate))
    }

    /// Whether the frame is the standard library's (its collections included).
    pub fn is_standard_library(&self) -> bool {
        owning_crate(&self.function).is_some_and(|krate| STANDARD_LIBRARY.contains(&krate))
    }

    /// Whether the frame is the runner `#[leak_test]` generated, below which
    /// everything is leaktest's.
    pub fn is_generated_runner(&self) -> bool {
        self.function.contains(GENERATED_RUNNER)
    }

    /// Whether the frame is the allocator itself: the global allocator's
    /// entry points, leaktest's counting allocator, dhat's recording.
    pub fn is_allocator(&self) -> bool {
        let function = self.function.as_str();
        function.starts_with("alloc::alloc::")
            || function.starts_with("<alloc::alloc::")
            || function.starts_with("__rg_")
            || function.starts_with("__rust_")
            || function.starts_with("__rustc::")
            || function.starts_with("__rdl_")
            || function.starts_with("leaktest_core::alloc::")
            || function.starts_with("<leaktest_core::alloc::")
            || function.starts_with("dhat::")
            || function.starts_with("<dhat::")
            || function.starts_with("backtrace::")
    }

    /// Whether the frame is a reallocating entry point of an allocator
    /// (`GlobalAlloc::realloc`, `__rust_realloc`, or `Allocator::grow` and
    /// `shrink`, which call it, when dhat's backtrace starts there): a
    /// backtrace through it grew or shrank an existing block.
    pub fn is_reallocation(&self) -> bool {
        let function = self.function.as_str();
        self.is_allocator()
            && [
                "::realloc",
                "_realloc",
                "Allocator>::grow",
                "Allocator>::grow_zeroed",
                "Allocator>::shrink",
            ]
            .iter()
            .any(|ending| function.ends_with(ending))
    }

    /// The frame as an allocation site shows it.
    pub fn to_site_frame(&self) -> SiteFrame {
        SiteFrame::new(self.function.clone(), self.file.clone(), self.line)
    }
}

/// The crate a demangled function belongs to: the first path segment, or for
/// a trait method `<Type as Trait>::method` the crate of `Type` (of `Trait`
/// when `Type` is a generic parameter or a primitive such as `str` or `[T]`).
/// `None` for a name without a path (a C function, `???`).
///
/// ```text
/// my_crate::cache::Cache::insert                     -> my_crate
/// <alloc::vec::Vec<T> as core::clone::Clone>::clone  -> alloc
/// <T as alloc::string::ToString>::to_string          -> alloc
/// <my_crate::Id as core::fmt::Display>::fmt          -> my_crate
/// core::ops::function::impls::<impl ...>::call_once  -> core
/// start_thread                                       -> None
/// ```
pub(crate) fn owning_crate(function: &str) -> Option<&str> {
    match function.strip_prefix('<') {
        Some(qualified) => {
            let (self_type, trait_path) = split_qualified(qualified);
            crate_of_path(self_type).or_else(|| trait_path.and_then(crate_of_path))
        }
        None => crate_of_path(function),
    }
}

/// Splits the inside of `<Type as Trait>::...` (after the `<`) into the type
/// and the trait, at the ` as ` outside any nested angle brackets.
fn split_qualified(qualified: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    for (index, character) in qualified.char_indices() {
        match character {
            '<' => depth += 1,
            '>' if depth == 0 => return (&qualified[..index], None),
            '>' => depth -= 1,
            ' ' if depth == 0 && qualified[index..].starts_with(" as ") => {
                return (&qualified[..index], Some(&qualified[index + 4..]));
            }
            _ => {}
        }
    }
    (qualified, None)
}

/// The first segment of a path such as `my_crate::module::Type<T>`, after
/// references, pointers and `dyn`; `None` when it has no `::` (a generic
/// parameter, a primitive, a slice, a C function).
fn crate_of_path(path: &str) -> Option<&str> {
    let mut path = path.trim_start();
    for prefix in ["&mut ", "&", "*const ", "*mut ", "dyn ", "impl "] {
        if let Some(rest) = path.strip_prefix(prefix) {
            path = rest.trim_start();
        }
    }
    let (first, _) = path.split_once("::")?;
    let is_identifier = !first.is_empty()
        && first
            .chars()
            .all(|character| character.is_alphanumeric() || character == '_');
    is_identifier.then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_parsed_from_dhat_text() {
        let frame = ProfileFrame::parse(
            "0x55d2e4c1f0a8: my_crate::cache::Cache::insert (src/cache.rs:42:17)",
        );
        assert_eq!(frame.function, "my_crate::cache::Cache::insert");
        assert_eq!(frame.file.as_deref(), Some("src/cache.rs"));
        assert_eq!(frame.line, Some(42));
    }

    #[test]
    fn an_unknown_location_has_no_file_or_line() {
        let frame = ProfileFrame::parse("0x7f3a: start_thread (???:0:0)");
        assert_eq!(frame.function, "start_thread");
        assert_eq!(frame.file, None);
        assert_eq!(frame.line, None);
        assert_eq!(ProfileFrame::parse("[root]").function, "[root]");
    }

    #[test]
    fn names_with_parentheses_and_paths_with_colons_keep_their_parts() {
        let frame = ProfileFrame::parse(
            "0x1: <my_crate::Pair as my_crate::Swap>::swap::<impl Foo for (A, B)> (C:/src/pair.rs:9:1)",
        );
        assert_eq!(
            frame.function,
            "<my_crate::Pair as my_crate::Swap>::swap::<impl Foo for (A, B)>"
        );
        assert_eq!(frame.file.as_deref(), Some("C:/src/pair.rs"));
        assert_eq!(frame.line, Some(9));
    }

    #[test]
    fn frames_belong_to_the_crate_of_their_type() {
        let cases = [
            ("my_crate::cache::Cache::insert", Some("my_crate")),
            ("my_crate::run::{{closure}}", Some("my_crate")),
            ("<alloc::vec::Vec<T> as core::clone::Clone>::clone", Some("alloc")),
            ("<T as alloc::string::ToString>::to_string", Some("alloc")),
            ("<&T as core::fmt::Display>::fmt", Some("core")),
            ("<[T] as alloc::slice::hack::ConvertVec>::to_vec", Some("alloc")),
            ("<my_crate::Id as core::fmt::Display>::fmt", Some("my_crate")),
            (
                "<alloc::boxed::Box<dyn my_crate::Job> as core::ops::Drop>::drop",
                Some("alloc"),
            ),
            (
                "core::ops::function::impls::<impl core::ops::function::FnOnce<A> for &F>::call_once",
                Some("core"),
            ),
            ("start_thread", None),
            ("???", None),
        ];
        for (function, expected) in cases {
            assert_eq!(owning_crate(function), expected, "{function}");
        }
    }

    #[test]
    fn the_standard_library_tokio_leaktest_and_c_are_internal() {
        let internal = |function: &str| {
            ProfileFrame::parse(&format!("0x1: {function} (a.rs:1:1)")).is_internal()
        };
        assert!(internal("std::thread::Builder::spawn"));
        assert!(internal("hashbrown::raw::RawTable<T,A>::reserve_rehash"));
        assert!(internal("tokio::runtime::task::spawn"));
        assert!(internal("leaktest_core::driver::Driver::measure"));
        assert!(internal("leaks::_::__leaktest_run::{{closure}}"));
        assert!(internal("clone3"));
        assert!(!internal("leaks::closed_ids_unpruned_leaks"));
        assert!(!internal("serde_json::de::from_str"));
        assert!(!internal("<my_crate::Id as core::fmt::Display>::fmt"));
    }

    #[test]
    fn allocator_frames_are_recognised() {
        let allocator = |function: &str| {
            ProfileFrame::parse(&format!("0x1: {function} (a.rs:1:1)")).is_allocator()
        };
        assert!(allocator(
            "<alloc::alloc::Global as core::alloc::Allocator>::allocate"
        ));
        assert!(allocator("alloc::alloc::exchange_malloc"));
        assert!(allocator(
            "<leaktest_core::alloc::CountingAlloc<A> as core::alloc::global::GlobalAlloc>::alloc"
        ));
        assert!(allocator("__rust_alloc"));
        assert!(allocator("__rustc::__rust_alloc"));
        assert!(!allocator("alloc::raw_vec::RawVecInner<A>::finish_grow"));
        assert!(!allocator("my_crate::alloc::pool"));
    }
}
