// SPDX-License-Identifier: GPL-2.0
//! The byte-level work of the trigger search: counting the newlines of
//! what it skipped, and finding the records around a hit.

use super::MAX_RECORD;

/// Counts `\n` bytes. This runs over every byte that the trigger search
/// skips and is, after the search itself, the largest per-byte cost of a
/// clean log; see [`count_newlines_portable`] for how it is computed. With
/// AVX2 (detected at run time) the same loop handles 32 bytes per step
/// instead of 16.
#[inline]
pub fn count_newlines(hay: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { count_newlines_avx2(hay) };
        }
    }
    count_newlines_portable(hay)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn count_newlines_avx2(hay: &[u8]) -> u64 {
    count_newlines_portable(hay)
}

/// Written as a plain loop over fixed-size blocks, each counted in a byte
/// wide accumulator, so that the compiler vectorises it.
#[inline(always)]
fn count_newlines_portable(hay: &[u8]) -> u64 {
    let mut total: u64 = 0;
    let mut chunks = hay.chunks_exact(256);
    for chunk in &mut chunks {
        let mut n: u8 = 0;
        for &b in chunk {
            n = n.wrapping_add((b == b'\n') as u8);
        }
        // A 256-byte block may consist only of newlines: 256 wraps to 0.
        total += if n == 0 && chunk[0] == b'\n' {
            256
        } else {
            n as u64
        };
    }
    for &b in chunks.remainder() {
        total += (b == b'\n') as u64;
    }
    total
}

/// Start of the record that contains offset `at` of `hay` (which starts
/// at a record boundary).
pub(super) fn record_start(hay: &[u8], at: usize) -> usize {
    memchr::memrchr2(b'\n', b'\r', &hay[..at]).map_or(0, |p| p + 1)
}

/// Start of the record before the one starting at `rec` in `hay`, if
/// `hay` holds it whole and it is at most [`MAX_RECORD`] bytes long.
pub(super) fn previous_record(hay: &[u8], rec: usize) -> Option<usize> {
    let end = hay[..rec].iter().rposition(|&b| b != b'\n' && b != b'\r')? + 1;
    let start = record_start(hay, end);
    (end - start <= MAX_RECORD).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_newlines_in_full_blocks() {
        let v = vec![b'\n'; 1000];
        assert_eq!(count_newlines(&v), 1000);
        let mut w = vec![b'a'; 1000];
        w[255] = b'\n';
        w[256] = b'\n';
        assert_eq!(count_newlines(&w), 2);
    }

    #[test]
    fn records_around_a_hit() {
        let hay = b"one\r\n\ntwo\nthree";
        assert_eq!(record_start(hay, 12), 10);
        assert_eq!(previous_record(hay, 10), Some(6));
        assert_eq!(previous_record(hay, 6), Some(0));
        assert_eq!(previous_record(hay, 0), None);
        let long = [vec![b'x'; MAX_RECORD + 1], b"\nnext".to_vec()].concat();
        assert_eq!(previous_record(&long, MAX_RECORD + 2), None);
    }
}
