//! Safety predicates over replicated logs, shared by every variant: the same rule whether an
//! entry's creation round is called a term (Raft) or an epoch (KRaft).

/// Log Matching: two logs with an entry of the same index and term (`term_of`) are identical
/// up to that index. Checked at the last index where the terms agree, which implies the rest.
pub fn log_matching<'a, E: PartialEq + 'a>(logs: &[&'a [E]], term_of: impl Fn(&E) -> u8) -> bool {
    logs.iter().enumerate().all(|(i, a)| {
        logs[i + 1..].iter().all(|b| {
            let common = a.len().min(b.len());
            match (0..common)
                .rev()
                .find(|&k| term_of(&a[k]) == term_of(&b[k]))
            {
                Some(k) => a[..=k] == b[..=k],
                None => true,
            }
        })
    })
}

/// Two committed prefixes agree where both are defined.
pub fn prefixes_agree<E: PartialEq>(a: &[E], b: &[E]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Every committed entry (by index) is stored by at least `majority` of the logs.
pub fn stored_by_majority<'a, E: PartialEq + 'a>(
    committed: impl Iterator<Item = &'a E>,
    logs: &[&[E]],
    majority: usize,
) -> bool {
    committed
        .enumerate()
        .all(|(i, e)| logs.iter().filter(|l| l.get(i) == Some(e)).count() >= majority)
}

/// Leader Completeness: every leader, given as (term, log), holds each entry committed in an
/// earlier term; `committed` yields (entry, term it was committed in) by index.
pub fn leaders_complete<'a, E: PartialEq + 'a>(
    mut leaders: impl Iterator<Item = (u8, &'a [E])>,
    committed: impl Iterator<Item = (&'a E, u8)> + Clone,
) -> bool {
    leaders.all(|(term, log)| {
        committed
            .clone()
            .enumerate()
            .all(|(i, (e, in_term))| in_term >= term || log.get(i) == Some(e))
    })
}

/// State Machine Safety over what each server has applied: every applied prefix exists (None:
/// the server claims entries it does not hold), and all agree with each other and with the
/// commit history.
pub fn applied_prefixes_agree<'a, E: PartialEq + 'a>(
    applied: &[Option<&'a [E]>],
    history: impl Iterator<Item = &'a E> + Clone,
) -> bool {
    applied.iter().enumerate().all(|(i, a)| {
        let Some(a) = a else { return false };
        a.iter().zip(history.clone()).all(|(x, h)| x == h)
            && applied[i + 1..]
                .iter()
                .all(|b| b.is_some_and(|b| prefixes_agree(a, b)))
    })
}

/// The entries one message carries from 0-based position `from`: at most `batch`, none past
/// the log's end (an AppendEntries' entries, a Fetch response's records).
pub fn batch_from<E: Copy, const N: usize>(
    log: &[E],
    from: usize,
    batch: u8,
) -> arrayvec::ArrayVec<E, N> {
    let until = (from + batch as usize).min(log.len());
    log.get(from..until)
        .unwrap_or(&[])
        .iter()
        .copied()
        .collect()
}
