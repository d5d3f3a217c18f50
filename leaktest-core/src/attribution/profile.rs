//! DHAT's profile file (`dhat-heap.json`), as far as attribution reads it.
//!
//! The format is DHAT's (described in `dhat/dh_main.c` of Valgrind, written by
//! dhat-rs): a header, one entry per *program point* (a distinct backtrace)
//! in `pps`, and the frame table `ftbl` those entries index into. Per program
//! point, `eb` and `ebk` are the bytes and blocks allocated there while the
//! profiler ran that were still live when it stopped ("at t-end"). Blocks
//! allocated before the profiler started are not counted, even when freed or
//! kept; a block reallocated while it ran counts as allocated then.

use super::frames::ProfileFrame;
use serde::Deserialize;
use std::path::Path;

/// The DHAT file version leaktest reads.
const FILE_VERSION: u32 = 2;
/// The mode of a heap profile written by dhat-rs.
const HEAP_MODE: &str = "rust-heap";

/// What is wrong with a profile file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProfileError {
    /// The file could not be read (dhat did not write it).
    #[error("could not read it: {0}")]
    Read(#[from] std::io::Error),
    /// It is not JSON of DHAT's shape.
    #[error("it is not a DHAT profile: {0}")]
    Malformed(#[from] serde_json::Error),
    /// Another version or mode of DHAT's format.
    #[error("it is a DHAT profile of version {version} in mode `{mode}`, not version 2 in mode `rust-heap`")]
    Unsupported {
        /// `dhatFileVersion`.
        version: u32,
        /// `mode`.
        mode: String,
    },
    /// A program point names a frame the table does not have.
    #[error(
        "program point {point} refers to frame {frame}, beyond the {frames} frames of the table"
    )]
    BadFrameIndex {
        /// Index of the program point.
        point: usize,
        /// The frame index it holds.
        frame: usize,
        /// Frames in the table.
        frames: usize,
    },
}

/// A heap profile: its program points with their frames parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeapProfile {
    /// One entry per distinct backtrace.
    pub points: Vec<ProgramPoint>,
}

/// One distinct backtrace and what was still live from it at the end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProgramPoint {
    /// Bytes allocated here while profiling and live at its end.
    pub end_bytes: u64,
    /// Blocks allocated here while profiling and live at its end.
    pub end_blocks: u64,
    /// The backtrace, innermost frame first (dhat starts it at the
    /// allocator's outermost frame).
    pub frames: Vec<ProfileFrame>,
}

/// The JSON document, with only the fields attribution needs.
#[derive(Deserialize)]
struct DhatFile {
    #[serde(rename = "dhatFileVersion")]
    version: u32,
    mode: String,
    pps: Vec<DhatProgramPoint>,
    ftbl: Vec<String>,
}

#[derive(Deserialize)]
struct DhatProgramPoint {
    #[serde(default)]
    eb: u64,
    #[serde(default)]
    ebk: u64,
    fs: Vec<usize>,
}

impl HeapProfile {
    /// Parses a profile from its JSON text.
    pub fn parse(json: &str) -> Result<HeapProfile, ProfileError> {
        let file: DhatFile = serde_json::from_str(json)?;
        if file.version != FILE_VERSION || file.mode != HEAP_MODE {
            return Err(ProfileError::Unsupported {
                version: file.version,
                mode: file.mode,
            });
        }
        let frames: Vec<ProfileFrame> = file
            .ftbl
            .iter()
            .map(|text| ProfileFrame::parse(text))
            .collect();
        let points = file
            .pps
            .into_iter()
            .enumerate()
            .map(|(point, entry)| {
                let frames = entry
                    .fs
                    .iter()
                    .map(|&frame| {
                        frames
                            .get(frame)
                            .cloned()
                            .ok_or(ProfileError::BadFrameIndex {
                                point,
                                frame,
                                frames: frames.len(),
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(ProgramPoint {
                    end_bytes: entry.eb,
                    end_blocks: entry.ebk,
                    frames,
                })
            })
            .collect::<Result<Vec<_>, ProfileError>>()?;
        Ok(HeapProfile { points })
    }

    /// Reads and parses the profile at `path`.
    pub fn read(path: &Path) -> Result<HeapProfile, ProfileError> {
        HeapProfile::parse(&std::fs::read_to_string(path)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile as dhat-rs writes it (its pretty form with no indentation),
    /// cut to two program points.
    const SAMPLE: &str = r#"{
"dhatFileVersion": 2,
"mode": "rust-heap",
"verb": "Allocated",
"bklt": true,
"bkacc": false,
"tu": "µs",
"Mtu": "s",
"tuth": 10,
"cmd": "target/debug/deps/leaks-1a2b3c",
"pid": 4242,
"tg": 1200,
"te": 3400,
"pps": [
{
"tb": 4800,
"tbk": 100,
"tl": 2200,
"mb": 4800,
"mbk": 100,
"gb": 4800,
"gbk": 100,
"eb": 4800,
"ebk": 100,
"fs": [
1,
2,
3
]
},
{
"tb": 800,
"tbk": 100,
"tl": 90,
"mb": 8,
"mbk": 1,
"gb": 0,
"gbk": 0,
"eb": 0,
"ebk": 0,
"fs": [
1,
4
]
}
],
"ftbl": [
"[root]",
"0x55d2e4c1f0a8: alloc::alloc::exchange_malloc (alloc/src/alloc.rs:237:22)",
"0x55d2e4c1f1b0: my_crate::sessions::Sessions::close (src/sessions.rs:42:9)",
"0x55d2e4c1f2c0: leaks::sessions_forget_closed (tests/leaks.rs:13:5)",
"0x55d2e4c1f3d0: my_crate::render (src/render.rs:7:5)"
]
}"#;

    #[test]
    fn program_points_keep_their_end_counts_and_frames() {
        let profile = HeapProfile::parse(SAMPLE).unwrap();
        assert_eq!(profile.points.len(), 2);
        let kept = &profile.points[0];
        assert_eq!((kept.end_bytes, kept.end_blocks), (4800, 100));
        let functions: Vec<&str> = kept.frames.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(
            functions,
            [
                "alloc::alloc::exchange_malloc",
                "my_crate::sessions::Sessions::close",
                "leaks::sessions_forget_closed"
            ]
        );
        assert_eq!(kept.frames[1].line, Some(42));
        assert_eq!(profile.points[1].end_bytes, 0);
    }

    #[test]
    fn a_frame_index_beyond_the_table_is_an_error() {
        let broken = SAMPLE.replace("\n4\n]", "\n9\n]");
        let error = HeapProfile::parse(&broken).unwrap_err();
        assert!(
            matches!(
                error,
                ProfileError::BadFrameIndex {
                    point: 1,
                    frame: 9,
                    frames: 5
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn other_modes_and_versions_are_refused() {
        let ad_hoc = SAMPLE.replace("rust-heap", "rust-ad-hoc");
        assert!(matches!(
            HeapProfile::parse(&ad_hoc),
            Err(ProfileError::Unsupported { version: 2, .. })
        ));
        assert!(matches!(
            HeapProfile::parse("{\"pps\": 3}"),
            Err(ProfileError::Malformed(_))
        ));
    }
}
