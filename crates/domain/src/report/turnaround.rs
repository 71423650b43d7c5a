//! The approvals report's percentiles, from counts of decisions per rounded time.

/// Times of decisions in tenths of an hour, with how many decisions took each: what
/// the database keeps per step and decider, or per month.
pub type TimeCounts = [(i64, i64)];

/// The nearest-rank `percent`th percentile of the times in `counts` (ascending by
/// time): the first time whose running count reaches ⌈percent × n / 100⌉; `None`
/// when there are none.
pub fn nearest_rank(counts: &TimeCounts, percent: i64) -> Option<i64> {
    let n: i64 = counts.iter().map(|(_, count)| count).sum();
    if n <= 0 {
        return None;
    }
    let rank = (percent * n + 99) / 100;
    let mut reached = 0;
    counts.iter().find_map(|(time, count)| {
        reached += count;
        (reached >= rank).then_some(*time)
    })
}

/// Hours for tenths of an hour.
pub fn hours(tenths: i64) -> f64 {
    tenths as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nearest rank of the times written out one by one.
    fn by_hand(counts: &TimeCounts, percent: usize) -> Option<i64> {
        let times: Vec<i64> = counts.iter().flat_map(|(t, c)| std::iter::repeat_n(*t, *c as usize)).collect();
        (!times.is_empty()).then(|| times[(times.len() * percent).div_ceil(100) - 1])
    }

    #[test]
    fn the_nearest_rank_is_the_first_time_whose_running_count_reaches_it() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[(100, 1), (300, 1)], 50), Some(100));
        assert_eq!(nearest_rank(&[(100, 1), (300, 1)], 90), Some(300));
        assert_eq!(nearest_rank(&[(5, 3)], 90), Some(5));
        let cases: &[&TimeCounts] = &[
            &[(1, 1)],
            &[(1, 2), (2, 1)],
            &[(0, 4), (7, 1), (9, 5)],
            &[(3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 1), (9, 1), (10, 1), (11, 1), (12, 1), (13, 1)],
            &[(10, 9), (20, 1)],
            &[(10, 10), (20, 1)],
        ];
        for counts in cases {
            for percent in [1, 50, 90, 99, 100] {
                assert_eq!(nearest_rank(counts, percent as i64), by_hand(counts, percent), "{counts:?} p{percent}");
            }
        }
    }
}
