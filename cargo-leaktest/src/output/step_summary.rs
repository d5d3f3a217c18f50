//! The Markdown a run appends to `$GITHUB_STEP_SUMMARY`: the counts, the
//! details of every failure and regression, and a table of every test,
//! failing ones first.
//!
//! GitHub refuses a step summary over 1 MiB and then shows nothing of it,
//! so the text is built to fit the room left: pieces are added in order of
//! importance until the next would not fit, and a note says what was left out.

use super::shorten;
use std::fmt::Write;

/// GitHub's limit for one step's summary, in bytes.
pub const STEP_SUMMARY_LIMIT_BYTES: usize = 1024 * 1024;
/// Room kept free below the limit, for what later commands of the step add.
pub const STEP_SUMMARY_MARGIN_BYTES: usize = 64 * 1024;
/// Longest explanation of one failure: a huge panic message must not take
/// the room of every other failure and of the table.
pub const MAX_DETAIL_CHARS: usize = 16 * 1024;
/// Longest title of one failure (one line, as an annotation's title).
pub const MAX_DETAIL_TITLE_CHARS: usize = 255;

/// One test in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Whether it failed or regressed (shown first, with a mark).
    pub failing: bool,
    /// `package::target`.
    pub binary: String,
    /// The test's name.
    pub name: String,
    /// `PASSED`, `LEAKED`, `REGRESSED`...
    pub verdict: String,
    /// Growth of leaking resources, or empty.
    pub growth: String,
    /// Peak heap, or empty.
    pub peak: String,
    /// Bytes and allocations per iteration, or empty.
    pub allocation: String,
    /// How it compared with the baseline, or empty.
    pub baseline: String,
    /// Wall time.
    pub duration: String,
}

/// One failure or regression, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// `alpha::leaks leaks_a_box (leaked)`.
    pub title: String,
    /// The full explanation (plain text, shown verbatim).
    pub text: String,
}

/// Everything the summary shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// `5 passed, 2 failed, 1 skipped`.
    pub counts: String,
    /// Lines under the counts: partition, baseline, interrupt.
    pub notes: Vec<String>,
    /// Failures first, then regressions.
    pub details: Vec<Detail>,
    /// Every test.
    pub rows: Vec<Row>,
}

/// Renders `summary` in at most `max_bytes` bytes (never less than the
/// heading and the counts).
pub fn render(summary: &Summary, max_bytes: usize) -> String {
    let mut text = format!("## leaktest: {}\n\n", summary.counts);
    for note in &summary.notes {
        let _ = writeln!(text, "{}  ", escape_text(note));
    }
    if !summary.notes.is_empty() {
        text.push('\n');
    }
    let mut pieces = Vec::new();
    if !summary.details.is_empty() {
        pieces.push(Piece::Heading(
            "### Failures and regressions\n\n".to_owned(),
        ));
        pieces.extend(
            summary
                .details
                .iter()
                .map(|d| Piece::Detail(details_block(d))),
        );
    }
    let mut rows: Vec<&Row> = summary.rows.iter().collect();
    rows.sort_by_key(|row| !row.failing);
    if !rows.is_empty() {
        pieces.push(Piece::Heading(
            "### Tests\n\n| | test | verdict | growth | peak | allocated per iteration | baseline | time |\n\
             |---|---|---|---|---|---|---|---|\n"
                .to_owned(),
        ));
        pieces.extend(rows.into_iter().map(|row| Piece::Row(table_row(row))));
    }
    let (mut details_left, mut rows_left) = (summary.details.len(), summary.rows.len());
    for piece in pieces {
        let note = truncation_note(details_left, rows_left);
        let piece_text = piece.text();
        if text.len() + piece_text.len() + note.len() > max_bytes {
            text.push_str(&note);
            return text;
        }
        text.push_str(piece_text);
        match piece {
            Piece::Detail(_) => details_left -= 1,
            Piece::Row(_) => rows_left -= 1,
            Piece::Heading(_) => {}
        }
    }
    text.push('\n');
    text
}

/// A part of the summary, added whole or not at all.
enum Piece {
    Heading(String),
    Detail(String),
    Row(String),
}

impl Piece {
    fn text(&self) -> &str {
        match self {
            Piece::Heading(text) | Piece::Detail(text) | Piece::Row(text) => text,
        }
    }
}

fn truncation_note(details: usize, rows: usize) -> String {
    format!(
        "\n_The summary stops here to stay under GitHub's 1 MiB limit: {details} more failure \
         details and {rows} more tests are in the job log and the JUnit report (`--junit`)._\n"
    )
}

fn details_block(detail: &Detail) -> String {
    let text = shorten(
        &detail.text,
        MAX_DETAIL_CHARS,
        "\n… (the rest is in the job log and the JUnit report)",
    );
    let fence = "`".repeat(longest_backtick_run(&text).max(2) + 1);
    format!(
        "<details><summary>{}</summary>\n\n{fence}text\n{}\n{fence}\n\n</details>\n\n",
        escape_html(&shorten(&detail.title, MAX_DETAIL_TITLE_CHARS, "…")),
        text.trim_end()
    )
}

fn table_row(row: &Row) -> String {
    format!(
        "| {} | `{}` `{}` | {} | {} | {} | {} | {} | {} |\n",
        if row.failing { "❌" } else { "✅" },
        escape_cell(&row.binary),
        escape_cell(&row.name),
        escape_cell(&row.verdict),
        escape_cell(&row.growth),
        escape_cell(&row.peak),
        escape_cell(&row.allocation),
        escape_cell(&row.baseline),
        escape_cell(&row.duration),
    )
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A table cell: no line breaks, `|` escaped.
fn escape_cell(text: &str) -> String {
    escape_html(&text.replace(['\n', '\r'], " ")).replace('|', "\\|")
}

fn escape_text(text: &str) -> String {
    escape_html(text)
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, failing: bool) -> Row {
        Row {
            failing,
            binary: "alpha::leaks".to_owned(),
            name: name.to_owned(),
            verdict: if failing { "LEAKED" } else { "PASSED" }.to_owned(),
            growth: if failing { "heap +64 B/iter" } else { "" }.to_owned(),
            peak: "7.4 KiB".to_owned(),
            allocation: "256 B, 1 alloc".to_owned(),
            baseline: String::new(),
            duration: "0.41s".to_owned(),
        }
    }

    fn summary(rows: usize) -> Summary {
        Summary {
            counts: "1 passed, 1 failed, 0 skipped".to_owned(),
            notes: vec!["shard hash:1/2".to_owned()],
            details: vec![Detail {
                title: "alpha::leaks leaks_a_box (leaked)".to_owned(),
                text: "leak: heap grows\n```inner fence```".to_owned(),
            }],
            rows: (0..rows)
                .map(|i| row(&format!("test_{i}"), i == rows - 1))
                .collect(),
        }
    }

    #[test]
    fn a_huge_failure_is_cut_and_leaves_room_for_the_table() {
        let mut huge = summary(2);
        huge.details[0].title = format!("alpha::leaks t: failed: {}", "x".repeat(20 << 20));
        huge.details[0].text = "y".repeat(20 << 20);
        let text = render(&huge, STEP_SUMMARY_LIMIT_BYTES - STEP_SUMMARY_MARGIN_BYTES);
        assert!(text.len() < 2 * MAX_DETAIL_CHARS, "{}", text.len());
        assert!(text.contains("xx…</summary>"));
        assert!(text.contains("y\n… (the rest is in the job log and the JUnit report)"));
        assert!(text.contains("| ✅ | `alpha::leaks` `test_0` |"), "{text}");
        assert!(!text.contains("The summary stops here"), "{text}");
    }

    #[test]
    fn failing_tests_come_first_with_their_details() {
        let text = render(&summary(2), STEP_SUMMARY_LIMIT_BYTES);
        assert!(
            text.starts_with("## leaktest: 1 passed, 1 failed, 0 skipped\n\nshard hash:1/2  \n")
        );
        let failing = text
            .find("| ❌ | `alpha::leaks` `test_1` | LEAKED")
            .unwrap();
        let passing = text
            .find("| ✅ | `alpha::leaks` `test_0` | PASSED")
            .unwrap();
        assert!(failing < passing, "{text}");
        // A fence longer than any backtick run inside.
        assert!(
            text.contains("````text\nleak: heap grows\n```inner fence```\n````"),
            "{text}"
        );
        assert!(!text.contains("stops here"), "{text}");
    }

    #[test]
    fn a_summary_over_the_limit_is_cut_with_a_note() {
        let limit = 2000;
        let text = render(&summary(100), limit);
        assert!(text.len() <= limit, "{} bytes", text.len());
        assert!(
            text.contains("<details>"),
            "details come before rows: {text}"
        );
        assert!(text.contains("| ❌ |"), "{text}");
        assert!(text.contains("0 more failure details and "), "{text}");
        assert!(
            text.ends_with("are in the job log and the JUnit report (`--junit`)._\n"),
            "{text}"
        );
        let shown = text.matches("| ✅ |").count() + text.matches("| ❌ |").count();
        assert!(
            text.contains(&format!("and {} more tests", 100 - shown)),
            "{text}"
        );
    }

    #[test]
    fn cells_cannot_break_the_table() {
        let mut odd = row("a|b", false);
        odd.verdict = "line\nbreak <b>".to_owned();
        let line = table_row(&odd);
        assert_eq!(line.lines().count(), 1);
        assert!(line.contains("`a\\|b`"), "{line}");
        assert!(line.contains("line break &lt;b&gt;"), "{line}");
    }
}
