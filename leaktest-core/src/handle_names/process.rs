//! Threads and child processes as `/proc` describes them: a thread's `comm`,
//! a process's `stat` line and NUL-separated `cmdline`, a `children` list.

/// Longest command line shown, in characters; longer ones end in `...`.
pub const COMMAND_LINE_MAX_CHARS: usize = 120;

/// The process ids of a `/proc/self/task/<tid>/children` text (separated by spaces).
pub fn parse_pid_list(text: &str) -> Vec<u32> {
    text.split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .collect()
}

/// The name in a `comm` file (at most 15 bytes, newline-terminated).
pub fn thread_name(comm: &[u8]) -> String {
    let name = comm.strip_suffix(b"\n").unwrap_or(comm);
    String::from_utf8_lossy(name).into_owned()
}

/// The command name and state letter of a `/proc/<pid>/stat` line: the name
/// is in parentheses and may itself hold spaces and parentheses, so it ends
/// at the last `)`; the state follows it.
pub fn parse_stat_name_and_state(stat: &[u8]) -> Option<(String, char)> {
    let open = stat.iter().position(|&byte| byte == b'(')?;
    let close = stat.iter().rposition(|&byte| byte == b')')?;
    let name = stat.get(open + 1..close)?;
    let state = stat
        .get(close + 1..)?
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())?;
    Some((
        String::from_utf8_lossy(name).into_owned(),
        char::from(*state),
    ))
}

/// A `cmdline` (arguments separated and ended by NUL) as one line: arguments
/// joined by spaces, those holding a space or nothing in single quotes, cut to
/// [`COMMAND_LINE_MAX_CHARS`]. `None` when it is empty, as for a zombie.
pub fn command_line(cmdline: &[u8]) -> Option<String> {
    let cmdline = cmdline.strip_suffix(b"\0").unwrap_or(cmdline);
    if cmdline.is_empty() {
        return None;
    }
    let arguments: Vec<String> = cmdline
        .split(|&byte| byte == 0)
        .map(|argument| {
            let argument = String::from_utf8_lossy(argument);
            if argument.is_empty() || argument.contains(char::is_whitespace) {
                format!("'{argument}'")
            } else {
                argument.into_owned()
            }
        })
        .collect();
    Some(truncate_chars(&arguments.join(" "), COMMAND_LINE_MAX_CHARS))
}

fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_lists_are_space_separated_pids() {
        assert_eq!(parse_pid_list("4242 4250 "), vec![4242, 4250]);
        assert_eq!(parse_pid_list(""), Vec::<u32>::new());
        assert_eq!(parse_pid_list("12 x 13"), vec![12, 13]);
    }

    #[test]
    fn thread_names_lose_their_newline() {
        assert_eq!(thread_name(b"config-watcher\n"), "config-watcher");
        assert_eq!(thread_name(b"tokio-runtime-w\n"), "tokio-runtime-w");
        assert_eq!(thread_name(b""), "");
    }

    #[test]
    fn stat_gives_name_and_state_even_with_parentheses_in_the_name() {
        assert_eq!(
            parse_stat_name_and_state(b"4242 (sleep) Z 4200 4242 4200 0 -1 4194564"),
            Some(("sleep".to_owned(), 'Z'))
        );
        assert_eq!(
            parse_stat_name_and_state(b"4242 (my (odd) name) S 1 4242"),
            Some(("my (odd) name".to_owned(), 'S'))
        );
        assert_eq!(parse_stat_name_and_state(b"4242 (sleep)"), None);
        assert_eq!(parse_stat_name_and_state(b"garbage"), None);
    }

    #[test]
    fn command_lines_join_arguments_and_quote_those_with_spaces() {
        assert_eq!(
            command_line(b"sleep\x004321.5\x00").as_deref(),
            Some("sleep 4321.5")
        );
        assert_eq!(
            command_line(b"sh\x00-c\x00echo hi; sleep 9\x00\x00").as_deref(),
            Some("sh -c 'echo hi; sleep 9' ''")
        );
        assert_eq!(command_line(b""), None, "a zombie has no command line");
    }

    #[test]
    fn long_command_lines_are_cut() {
        let long = format!("prog\0{}\0", "x".repeat(500));
        let shown = command_line(long.as_bytes()).expect("a command line");
        assert_eq!(shown.chars().count(), COMMAND_LINE_MAX_CHARS + 3);
        assert!(shown.starts_with("prog xxx") && shown.ends_with("..."));
    }
}
